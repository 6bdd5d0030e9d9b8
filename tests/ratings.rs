//! End-to-end: satisfaction ratings (API, phone page) and the statistics managers
//! read, against the real `motcua serve` binary on loopback.

mod common;

use serde_json::{Value, json};

use common::*;

async fn act(svc: &Service, c: &reqwest::Client, counter: u32, action: &str) -> (u16, Value) {
    post(
        c,
        &svc.url(&format!("/api/v1/counters/{counter}/{action}")),
        &counter_token(counter),
        None,
    )
    .await
}

#[tokio::test]
async fn a_served_ticket_is_rated_once_and_the_stats_count_it() {
    let dir = tempfile::tempdir().unwrap();
    let svc = Service::start(dir.path(), &hall_config(&[]));
    let c = client();
    let rate = |token: String, body: Value| {
        let c = c.clone();
        let url = svc.url("/api/v1/ratings");
        async move { post(&c, &url, &token, Some(body)).await }
    };

    let (_, a1) = svc.take(&c, "HT").await;
    let (_, a2) = svc.take(&c, "HT").await;
    // Nothing served at counter 1 yet: the pad's press is refused in words.
    let (status, e) = rate(
        counter_token(1),
        json!({"level": "satisfied", "source": "pad"}),
    )
    .await;
    assert_eq!(status, 409, "{e}");
    assert_eq!(e["error"]["code"], "nothing_to_rate");
    assert!(e["error"]["citizen_message"]["vi"].is_string());

    act(&svc, &c, 1, "call").await;
    act(&svc, &c, 1, "start").await;
    let (status, rated) = rate(
        counter_token(1),
        json!({"level": "very_satisfied", "source": "pad"}),
    )
    .await;
    assert_eq!(status, 201, "{rated}");
    assert_eq!(rated["id"], a1["id"]);
    assert_eq!(rated["rating"]["level"], "very_satisfied");
    assert_eq!(rated["rating"]["source"], "pad");
    // The same ticket again, by counter or by id: refused, the first rating stays.
    let (status, e) = rate(counter_token(1), json!({"level": "unsatisfied"})).await;
    assert_eq!(
        (status, e["error"]["code"].as_str()),
        (409, Some("already_rated"))
    );
    let (status, _) = rate(
        ADMIN.into(),
        json!({"ticket": a1["id"], "level": "unsatisfied"}),
    )
    .await;
    assert_eq!(status, 409);
    // Another counter's token cannot rate at counter 1; a kiosk cannot rate at all.
    let (status, _) = rate(counter_token(2), json!({"counter": 1, "level": "neutral"})).await;
    assert_eq!(status, 403);
    let (status, _) = rate(KIOSK.into(), json!({"counter": 1, "level": "neutral"})).await;
    assert_eq!(status, 403);
    // Malformed ratings are 4xx, never 500.
    for body in [
        json!({"level": "great"}),
        json!({"level": "neutral", "reason": "x".repeat(121)}),
        json!({"level": "neutral", "reason": "a\nb"}),
        json!({"level": "neutral", "source": "phone"}),
        json!({"level": "neutral", "extra": 1}),
    ] {
        let (status, e) = rate(counter_token(1), body.clone()).await;
        assert!((400..500).contains(&status), "{body} → {status} {e}");
    }

    // a2: called, finished without start, then rated unsatisfied with a reason.
    act(&svc, &c, 1, "call").await;
    act(&svc, &c, 1, "finish").await;
    let (status, rated) = rate(
        counter_token(1),
        json!({"level": "unsatisfied", "reason": "Chờ lâu", "source": "screen"}),
    )
    .await;
    assert_eq!(status, 201, "{rated}");
    assert_eq!(rated["id"], a2["id"]);
    assert_eq!(rated["rating"]["reason"], "Chờ lâu");

    // Rated tickets stream as `ticket.rated` and survive a restart.
    let svc = {
        svc.stop();
        Service::start(dir.path(), &hall_config(&[]))
    };
    let (_, t) = get(&c, &svc.url(&format!("/api/v1/tickets/{}", a1["id"]))).await;
    assert_eq!(t["rating"]["level"], "very_satisfied");

    // Statistics: admin only, JSON and CSV.
    let stats_url = svc.url("/api/v1/stats");
    let res = c
        .get(&stats_url)
        .bearer_auth(counter_token(1))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 403);
    let res = c.get(&stats_url).send().await.unwrap();
    assert_eq!(res.status().as_u16(), 401);
    let stats = get_as(&c, &stats_url, ADMIN).await;
    assert_eq!(stats["hall"]["issued"], 2, "{stats}");
    assert_eq!(stats["hall"]["served"], 2);
    assert_eq!(stats["hall"]["rated"], 2);
    assert_eq!(stats["hall"]["ratings"]["very_satisfied"], 1);
    assert_eq!(stats["hall"]["satisfaction_percent"]["unsatisfied"], 50.0);
    assert_eq!(stats["hall"]["reasons"]["Chờ lâu"], 1, "{stats}");
    assert_eq!(stats["reason_names"][0], "Chờ lâu");
    let counter1 = stats["counters"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["counter"] == 1)
        .unwrap();
    assert_eq!(counter1["served"], 2);
    let res = c
        .get(format!("{stats_url}?format=csv"))
        .bearer_auth(ADMIN)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 200);
    assert!(
        res.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .contains(".csv")
    );
    let csv = res.text().await.unwrap();
    assert!(csv.contains(",Toàn sảnh,,,2,2,0,0,0,"), "{csv}");
    assert!(csv.contains(",Lĩnh vực,HT,Hộ tịch,2,2"), "{csv}");
    let header = csv.lines().next().unwrap();
    // The page's words and units: Vietnamese, minutes.
    assert!(
        header.starts_with("\u{feff}Từ ngày,Đến ngày,Phạm vi,Mã,Tên,Cấp số,Đã phục vụ,Vắng,Hết hạn,Còn chờ,Chờ TB (phút),Phục vụ TB (phút),Đánh giá,Rất hài lòng,"),
        "{header}"
    );
    assert!(header.contains(",Không hài lòng (%),"), "{header}");
    assert!(header.ends_with(",lý do: Chờ lâu,lý do: Thái độ cán bộ,lý do: Hướng dẫn chưa rõ,\"lý do: Giấy tờ, thủ tục phức tạp\",lý do: Khác"), "{header}");
    let hall_row = csv.lines().nth(1).unwrap();
    assert!(
        hall_row.ends_with(",1,0,0,0,0"),
        "one 'Chờ lâu': {hall_row}"
    );
    // A bad range or format is the client's mistake.
    for query in [
        "?from=2026-11-24&to=2026-11-01",
        "?from=2024-01-01&to=2026-01-01",
        "?from=yesterday",
        "?format=xlsx",
    ] {
        let res = c
            .get(format!("{stats_url}{query}"))
            .bearer_auth(ADMIN)
            .send()
            .await
            .unwrap();
        let status = res.status().as_u16();
        assert!((400..500).contains(&status), "{query} → {status}");
    }
    // A past range is read from the store: nothing then.
    let old = get_as(
        &c,
        &format!("{stats_url}?from=2025-01-01&to=2025-01-31"),
        ADMIN,
    )
    .await;
    assert_eq!(old["hall"]["issued"], 0);
}

/// Posts an HTML form as a phone's browser does.
async fn post_form(c: reqwest::Client, url: String, body: String) -> reqwest::Response {
    c.post(url)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(body)
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn only_the_ticket_holder_rates_from_the_phone_and_only_once() {
    let dir = tempfile::tempdir().unwrap();
    let svc = Service::start(dir.path(), &hall_config(&[]));
    let c = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let (status, t) = svc.take(&c, "HT").await;
    assert_eq!(status, 201);
    let id = t["id"].as_u64().unwrap();
    let path = t["follow_path"]
        .as_str()
        .expect("an issued ticket has its link");
    assert!(path.starts_with(&format!("/t/{id}?k=")), "{path}");
    let key = path.split("k=").nth(1).unwrap().to_owned();
    // The key is not in any public answer.
    let (_, public) = get(&c, &svc.url(&format!("/api/v1/tickets/{id}"))).await;
    assert!(public.get("follow_path").is_none());
    assert!(!public.to_string().contains(&key));

    let page = |q: String| {
        let c = c.clone();
        let url = svc.url(&format!("/t/{id}{q}"));
        async move { c.get(url).send().await.unwrap().text().await.unwrap() }
    };
    let form = |k: &str, level: &str| {
        let url = svc.url(&format!("/t/{id}/rating"));
        post_form(c.clone(), url, format!("k={k}&level={level}"))
    };
    // Waiting: no rating offered, even with the key.
    assert!(!page(format!("?k={key}")).await.contains("name=\"level\""));
    act(&svc, &c, 1, "call").await;
    act(&svc, &c, 1, "finish").await;
    // Served: the holder's page offers the four levels; without the key, none.
    let with_key = page(format!("?k={key}")).await;
    assert!(with_key.contains("Rất hài lòng") && with_key.contains("Không hài lòng"));
    assert_eq!(with_key.matches("name=\"level\"").count(), 4);
    assert!(!page(String::new()).await.contains("name=\"level\""));
    assert!(
        !page("?k=0000000000000000".into())
            .await
            .contains("name=\"level\"")
    );
    // A guessed key is refused and records nothing.
    let res = form("0000000000000000", "unsatisfied").await;
    assert_eq!(res.status().as_u16(), 403);
    let res = form(&key, "great").await;
    assert_eq!(res.status().as_u16(), 422);
    // The holder rates: redirected back to the page, which thanks them.
    let res = form(&key, "satisfied").await;
    assert_eq!(res.status().as_u16(), 303);
    let after = page(format!("?k={key}")).await;
    assert!(
        after.contains("Ông/bà đã đánh giá: <b>Hài lòng</b>"),
        "{after}"
    );
    assert!(!after.contains("name=\"level\""));
    // A second tap changes nothing.
    let res = form(&key, "unsatisfied&reason=").await;
    assert_eq!(res.status().as_u16(), 303);
    let (_, t) = get(&c, &svc.url(&format!("/api/v1/tickets/{id}"))).await;
    assert_eq!(t["rating"]["level"], "satisfied");
    assert_eq!(t["rating"]["source"], "phone");

    // The next citizen is not satisfied: the phone asks why before recording.
    let (_, t2) = svc.take(&c, "HT").await;
    let id2 = t2["id"].as_u64().unwrap();
    let key2 = t2["follow_path"]
        .as_str()
        .unwrap()
        .split("k=")
        .nth(1)
        .unwrap()
        .to_owned();
    act(&svc, &c, 1, "call").await;
    act(&svc, &c, 1, "finish").await;
    let rate2 = |fields: &str| {
        let url = svc.url(&format!("/t/{id2}/rating"));
        post_form(
            c.clone(),
            url,
            format!("k={key2}&level=unsatisfied{fields}"),
        )
    };
    let res = rate2("").await;
    assert_eq!(res.status().as_u16(), 200);
    let why = res.text().await.unwrap();
    assert!(why.contains("chưa hài lòng vì điều gì"), "{why}");
    assert_eq!(
        why.matches("name=\"reason\"").count(),
        5,
        "4 reasons and skip"
    );
    let (_, t) = get(&c, &svc.url(&format!("/api/v1/tickets/{id2}"))).await;
    assert!(t["rating"].is_null(), "nothing recorded before the answer");
    assert_eq!(rate2("&reason=Ngh%E1%BB%89").await.status().as_u16(), 422);
    // "Chờ lâu", as a browser sends it.
    let res = rate2("&reason=Ch%E1%BB%9D+l%C3%A2u").await;
    assert_eq!(res.status().as_u16(), 303);
    let (_, t) = get(&c, &svc.url(&format!("/api/v1/tickets/{id2}"))).await;
    assert_eq!(t["rating"]["level"], "unsatisfied");
    assert_eq!(t["rating"]["reason"], "Chờ lâu");
}

#[tokio::test]
async fn a_counter_sees_the_tickets_it_will_call_in_order() {
    let dir = tempfile::tempdir().unwrap();
    let svc = Service::start(dir.path(), &hall_config(&[]));
    let c = client();
    svc.take(&c, "HT").await;
    svc.take(&c, "CT").await;
    let (_, elderly) = post(
        &c,
        &svc.url("/api/v1/tickets"),
        KIOSK,
        Some(json!({"service": "CT", "priority": "elderly"})),
    )
    .await;
    let (_, q1) = get(&c, &svc.url("/api/v1/counters/1/queue")).await;
    let numbers: Vec<&str> = q1
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["number"].as_str().unwrap())
        .collect();
    assert_eq!(numbers, ["B002", "A001", "B001"]);
    assert_eq!(q1[0]["priority"], "elderly");
    let (_, q2) = get(&c, &svc.url("/api/v1/counters/2/queue")).await;
    assert_eq!(q2.as_array().unwrap().len(), 2);
    // The next call takes exactly the first of that list.
    let (_, called) = act(&svc, &c, 1, "call").await;
    assert_eq!(called["ticket"]["id"], elderly["id"]);
    let (status, _) = get(&c, &svc.url("/api/v1/counters/9/queue")).await;
    assert_eq!(status, 404);
    // Who am I: the counter page signs in with this.
    let me = get_as(&c, &svc.url("/api/v1/me"), &counter_token(2)).await;
    assert_eq!(
        (me["role"].as_str(), me["counter"].as_u64()),
        (Some("counter"), Some(2))
    );
}
