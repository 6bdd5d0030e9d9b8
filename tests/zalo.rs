//! The switchboard as a province would run it: the province's system, Zalo and the SMS
//! brandname provider all over HTTPS (a private CA made here), the real `motcua serve`
//! configured as the README says. A ready result reaches the citizen on Zalo; who is
//! not on Zalo gets an SMS; an expired access token is refreshed and the message tried
//! once more; the one-use refresh token survives a kill -9; quota, a bad phone, a
//! template not approved and an empty SMS balance are shown to staff in the
//! providers' words and sent once they are fixed.

mod common;

use std::path::Path;

use axum::Router;
use serde_json::{Value, json};

use common::*;
use motcua_fakes::{esms::Esms, province::Province, zalo::Zalo};

const TEMPLATE: &str = "312345";
const HALL: &str = "Trung tâm Phục vụ hành chính công xã Kiểm Thử";

fn item(code: &str, phone: &str, status: u32) -> Value {
    json!({
        "ma_ho_so": code,
        "ten_tthc": "Đăng ký khai sinh",
        "chu_ho_so": {"ho_ten": "Phạm Thị Lan", "so_dien_thoai": phone, "dong_y_nhan_tin": true},
        "ngay_hen_tra": "20301123163000",
        "trang_thai": status,
        "noi_tra_ket_qua": {"quay": "Quầy 8", "so_quay": 8}
    })
}

fn config(province: &str, zalo: &str, esms: &str, ca: &Path) -> String {
    let ca = ca.display();
    let hall = hall_config(&[]);
    format!(
        r#"{hall}
[upstream]
base_url = "{province}"
interval_seconds = 1
ca_file = "{ca}"

[notify]
channel = "zalo_zns"
retry_seconds = 1
send_hours = [0, 24]

[notify.zalo]
app_id = "4318000000000000001"
api_url = "{zalo}"
oauth_url = "{zalo}"
ca_file = "{ca}"

[notify.zalo.templates.result_ready]
template_id = "{TEMPLATE}"
data = {{ ma_ho_so = "{{code}}", noi_nhan = "{{place}}", co_quan = "{{hall}}" }}

[notify.sms]
provider = "esms"
brandname = "UBND-HOABINH"
api_url = "{esms}"
ca_file = "{ca}"
"#
    )
}

/// The outbox as staff see it: the message about `code` once `done` says so.
async fn message(svc: &Service, code: &str, what: &str, done: impl Fn(&Value) -> bool) -> Value {
    let c = client();
    eventually(20, what, || async {
        let all = get_as(&c, &svc.url("/api/v1/outbox"), ADMIN).await;
        let m = all
            .as_array()?
            .iter()
            .find(|m| m["dossier"] == code)?
            .clone();
        done(&m).then_some(m)
    })
    .await
}

fn sent(m: &Value) -> bool {
    m["sent_at"].is_string()
}

fn failed(m: &Value) -> bool {
    m["sent_at"].is_null() && m["last_error"].is_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_ready_result_reaches_the_citizen_on_zalo_or_by_sms() {
    let dir = tempfile::tempdir().unwrap();
    let pki = motcua_fakes::make_pki(&dir.path().join("pki"), &["localhost"]).unwrap();
    let province = Province::new();
    let zalo = Zalo::new(
        "first-refresh",
        &[(TEMPLATE, &["ma_ho_so", "noi_nhan", "co_quan"])],
    );
    let esms = Esms::new("UBND-HOABINH");
    let serve = |app: Router| motcua_fakes::serve_https(app, &pki);
    let province_url = serve(motcua_fakes::province::router(province.clone()))
        .await
        .unwrap();
    let zalo_url = serve(motcua_fakes::zalo::router(zalo.clone()))
        .await
        .unwrap();
    let esms_url = serve(motcua_fakes::esms::router(esms.clone()))
        .await
        .unwrap();
    let hall_dir = dir.path().join("hall");
    std::fs::create_dir_all(&hall_dir).unwrap();
    std::fs::write(
        hall_dir.join("hall.toml"),
        config(&province_url, &zalo_url, &esms_url, &pki.ca),
    )
    .unwrap();
    let env = [
        ("MOTCUA_ZALO_SECRET_KEY", "fake-zalo-app-secret"),
        ("MOTCUA_ZALO_REFRESH_TOKEN", "first-refresh"),
        ("MOTCUA_ESMS_API_KEY", "fake-esms-api-key"),
        ("MOTCUA_ESMS_SECRET_KEY", "fake-esms-secret"),
    ];
    let svc = Service::start_with_env(&hall_dir, &env);
    let change = |code: &str, phone: &str, status| {
        province.lock().unwrap().change(item(code, phone, status))
    };

    // 1. The province says the result is ready: the citizen gets the Zalo template,
    //    with the hall's words whole.
    change("000.00.12.H27-261123-0001", "0987654321", 9);
    let m = message(&svc, "000.00.12.H27-261123-0001", "sent on Zalo", sent).await;
    assert_eq!(m["channel"], "zalo", "{m}");
    let z = zalo.lock().unwrap().sent[0].clone();
    assert_eq!(z["phone"], "84987654321");
    assert_eq!(z["template_id"], TEMPLATE);
    assert_eq!(
        z["template_data"],
        json!({"ma_ho_so": "000.00.12.H27-261123-0001", "noi_nhan": "Quầy 8", "co_quan": HALL})
    );
    let tracking = z["tracking_id"].as_str().unwrap();
    assert!(
        tracking.starts_with("000.00.12.H27-261123-0001/") && tracking.len() <= 50,
        "{tracking}"
    );
    assert_eq!(zalo.lock().unwrap().refreshes, 1);

    // 2. Not on Zalo: the SMS goes, without diacritics, and staff read why.
    zalo.lock()
        .unwrap()
        .not_on_zalo
        .insert("84912000002".into());
    change("000.00.12.H27-261123-0002", "0912000002", 9);
    let m = message(&svc, "000.00.12.H27-261123-0002", "sent by SMS", sent).await;
    assert_eq!(m["channel"], "sms", "{m}");
    assert!(
        m["last_error"]
            .as_str()
            .unwrap()
            .contains("-118 Zalo account not existed"),
        "{m}"
    );
    let s = esms.lock().unwrap().sent[0].clone();
    assert_eq!(
        (
            s["Phone"].as_str(),
            s["Brandname"].as_str(),
            s["SmsType"].as_str()
        ),
        (Some("0912000002"), Some("UBND-HOABINH"), Some("2"))
    );
    let text = s["Content"].as_str().unwrap();
    assert!(
        text.contains("000.00.12.H27-261123-0002") && text.contains("Quay 8") && text.is_ascii(),
        "{text}"
    );
    assert!(s["RequestId"].as_str().unwrap().len() <= 50);

    // 3. The access token expires: refreshed, and the message tried once more.
    zalo.lock().unwrap().expire_access_token();
    change("000.00.12.H27-261123-0003", "0987654323", 9);
    let m = message(
        &svc,
        "000.00.12.H27-261123-0003",
        "sent after a refresh",
        sent,
    )
    .await;
    assert_eq!(m["channel"], "zalo");
    assert_eq!(zalo.lock().unwrap().refreshes, 2);

    // 4. kill -9, the token expires, and the service starts again with the first refresh
    //    token still in its environment: that one is spent; the kept one works.
    svc.crash();
    zalo.lock().unwrap().expire_access_token();
    let svc = Service::start_with_env(&hall_dir, &env);
    change("000.00.12.H27-261123-0004", "0987654324", 9);
    let m = message(
        &svc,
        "000.00.12.H27-261123-0004",
        "sent after a restart",
        sent,
    )
    .await;
    assert_eq!(m["channel"], "zalo");
    assert_eq!(zalo.lock().unwrap().refreshes, 3);

    // 5. Quota gone: staff read Zalo's words; it goes once there is quota again.
    zalo.lock().unwrap().quota = Some(0);
    change("000.00.12.H27-261123-0005", "0987654325", 9);
    let m = message(
        &svc,
        "000.00.12.H27-261123-0005",
        "refused for quota",
        failed,
    )
    .await;
    assert!(
        m["last_error"]
            .as_str()
            .unwrap()
            .contains("Zalo: -115 Out of quota"),
        "{m}"
    );
    zalo.lock().unwrap().quota = None;
    message(&svc, "000.00.12.H27-261123-0005", "sent with quota", sent).await;

    // 6. A template not approved (taken back by Zalo): said, and sent when approved again.
    let params = zalo.lock().unwrap().templates.remove(TEMPLATE).unwrap();
    change("000.00.12.H27-261123-0006", "0987654326", 9);
    let m = message(
        &svc,
        "000.00.12.H27-261123-0006",
        "refused template",
        failed,
    )
    .await;
    assert!(
        m["last_error"]
            .as_str()
            .unwrap()
            .contains("-109 Template ID invalid"),
        "{m}"
    );
    zalo.lock()
        .unwrap()
        .templates
        .insert(TEMPLATE.into(), params);
    message(
        &svc,
        "000.00.12.H27-261123-0006",
        "sent with the template back",
        sent,
    )
    .await;

    // 7. A landline number: Zalo says it is no phone for it, and no SMS is wasted on it.
    change("000.00.12.H27-261123-0007", "0212345678", 9);
    let m = message(&svc, "000.00.12.H27-261123-0007", "refused phone", failed).await;
    assert!(
        m["last_error"]
            .as_str()
            .unwrap()
            .contains("-108 Phone number invalid"),
        "{m}"
    );

    // 8. Not on Zalo and no SMS balance: both providers' words.
    esms.lock().unwrap().balance = Some(0);
    zalo.lock()
        .unwrap()
        .not_on_zalo
        .insert("84912000008".into());
    change("000.00.12.H27-261123-0008", "0912000008", 9);
    let m = message(&svc, "000.00.12.H27-261123-0008", "refused SMS", failed).await;
    let why = m["last_error"].as_str().unwrap();
    assert!(
        why.contains("Zalo: -118") && why.contains("SMS: eSMS 103"),
        "{why}"
    );
    esms.lock().unwrap().balance = None;
    let m = message(
        &svc,
        "000.00.12.H27-261123-0008",
        "SMS sent with balance",
        sent,
    )
    .await;
    assert_eq!(m["channel"], "sms");

    // Each message went once: five on Zalo, two by SMS.
    assert_eq!(zalo.lock().unwrap().sent.len(), 5);
    assert_eq!(esms.lock().unwrap().sent.len(), 2);
    let phones: Vec<Value> = zalo
        .lock()
        .unwrap()
        .sent
        .iter()
        .map(|m| m["phone"].clone())
        .collect();
    let unique: std::collections::BTreeSet<String> = phones.iter().map(|p| p.to_string()).collect();
    assert_eq!(phones.len(), unique.len(), "nobody told twice: {phones:?}");
}
