//! HTTPS everywhere, on loopback: a province system and an SMS gateway that speak only
//! HTTPS with certificates from a private CA made here (as a province's network has),
//! the real `motcua serve` serving HTTPS itself, and a kiosk's client. With the CA
//! given, the dossier arrives, the message goes and the kiosk takes a ticket; without
//! it, each says the issuer is unknown, and nothing is sent in the clear instead.

mod common;

use std::path::Path;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::extract::State;
use axum::routing;
use serde_json::{Value, json};

use common::*;
use motcua_client::{ClientError, HallClient};
use motcua_fakes::Pki;

const CODE: &str = "000.00.12.H27-261123-0077";

fn make_pki(dir: &Path, names: &[&str]) -> Pki {
    motcua_fakes::make_pki(dir, names).unwrap()
}

async fn serve_https(app: Router, pki: &Pki) -> String {
    motcua_fakes::serve_https(app, pki).await.unwrap()
}

/// The province's answer: one dossier whose result is ready, the citizen agreed to messages.
async fn changes() -> axum::Json<Value> {
    axum::Json(json!({
        "cursor": "c1",
        "items": [{
            "ma_ho_so": CODE,
            "ten_tthc": "Đăng ký khai sinh",
            "chu_ho_so": {"ho_ten": "Phạm Thị Lan", "so_dien_thoai": "0987654321", "dong_y_nhan_tin": true},
            "ngay_hen_tra": "20301123163000",
            "trang_thai": 9,
            "noi_tra_ket_qua": {"quay": "Quầy 8", "so_quay": 8}
        }]
    }))
}

async fn send(State(sent): State<Arc<Mutex<Vec<Value>>>>, axum::Json(body): axum::Json<Value>) {
    sent.lock().unwrap().push(body);
}

fn config(province: &str, gateway: &str, ca: Option<&Path>) -> String {
    let ca = ca
        .map(|p| format!("ca_file = {:?}\n", p.display().to_string()))
        .unwrap_or_default();
    format!(
        "{}\n[upstream]\nbase_url = \"{province}\"\ninterval_seconds = 1\ntimeout_seconds = 2\n{ca}\
         \n[notify]\nwebhook_url = \"{gateway}/send\"\nretry_seconds = 1\nsend_hours = [0, 24]\n{ca}",
        hall_config(&[])
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn https_to_the_province_the_gateway_and_the_hall_service() {
    let dir = tempfile::tempdir().unwrap();
    let pki = make_pki(dir.path(), &["localhost", "127.0.0.1"]);
    let province = serve_https(Router::new().route("/changes", routing::get(changes)), &pki).await;
    let sent = Arc::new(Mutex::new(Vec::new()));
    let gateway = serve_https(
        Router::new()
            .route("/send", routing::post(send))
            .with_state(sent.clone()),
        &pki,
    )
    .await;

    // The hall with the province's CA, serving HTTPS itself with a certificate of the same CA.
    let hall_dir = dir.path().join("hall");
    std::fs::create_dir_all(&hall_dir).unwrap();
    std::fs::write(
        hall_dir.join("hall.toml"),
        config(&province, &gateway, Some(&pki.ca)),
    )
    .unwrap();
    let cert = pki.cert.display().to_string();
    let key = pki.key.display().to_string();
    let svc = Service::start_with_env(
        &hall_dir,
        &[("MOTCUA_TLS_CERT", &cert), ("MOTCUA_TLS_KEY", &key)],
    );
    assert!(svc.base.starts_with("https://"), "{}", svc.base);
    let base = svc.base.replace("127.0.0.1", "localhost");

    // A kiosk given the CA takes a ticket over HTTPS; one without it is told why not.
    let kiosk = HallClient::connect(&base, Some(KIOSK.into()), Some(&pki.ca)).unwrap();
    let ticket = kiosk.issue("HT", None).await.unwrap();
    assert_eq!(ticket.ticket.number, "A001");
    match HallClient::new(&base, Some(KIOSK.into()))
        .issue("HT", None)
        .await
    {
        Err(ClientError::Unreachable(why)) => assert!(why.contains("unknown issuer"), "{why}"),
        other => panic!("a kiosk without the CA got {other:?}"),
    }
    // A plain-http client gets no answer from the https port.
    let plain = HallClient::new(&base.replace("https://", "http://"), Some(KIOSK.into()));
    assert!(plain.issue("HT", None).await.is_err());

    // The province's dossier arrives over HTTPS, and the message leaves over HTTPS.
    let staff = motcua_net::client(&motcua_net::Options {
        ca_file: Some(pki.ca.clone()),
        ..motcua_net::Options::default()
    })
    .unwrap();
    let link: Value = eventually(10, "the province answers over https", || async {
        let v: Value = staff
            .get(format!("{base}/api/v1/upstream"))
            .bearer_auth(ADMIN)
            .send()
            .await
            .ok()?
            .json()
            .await
            .ok()?;
        (v["last_success_at"].is_string() && v["applied"].as_u64() >= Some(1)).then_some(v)
    })
    .await;
    assert!(link["last_error"].is_null(), "{link}");
    let message = eventually(10, "the gateway gets the message over https", || {
        let sent = sent.clone();
        async move { sent.lock().unwrap().first().cloned() }
    })
    .await;
    assert_eq!(message["to"], "0987654321");
    assert_eq!(message["dossier"], CODE);

    // The same hall without the CA: the province and the gateway are refused, and
    // staff read why.
    let other_dir = dir.path().join("other");
    std::fs::create_dir_all(&other_dir).unwrap();
    std::fs::write(
        other_dir.join("hall.toml"),
        config(&province, &gateway, None),
    )
    .unwrap();
    let other = Service::start_with_env(&other_dir, &[]);
    let c = client();
    let link: Value = eventually(10, "the failed pull is recorded", || async {
        let v = get_as(&c, &other.url("/api/v1/upstream"), ADMIN).await;
        v["last_error"].is_string().then_some(v)
    })
    .await;
    let why = link["last_error"].as_str().unwrap();
    assert!(
        why.contains("unknown issuer") && why.contains("ca_file"),
        "{why}"
    );
    let put = c
        .put(other.url(&format!("/api/v1/dossiers/{CODE}-X")))
        .bearer_auth(ADMIN)
        .json(
            &json!({"procedure_name": "Đăng ký khai sinh", "citizen_name": "Phạm Thị Lan",
                      "phone": "0912345678", "notify_consent": true, "status": "result_ready"}),
        )
        .send()
        .await
        .unwrap();
    assert!(put.status().is_success(), "{}", put.status());
    let outbox: Value = eventually(10, "the refused message shows why", || async {
        let v = get_as(&c, &other.url("/api/v1/outbox"), ADMIN).await;
        let first = v.as_array()?.first()?.clone();
        first["last_error"].is_string().then_some(first)
    })
    .await;
    let why = outbox["last_error"].as_str().unwrap();
    assert!(why.contains("unknown issuer"), "{why}");
    assert!(outbox["sent_at"].is_null());
    assert_eq!(
        sent.lock().unwrap().len(),
        1,
        "nothing more reached the gateway"
    );

    // check-config tries both once and says what it found, with and without the CA.
    let check = |dir: &Path| {
        let out = motcua([
            std::ffi::OsStr::new("check-config"),
            dir.join("hall.toml").as_os_str(),
        ]);
        assert!(out.status.success(), "{out:?}");
        String::from_utf8(out.stdout).unwrap()
    };
    let with_ca = check(&hall_dir);
    assert!(
        with_ca.contains(&format!("province system {province}: answers (HTTP"))
            && with_ca.contains(&format!("notifications {gateway}/send: answers (HTTP")),
        "{with_ca}"
    );
    assert!(
        with_ca.contains("(https, the system's certificates and "),
        "{with_ca}"
    );
    let without = check(&other_dir);
    assert!(
        without.contains(&format!("province system {province}: NOT reached: "))
            && without.contains("unknown issuer"),
        "{without}"
    );

    // A renewed certificate (from a new CA, to tell them apart) is taken up without a
    // restart when its files change; connections made after it use it.
    let renewed = make_pki(&dir.path().join("renewed"), &["localhost", "127.0.0.1"]);
    std::fs::copy(&renewed.key, &pki.key).unwrap();
    std::fs::copy(&renewed.cert, &pki.cert).unwrap();
    let kiosk = HallClient::connect(&base, Some(KIOSK.into()), Some(&renewed.ca)).unwrap();
    let ticket = eventually(20, "the service serves the renewed certificate", || async {
        kiosk.issue("HT", None).await.ok()
    })
    .await;
    assert_eq!(ticket.ticket.number, "A002");
    let old = HallClient::connect(&base, Some(KIOSK.into()), Some(&pki.ca)).unwrap();
    assert!(
        old.issue("HT", None).await.is_err(),
        "the old certificate is gone"
    );
}

#[tokio::test]
async fn a_certificate_for_another_name_is_refused_by_name() {
    let dir = tempfile::tempdir().unwrap();
    let pki = make_pki(dir.path(), &["motcua.example.gov.vn"]);
    let province = serve_https(Router::new().route("/changes", routing::get(changes)), &pki).await;
    let client = HallClient::connect(&province, None, Some(&pki.ca)).unwrap();
    match client.hall().await {
        Err(ClientError::Unreachable(why)) => assert!(why.contains("name mismatch"), "{why}"),
        other => panic!("{other:?}"),
    }
}
