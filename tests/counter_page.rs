//! The counter page in a real browser: headless Chromium, driven through
//! chromedriver, against the real `motcua serve` binary on loopback. Signs in, calls,
//! finishes, transfers, rates, follows live events, survives the service going away,
//! and two counters never get the same ticket. Screenshots go to `target/screenshots/`.

mod common;
mod webdriver;

use std::path::PathBuf;

use serde_json::Value;

use common::*;
use webdriver::{Browser, Driver};

fn shot(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("target/screenshots")
        .join(format!("counter-{name}.png"))
}

async fn ticket(c: &reqwest::Client, svc: &Service, id: &Value) -> Value {
    get(c, &svc.url(&format!("/api/v1/tickets/{id}"))).await.1
}

async fn sign_in(b: &Browser, base: &str, token: &str) {
    b.goto(&format!("{base}/counter")).await;
    b.type_into("#token", token).await;
    b.click("#signin-form button[type=submit]").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn staff_run_their_counter_from_the_browser() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    // The SMS gateway is away (nothing listens there): staff see what was not sent.
    let config = hall_config(&[])
        + &format!(
            "\n[notify]\nwebhook_url = \"http://127.0.0.1:{}/send\"\nretry_seconds = 60\nsend_hours = [0, 24]\n",
            free_port()
        );
    std::fs::write(dir.path().join("hall.toml"), config).unwrap();
    let svc = Service::start_on_port(dir.path(), port);
    let c = client();
    let (_, a1) = svc.take(&c, "HT").await;
    let (_, a2) = svc.take(&c, "HT").await;
    let (_, b1) = svc.take(&c, "CT").await;

    let driver = Driver::start().await;
    let staff = driver.browser(1366, 800).await;

    // Before signing in, only the sign-in shows: no desk, no "Gọi số tiếp".
    staff.goto(&svc.url("/counter")).await;
    staff.wait_text("#signin", "").await;
    let shown =
        |id: &str| format!("return getComputedStyle(document.getElementById('{id}')).display");
    assert_eq!(staff.script(&shown("desk")).await, "none");
    assert_eq!(staff.script(&shown("dossiers")).await, "none");
    assert_ne!(staff.script(&shown("signin")).await, "none");
    staff.screenshot(&shot("signin")).await;

    // A wrong token is refused in words; the right one opens counter 1's desk.
    sign_in(&staff, &svc.base, "not-a-token").await;
    staff
        .wait_text("#signin .hint", "Mã đăng nhập không đúng")
        .await;
    staff.goto(&svc.url("/counter")).await;
    staff.type_into("#token", &counter_token(1)).await;
    staff.press("\u{E007}").await; // Enter submits the form.
    staff.wait_text("#title", "Quầy 1").await;
    let waiting = staff.wait_text("#waiting-list", "B001").await;
    assert!(
        waiting.find("A001") < waiting.find("A002") && waiting.find("A002") < waiting.find("B001"),
        "{waiting}"
    );
    assert_eq!(staff.text("#waiting-count").await, "3");
    staff.screenshot(&shot("waiting")).await;

    // Call next with the button: A001 is called, for real.
    staff.click("#call").await;
    staff.wait_text("#current-number", "A001").await;
    staff.wait_text("#message", "Đã gọi số A001").await;
    assert_eq!(ticket(&c, &svc, &a1["id"]).await["status"], "called");
    staff.screenshot(&shot("called")).await;

    // Finish with the keyboard shortcut H.
    staff.press("h").await;
    staff.wait_text("#message", "Đã hoàn thành số A001").await;
    assert_eq!(ticket(&c, &svc, &a1["id"]).await["status"], "done");

    // The citizen answered aloud: staff record the rating for the ticket just served,
    // and, for "not satisfied", the reason the citizen gave.
    staff.click("[data-level=unsatisfied]").await;
    staff.wait_text("#rate-why", "Chờ lâu").await;
    staff.screenshot(&shot("rate-why")).await;
    staff.click("#rate-why button:nth-of-type(1)").await;
    staff
        .wait_text(
            "#message",
            "Đã ghi đánh giá “Không hài lòng” (Chờ lâu) cho số A001",
        )
        .await;
    let rating = &ticket(&c, &svc, &a1["id"]).await["rating"];
    assert_eq!(
        (rating["source"].as_str(), rating["reason"].as_str()),
        (Some("counter"), Some("Chờ lâu"))
    );

    // G calls A002; transfer it to the Chứng thực line through the dialog.
    staff.press("g").await;
    staff.wait_text("#current-number", "A002").await;
    staff.press("c").await;
    staff.click("#transfer-service option[value=CT]").await;
    staff.screenshot(&shot("transfer")).await;
    staff.click("#transfer-ok").await;
    staff.wait_text("#message", "Đã chuyển số A002").await;
    let moved = ticket(&c, &svc, &a2["id"]).await;
    assert_eq!(
        (moved["status"].as_str(), moved["service"].as_str()),
        (Some("waiting"), Some("CT"))
    );

    // A ticket taken at the kiosk appears by itself (the page follows the stream).
    svc.take(&c, "HT").await;
    staff.wait_text("#waiting-list", "A003").await;

    // Two counters press "call next" at the same moment: never the same ticket.
    let other = driver.browser(1024, 700).await;
    sign_in(&other, &svc.base, &counter_token(2)).await;
    other.wait_text("#title", "Quầy 2").await;
    other.wait_text("#waiting-list", "B001").await;
    staff.wait_text("#current-number", "—").await;
    tokio::join!(staff.click("#call"), other.click("#call"));
    let one = staff.wait_text("#message", "Đã gọi số").await;
    let two = other.wait_text("#message", "Đã gọi số").await;
    assert_ne!(one, two, "both counters called the same ticket");
    // Counter 2 only serves Chứng thực: it got B001 or the transferred A002.
    assert!(two.contains("B001") || two.contains("A002"), "{two}");
    let b1_now = ticket(&c, &svc, &b1["id"]).await;
    assert_eq!(b1_now["status"], "called");
    other.close().await;

    // A double press of G: the second comes before the clerk could see the new
    // number, so it names the ticket seen before and does nothing.
    let (_, a4) = svc.take(&c, "HT").await;
    let (_, a5) = svc.take(&c, "HT").await;
    staff.wait_text("#waiting-list", "A005").await;
    let before = staff.text("#current-number").await;
    // (A person looks at the screen before pressing again.)
    tokio::time::sleep(std::time::Duration::from_millis(800)).await;
    staff.press("g").await;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    while staff.text("#current-number").await == before {
        assert!(std::time::Instant::now() < deadline, "G called nobody");
    }
    staff.press("g").await;
    staff.wait_text("#message", "Số ở quầy vừa thay đổi").await;
    let now = staff.text("#current-number").await;
    assert_ne!(now, before);
    let (a4, a5) = (
        ticket(&c, &svc, &a4["id"]).await,
        ticket(&c, &svc, &a5["id"]).await,
    );
    let called: Vec<&str> = [&a4, &a5]
        .iter()
        .filter(|t| t["status"] == "called")
        .map(|t| t["number"].as_str().unwrap())
        .collect();
    assert!(
        called.len() <= 1,
        "a double press called two tickets: {called:?}"
    );
    assert_eq!(
        a5["status"], "waiting",
        "the second press did not call A005"
    );

    // Dossiers at the counter: register one, mark its result ready here; an overdue
    // one (registered through the API) shows for staff.
    let code = "000.00.12.H27-261124-0042";
    staff.type_into("#d-code", &code.to_lowercase()).await;
    staff.type_into("#d-procedure", "Đăng ký khai sinh").await;
    staff.type_into("#d-name", "Trần Văn Ánh").await;
    staff.type_into("#d-id", "036 090 001 234").await;
    staff.type_into("#d-phone", "0912 345 678").await;
    staff.click("#d-consent").await;
    staff.click("#dossier-form button[type=submit]").await;
    staff
        .wait_text("#d-message", &format!("Đã lưu hồ sơ {code}"))
        .await;
    let registered = get_as(
        &c,
        &svc.url(&format!("/api/v1/dossiers?code={code}")),
        ADMIN,
    )
    .await;
    assert_eq!(registered[0]["id_required"], true, "{registered}");
    staff.click("[data-status=result_ready]").await;
    staff.wait_text("#ready-list", code).await;
    let public = get(&c, &svc.url(&format!("/api/v1/dossiers/{code}?id=1234")))
        .await
        .1;
    assert_eq!(public["status"], "result_ready");
    assert_eq!(public["pickup"], "Quầy 1");
    assert_eq!(public["masked_name"], "Trần Văn Á.");
    let late = c
        .put(svc.url("/api/v1/dossiers/H23.45-231123-0001"))
        .bearer_auth(ADMIN)
        .json(
            &serde_json::json!({"procedure_name": "Chứng thực", "citizen_name": "Lò Văn Ửng",
                                  "due_at": "2026-01-05T09:00:00Z"}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(late.status().as_u16(), 200);
    staff.wait_text("#overdue-list", "H23.45-231123-0001").await;
    staff
        .script("document.getElementById('dossiers').scrollIntoView()")
        .await;
    staff.screenshot(&shot("dossiers")).await;
    // The "result ready" message could not go (the gateway is away): once the worker
    // has tried, the next reload lists it, in words.
    for _ in 0..100 {
        let outbox = get_as(&c, &svc.url("/api/v1/outbox"), ADMIN).await;
        if outbox[0]["last_error"].is_string() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    // The hall owes an apology: staff open the late dossier from the list and record
    // the new date; it leaves the overdue list.
    staff.click("#overdue-list li").await;
    staff.wait_text("#d-message", "QUÁ HẠN").await;
    assert_eq!(
        staff
            .script("return document.getElementById('d-code').value")
            .await,
        "H23.45-231123-0001"
    );
    let new_due = (chrono::Utc::now() + chrono::Duration::days(20))
        .format("%Y-%m-%d")
        .to_string();
    staff
        .script(&format!(
            "document.getElementById('d-new-due').value = '{new_due}'"
        ))
        .await;
    staff.type_into("#d-reason", "Chờ kết quả xác minh").await;
    staff.screenshot(&shot("apology")).await;
    staff.click("#dossier-form button[type=submit]").await;
    staff
        .wait_text("#d-message", "Đã lưu hồ sơ H23.45-231123-0001")
        .await;
    let saved = get_as(
        &c,
        &svc.url("/api/v1/dossiers?code=H23.45-231123-0001"),
        ADMIN,
    )
    .await;
    assert_eq!(
        saved[0]["apology"]["new_due_at"],
        format!("{new_due}T09:30:00Z"),
        "{saved}"
    );
    assert_eq!(saved[0]["apology"]["reason"], "Chờ kết quả xác minh");
    assert_eq!(saved[0]["overdue"], false);
    staff.wait_text("#overdue-count", "0").await;
    let failed = staff.wait_text("#outbox-list", "báo có kết quả").await;
    assert!(
        failed.contains(code) && failed.contains("0912 xxx 678"),
        "{failed}"
    );
    staff.script("window.scrollTo(0, 0)").await;

    // The service goes away: the page says so, and a press is explained, not lost.
    svc.crash();
    staff.wait_text("#link", "Mất kết nối").await;
    staff.click("#finish").await;
    staff
        .wait_text("#message", "Không kết nối được máy chủ")
        .await;
    staff.screenshot(&shot("offline")).await;
    // It comes back on the same address: the page reconnects by itself.
    let svc = Service::start_on_port(dir.path(), port);
    staff.wait_text_within("#link", "Đã kết nối", 15).await;
    // The clerk looks at the desk as it is now (the page refreshes on reconnecting; a
    // press before that names the ticket of before the outage and is refused as stale).
    let (_, counters) = get(&c, &svc.url("/api/v1/counters")).await;
    let at_desk = counters[0]["current"]["number"]
        .as_str()
        .unwrap_or("—")
        .to_owned();
    staff.wait_text("#current-number", &at_desk).await;
    staff.press("h").await;
    staff.wait_text("#message", "Đã hoàn thành số").await;
    staff.close().await;

    // The kiosk is back after a long outage and has two of its own tickets still to
    // place in the queue (as it reports while it sends them).
    let report = serde_json::json!({"role": "kiosk", "printer": "ready", "journal_waiting": 2});
    let (status, _) = post(&c, &svc.url("/api/v1/devices/status"), KIOSK, Some(report)).await;
    assert_eq!(status, 200);

    // A manager signs in with the admin token: picks a counter, sees the statistics.
    let manager = driver.browser(1366, 900).await;
    sign_in(&manager, &svc.base, ADMIN).await;
    manager.wait_text("#pick-list", "Quầy 3").await;
    let table = manager.wait_text("#stats-body", "Toàn sảnh").await;
    manager
        .wait_text("#stats-reasons", "Lý do chưa hài lòng: Chờ lâu 1")
        .await;
    assert!(table.contains("Hộ tịch"), "{table}");
    // The hall's devices: the display's token has not reported from a display here;
    // the kiosk says how many of its own tickets wait.
    let devices = manager
        .wait_text("#devices-body", "Mất liên lạc (chưa báo lần nào)")
        .await;
    assert!(devices.contains("Kiosk lấy số"), "{devices}");
    assert!(
        devices.contains("Đang hoạt động · 2 vé cấp khi mất kết nối chưa vào hàng đợi"),
        "{devices}"
    );
    manager
        .script("document.getElementById('devices').scrollIntoView()")
        .await;
    manager.screenshot(&shot("devices")).await;
    manager.click("#pick-list button:nth-child(3)").await;
    manager.wait_text("#title", "Quầy 3").await;
    manager.screenshot(&shot("manager")).await;
    let issued = manager
        .script("return document.querySelector('tr.total td:nth-child(2)').textContent")
        .await;
    // A001–A003 and B001, and the two taken for the double press.
    assert_eq!(issued, "6");
    manager.close().await;
    svc.stop();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn staff_see_which_way_each_message_went() {
    // A gateway that takes every message.
    let gateway = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let gw = gateway.local_addr().unwrap();
    let app = axum::Router::new().route("/send", axum::routing::post(|| async { "ok" }));
    tokio::spawn(async move { axum::serve(gateway, app).await.unwrap() });
    let dir = tempfile::tempdir().unwrap();
    let config = hall_config(&[])
        + &format!(
            "\n[notify]\nwebhook_url = \"http://{gw}/send\"\nretry_seconds = 1\nsend_hours = [0, 24]\n"
        );
    let svc = Service::start(dir.path(), &config);
    let c = client();
    let code = "000.00.12.H27-261123-0042";
    let put = c
        .put(svc.url(&format!("/api/v1/dossiers/{code}")))
        .bearer_auth(ADMIN)
        .json(&serde_json::json!({"procedure_name": "Đăng ký khai sinh",
                                   "citizen_name": "Nguyễn Thị Hoa", "phone": "0912345678",
                                   "notify_consent": true, "status": "result_ready"}))
        .send()
        .await
        .unwrap();
    assert_eq!(put.status().as_u16(), 200);

    let driver = Driver::start().await;
    let staff = driver.browser(1366, 900).await;
    sign_in(&staff, &svc.base, &counter_token(1)).await;
    let sent = staff.wait_text("#sent-list", "qua cổng tin nhắn").await;
    assert!(
        sent.contains(code) && sent.contains("báo có kết quả"),
        "{sent}"
    );
    assert_eq!(staff.text("#outbox-count").await, "0");
    staff
        .script("document.getElementById('sent-list').scrollIntoView()")
        .await;
    staff.screenshot(&shot("sent")).await;
    staff.close().await;
}
