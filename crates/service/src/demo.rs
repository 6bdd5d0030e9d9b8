//! The demo hall: demo tokens for every role, a few dossiers on its first start, and
//! what to try printed on the terminal.

use std::net::SocketAddr;

use crate::config::{Config, Role, Token};
use crate::hall::Hall;
use motcua_core::dossier::{DossierStatus, DossierUpdate};

/// Adds the demo's well-known tokens: `demo-admin`, `demo-kiosk`, `demo-counter-N`.
pub fn add_tokens(config: &mut Config) {
    let token = |token: &str, role, counter| Token {
        token: token.into(),
        role,
        name: token.into(),
        counter,
        series: None,
        tickets_per_minute: crate::config::DEFAULT_TICKETS_PER_MINUTE,
    };
    config.tokens.push(token("demo-admin", Role::Admin, None));
    // The demo kiosk's own series: the first `K1`, `K2`, … no listed kiosk has.
    let series = (1..)
        .map(|n| format!("K{n}"))
        .find(|s| config.tokens.iter().all(|t| t.series.as_ref() != Some(s)));
    config.tokens.push(Token {
        series,
        ..token("demo-kiosk", Role::Kiosk, None)
    });
    let counters: Vec<u32> = config.layout.counters.iter().map(|c| c.id).collect();
    for id in counters {
        let name = format!("demo-counter-{id}");
        config.tokens.push(token(&name, Role::Counter, Some(id)));
    }
}

/// The demo's in-progress dossier belongs to this (made-up) ID card number.
const DEMO_ID_NUMBER: &str = "001090001234";

/// A few dossiers for the demo's first start: one whose result waits at Quầy 8 (the
/// display lists it; the kiosk's lookup offers a return ticket), one in progress,
/// one overdue (the counter page shows it).
pub fn seed_dossiers(hall: &Hall) {
    if hall.store().dossiers(false, 1).is_ok_and(|d| !d.is_empty()) {
        return;
    }
    // Whole minutes, as a person would write a due date.
    let now = {
        use chrono::DurationRound;
        let now = chrono::Utc::now();
        now.duration_trunc(chrono::Duration::minutes(1))
            .unwrap_or(now)
    };
    let day = |n: i64| Some(now + chrono::Duration::days(n));
    let today = now
        .with_timezone(&hall.config().layout.hall.time_zone)
        .format("%y%m%d");
    let seeds = [
        (
            format!("000.00.12.H27-{today}-0042"),
            "Đăng ký khai sinh",
            "Nguyễn Thị Hoa",
            DossierStatus::ResultReady,
            day(0),
        ),
        (
            format!("000.00.12.H27-{today}-0043"),
            "Chứng thực bản sao từ bản chính",
            "Trần Văn Ánh",
            DossierStatus::InProgress,
            day(2),
        ),
        (
            format!("000.00.12.H27-{today}-0007"),
            "Cấp Giấy xác nhận tình trạng hôn nhân",
            "Lò Văn Ửng",
            DossierStatus::InProgress,
            day(-1),
        ),
    ];
    for (code, procedure, name, status, due) in seeds {
        // One dossier has the citizen's ID card on file: the kiosk asks for its last
        // 4 digits (the demo says which).
        let id_number = code.ends_with("-0043").then(|| DEMO_ID_NUMBER.to_owned());
        let update = DossierUpdate {
            id_number,
            code: code.clone(),
            procedure_name: Some(procedure.into()),
            citizen_name: Some(name.into()),
            status: Some(status),
            due_at: due,
            pickup: (status == DossierStatus::ResultReady).then(|| "Quầy 8".into()),
            pickup_counter: (status == DossierStatus::ResultReady).then_some(8),
            ..DossierUpdate::default()
        };
        if let Err(e) = hall.save_dossier(&update, "demo", now) {
            tracing::warn!("demo dossier {code} not added: {e}");
        }
    }
}

pub fn print_help(addr: SocketAddr, hall: &Hall) {
    let base = format!("http://{addr}");
    let first = hall
        .config()
        .layout
        .services
        .first()
        .map_or("HT", |s| s.code.as_str())
        .to_owned();
    let counter = hall
        .config()
        .layout
        .counters
        .iter()
        .find(|c| c.services.contains(&first))
        .map_or(1, |c| c.id);
    println!(
        "\n{name} (demo)\n\
         Follow the queue live:   curl -N {base}/api/v1/events\n\
         Take a ticket:           curl -H 'Authorization: Bearer demo-kiosk' -H 'Content-Type: application/json' \\\n\
         \x20                          -d '{{\"service\":\"{first}\"}}' {base}/api/v1/tickets\n\
         Call it at counter {counter}:    curl -X POST -H 'Authorization: Bearer demo-counter-{counter}' {base}/api/v1/counters/{counter}/call\n\
         The board:               curl {base}/api/v1/board\n\
         API description:         {base}/api/v1/openapi.json\n\
         Tokens: demo-admin, demo-kiosk, demo-counter-N. Stop with Ctrl+C or by closing the kiosk window.",
        name = hall.config().layout.hall.name,
    );
    if let Some(d) = hall.read(|q| q.results().first().map(|d| d.code.clone())) {
        println!(
            "A result waits for pickup: type {d} in the kiosk's \"Tra cứu hồ sơ\" (or scan it)."
        );
        let asks = d.replace("-0042", "-0043");
        if let Ok(Some(a)) = hall.store().dossier(&asks)
            && a.id_check.is_some()
        {
            println!(
                "Dossier {asks} is in progress; the kiosk asks for the ID card's last 4 digits: {}.",
                &DEMO_ID_NUMBER[DEMO_ID_NUMBER.len() - 4..]
            );
        }
        println!();
    }
}
