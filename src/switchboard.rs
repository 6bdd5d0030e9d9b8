//! `motcua demo --switchboard`: the demo hall with the world outside it faked on
//! loopback — the province's one-stop system, Zalo (ZNS and the OA's OAuth) and an
//! eSMS brandname account, all over HTTPS with a CA made for the demo — configured
//! exactly as a real hall's `[upstream]` and `[notify]` would be. Two dossiers become
//! ready in the province's system within a minute; the display lists them and the
//! messages they cause are shown on this terminal as the fakes receive them.

use std::path::Path;
use std::time::Duration;

use anyhow::{Context, Result};
use serde_json::{Value, json};

use motcua_fakes::{esms, province, zalo};
use motcua_service::config::Config;

const TEMPLATE: &str = "312345";
const BRANDNAME: &str = "UBND-DEMO";
const ON_ZALO: &str = "0987654321";
const NOT_ON_ZALO: &str = "0912000002";

/// The secrets a real hall keeps in the service's environment. Sets them for this
/// process, so it must run before any other thread starts.
pub fn set_secrets() {
    let zalo = zalo::Zalo::new("", &[]);
    let esms = esms::Esms::new("");
    let (zalo, esms) = (zalo.lock().unwrap(), esms.lock().unwrap());
    // A new first refresh token each run: the fake Zalo starts afresh, and a token
    // the hall kept from an earlier run must give way to it as to a new authorisation.
    let refresh = format!("demo-refresh-{}", std::process::id());
    for (name, value) in [
        ("MOTCUA_ZALO_SECRET_KEY", zalo.secret_key.as_str()),
        ("MOTCUA_ZALO_REFRESH_TOKEN", refresh.as_str()),
        ("MOTCUA_ESMS_API_KEY", esms.api_key.as_str()),
        ("MOTCUA_ESMS_SECRET_KEY", esms.secret_key.as_str()),
    ] {
        // SAFETY: called from `main` before the runtime, the windows or any other
        // thread exist, so nothing reads the environment concurrently.
        unsafe { std::env::set_var(name, value) };
    }
}

/// The running fakes.
pub struct Fakes {
    province: province::Shared,
    zalo: zalo::Shared,
    esms: esms::Shared,
}

/// Starts the fakes with a CA in `dir`, and points `config`'s `[upstream]` and
/// `[notify]` at them, as the README's walk-through writes them.
pub async fn start(dir: &Path, config: &mut Config) -> Result<Fakes> {
    let pki = motcua_fakes::make_pki(&dir.join("pki"), &["localhost"])
        .context("cannot make the demo's certificates")?;
    let refresh = std::env::var("MOTCUA_ZALO_REFRESH_TOKEN").unwrap_or_default();
    let fakes = Fakes {
        province: province::Province::new(),
        zalo: zalo::Zalo::new(
            &refresh,
            &[(TEMPLATE, &["ma_ho_so", "noi_nhan", "co_quan"])],
        ),
        esms: esms::Esms::new(BRANDNAME),
    };
    fakes
        .zalo
        .lock()
        .unwrap()
        .not_on_zalo
        .insert(format!("84{}", &NOT_ON_ZALO[1..]));
    let province =
        motcua_fakes::serve_https(province::router(fakes.province.clone()), &pki).await?;
    let zalo = motcua_fakes::serve_https(zalo::router(fakes.zalo.clone()), &pki).await?;
    let esms = motcua_fakes::serve_https(esms::router(fakes.esms.clone()), &pki).await?;
    let app_id = fakes.zalo.lock().unwrap().app_id.clone();
    let ca = pki.ca.display();
    let sections = format!(
        r#"
[upstream]
base_url = "{province}"
interval_seconds = 5
ca_file = "{ca}"

[notify]
channel = "zalo_zns"
send_hours = [0, 24]

[notify.zalo]
app_id = "{app_id}"
api_url = "{zalo}"
oauth_url = "{zalo}"
ca_file = "{ca}"

[notify.zalo.templates.result_ready]
template_id = "{TEMPLATE}"
data = {{ ma_ho_so = "{{code}}", noi_nhan = "{{place}}", co_quan = "{{hall}}" }}

[notify.sms]
provider = "esms"
brandname = "{BRANDNAME}"
api_url = "{esms}"
ca_file = "{ca}"
"#
    );
    let faked = Config::parse(
        &format!("{}\n{sections}", motcua_core::layout::SAMPLE_CONFIG),
        "the demo's switchboard",
    )?;
    config.upstream = faked.upstream;
    config.notify = faked.notify;
    println!(
        "Switchboard: fakes of the province's system ({province}), Zalo ({zalo}) and eSMS \
         ({esms}) over HTTPS, trusting {ca}; the hall is configured for them like this:{sections}"
    );
    Ok(fakes)
}

/// Two of the province's dossiers: in progress now, ready within a minute (one
/// citizen on Zalo, one not); and every message the fakes receive, printed.
pub async fn run(fakes: Fakes, time_zone: chrono_tz::Tz) {
    let now = chrono::Utc::now().with_timezone(&time_zone);
    // Numbers the demo's own dossiers do not use, a new pair every half minute, so
    // each run has its own.
    let number = 1000 + 2 * (now.timestamp() / 30 % 4000) as u32;
    let code = |n: u32| format!("000.00.12.H27-{}-{n:04}", now.format("%y%m%d"));
    let item = |code: &str, name: &str, phone: &str, status: u32| {
        json!({
            "ma_ho_so": code,
            "ten_tthc": "Cấp phiếu lý lịch tư pháp",
            "chu_ho_so": {"ho_ten": name, "so_dien_thoai": phone, "dong_y_nhan_tin": true},
            "ngay_hen_tra": (now + chrono::Duration::days(2)).format("%Y%m%d170000").to_string(),
            "trang_thai": status,
            "noi_tra_ket_qua": {"quay": "Quầy 8", "so_quay": 8}
        })
    };
    let citizens = [
        (code(number), "Lê Thị Mai", ON_ZALO),
        (code(number + 1), "Đỗ Văn Hùng", NOT_ON_ZALO),
    ];
    for (code, name, phone) in &citizens {
        fakes
            .province
            .lock()
            .unwrap()
            .change(item(code, name, phone, 4));
    }
    println!(
        "Switchboard: dossiers {} and {} are in progress at the province; their results \
         become ready in 20 and 40 seconds.",
        citizens[0].0, citizens[1].0
    );
    let (mut zalo_seen, mut sms_seen) = (0, 0);
    for second in 1u32.. {
        tokio::time::sleep(Duration::from_secs(1)).await;
        if let Some((code, name, phone)) = match second {
            20 => Some(&citizens[0]),
            40 => Some(&citizens[1]),
            _ => None,
        } {
            println!("Switchboard: the province marks {code} ready (trạng thái 9).");
            fakes
                .province
                .lock()
                .unwrap()
                .change(item(code, name, phone, 9));
        }
        for m in new_since(&fakes.zalo.lock().unwrap().sent, &mut zalo_seen) {
            println!(
                "Zalo → {}: template {} {}",
                m["phone"].as_str().unwrap_or("?"),
                m["template_id"].as_str().unwrap_or("?"),
                m["template_data"]
            );
        }
        for m in new_since(&fakes.esms.lock().unwrap().sent, &mut sms_seen) {
            println!(
                "SMS {} → {}: {}",
                m["Brandname"].as_str().unwrap_or("?"),
                m["Phone"].as_str().unwrap_or("?"),
                m["Content"].as_str().unwrap_or("?")
            );
        }
    }
}

fn new_since(all: &[Value], seen: &mut usize) -> Vec<Value> {
    let new = all.get(*seen..).unwrap_or_default().to_vec();
    *seen = all.len();
    new
}
