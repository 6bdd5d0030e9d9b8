//! End-to-end: the real `motcua serve` binary on loopback, a real HTTP client.

mod common;

use std::collections::{BTreeMap, HashSet};
use std::time::Duration;

use chrono::{Datelike, Utc};
use serde_json::{Value, json};

use common::*;

const SOON: Duration = Duration::from_secs(5);

fn today_in_hanoi() -> &'static str {
    let day = Utc::now()
        .with_timezone(&chrono_tz::Asia::Ho_Chi_Minh)
        .weekday();
    ["mon", "tue", "wed", "thu", "fri", "sat", "sun"][day.num_days_from_monday() as usize]
}

#[tokio::test]
async fn a_ticket_is_issued_called_and_streamed() {
    let dir = tempfile::tempdir().unwrap();
    let svc = Service::start(dir.path(), &hall_config(&[]));
    let c = client();
    let mut stream = SseReader::open(&c, &svc.url("/api/v1/events"), None).await;

    let (status, t) = svc.take(&c, "HT").await;
    assert_eq!(status, 201, "{t}");
    assert_eq!(t["number"], "A001");
    assert_eq!(t["service"], "HT");
    assert_eq!(t["status"], "waiting");
    assert_eq!(t["waiting_ahead"], 0);
    assert!(t["issued_at"].is_string());
    assert!(t["estimated_wait_s"].is_u64());
    let id = t["id"].as_u64().unwrap();

    let (status, called) = post(
        &c,
        &svc.url("/api/v1/counters/1/call"),
        &counter_token(1),
        None,
    )
    .await;
    assert_eq!(status, 200, "{called}");
    assert_eq!(called["ticket"]["id"], id);
    assert_eq!(called["ticket"]["status"], "called");
    assert_eq!(called["ticket"]["counter"], 1);

    let issued = stream.next(SOON).await;
    assert_eq!(issued.event, "ticket.issued");
    assert_eq!(issued.data["ticket"]["number"], "A001");
    let call = stream.next(SOON).await;
    assert_eq!(call.event, "ticket.called");
    assert_eq!(call.data["ticket"]["counter"], 1);
    assert_eq!(call.data["counter"]["id"], 1);
    assert!(call.id > issued.id);

    let (_, ticket) = get(&c, &svc.url(&format!("/api/v1/tickets/{id}"))).await;
    assert_eq!(ticket["status"], "called");
    let (_, board) = get(&c, &svc.url("/api/v1/board")).await;
    assert_eq!(board["counters"][0]["current"]["number"], "A001");
    assert_eq!(board["latest_calls"][0]["number"], "A001");
    assert_eq!(board["last_event_id"], call.id.unwrap());

    // Calling again finishes A001; nobody else waits for counter 1.
    let res = c
        .post(svc.url("/api/v1/counters/1/call"))
        .bearer_auth(counter_token(1))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 204);
    assert_eq!(stream.next(SOON).await.event, "ticket.finished");
}

#[tokio::test]
async fn resuming_with_last_event_id_misses_nothing_and_repeats_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let svc = Service::start(dir.path(), &hall_config(&[]));
    let c = client();
    for service in ["HT", "CT", "HT", "CT"] {
        svc.take(&c, service).await;
    }
    post(
        &c,
        &svc.url("/api/v1/counters/2/call"),
        &counter_token(2),
        None,
    )
    .await;

    let mut all = SseReader::open(&c, &svc.url("/api/v1/events?after=0"), None).await;
    let mut ids = Vec::new();
    for _ in 0..5 {
        ids.push(all.next(SOON).await.id.unwrap());
    }
    assert!(ids.windows(2).all(|w| w[0] < w[1]));

    // A display that saw up to the second event reconnects.
    let mut resumed = SseReader::open(&c, &svc.url("/api/v1/events"), Some(ids[1])).await;
    for want in &ids[2..] {
        assert_eq!(resumed.next(SOON).await.id, Some(*want));
    }
    // Then live events follow on, once each.
    post(
        &c,
        &svc.url("/api/v1/counters/1/call"),
        &counter_token(1),
        None,
    )
    .await;
    let live = resumed.next(SOON).await;
    assert_eq!(live.event, "ticket.called");
    assert!(live.id.unwrap() > ids[4]);
    assert!(resumed.nothing_within(Duration::from_millis(300)).await);

    // An id ahead of the service (its data was replaced) is told to re-read the board.
    let mut ahead = SseReader::open(&c, &svc.url("/api/v1/events"), Some(10_000)).await;
    let reset = ahead.next(SOON).await;
    assert_eq!(reset.event, "stream.reset");
    assert_eq!(reset.data["last_event_id"], live.id.unwrap());
}

#[tokio::test]
async fn tokens_guard_every_write_and_refusals_change_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let svc = Service::start(dir.path(), &hall_config(&[]));
    let c = client();
    svc.take(&c, "CT").await;
    let (_, before) = get(&c, &svc.url("/api/v1/board")).await;

    let res = c
        .post(svc.url("/api/v1/tickets"))
        .json(&json!({"service": "HT"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);
    assert_eq!(res.headers()["www-authenticate"], "Bearer");
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["error"]["code"], "missing_token");

    let tickets = svc.url("/api/v1/tickets");
    let call2 = svc.url("/api/v1/counters/2/call");
    let cases: [(&str, &str, Option<Value>, u16, &str); 5] = [
        (
            &tickets,
            "wrong-token-123",
            Some(json!({"service": "HT"})),
            401,
            "invalid_token",
        ),
        (
            &tickets,
            DISPLAY,
            Some(json!({"service": "HT"})),
            403,
            "forbidden",
        ),
        (&call2, KIOSK, None, 403, "forbidden"),
        (&call2, DISPLAY, None, 403, "forbidden"),
        (&call2, "test-counter-1-token", None, 403, "forbidden"),
    ];
    for (url, token, body, want, code) in cases {
        let (status, err) = post(&c, url, token, body).await;
        assert_eq!(
            (status, err["error"]["code"].as_str().unwrap()),
            (want, code),
            "{url} with {token}"
        );
    }
    let (_, after) = get(&c, &svc.url("/api/v1/board")).await;
    assert_eq!(before["last_event_id"], after["last_event_id"]);
    assert_eq!(before["waiting"], after["waiting"]);

    // The counter's own token and the admin token both work.
    assert_eq!(post(&c, &call2, &counter_token(2), None).await.0, 200);
    assert_eq!(
        post(&c, &svc.url("/api/v1/counters/2/finish"), ADMIN, None)
            .await
            .0,
        200
    );
}

#[tokio::test]
async fn bad_input_gets_a_clear_4xx_never_a_500() {
    let dir = tempfile::tempdir().unwrap();
    let svc = Service::start(dir.path(), &hall_config(&[]));
    let c = client();
    let send = |body: Vec<u8>, content_type: &'static str| {
        c.post(svc.url("/api/v1/tickets"))
            .bearer_auth(KIOSK)
            .header("content-type", content_type)
            .body(body)
            .send()
    };
    let json = "application/json";
    let cases: Vec<(Vec<u8>, &str, u16, &str)> = vec![
        (b"{\"service\":".to_vec(), json, 400, "invalid_json"),
        (b"".to_vec(), json, 400, "invalid_json"),
        (b"{\"service\": 7}".to_vec(), json, 422, "invalid_request"),
        (
            b"{\"service\": \"HT\", \"name\": \"Nguyen\"}".to_vec(),
            json,
            422,
            "invalid_request",
        ),
        (
            b"{\"service\": \"XX\"}".to_vec(),
            json,
            422,
            "unknown_service",
        ),
        (
            b"{\"service\": \"HT\", \"priority\": \"vip\"}".to_vec(),
            json,
            422,
            "unknown_priority_group",
        ),
        (
            b"service=HT".to_vec(),
            "application/x-www-form-urlencoded",
            415,
            "unsupported_media_type",
        ),
        (
            [b"{\"service\":\"".as_slice(), &vec![b'a'; 200_000], b"\"}"].concat(),
            json,
            413,
            "payload_too_large",
        ),
        (vec![0xff, 0xfe, 0x00], json, 400, "invalid_json"),
    ];
    for (body, content_type, want, code) in cases {
        let res = send(body.clone(), content_type).await.unwrap();
        let status = res.status().as_u16();
        let err: Value = res.json().await.unwrap();
        assert_eq!(
            (status, err["error"]["code"].as_str().unwrap_or("")),
            (want, code),
            "{}",
            String::from_utf8_lossy(&body[..body.len().min(60)])
        );
        assert!(!err["error"]["message"].as_str().unwrap().is_empty());
    }
    for (method, path, want, code) in [
        ("POST", "/api/v1/counters/99/call", 404, "unknown_counter"),
        ("POST", "/api/v1/counters/abc/call", 400, "invalid_path"),
        ("POST", "/api/v1/counters/-1/open", 400, "invalid_path"),
        ("GET", "/api/v1/tickets/12345", 404, "unknown_ticket"),
        ("GET", "/api/v1/tickets/A001", 400, "invalid_path"),
        ("DELETE", "/api/v1/board", 405, "method_not_allowed"),
        ("GET", "/api/v2/anything", 404, "not_found"),
        (
            "POST",
            "/api/v1/counters/1/recall",
            409,
            "no_current_ticket",
        ),
        ("GET", "/api/v1/events?after=soon", 400, "invalid_query"),
    ] {
        let res = c
            .request(method.parse().unwrap(), svc.url(path))
            .bearer_auth(ADMIN)
            .send()
            .await
            .unwrap();
        let status = res.status().as_u16();
        let err: Value = res.json().await.unwrap();
        assert_eq!(
            (status, err["error"]["code"].as_str().unwrap()),
            (want, code),
            "{method} {path}"
        );
    }
    let (status, err) = post(
        &c,
        &svc.url("/api/v1/counters/1/transfer"),
        ADMIN,
        Some(json!({"service": "CT"})),
    )
    .await;
    assert_eq!(
        (status, err["error"]["code"].as_str().unwrap()),
        (409, "no_current_ticket")
    );
}

#[tokio::test]
async fn a_closed_line_and_a_full_day_are_refused_in_words_for_citizens() {
    let dir = tempfile::tempdir().unwrap();
    let svc = Service::start(dir.path(), &hall_config(&[today_in_hanoi()]));
    let c = client();
    let (_, services) = get(&c, &svc.url("/api/v1/services")).await;
    let dd = services
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["code"] == "DD")
        .unwrap();
    assert_eq!(dd["open"], false);
    let (status, err) = svc.take(&c, "DD").await;
    assert_eq!(status, 409);
    assert_eq!(err["error"]["code"], "service_closed");
    let vi = err["error"]["citizen_message"]["vi"].as_str().unwrap();
    assert!(vi.contains("Đất đai") && vi.contains("00:00–23:59"), "{vi}");

    for n in 1..=3 {
        let (status, t) = svc.take(&c, "CT").await;
        assert_eq!(
            (status, t["number"].as_str().unwrap()),
            (201, format!("B00{n}").as_str())
        );
    }
    let (status, err) = svc.take(&c, "CT").await;
    assert_eq!(status, 409);
    assert_eq!(err["error"]["code"], "daily_limit_reached");
    assert!(
        err["error"]["citizen_message"]["en"]
            .as_str()
            .unwrap()
            .contains("all 3 tickets")
    );
}

#[tokio::test]
async fn a_kiosks_own_tickets_join_the_queue_in_their_turn_once_each() {
    let dir = tempfile::tempdir().unwrap();
    let svc = Service::start(dir.path(), &hall_config(&[]));
    let c = client();
    let me = get_as(&c, &svc.url("/api/v1/me"), KIOSK).await;
    assert_eq!(me["series"], "K1", "{me}");
    let (_, online) = svc.take(&c, "HT").await;
    assert_eq!(online["number"], "A001");
    let offline = svc.url("/api/v1/tickets/offline");
    let earlier = (Utc::now() - chrono::Duration::minutes(10)).to_rfc3339();
    let body = json!({"service": "HT", "seq": 1, "issued_at": earlier});
    let (status, first) = post(&c, &offline, KIOSK, Some(body.clone())).await;
    assert_eq!(status, 201, "{first}");
    assert_eq!(first["number"], "A-K1-001");
    assert_eq!(
        first["waiting_ahead"], 0,
        "given out before A001: ahead of it"
    );
    // The answer was lost and the kiosk sends it again: the same ticket, nothing new.
    let (status, again) = post(&c, &offline, KIOSK, Some(body.clone())).await;
    assert_eq!((status, &again["id"]), (200, &first["id"]));
    // Only a kiosk gives tickets out on its own, and only in its own series.
    for token in [ADMIN.to_owned(), counter_token(1), DISPLAY.to_owned()] {
        let (status, err) = post(&c, &offline, &token, Some(body.clone())).await;
        assert_eq!(status, 403, "{token}: {err}");
    }
    let refused = [
        (
            json!({"service": "HT", "seq": 0, "issued_at": earlier}),
            422,
            "invalid_seq",
        ),
        (
            json!({"service": "HT", "seq": 1000, "issued_at": earlier}),
            422,
            "invalid_seq",
        ),
        (
            json!({"service": "XX", "seq": 2, "issued_at": earlier}),
            422,
            "unknown_service",
        ),
        (
            json!({"service": "HT", "seq": 2, "issued_at": "yesterday"}),
            422,
            "invalid_request",
        ),
        (
            json!({"service": "HT", "seq": 2, "issued_at": (Utc::now() - chrono::Duration::days(2)).to_rfc3339()}),
            409,
            "offline_ticket_too_old",
        ),
    ];
    for (body, status, code) in refused {
        let (got, err) = post(&c, &offline, KIOSK, Some(body.clone())).await;
        assert_eq!(
            (got, err["error"]["code"].as_str()),
            (status, Some(code)),
            "{body}: {err}"
        );
    }
    // The line's own numbering goes on as if nothing happened.
    assert_eq!(svc.take(&c, "HT").await.1["number"], "A002");
    let call = svc.url("/api/v1/counters/1/call");
    let mut called = Vec::new();
    for _ in 0..3 {
        let (_, r) = post(&c, &call, ADMIN, None).await;
        called.push(r["ticket"]["number"].as_str().unwrap().to_owned());
    }
    assert_eq!(called, ["A-K1-001", "A001", "A002"]);
    // Once more after it was served: still the one ticket.
    let (status, late) = post(&c, &offline, KIOSK, Some(body)).await;
    assert_eq!((status, late["status"].as_str()), (200, Some("done")));
    let tickets = svc.url("/api/v1/stats");
    let stats = get_as(&c, &tickets, ADMIN).await;
    assert_eq!(stats["hall"]["issued"], 3, "{stats}");
}

#[tokio::test]
async fn a_kiosk_taking_tickets_too_fast_is_held_back_in_words() {
    let dir = tempfile::tempdir().unwrap();
    let stuck = "test-stuck-kiosk-token";
    let config = format!(
        "{}\n[[tokens]]\ntoken = \"{stuck}\"\nrole = \"kiosk\"\n",
        hall_config(&[])
    );
    let svc = Service::start(dir.path(), &config);
    let c = client();
    let url = svc.url("/api/v1/tickets");
    let take = |token: &'static str| {
        let (c, url) = (c.clone(), url.clone());
        async move {
            let res = c
                .post(&url)
                .bearer_auth(token)
                .json(&json!({"service": "HT"}))
                .send()
                .await
                .unwrap();
            let retry = res
                .headers()
                .get("retry-after")
                .map(|v| v.to_str().unwrap().to_owned());
            (
                res.status().as_u16(),
                retry,
                res.json::<Value>().await.unwrap(),
            )
        }
    };
    // 20 a minute by default: a burst of 10 passes, the 11th is refused.
    for _ in 0..10 {
        assert_eq!(take(stuck).await.0, 201);
    }
    let (status, retry, err) = take(stuck).await;
    assert_eq!(
        (status, err["error"]["code"].as_str()),
        (429, Some("too_many_tickets")),
        "{err}"
    );
    assert!(retry.is_some_and(|s| (1..=4).contains(&s.parse::<u32>().unwrap())));
    assert!(
        err["error"]["citizen_message"]["vi"]
            .as_str()
            .unwrap()
            .contains("Xin ông/bà chờ một chút"),
        "{err}"
    );
    // Another kiosk is not held up, and nothing was issued for the refusal.
    assert_eq!(take(KIOSK).await.2["number"], "A011");
    tokio::time::sleep(Duration::from_millis(3100)).await;
    assert_eq!(take(stuck).await.0, 201, "one more after the refill");
}

#[tokio::test]
async fn counters_move_the_queue_priority_first() {
    let dir = tempfile::tempdir().unwrap();
    let svc = Service::start(dir.path(), &hall_config(&[]));
    let c = client();
    let tickets = svc.url("/api/v1/tickets");
    let issue = |service: &'static str, priority: Option<&'static str>| {
        post(
            &c,
            &tickets,
            KIOSK,
            Some(json!({"service": service, "priority": priority})),
        )
    };
    issue("HT", None).await;
    let (_, elderly) = issue("HT", Some("elderly")).await;
    assert_eq!(elderly["priority"], "elderly");
    assert_eq!(elderly["waiting_ahead"], 0, "a priority ticket goes first");
    let act = |counter: u32, action: &'static str, body: Option<Value>| {
        let url = svc.url(&format!("/api/v1/counters/{counter}/{action}"));
        async move { post(&client(), &url, ADMIN, body).await }
    };
    let (_, r) = act(1, "call", None).await;
    assert_eq!(r["ticket"]["number"], "A002");
    assert_eq!(act(1, "recall", None).await.1["ticket"]["recalls"], 1);
    // max_recalls = 1: the next recall gives up on the citizen.
    assert_eq!(
        act(1, "recall", None).await.1["ticket"]["status"],
        "no_show"
    );
    let (_, r) = act(1, "call", None).await;
    assert_eq!(r["ticket"]["number"], "A001");
    assert_eq!(act(1, "start", None).await.1["ticket"]["status"], "serving");
    let (status, err) = act(1, "close", None).await;
    assert_eq!(
        (status, err["error"]["code"].as_str().unwrap()),
        (409, "counter_busy")
    );
    let (status, r) = act(1, "transfer", Some(json!({"service": "CT"}))).await;
    assert_eq!(status, 200, "{r}");
    assert_eq!(
        (
            r["ticket"]["number"].as_str(),
            r["ticket"]["service"].as_str()
        ),
        (Some("A001"), Some("CT"))
    );
    assert_eq!(r["counter"]["current"], Value::Null);
    let (_, r) = act(2, "call", None).await;
    assert_eq!(r["ticket"]["number"], "A001");
    assert_eq!(act(2, "finish", None).await.1["ticket"]["status"], "done");
    let (status, r) = act(1, "close", None).await;
    assert_eq!((status, r["counter"]["open"].as_bool()), (200, Some(false)));
    let (status, err) = act(1, "call", None).await;
    assert_eq!(
        (status, err["error"]["code"].as_str().unwrap()),
        (409, "counter_closed")
    );
    assert_eq!(act(1, "open", None).await.1["counter"]["open"], true);
}

#[tokio::test]
async fn a_double_press_acts_once_when_the_clerk_says_what_they_saw() {
    let dir = tempfile::tempdir().unwrap();
    let svc = Service::start(dir.path(), &hall_config(&[]));
    let c = client();
    for _ in 0..2 {
        post(
            &c,
            &svc.url("/api/v1/tickets"),
            KIOSK,
            Some(json!({"service": "HT"})),
        )
        .await;
    }
    let act = |action: &'static str, body: Value| {
        let url = svc.url(&format!("/api/v1/counters/1/{action}"));
        async move { post(&client(), &url, &counter_token(1), Some(body)).await }
    };
    // Two presses of "call next" with nobody at the desk: the first calls A001, the
    // second finds A001 at the desk, not the empty desk it was pressed for.
    let (status, r) = act("call", json!({"current": null})).await;
    assert_eq!(
        (status, r["ticket"]["number"].as_str()),
        (200, Some("A001"))
    );
    let a001 = r["ticket"]["id"].clone();
    let (status, err) = act("call", json!({"current": null})).await;
    assert_eq!(status, 409, "{err}");
    assert_eq!(err["error"]["code"], "stale");
    assert!(
        err["error"]["message"].as_str().unwrap().contains("A001"),
        "{err}"
    );
    // Nothing changed: A001 is still called, A002 still waits, no event was written.
    let board = get_as(&c, &svc.url("/api/v1/board"), ADMIN).await;
    assert_eq!(board["counters"][0]["current"]["number"], "A001");
    assert_eq!(board["counters"][0]["current"]["status"], "called");
    assert_eq!(board["waiting"][0]["waiting"], 1);
    // The same guard on the other actions: finishing A001 as seen works once.
    let (status, r) = act("finish", json!({"current": a001})).await;
    assert_eq!(
        (status, r["ticket"]["status"].as_str()),
        (200, Some("done"))
    );
    let (status, err) = act("finish", json!({"current": a001})).await;
    assert_eq!(
        (status, err["error"]["code"].as_str()),
        (409, Some("stale"))
    );
    let (status, err) = act("transfer", json!({"service": "CT", "current": a001})).await;
    assert_eq!(
        (status, err["error"]["code"].as_str()),
        (409, Some("stale"))
    );
    // Without the field, as older clients send, the action is not guarded.
    let (status, r) = post(
        &c,
        &svc.url("/api/v1/counters/1/call"),
        &counter_token(1),
        None,
    )
    .await;
    assert_eq!(
        (status, r["ticket"]["number"].as_str()),
        (200, Some("A002"))
    );
    // A guard on an action that is not about the desk's ticket is a client's mistake.
    let (status, err) = act("open", json!({"current": null})).await;
    assert_eq!(
        (status, err["error"]["code"].as_str()),
        (422, Some("not_guardable"))
    );
    let (status, _) = act("call", json!({"current": "A001"})).await;
    assert_eq!(status, 422, "a ticket is named by its id");
}

#[tokio::test]
async fn the_service_describes_itself() {
    let dir = tempfile::tempdir().unwrap();
    let svc = Service::start(dir.path(), &hall_config(&[]));
    let c = client();
    let (status, health) = get(&c, &svc.url("/healthz")).await;
    assert_eq!((status, health["status"].as_str()), (200, Some("ok")));
    let (_, doc) = get(&c, &svc.url("/api/v1/openapi.json")).await;
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    for path in [
        "/api/v1/services",
        "/api/v1/counters",
        "/api/v1/tickets",
        "/api/v1/tickets/{id}",
        "/api/v1/counters/{id}/call",
        "/api/v1/counters/{id}/transfer",
        "/api/v1/board",
        "/api/v1/events",
        "/healthz",
        "/api/v1/ratings",
        "/api/v1/stats",
        "/api/v1/me",
        "/api/v1/counters/{id}/queue",
        "/api/v1/dossiers",
        "/api/v1/dossiers/{code}",
        "/api/v1/dossiers/{code}/receipt",
        "/api/v1/upstream",
        "/api/v1/upstream/push",
        "/api/v1/outbox",
    ] {
        assert!(
            doc["paths"][path].is_object(),
            "{path} missing from the OpenAPI document"
        );
    }
    let (_, hall) = get(&c, &svc.url("/api/v1/hall")).await;
    assert_eq!(
        hall["name"],
        "Trung tâm Phục vụ hành chính công xã Kiểm Thử"
    );
    assert_eq!(hall["priority_groups"][0]["code"], "elderly");
    let (_, counters) = get(&c, &svc.url("/api/v1/counters")).await;
    assert_eq!(counters[0]["id"], 1);
    assert_eq!(counters[0]["services"], json!(["HT", "CT"]));
    assert_eq!(counters[0]["open"], true);
}

#[tokio::test]
async fn a_restart_keeps_the_queue_and_the_numbering() {
    let dir = tempfile::tempdir().unwrap();
    let svc = Service::start(dir.path(), &hall_config(&[]));
    let c = client();
    svc.take(&c, "HT").await;
    svc.take(&c, "HT").await;
    post(&c, &svc.url("/api/v1/counters/1/call"), ADMIN, None).await;
    let (_, before) = get(&c, &svc.url("/api/v1/board")).await;
    svc.stop();

    let svc = Service::start_on(dir.path());
    let (_, after) = get(&c, &svc.url("/api/v1/board")).await;
    assert_eq!(after["last_event_id"], before["last_event_id"]);
    assert_eq!(after["counters"], before["counters"]);
    assert_eq!(after["waiting"], before["waiting"]);
    let (_, t) = svc.take(&c, "HT").await;
    assert_eq!(t["number"], "A003");
    assert_eq!(t["waiting_ahead"], 1);
}

/// Kill -9 the service while four kiosks take tickets as fast as they can, restart
/// it, and check: every ticket whose number reached a kiosk is still there with the
/// same number, and no number is ever handed out twice.
#[tokio::test]
async fn a_crash_mid_issue_loses_no_acknowledged_ticket_and_reuses_no_number() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("hall.toml"), hall_config(&[])).unwrap();
    let mut acknowledged: BTreeMap<u64, (String, String)> = BTreeMap::new();
    for round in 0..3 {
        let svc = Service::start_on(dir.path());
        let mut kiosks = Vec::new();
        for k in 0..4 {
            let url = svc.url("/api/v1/tickets");
            kiosks.push(tokio::spawn(async move {
                let c = client();
                let service = if k % 2 == 0 { "HT" } else { "DD" };
                let mut got = Vec::new();
                // Until the service dies under us: a failed request is not acknowledged.
                while let Ok(res) = c
                    .post(&url)
                    .bearer_auth(KIOSK)
                    .json(&json!({"service": service}))
                    .send()
                    .await
                {
                    let Ok(t) = res.json::<Value>().await else {
                        break;
                    };
                    let id = t["id"].as_u64().expect("201 with a ticket");
                    got.push((
                        id,
                        t["number"].as_str().unwrap().to_owned(),
                        service.to_owned(),
                    ));
                }
                got
            }));
        }
        tokio::time::sleep(Duration::from_millis(400 + 150 * round)).await;
        svc.crash();
        let mut this_round = 0;
        for k in kiosks {
            for (id, number, service) in k.await.unwrap() {
                this_round += 1;
                assert!(
                    acknowledged.insert(id, (number, service)).is_none(),
                    "ticket id {id} given twice"
                );
            }
        }
        eprintln!("round {round}: {this_round} tickets acknowledged before kill -9");
        assert!(
            this_round > 5,
            "round {round}: the kiosks got only {this_round} tickets before the crash"
        );
    }

    let svc = Service::start_on(dir.path());
    let c = client();
    let mut numbers = HashSet::new();
    for (id, (number, service)) in &acknowledged {
        let (status, t) = get(&c, &svc.url(&format!("/api/v1/tickets/{id}"))).await;
        assert_eq!(status, 200, "acknowledged ticket {id} ({number}) was lost");
        assert_eq!(
            (
                t["number"].as_str().unwrap(),
                t["service"].as_str().unwrap()
            ),
            (number.as_str(), service.as_str())
        );
        assert!(
            numbers.insert(number.clone()),
            "number {number} was given to two tickets"
        );
    }
    for service in ["HT", "DD"] {
        let (_, t) = svc.take(&c, service).await;
        let number = t["number"].as_str().unwrap().to_owned();
        assert!(
            !numbers.contains(&number),
            "number {number} reused after the crash"
        );
        let highest = acknowledged
            .values()
            .filter(|(_, s)| s == service)
            .map(|(n, _)| n[1..].parse::<u32>().unwrap())
            .max()
            .unwrap();
        assert!(number[1..].parse::<u32>().unwrap() > highest);
    }
}

/// Group commit under fire: 60 kiosks issuing and 3 counters calling at once, so that
/// commands are stored in batches, and the service killed while batches are in flight.
/// Every acknowledged ticket and call is kept, no number or ticket is given twice, no
/// ticket is called by two counters, and the event log has no gap.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_crash_under_64_concurrent_commands_keeps_what_was_acknowledged() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("hall.toml"), hall_config(&[])).unwrap();
    let svc = Service::start_on(dir.path());
    let mut clients = Vec::new();
    for k in 0..64u32 {
        let (issue, call) = (svc.url("/api/v1/tickets"), k % 21 == 0 && k < 63);
        let counter = 1 + k / 21;
        let call_url = svc.url(&format!("/api/v1/counters/{counter}/call"));
        clients.push(tokio::spawn(async move {
            let c = client();
            let mut got: Vec<(u64, String, Option<u32>)> = Vec::new();
            for _ in 0..10_000 {
                let res = if call {
                    c.post(&call_url)
                        .bearer_auth(counter_token(counter))
                        .send()
                        .await
                } else {
                    let service = ["HT", "DD"][k as usize % 2];
                    c.post(&issue)
                        .bearer_auth(KIOSK)
                        .json(&json!({"service": service}))
                        .send()
                        .await
                };
                // Until the service dies under us: a failed request is not acknowledged.
                let Ok(res) = res else { break };
                let status = res.status().as_u16();
                let Ok(body) = res.bytes().await else { break };
                match status {
                    201 => {
                        let t: Value = serde_json::from_slice(&body).unwrap();
                        got.push((
                            t["id"].as_u64().unwrap(),
                            t["number"].as_str().unwrap().into(),
                            None,
                        ));
                    }
                    200 => {
                        let r: Value = serde_json::from_slice(&body).unwrap();
                        let t = &r["ticket"];
                        got.push((
                            t["id"].as_u64().unwrap(),
                            t["number"].as_str().unwrap().into(),
                            Some(counter),
                        ));
                    }
                    204 => tokio::time::sleep(Duration::from_millis(5)).await,
                    other => panic!("{other}: {}", String::from_utf8_lossy(&body)),
                }
            }
            got
        }));
    }
    tokio::time::sleep(Duration::from_millis(1500)).await;
    svc.crash();
    let mut issued: BTreeMap<u64, String> = BTreeMap::new();
    let mut called: BTreeMap<u64, u32> = BTreeMap::new();
    for client in clients {
        for (id, number, counter) in client.await.unwrap() {
            match counter {
                None => assert!(
                    issued.insert(id, number).is_none(),
                    "ticket {id} issued twice"
                ),
                Some(c) => {
                    let before = called.insert(id, c);
                    assert!(
                        before.is_none(),
                        "ticket {id} called by counters {before:?} and {c}"
                    );
                }
            }
        }
    }
    eprintln!(
        "{} tickets and {} calls acknowledged before kill -9",
        issued.len(),
        called.len()
    );
    assert!(
        issued.len() > 64 && !called.is_empty(),
        "too little happened before the crash"
    );

    let svc = Service::start_on(dir.path());
    let c = client();
    let mut numbers = HashSet::new();
    for (id, number) in &issued {
        let (status, t) = get(&c, &svc.url(&format!("/api/v1/tickets/{id}"))).await;
        assert_eq!(status, 200, "acknowledged ticket {id} ({number}) was lost");
        assert_eq!(t["number"].as_str().unwrap(), number);
        assert!(
            numbers.insert(number.clone()),
            "number {number} given to two tickets"
        );
    }
    for (id, counter) in &called {
        let (_, t) = get(&c, &svc.url(&format!("/api/v1/tickets/{id}"))).await;
        assert_eq!(
            t["counter"].as_u64(),
            Some(u64::from(*counter)),
            "acknowledged call of {id} lost"
        );
    }
    // The stored events, from the first: numbered without a gap up to the board's last.
    let (_, board) = get(&c, &svc.url("/api/v1/board")).await;
    let last = board["last_event_id"].as_u64().unwrap();
    let mut log = SseReader::open(&c, &svc.url("/api/v1/events?after=0"), None).await;
    for want in 1..=last {
        assert_eq!(
            log.next(SOON).await.id,
            Some(want),
            "the event log has a gap"
        );
    }
}

#[tokio::test]
async fn the_admin_token_from_the_environment_is_an_admin() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("hall.toml"), hall_config(&[])).unwrap();
    let svc = Service::start_with_env(
        dir.path(),
        &[("MOTCUA_ADMIN_TOKEN", "env-admin-token-0123456789")],
    );
    let c = client();
    let close = svc.url("/api/v1/counters/3/close");
    let (status, r) = post(&c, &close, "env-admin-token-0123456789", None).await;
    assert_eq!((status, r["counter"]["open"].as_bool()), (200, Some(false)));
    assert_eq!(
        post(&c, &close, "env-admin-token-01234567", None).await.0,
        401
    );
}

#[tokio::test]
async fn the_qr_page_tells_a_phone_where_the_ticket_stands() {
    let dir = tempfile::tempdir().unwrap();
    let svc = Service::start(dir.path(), &hall_config(&[]));
    let c = client();
    let (_, first) = svc.take(&c, "HT").await;
    let (_, second) = svc.take(&c, "HT").await;
    let page = |id: u64| {
        let c = c.clone();
        let url = svc.url(&format!("/t/{id}"));
        async move {
            let res = c.get(url).send().await.unwrap();
            let status = res.status().as_u16();
            assert!(
                res.headers()["content-type"]
                    .to_str()
                    .unwrap()
                    .starts_with("text/html")
            );
            (status, res.text().await.unwrap())
        }
    };
    let (status, html) = page(second["id"].as_u64().unwrap()).await;
    assert_eq!(status, 200);
    assert!(
        html.contains("A002") && html.contains("Còn 1 người trước ông/bà"),
        "{html}"
    );
    assert!(
        html.contains("http-equiv=\"refresh\""),
        "a waiting ticket's page refreshes itself"
    );
    post(&c, &svc.url("/api/v1/counters/1/call"), ADMIN, None).await;
    let (_, html) = page(first["id"].as_u64().unwrap()).await;
    assert!(html.contains("Đến lượt! Xin mời đến Quầy 1."), "{html}");
    let (status, _) = page(999).await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn a_kiosk_reports_its_printer_and_staff_see_it_on_the_board() {
    let dir = tempfile::tempdir().unwrap();
    let svc = Service::start(dir.path(), &hall_config(&[]));
    let c = client();
    let mut stream = SseReader::open(&c, &svc.url("/api/v1/events"), None).await;
    let url = svc.url("/api/v1/devices/status");
    let (status, d) = post(&c, &url, KIOSK, Some(json!({"printer": "paper_low"}))).await;
    assert_eq!(status, 200, "{d}");
    assert_eq!(d["printer"], "paper_low");
    let e = stream.next(SOON).await;
    assert_eq!(e.event, "device.status");
    assert_eq!(e.data["device"]["printer"], "paper_low");
    // The same news again is not a new event.
    post(&c, &url, KIOSK, Some(json!({"printer": "paper_low"}))).await;
    assert!(stream.nothing_within(Duration::from_millis(300)).await);
    let (_, board) = get(&c, &svc.url("/api/v1/board")).await;
    assert_eq!(board["devices"][0]["printer"], "paper_low");
    assert_eq!(board["devices"][0]["name"], d["name"]);
    let (status, err) = post(&c, &url, KIOSK, Some(json!({"printer": "on fire"}))).await;
    assert_eq!(
        (status, err["error"]["code"].as_str()),
        (422, Some("unknown_condition"))
    );
    let res = c
        .post(&url)
        .json(&json!({"printer": "ready"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);
}

/// Devices report themselves every minute; staff list them, online or not, with the
/// version each runs.
#[tokio::test]
async fn staff_see_every_device_and_which_runs_another_version() {
    let dir = tempfile::tempdir().unwrap();
    let svc = Service::start(dir.path(), &hall_config(&[]));
    let c = client();
    let url = svc.url("/api/v1/devices");
    let report = svc.url("/api/v1/devices/status");
    // Before anything reports, the kiosk and display tokens are listed as not heard from.
    let listed = get_as(&c, &url, ADMIN).await;
    let kiosk = listed
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["role"] == "kiosk")
        .unwrap()
        .clone();
    assert_eq!(
        (kiosk["online"].as_bool(), kiosk["last_seen"].is_null()),
        (Some(false), true)
    );
    let (status, d) = post(
        &c,
        &report,
        KIOSK,
        Some(
            json!({"role": "kiosk", "version": "0.0.9", "uptime_seconds": 4000,
                    "printer": "paper_low", "last_error": "a ticket did not print: paper_out"}),
        ),
    )
    .await;
    assert_eq!(status, 200, "{d}");
    assert_eq!(
        (d["online"].as_bool(), d["version_differs"].as_bool()),
        (Some(true), Some(true))
    );
    let (status, d) = post(
        &c,
        &report,
        DISPLAY,
        Some(
            json!({"role": "display", "version": env!("CARGO_PKG_VERSION"), "uptime_seconds": 60}),
        ),
    )
    .await;
    assert_eq!(status, 200, "{d}");
    assert_eq!(
        (d["printer"].as_str(), d["version_differs"].as_bool()),
        (None, Some(false))
    );
    let listed = get_as(&c, &url, &counter_token(1)).await;
    let kiosk = listed
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["role"] == "kiosk")
        .unwrap()
        .clone();
    assert_eq!(kiosk["printer"], "paper_low");
    assert_eq!(kiosk["uptime_seconds"], 4000);
    assert!(kiosk["last_error"].as_str().unwrap().contains("paper_out"));
    // Mistakes are the device's: 422, not 500; devices may not list each other.
    let (status, err) = post(&c, &report, KIOSK, Some(json!({"role": "toaster"}))).await;
    assert_eq!(
        (status, err["error"]["code"].as_str()),
        (422, Some("unknown_role"))
    );
    let (status, _) = post(&c, &report, KIOSK, Some(json!({"uptime": 5}))).await;
    assert_eq!(status, 422, "an unknown field");
    let res = c.get(&url).bearer_auth(KIOSK).send().await.unwrap();
    assert_eq!(res.status(), 403);
}

/// A waiting-room display's picture follows a call, goes stale when the service is
/// killed, and comes back right by itself when the service returns.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_display_follows_calls_and_recovers_from_a_service_restart() {
    use motcua_client::follow::{Update, follow};
    use motcua_screens::display::model::{Applied, DisplayModel};
    use std::sync::{Arc, Mutex};

    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("hall.toml"), hall_config(&[])).unwrap();
    let port = free_port();
    let svc = Service::start_on_port(dir.path(), port);
    let c = client();
    let model: Arc<Mutex<Option<DisplayModel>>> = Arc::default();
    let m = model.clone();
    let display = tokio::spawn(follow(
        motcua_client::HallClient::new(&svc.base, None),
        move |u| {
            let mut m = m.lock().unwrap();
            match u {
                Update::Board(b) => match m.as_mut() {
                    Some(model) => model.reload(b),
                    None => *m = Some(DisplayModel::new(b)),
                },
                Update::Event(e) => {
                    return m
                        .as_mut()
                        .is_some_and(|model| model.apply(&e) == Applied::NeedBoard);
                }
                Update::Stale => m.as_mut().unwrap().stale = true,
            }
            false
        },
    ));
    let until = |what: &'static str, check: Box<dyn Fn(&DisplayModel) -> bool + Send>| {
        let model = model.clone();
        async move {
            let deadline = std::time::Instant::now() + Duration::from_secs(10);
            loop {
                if model.lock().unwrap().as_ref().is_some_and(&check) {
                    return;
                }
                assert!(
                    std::time::Instant::now() < deadline,
                    "the display never showed: {what}"
                );
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        }
    };

    svc.take(&c, "HT").await;
    svc.take(&c, "HT").await;
    post(&c, &svc.url("/api/v1/counters/1/call"), ADMIN, None).await;
    until(
        "A001 at counter 1",
        Box::new(|m| m.at_counter(1).map(|t| t.0) == Some("A001") && m.waiting_in("HT") == 1),
    )
    .await;

    svc.crash();
    until("the picture marked stale", Box::new(|m| m.stale)).await;
    assert_eq!(
        model
            .lock()
            .unwrap()
            .as_ref()
            .unwrap()
            .at_counter(1)
            .map(|t| t.0),
        Some("A001"),
        "the last picture stays"
    );

    // Back on the same address; meanwhile the queue moved on.
    let svc = Service::start_on_port(dir.path(), port);
    post(&c, &svc.url("/api/v1/counters/1/call"), ADMIN, None).await;
    until(
        "A002 at counter 1, fresh",
        Box::new(|m| {
            !m.stale && m.at_counter(1).map(|t| t.0) == Some("A002") && m.waiting_in("HT") == 0
        }),
    )
    .await;
    let (_, board) = get(&c, &svc.url("/api/v1/board")).await;
    let shown = model.lock().unwrap().as_ref().unwrap().board.last_event_id;
    assert_eq!(board["last_event_id"].as_u64(), Some(shown));
    display.abort();
}

/// Under systemd (`Type=notify`, `WatchdogSec=`): "ready" once the hall answers, then
/// watchdog pings while it still does.
#[tokio::test]
async fn systemd_hears_ready_then_the_watchdog() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("hall.toml"), hall_config(&[])).unwrap();
    let socket_path = dir.path().join("notify");
    let socket = std::os::unix::net::UnixDatagram::bind(&socket_path).unwrap();
    socket
        .set_read_timeout(Some(std::time::Duration::from_secs(10)))
        .unwrap();
    let path = socket_path.display().to_string();
    let svc = Service::start_with_env(
        dir.path(),
        &[("NOTIFY_SOCKET", &path), ("WATCHDOG_USEC", "1000000")],
    );
    let mut heard = Vec::new();
    let mut buf = [0u8; 256];
    while heard
        .iter()
        .filter(|m: &&String| *m == "WATCHDOG=1")
        .count()
        < 2
    {
        let n = socket
            .recv(&mut buf)
            .expect("systemd hears from the service");
        heard.push(String::from_utf8_lossy(&buf[..n]).into_owned());
    }
    assert_eq!(heard[0], "READY=1", "{heard:?}");
    let (status, _) = get(&client(), &svc.url("/healthz")).await;
    assert_eq!(status, 200, "ready means it answers");
    svc.stop();
    let n = socket.recv(&mut buf).unwrap();
    let mut last = String::from_utf8_lossy(&buf[..n]).into_owned();
    while last == "WATCHDOG=1" {
        let n = socket.recv(&mut buf).unwrap();
        last = String::from_utf8_lossy(&buf[..n]).into_owned();
    }
    assert_eq!(last, "STOPPING=1");
}

/// A database file truncated to nothing would start an empty hall, numbering from
/// A001 again while citizens hold today's numbers: the service refuses, and says what
/// to do. A ticket id no database can hold is a client's mistake: 404, not 503.
#[tokio::test]
async fn an_empty_database_file_is_refused_and_a_huge_ticket_id_is_not_found() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("hall.toml"), hall_config(&[])).unwrap();
    std::fs::create_dir_all(dir.path().join("data")).unwrap();
    std::fs::write(dir.path().join("data/motcua.sqlite3"), b"").unwrap();
    let (data, config) = (dir.path().join("data"), dir.path().join("hall.toml"));
    let out = motcua([
        "serve".as_ref(),
        "--listen".as_ref(),
        "127.0.0.1:0".as_ref(),
        "--data".as_ref(),
        data.as_os_str(),
        "--config".as_ref(),
        config.as_os_str(),
    ] as [&std::ffi::OsStr; 7]);
    assert!(!out.status.success());
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(
        said.contains("is empty (0 bytes)") && said.contains("Restore the latest backup"),
        "{said}"
    );
    assert!(!said.contains("panicked"), "{said}");

    // A file that is not a database, and one with a damaged page: named, with what to
    // do, never a panic.
    let db = dir.path().join("data/motcua.sqlite3");
    std::fs::remove_file(&db).unwrap();
    Service::start_on(dir.path()).stop();
    let mut pages = std::fs::read(&db).unwrap();
    assert!(pages.len() > 3 * 4096, "a database of a few pages");
    pages[2 * 4096..3 * 4096].fill(0x5a);
    let not_a_database = b"SQLite? no: a spreadsheet saved over it".to_vec();
    for (what, bytes) in [("damaged page", pages), ("not a database", not_a_database)] {
        std::fs::write(&db, bytes).unwrap();
        let _ = std::fs::remove_file(dir.path().join("data/motcua.sqlite3-wal"));
        let out = motcua([
            "serve".as_ref(),
            "--listen".as_ref(),
            "127.0.0.1:0".as_ref(),
            "--data".as_ref(),
            data.as_os_str(),
            "--config".as_ref(),
            config.as_os_str(),
        ] as [&std::ffi::OsStr; 7]);
        assert!(!out.status.success(), "{what}: started");
        let said = String::from_utf8_lossy(&out.stderr);
        assert!(
            said.contains(&format!("the hall database {} is damaged", db.display()))
                && said.contains("motcua restore BACKUP"),
            "{what}: {said}"
        );
        assert!(!said.contains("panicked"), "{what}: {said}");
    }

    std::fs::remove_file(&db).unwrap();
    let svc = Service::start_on(dir.path());
    let c = client();
    for id in ["18446744073709551615", "9223372036854775808"] {
        let (status, body) = get(&c, &svc.url(&format!("/api/v1/tickets/{id}"))).await;
        assert_eq!(status, 404, "{id}: {body}");
        let page = c.get(svc.url(&format!("/t/{id}"))).send().await.unwrap();
        assert_eq!(page.status().as_u16(), 404, "/t/{id}");
    }
}

/// `check-config` fails on a line no counter calls (its citizens would wait for
/// ever), naming it; the sample hall passes.
#[test]
fn check_config_fails_on_a_line_nobody_calls() {
    let dir = tempfile::tempdir().unwrap();
    let check = |text: &str| {
        let path = dir.path().join("hall.toml");
        std::fs::write(&path, text).unwrap();
        motcua([std::ffi::OsStr::new("check-config"), path.as_os_str()])
    };
    let sample = check(motcua_core::layout::SAMPLE_CONFIG);
    assert!(sample.status.success(), "{sample:?}");
    assert!(String::from_utf8_lossy(&sample.stdout).contains(": OK"));
    // Counter 3 called Đất đai; now it calls Chứng thực, and nobody calls Đất đai.
    let orphan =
        hall_config(&[]).replace("id = 3\nservices = [\"DD\"]", "id = 3\nservices = [\"CT\"]");
    let out = check(&orphan);
    assert!(!out.status.success(), "{out:?}");
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(
        said.contains("line DD (Đất đai) is called by no counter"),
        "{said}"
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("valid, with problems"));
}

/// One machine on the hall's network opening connections and saying nothing must not
/// lock out the kiosks: the service serves real requests while 400 silent
/// connections are open, and drops each silent one after `HEADER_TIMEOUT` (15 s).
/// (Started with a soft limit of 256 open files, it raises its own: see /proc.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn silent_connections_neither_exhaust_nor_outlive_the_service() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("hall.toml"), hall_config(&[])).unwrap();
    let port = free_port();
    let mut child = std::process::Command::new("sh")
        .arg("-c")
        .arg(format!(
            "ulimit -S -n 256 && exec {} serve --listen 127.0.0.1:{port} --data {} --config {}",
            env!("CARGO_BIN_EXE_motcua"),
            dir.path().join("data").display(),
            dir.path().join("hall.toml").display()
        ))
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let base = format!("http://127.0.0.1:{port}");
    let c = client();
    eventually(10, "the service answers", || async {
        let res = c.get(format!("{base}/healthz")).send().await.ok()?;
        res.status().is_success().then_some(())
    })
    .await;
    let limits = std::fs::read_to_string(format!("/proc/{}/limits", child.id())).unwrap();
    let open_files = limits
        .lines()
        .find(|l| l.starts_with("Max open files"))
        .unwrap();
    let fields: Vec<&str> = open_files.split_whitespace().collect();
    assert_eq!(
        fields[3], fields[4],
        "the soft limit is raised to the hard one: {open_files}"
    );
    let opened = std::time::Instant::now();
    let mut silent = Vec::new();
    for _ in 0..400 {
        silent.push(
            tokio::net::TcpStream::connect(("127.0.0.1", port))
                .await
                .unwrap(),
        );
    }
    // A kiosk still gets its answer at once.
    let t = std::time::Instant::now();
    let (status, _) = post(
        &c,
        &format!("{base}/api/v1/tickets"),
        KIOSK,
        Some(json!({"service": "HT"})),
    )
    .await;
    assert_eq!(status, 201);
    assert!(t.elapsed() < Duration::from_secs(5), "{:?}", t.elapsed());
    // The silent ones are closed by the service after the header timeout.
    let mut first = silent.pop().unwrap();
    let mut buf = [0u8; 1];
    let n = tokio::time::timeout(
        Duration::from_secs(30),
        tokio::io::AsyncReadExt::read(&mut first, &mut buf),
    )
    .await
    .expect("closed within 30 s")
    .unwrap_or(0);
    assert_eq!(n, 0, "closed, nothing said");
    assert!(
        opened.elapsed() >= Duration::from_secs(14),
        "{:?}",
        opened.elapsed()
    );
    child.kill().unwrap();
    child.wait().unwrap();
}

/// A full disk under the data directory: writes get a clear 503 with the reason,
/// `/healthz` says the hall cannot write, nothing acknowledged is lost, and the
/// service recovers by itself when space returns. Mounts a 4 MB tmpfs, which needs
/// root: without it the test says it was skipped.
#[tokio::test]
async fn a_full_disk_is_said_and_survived() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    std::fs::create_dir_all(&data).unwrap();
    let mounted = std::process::Command::new("mount")
        .args(["-t", "tmpfs", "-o", "size=4m", "tmpfs"])
        .arg(&data)
        .stderr(std::process::Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !mounted {
        eprintln!(
            "SKIPPED a_full_disk_is_said_and_survived: cannot mount a tmpfs here (needs root)"
        );
        return;
    }
    struct Unmount(std::path::PathBuf);
    impl Drop for Unmount {
        fn drop(&mut self) {
            let _ = std::process::Command::new("umount")
                .arg("-l")
                .arg(&self.0)
                .status();
        }
    }
    let _unmount = Unmount(data.clone());
    std::fs::write(dir.path().join("hall.toml"), hall_config(&[])).unwrap();
    let svc = Service::start_on(dir.path());
    let c = client();
    for _ in 0..3 {
        assert_eq!(svc.take(&c, "HT").await.0, 201);
    }
    // Fill the disk.
    {
        use std::io::Write;
        let mut filler = std::fs::File::create(data.join("filler")).unwrap();
        let chunk = vec![0u8; 64 * 1024];
        while filler.write_all(&chunk).is_ok() {}
        let _ = filler.sync_all();
    }
    let (status, health) = get(&c, &svc.url("/healthz")).await;
    assert_eq!(status, 503, "{health}");
    assert_eq!(health["error"]["code"], "storage_unavailable");
    assert!(
        health["error"]["message"]
            .as_str()
            .unwrap()
            .contains("full"),
        "{health}"
    );
    let (status, refused) = svc.take(&c, "HT").await;
    assert_eq!(status, 503, "{refused}");
    // Space returns: the hall recovers by itself, and numbering goes on where it was.
    std::fs::remove_file(data.join("filler")).unwrap();
    let (status, _) = get(&c, &svc.url("/healthz")).await;
    assert_eq!(status, 200);
    let (status, t) = svc.take(&c, "HT").await;
    assert_eq!(status, 201, "{t}");
    assert_eq!(t["number"], "A004", "nothing lost, nothing given twice");
    svc.stop();

    // The data directory read-only (a card remounted by the kernel after errors): the
    // service does not start, and says where and why; writable again, it goes on.
    let remount = |how: &str| {
        let done = std::process::Command::new("mount")
            .args(["-o", &format!("remount,{how}")])
            .arg(&data)
            .status()
            .unwrap();
        assert!(done.success(), "remount {how}");
    };
    remount("ro");
    let config = dir.path().join("hall.toml");
    let out = motcua([
        "serve".as_ref(),
        "--listen".as_ref(),
        "127.0.0.1:0".as_ref(),
        "--data".as_ref(),
        data.as_os_str(),
        "--config".as_ref(),
        config.as_os_str(),
    ] as [&std::ffi::OsStr; 7]);
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{said}");
    assert!(
        said.contains(&data.display().to_string()) && said.contains("Read-only file system"),
        "{said}"
    );
    assert!(!said.contains("panicked"), "{said}");
    remount("rw");
    let svc = Service::start_on(dir.path());
    assert_eq!(svc.take(&c, "HT").await.1["number"], "A005");
    svc.stop();
}

/// `motcua backup` while kiosks issue: the copy holds every ticket acknowledged before
/// it began. `motcua restore` is refused while the service runs; stopped, the backup
/// goes back in place (the replaced database kept aside) and the hall carries on.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backup_taken_under_load_restores_every_acknowledged_ticket() {
    let dir = tempfile::tempdir().unwrap();
    let svc = Service::start(dir.path(), &hall_config(&[]));
    let data = dir.path().join("data");
    let backup = dir.path().join("backup.sqlite3");
    // Two kiosks issuing as fast as they can.
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let acknowledged = std::sync::Arc::new(std::sync::Mutex::new(Vec::<(u64, String)>::new()));
    let mut kiosks = Vec::new();
    for service in ["HT", "CT"] {
        let (stop, acked, url) = (
            stop.clone(),
            acknowledged.clone(),
            svc.url("/api/v1/tickets"),
        );
        kiosks.push(tokio::spawn(async move {
            let c = client();
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                let (status, t) = post(&c, &url, KIOSK, Some(json!({"service": service}))).await;
                if status == 201 {
                    let id = t["id"].as_u64().unwrap();
                    acked
                        .lock()
                        .unwrap()
                        .push((id, t["number"].as_str().unwrap().to_owned()));
                }
            }
        }));
    }
    eventually(10, "tickets flow", || async {
        (acknowledged.lock().unwrap().len() >= 20).then_some(())
    })
    .await;
    let before: Vec<(u64, String)> = acknowledged.lock().unwrap().clone();
    let out = motcua([
        "backup".as_ref(),
        backup.as_os_str(),
        "--data".as_ref(),
        data.as_os_str(),
    ]);
    assert!(out.status.success(), "{out:?}");
    tokio::time::sleep(Duration::from_millis(200)).await;
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    for k in kiosks {
        k.await.unwrap();
    }
    let after_backup = acknowledged.lock().unwrap().len();
    // A second backup to the same file is refused, never overwritten.
    let again = motcua([
        "backup".as_ref(),
        backup.as_os_str(),
        "--data".as_ref(),
        data.as_os_str(),
    ]);
    assert!(!again.status.success());
    // Not while the service runs.
    let refused = motcua([
        "restore".as_ref(),
        backup.as_os_str(),
        "--data".as_ref(),
        data.as_os_str(),
    ]);
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("stop it before restoring"));
    svc.stop();
    let restored = motcua([
        "restore".as_ref(),
        backup.as_os_str(),
        "--data".as_ref(),
        data.as_os_str(),
    ]);
    assert!(restored.status.success(), "{restored:?}");
    let kept_aside = std::fs::read_dir(&data)
        .unwrap()
        .filter_map(Result::ok)
        .any(|e| {
            e.file_name()
                .to_string_lossy()
                .starts_with("motcua.sqlite3.before-restore-")
        });
    assert!(kept_aside, "the replaced database is kept");
    let svc = Service::start_on(dir.path());
    let c = client();
    for (id, number) in &before {
        let (status, t) = get(&c, &svc.url(&format!("/api/v1/tickets/{id}"))).await;
        assert_eq!(
            (status, t["number"].as_str()),
            (200, Some(number.as_str())),
            "ticket {id}"
        );
    }
    assert!(
        after_backup > before.len(),
        "issuing went on during the backup"
    );
    // The hall carries on from the backup.
    assert_eq!(svc.take(&c, "HT").await.0, 201);
}
