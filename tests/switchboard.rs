//! The results switchboard end to end on loopback: a province system that answers
//! like one (and fails like one: errors, timeouts, garbage), the real `motcua serve`
//! binary, an SMS gateway that records what it gets, the display's model following
//! the stream, and the kiosk's client. Also: personal data never reaches a public
//! surface, and retention erases it.

mod common;

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing;
use serde_json::{Value, json};

use common::*;
use motcua_client::HallClient;

const CODE: &str = "000.00.12.H27-261123-0042";
const NAME: &str = "Nguyễn Thị Hoa";
const PHONE: &str = "0912345678";

/// How the fake province system answers.
#[derive(Clone, Copy, PartialEq, Debug)]
enum Mode {
    Ok,
    Error,
    Slow,
    Garbage,
}

#[derive(Default)]
struct Province {
    mode: Option<Mode>,
    status: u32,
    requests: u32,
    queries: Vec<String>,
}

async fn changes(
    State(p): State<Arc<Mutex<Province>>>,
    uri: axum::http::Uri,
    headers: HeaderMap,
) -> Response {
    let (mode, status) = {
        let mut p = p.lock().unwrap();
        p.requests += 1;
        p.queries.push(uri.query().unwrap_or("").to_owned());
        (p.mode.unwrap_or(Mode::Ok), p.status)
    };
    assert_eq!(
        headers.get("x-api-key").and_then(|v| v.to_str().ok()),
        Some("province-secret"),
        "the credential from the environment is sent"
    );
    match mode {
        Mode::Error => (StatusCode::INTERNAL_SERVER_ERROR, "database down").into_response(),
        Mode::Garbage => (StatusCode::OK, "<html>Bảo trì hệ thống</html>").into_response(),
        Mode::Slow => {
            tokio::time::sleep(Duration::from_secs(5)).await;
            (StatusCode::OK, "{}").into_response()
        }
        Mode::Ok => axum::Json(json!({
            "cursor": format!("c{status}"),
            "server_time": "2026-11-23T09:15:02+07:00",
            "items": [{
                "ma_ho_so": CODE, "kenh": 1,
                "ma_tthc": "1.001193", "ten_tthc": "Đăng ký khai sinh",
                "chu_ho_so": {"ho_ten": NAME, "so_dien_thoai": PHONE, "dong_y_nhan_tin": true},
                "ngay_tiep_nhan": "2026-11-23T08:41:00+07:00",
                "ngay_hen_tra": "20301123163000",
                "trang_thai": status,
                "noi_tra_ket_qua": {"quay": "Quầy 8", "ma_quay": "TKQ", "so_quay": 8}
            }]
        }))
        .into_response(),
    }
}

#[derive(Default)]
struct Gateway {
    fail: bool,
    requests: u32,
    /// Accepted messages by idempotency key, as a real gateway keeps them.
    accepted: BTreeMap<String, Value>,
}

async fn send(
    State(g): State<Arc<Mutex<Gateway>>>,
    headers: HeaderMap,
    axum::Json(body): axum::Json<Value>,
) -> StatusCode {
    let mut g = g.lock().unwrap();
    g.requests += 1;
    if g.fail {
        return StatusCode::SERVICE_UNAVAILABLE;
    }
    let key = headers
        .get("idempotency-key")
        .and_then(|v| v.to_str().ok())
        .expect("every message carries its idempotency key")
        .to_owned();
    if g.accepted.contains_key(&key) {
        return StatusCode::CONFLICT;
    }
    g.accepted.insert(key, body);
    StatusCode::OK
}

async fn serve(app: Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    format!("http://{addr}")
}

/// A fake SMS gateway on loopback: its state and its address.
async fn start_gateway(state: Gateway) -> (Arc<Mutex<Gateway>>, String) {
    let gateway = Arc::new(Mutex::new(state));
    let url = serve(
        Router::new()
            .route("/send", routing::post(send))
            .with_state(gateway.clone()),
    )
    .await;
    (gateway, url)
}

/// `PUT /api/v1/dossiers/{code}` as `token`: the status and the answer.
async fn put_dossier(
    c: &reqwest::Client,
    svc: &Service,
    code: &str,
    body: &Value,
    token: &str,
) -> (u16, Value) {
    let res = c
        .put(svc.url(&format!("/api/v1/dossiers/{code}")))
        .bearer_auth(token)
        .json(body)
        .send()
        .await
        .unwrap();
    (res.status().as_u16(), res.json().await.unwrap())
}

fn config(province: &str, gateway: &str, retention_days: u32, printer: &std::path::Path) -> String {
    let printer = printer.display();
    format!(
        r#"{}
[[services]]
code = "TKQ"
prefix = "K"
name = {{ vi = "Trả kết quả", en = "Result return" }}

[[counters]]
id = 8
name = "Quầy 8"
services = ["TKQ"]
printer = "sim:{printer}"

[[counters]]
id = 9
name = "Quầy 9"
services = ["TKQ"]

[dossiers]
return_service = "TKQ"
personal_data_days = {retention_days}

[upstream]
base_url = "{province}"
auth_header = "X-Api-Key"
auth_env = "TEST_PROVINCE_KEY"
interval_seconds = 1
timeout_seconds = 1

[notify]
webhook_url = "{gateway}/send"
retry_seconds = 1
# Any hour: the tests must not depend on when they run.
send_hours = [0, 24]
"#,
        hall_config(&[])
    )
}

async fn staff_get(c: &reqwest::Client, url: &str) -> Value {
    get_as(c, url, ADMIN).await
}

/// Every public surface, as text: the board, the event stream's backlog, the
/// dossier's public page, the display's source.
async fn public_text(c: &reqwest::Client, svc: &Service) -> String {
    let mut all = String::new();
    for path in [
        "/api/v1/board".to_string(),
        format!("/api/v1/dossiers/{CODE}"),
        "/api/v1/counters".to_string(),
    ] {
        all.push_str(
            &c.get(svc.url(&path))
                .send()
                .await
                .unwrap()
                .text()
                .await
                .unwrap(),
        );
    }
    let mut events = SseReader::open(c, &svc.url("/api/v1/events?after=0"), None).await;
    while let Ok(e) = tokio::time::timeout(
        Duration::from_millis(500),
        events.next(Duration::from_secs(1)),
    )
    .await
    {
        all.push_str(&e.data.to_string());
    }
    all
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_ready_result_reaches_the_display_the_phone_once_and_the_kiosk() {
    let province = Arc::new(Mutex::new(Province {
        status: 4,
        ..Province::default()
    }));
    let (gateway, gateway_url) = start_gateway(Gateway {
        fail: true,
        ..Gateway::default()
    })
    .await;
    let province_url = serve(
        Router::new()
            .route("/changes", routing::get(changes))
            .with_state(province.clone()),
    )
    .await;
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("hall.toml"),
        config(&province_url, &gateway_url, 30, &dir.path().join("printer")),
    )
    .unwrap();
    let port = free_port();
    let env = [("TEST_PROVINCE_KEY", "province-secret")];
    let launch = |dir: &std::path::Path| Service::start_with_env_on(dir, port, &env);
    let svc = launch(dir.path());
    let c = client();
    let dossier_url = svc.url(&format!("/api/v1/dossiers/{CODE}"));

    // The poller brings the dossier in; the public view is masked.
    let d = eventually(10, "the dossier arrives from the province", || {
        let (c, url) = (c.clone(), dossier_url.clone());
        async move {
            let (status, d) = get(&c, &url).await;
            (status == 200).then_some(d)
        }
    })
    .await;
    assert_eq!(d["status"], "in_progress");
    assert_eq!(d["masked_name"], "Nguyễn Thị H.");
    assert!(
        d["status_text"]["vi"]
            .as_str()
            .unwrap()
            .contains("đang được xử lý")
    );
    // The poll's success is recorded once its whole page is applied, just after the
    // dossier shows.
    let link = eventually(10, "the poll's success is recorded", || {
        let (c, url) = (c.clone(), svc.url("/api/v1/upstream"));
        async move {
            let link = staff_get(&c, &url).await;
            link["last_success_at"].is_string().then_some(link)
        }
    })
    .await;
    assert!(link["last_success_at"].is_string(), "{link}");

    // The province fails in each way it can: the hall keeps working from what it has
    // and says what went wrong.
    for (mode, words) in [
        (Mode::Error, "HTTP 500"),
        (Mode::Slow, "did not answer in time"),
        (Mode::Garbage, "not JSON"),
    ] {
        province.lock().unwrap().mode = Some(mode);
        eventually(10, &format!("the failure {mode:?} is recorded"), || {
            let c = c.clone();
            let url = svc.url("/api/v1/upstream");
            async move {
                let link = staff_get(&c, &url).await;
                link["last_error"]
                    .as_str()
                    .is_some_and(|e| e.contains(words))
                    .then_some(())
            }
        })
        .await;
        assert_eq!(
            get(&c, &dossier_url).await.0,
            200,
            "local data still answers"
        );
    }
    // Backing off: failures do not hammer the province.
    let before = province.lock().unwrap().requests;
    tokio::time::sleep(Duration::from_secs(2)).await;
    let during = province.lock().unwrap().requests - before;
    assert!(during <= 2, "{during} requests in 2 s while failing");

    // The result is ready upstream; the gateway is down for now.
    {
        let mut p = province.lock().unwrap();
        p.mode = Some(Mode::Ok);
        p.status = 9;
    }
    eventually(20, "the dossier becomes ready", || {
        let (c, url) = (c.clone(), dossier_url.clone());
        async move { (get(&c, &url).await.1["status"] == "result_ready").then_some(()) }
    })
    .await;
    assert!(
        province
            .lock()
            .unwrap()
            .queries
            .iter()
            .any(|q| q.contains("cursor=c4")),
        "the next poll continues from the cursor"
    );
    // The display's board lists it, masked, and the display would announce it.
    let board = get(&c, &svc.url("/api/v1/board")).await.1;
    let results = board["results"].as_array().unwrap();
    assert_eq!(results.len(), 1);
    assert_eq!(results[0]["masked_name"], "Nguyễn Thị H.");
    assert_eq!(results[0]["pickup"], "Quầy 8");
    let mut model =
        motcua_screens::display::model::DisplayModel::new(serde_json::from_value(board).unwrap());
    let waiting: Vec<String> = model.board.results.iter().map(|r| r.code.clone()).collect();
    let mut schedule = motcua_screens::display::announce::ResultsSchedule::new(10, 3);
    assert!(
        schedule.due(&waiting, chrono::Utc::now()),
        "an announcement is queued"
    );
    model.stale = false;

    // The message waits in the outbox, its failure visible to staff.
    let outbox = eventually(10, "the gateway's failure is recorded", || {
        let c = c.clone();
        let url = svc.url("/api/v1/outbox");
        async move {
            let o = staff_get(&c, &url).await;
            o[0]["last_error"].is_string().then_some(o)
        }
    })
    .await;
    assert_eq!(outbox.as_array().unwrap().len(), 1);
    assert_eq!(outbox[0]["sent_at"], Value::Null);
    assert_eq!(
        outbox[0]["phone"], "0912 xxx 678",
        "staff see the phone masked"
    );

    // The service is killed and restarted; meanwhile the gateway comes back.
    svc.crash();
    gateway.lock().unwrap().fail = false;
    let svc = launch(dir.path());
    eventually(20, "the gateway gets the message", || {
        let g = gateway.clone();
        async move { (!g.lock().unwrap().accepted.is_empty()).then_some(()) }
    })
    .await;
    // A while longer: nothing is sent twice.
    tokio::time::sleep(Duration::from_secs(3)).await;
    {
        let g = gateway.lock().unwrap();
        assert_eq!(g.accepted.len(), 1, "exactly one message: {:?}", g.accepted);
        let (key, body) = g.accepted.iter().next().unwrap();
        assert!(key.starts_with(&format!("{CODE}/result_ready/")), "{key}");
        assert_eq!(body["to"], PHONE);
        let text = body["message"].as_str().unwrap();
        assert!(
            text.contains(&format!("Ho so {CODE} da co ket qua")) && text.contains("Quay 8"),
            "{text}"
        );
    }
    let outbox = staff_get(&c, &svc.url("/api/v1/outbox")).await;
    assert!(outbox[0]["sent_at"].is_string(), "{outbox}");
    // The province keeps saying "ready": no second message is ever made.
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(
        staff_get(&c, &svc.url("/api/v1/outbox"))
            .await
            .as_array()
            .unwrap()
            .len(),
        1
    );

    // At the kiosk: the lookup says "ready", and one tap gives a return ticket for
    // counter 8, carrying the dossier code.
    let kiosk = HallClient::new(&svc.base, Some(KIOSK.into()));
    let status = kiosk.dossier(&CODE.to_lowercase(), None).await.unwrap();
    assert!(status.ready());
    assert!(
        status.status_text.vi.contains("Quầy 8"),
        "{:?}",
        status.status_text
    );
    let ticket = kiosk.issue_return(CODE).await.unwrap();
    assert_eq!(ticket.ticket.service, "TKQ");
    assert_eq!(ticket.ticket.dossier.as_deref(), Some(CODE));
    assert_eq!(ticket.ticket.target_counter, Some(8));
    assert!(ticket.ticket.number.starts_with('K'));
    // Counter 9 serves the same line but does not get it; counter 8 does.
    let (status, _) = post(&c, &svc.url("/api/v1/counters/9/call"), ADMIN, None).await;
    assert_eq!(status, 204);
    let (_, called) = post(&c, &svc.url("/api/v1/counters/8/call"), ADMIN, None).await;
    assert_eq!(called["ticket"]["dossier"], CODE);

    // Personal data never reaches a public surface.
    let public = public_text(&c, &svc).await;
    assert!(
        public.contains("Nguyễn Thị H."),
        "the masked name is public"
    );
    assert!(!public.contains(NAME), "the full name leaked");
    assert!(
        !public.contains(PHONE) && !public.contains("912345678"),
        "the phone leaked"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn staff_register_dossiers_and_retention_erases_personal_data() {
    let (gateway, gateway_url) = start_gateway(Gateway::default()).await;
    let dir = tempfile::tempdir().unwrap();
    // No province system here: the upstream points at a closed port.
    let closed = format!("http://127.0.0.1:{}", free_port());
    std::fs::write(
        dir.path().join("hall.toml"),
        config(&closed, &gateway_url, 0, &dir.path().join("printer")),
    )
    .unwrap();
    let svc = Service::start_on(dir.path());
    let c = client();
    let put = |body: Value, token: String| {
        let (c, svc) = (c.clone(), &svc);
        async move { put_dossier(&c, svc, CODE, &body, &token).await }
    };
    // Staff register it at the counter; the phone only with consent.
    let (status, d) = put(
        json!({"procedure_name": "Chứng thực bản sao", "citizen_name": NAME,
               "phone": "+84 912 345 678", "notify_consent": false}),
        counter_token(1),
    )
    .await;
    assert_eq!(status, 200, "{d}");
    assert_eq!(d["phone"], Value::Null, "no consent, no phone kept");
    assert_eq!(d["citizen_name"], NAME, "staff see the full name");
    let (_, d) = put(
        json!({"phone": "0912.345.678", "notify_consent": true}),
        counter_token(1),
    )
    .await;
    assert_eq!(d["phone"], "0912 xxx 678");
    // Bad input is the client's mistake, in words.
    for (body, token) in [
        (
            json!({"phone": "12345", "notify_consent": true}),
            counter_token(1),
        ),
        (json!({"status": "lost"}), counter_token(1)),
        (json!({"citizen_name": "x".repeat(300)}), counter_token(1)),
        (json!({"due_at": "tomorrow"}), counter_token(1)),
        (json!({"due_at": "9999-12-31T00:00:00Z"}), counter_token(1)),
        (
            json!({"received_at": "0000-01-01T00:00:00Z"}),
            counter_token(1),
        ),
        (json!({"pickup_counter": 99}), counter_token(1)),
        (json!({"surprise": 1}), counter_token(1)),
        (json!({"status": "returned"}), KIOSK.to_string()),
    ] {
        let (status, e) = put(body.clone(), token).await;
        assert!((400..500).contains(&status), "{body} → {status} {e}");
    }
    let (_, e) = put(json!({"pickup_counter": 99}), counter_token(1)).await;
    assert!(
        e["error"]["message"]
            .as_str()
            .unwrap()
            .contains("pickup_counter 99"),
        "{e}"
    );
    let (_, e) = put(json!({"due_at": "9999-12-31T00:00:00Z"}), counter_token(1)).await;
    assert!(
        e["error"]["message"]
            .as_str()
            .unwrap()
            .contains("not a plausible date"),
        "{e}"
    );
    let (status, _) = get(&c, &svc.url("/api/v1/dossiers/%3Cscript%3E")).await;
    assert_eq!(status, 422);
    let (status, _) = get(&c, &svc.url("/api/v1/dossiers/H99-261123-9999")).await;
    assert_eq!(status, 404);

    // Overdue shows for staff: a due date in the past with no result.
    let (_, d) = put(json!({"due_at": "2026-01-05T09:00:00Z"}), counter_token(1)).await;
    assert_eq!(d["overdue"], true);
    // Ready: the message goes out once; returned: the dossier is closed.
    put(
        json!({"status": "result_ready", "pickup": "Quầy 8"}),
        counter_token(1),
    )
    .await;
    eventually(10, "the message is sent", || {
        let g = gateway.clone();
        async move { (g.lock().unwrap().accepted.len() == 1).then_some(()) }
    })
    .await;
    let (_, d) = put(json!({"status": "returned"}), counter_token(1)).await;
    assert_eq!(d["status"], "returned");
    assert!(d["closed_at"].is_string());
    let board = get(&c, &svc.url("/api/v1/board")).await.1;
    assert_eq!(
        board["results"].as_array().unwrap().len(),
        0,
        "collected: off the board"
    );

    // Retention (0 days here) runs at start and hourly: after a restart the name and
    // phone are gone from the dossier and from the message that was sent.
    svc.stop();
    let svc = Service::start_on(dir.path());
    let all = eventually(10, "personal data is erased", || {
        let c = c.clone();
        let url = svc.url("/api/v1/dossiers?open=false");
        async move {
            let all = staff_get(&c, &url).await;
            all[0]["personal_data_erased_at"].is_string().then_some(all)
        }
    })
    .await;
    assert_eq!(all[0]["citizen_name"], Value::Null);
    assert_eq!(all[0]["phone"], Value::Null);
    assert_eq!(
        all[0]["procedure_name"], "Chứng thực bản sao",
        "the rest stays"
    );
    let outbox = staff_get(&c, &svc.url("/api/v1/outbox")).await;
    assert_eq!(outbox[0]["phone"], Value::Null);
    assert_eq!(outbox[0]["body"], Value::Null);
    // Someone walks the codes to collect masked names: after 20 codes that do not
    // exist in a minute, the address waits. Looking up real codes never counts.
    for _ in 0..30 {
        assert_eq!(
            get(&c, &svc.url(&format!("/api/v1/dossiers/{CODE}")))
                .await
                .0,
            200
        );
    }
    for i in 0..20 {
        let url = svc.url(&format!("/api/v1/dossiers/000.00.12.H27-261123-{i:04}"));
        assert_eq!(get(&c, &url).await.0, 404);
    }
    let (status, e) = get(&c, &svc.url(&format!("/api/v1/dossiers/{CODE}"))).await;
    assert_eq!(status, 429, "{e}");
    assert!(
        e["error"]["citizen_message"]["vi"]
            .as_str()
            .unwrap()
            .contains("chờ một phút")
    );

    let raw = std::fs::read(dir.path().join("data/motcua.sqlite3")).unwrap();
    let raw = String::from_utf8_lossy(&raw);
    assert!(
        !raw.contains(PHONE),
        "the phone is still in the database file"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reminder_before_the_promised_time_and_an_apology_with_the_new_date_go_once() {
    let (gateway, gateway_url) = start_gateway(Gateway::default()).await;
    let dir = tempfile::tempdir().unwrap();
    let closed = format!("http://127.0.0.1:{}", free_port());
    let config = config(&closed, &gateway_url, 30, &dir.path().join("printer"))
        + r#"[notify.templates]
due_soon = "Ho so {code} hen tra ket qua luc {due}."
overdue_apology = "Xin loi ong/ba: ho so {code} tre hen. Hen moi: {new_due}."
"#;
    std::fs::write(dir.path().join("hall.toml"), config).unwrap();
    let svc = Service::start_on(dir.path());
    let c = client();
    let put = |code: &'static str, body: Value| {
        let (c, svc) = (c.clone(), &svc);
        async move {
            let (status, d) = put_dossier(&c, svc, code, &body, &counter_token(1)).await;
            assert_eq!(status, 200, "{d}");
            d
        }
    };
    let vn = |t: chrono::DateTime<chrono::Utc>| {
        t.with_timezone(&chrono_tz::Asia::Ho_Chi_Minh)
            .format("%H:%M %d/%m/%Y")
            .to_string()
    };
    let now = chrono::Utc::now();
    let due = now + chrono::Duration::hours(2);
    // Due in two hours, consent given: the reminder goes at once. Due in five hours,
    // or without consent: nothing yet.
    let consent = json!({"procedure_name": "Chứng thực bản sao", "citizen_name": NAME,
                         "phone": PHONE, "notify_consent": true, "status": "in_progress"});
    let mut soon = consent.clone();
    soon["due_at"] = json!(due);
    put(CODE, soon).await;
    let mut later = consent.clone();
    later["due_at"] = json!(now + chrono::Duration::hours(5));
    put("000.00.12.H27-261123-0043", later).await;
    let mut silent = consent.clone();
    silent["notify_consent"] = json!(false);
    silent["due_at"] = json!(now + chrono::Duration::hours(1));
    put("000.00.12.H27-261123-0044", silent).await;
    let sent = eventually(10, "the reminder reaches the gateway", || {
        let g = gateway.clone();
        async move {
            let g = g.lock().unwrap();
            (!g.accepted.is_empty()).then(|| g.accepted.values().cloned().collect::<Vec<_>>())
        }
    })
    .await;
    assert_eq!(sent.len(), 1, "{sent:?}");
    assert_eq!(sent[0]["event"], "due_soon");
    assert_eq!(sent[0]["to"], PHONE);
    assert_eq!(
        sent[0]["message"],
        format!("Ho so {CODE} hen tra ket qua luc {}.", vn(due))
    );

    // Saved again, and the service restarted (the minute's check runs at start):
    // still one reminder, and the gateway was not asked again.
    put(CODE, json!({"pickup": "Quầy 8"})).await;
    svc.stop();
    let svc = Service::start_on(dir.path());
    tokio::time::sleep(Duration::from_secs(2)).await;
    {
        let g = gateway.lock().unwrap();
        assert_eq!((g.accepted.len(), g.requests), (1, 1));
    }

    // It will be late: the hall records a new date, and the citizen gets the apology
    // with that date, once however often the dossier is saved.
    let new_due = now + chrono::Duration::days(3);
    let apology = json!({"apology": {"new_due_at": new_due, "reason": "Chờ kết quả xác minh"}});
    for _ in 0..2 {
        let (status, _) = put_dossier(&c, &svc, CODE, &apology, &counter_token(1)).await;
        assert_eq!(status, 200);
    }
    let apology = eventually(10, "the apology reaches the gateway", || {
        let g = gateway.clone();
        async move {
            let g = g.lock().unwrap();
            g.accepted
                .values()
                .find(|m| m["event"] == "overdue_apology")
                .cloned()
        }
    })
    .await;
    assert_eq!(
        apology["message"],
        format!(
            "Xin loi ong/ba: ho so {CODE} tre hen. Hen moi: {}.",
            vn(new_due)
        )
    );
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(gateway.lock().unwrap().accepted.len(), 2);
    // Staff see both in the outbox, sent.
    let outbox = staff_get(&c, &svc.url("/api/v1/outbox")).await;
    let kinds: Vec<_> = outbox
        .as_array()
        .unwrap()
        .iter()
        .map(|m| (m["kind"].as_str().unwrap(), m["sent_at"].is_string()))
        .collect();
    assert_eq!(kinds, [("overdue_apology", true), ("due_soon", true)]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_public_lookup_asks_for_the_id_digits_and_the_stream_tells_only_the_board() {
    let dir = tempfile::tempdir().unwrap();
    let closed = format!("http://127.0.0.1:{}", free_port());
    std::fs::write(
        dir.path().join("hall.toml"),
        config(&closed, &closed, 30, &dir.path().join("printer")),
    )
    .unwrap();
    let svc = Service::start_on(dir.path());
    let c = client();
    // Staff register the dossier with the citizen's CCCD at hand.
    let (status, d) = put_dossier(
        &c,
        &svc,
        CODE,
        &json!({"procedure_name": "Đăng ký kết hôn", "citizen_name": NAME,
                "status": "in_progress", "id_number": "001 234 567 890"}),
        &counter_token(1),
    )
    .await;
    assert_eq!(status, 200, "{d}");
    assert_eq!(d["id_required"], true);
    assert_eq!(
        d["id_check"],
        Value::Null,
        "not even the hash leaves the service"
    );
    assert!(!d.to_string().contains("567890"), "{d}");
    let (status, _) = put_dossier(
        &c,
        &svc,
        "000.00.12.H27-261123-0043",
        &json!({"id_number": "12345"}),
        &counter_token(1),
    )
    .await;
    assert_eq!(status, 422, "an ID number is 12, 9 or 4 digits");

    // Public: the code alone is not enough; the last 4 digits are.
    let lookup = |id: &'static str| {
        let c = c.clone();
        let url = svc.url(&format!("/api/v1/dossiers/{CODE}{id}"));
        async move { get(&c, &url).await }
    };
    let (status, e) = lookup("").await;
    assert_eq!(
        (status, e["error"]["code"].as_str()),
        (403, Some("id_required"))
    );
    assert!(
        e["error"]["citizen_message"]["vi"]
            .as_str()
            .unwrap()
            .contains("4 số cuối")
    );
    let (status, e) = lookup("?id=1111").await;
    assert_eq!(
        (status, e["error"]["code"].as_str()),
        (403, Some("id_mismatch"))
    );
    let (status, d) = lookup("?id=7890").await;
    assert_eq!(status, 200, "{d}");
    assert_eq!(d["masked_name"], "Nguyễn Thị H.");
    assert_eq!(d["procedure_name"], "Đăng ký kết hôn");
    // The kiosk's client: asked, then answered.
    let kiosk = HallClient::new(&svc.base, Some(KIOSK.into()));
    match kiosk.dossier(CODE, None).await {
        Err(motcua_client::ClientError::Refused { code, .. }) => assert_eq!(code, "id_required"),
        other => panic!("{other:?}"),
    }
    let status = kiosk.dossier(CODE, Some("7890")).await.unwrap();
    assert_eq!(status.status, "in_progress");

    // The board and the event stream (public) carry no procedure, name or dates of
    // a dossier that is not waiting for pickup: only its code and status.
    let public = public_text(&c, &svc).await;
    assert!(!public.contains("Đăng ký kết hôn"), "{public}");
    assert!(!public.contains("Nguyễn Thị"), "{public}");

    // Digits walked from many places: after 10 wrong ones within the hour this
    // dossier answers no more guesses, even a right one.
    for i in 0..9 {
        let (status, _) = get(&c, &svc.url(&format!("/api/v1/dossiers/{CODE}?id={i:04}"))).await;
        assert_eq!(status, 403);
    }
    let (status, e) = lookup("?id=7890").await;
    assert_eq!(
        (status, e["error"]["code"].as_str()),
        (429, Some("too_many_tries")),
        "{e}"
    );
}
