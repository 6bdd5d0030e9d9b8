//! Benchmarks for the hall service: `cargo bench --bench hall`.
//!
//! 1. The engine alone: deciding and applying an issue and a call with a full day's
//!    queue in memory.
//! 2. Storage: one ticket committed durably (SQLite WAL, fsync), as the service does.
//! 3. Statistics for a month of a busy hall read from the store, and a page of 200
//!    dossier changes from the province applied durably.
//! 4. The real `motcua serve` binary on loopback with many displays following the
//!    event stream: how long from a counter's call returning to each display's model
//!    (the board it draws) having the call applied.
//! 5. Tickets issued durably over HTTP by 1, 8 and 64 kiosks at once against the real
//!    binary (commands stored in groups): throughput, latency, service CPU per ticket,
//!    and a check that no number was given twice.
//!
//! Prints medians and percentiles; the machine is shared, so compare runs by ratio.

#[path = "../tests/common/mod.rs"]
mod common;

use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::Utc;
use serde_json::json;

use motcua_core::queue::{Command, Queue};
use motcua_screens::display::model::DisplayModel;
use motcua_service::config::Config;
use motcua_store::{SqliteStore, Store, StoredEvent};

fn percentile(sorted: &[f64], p: f64) -> f64 {
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

fn report(what: &str, unit: &str, mut samples: Vec<f64>) {
    samples.sort_by(f64::total_cmp);
    println!(
        "{what:<58} median {:>9.3} {unit}  p90 {:>9.3}  p99 {:>9.3}  (n = {})",
        percentile(&samples, 0.5),
        percentile(&samples, 0.9),
        percentile(&samples, 0.99),
        samples.len()
    );
}

/// The sample hall without daily limits, so a bench can issue thousands of tickets.
fn unlimited_hall() -> Arc<Config> {
    let mut config = Config::sample();
    let mut layout = (*config.layout).clone();
    layout
        .services
        .iter_mut()
        .for_each(|s| s.daily_limit = None);
    config.layout = Arc::new(layout);
    Arc::new(config)
}

fn engine() {
    let config = unlimited_hall();
    let now = Utc::now();
    let mut q = Queue::new(config.layout.clone(), now);
    // A busy super-ward's day: 1,000 tickets waiting across the lines.
    let services: Vec<String> = q.layout().services.iter().map(|s| s.code.clone()).collect();
    for i in 0..1000 {
        let cmd = Command::Issue {
            service: services[i % services.len()].clone(),
            priority: None,
        };
        q.execute(&cmd, now).unwrap();
    }
    let mut issue = Vec::new();
    let mut call = Vec::new();
    for i in 0..2000 {
        let cmd = Command::Issue {
            service: services[i % services.len()].clone(),
            priority: None,
        };
        let t = Instant::now();
        q.execute(&cmd, now).unwrap();
        issue.push(t.elapsed().as_secs_f64() * 1e6);
        let cmd = Command::Call {
            counter: (i % 8) as u32 + 1,
        };
        let t = Instant::now();
        q.execute(&cmd, now).unwrap();
        call.push(t.elapsed().as_secs_f64() * 1e6);
    }
    report("engine: issue, ~1,000 waiting", "µs", issue);
    report("engine: call next (scan of the day's tickets)", "µs", call);
}

fn storage() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(dir.path()).unwrap();
    let config = unlimited_hall();
    let now = Utc::now();
    let mut q = Queue::new(config.layout.clone(), now);
    let mut samples = Vec::new();
    for _ in 0..300 {
        let changes = q
            .decide(
                &Command::Issue {
                    service: "HT".into(),
                    priority: None,
                },
                now,
            )
            .unwrap();
        let t = Instant::now();
        store.commit(&changes).unwrap();
        samples.push(t.elapsed().as_secs_f64() * 1e3);
        changes.iter().for_each(|c| q.apply(c));
    }
    report("storage: commit one ticket durably (fsync)", "ms", samples);
}

/// A month of 1,000 tickets a day (a province-level centre), then the month's
/// statistics as the manager's page asks for them; and the province's page of 200
/// dossier changes parsed and applied, each durable.
fn statistics_and_dossiers() {
    use motcua_core::domain::{RatingSource, Satisfaction, TicketStatus};
    use motcua_core::queue::{Change, EventKind};
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(SqliteStore::open(dir.path()).unwrap());
    let config = unlimited_hall();
    let start = Utc::now() - chrono::Duration::days(30);
    let q = Queue::new(config.layout.clone(), start);
    let mut id = 0;
    for day in 0..30 {
        let now = start + chrono::Duration::days(day);
        let mut changes = Vec::new();
        for i in 0..1000u32 {
            let mut t = q
                .decide(
                    &Command::Issue {
                        service: config.layout.services[(i % 8) as usize].code.clone(),
                        priority: None,
                    },
                    now,
                )
                .unwrap()
                .pop()
                .unwrap()
                .ticket
                .unwrap();
            id += 1;
            t.id = id;
            t.seq = i + 1;
            t.status = TicketStatus::Done;
            t.counter = Some(1 + i % 8);
            t.called_at = Some(now + chrono::Duration::minutes(12));
            t.finished_at = Some(now + chrono::Duration::minutes(18));
            t.rating = (i % 3 == 0).then(|| motcua_core::domain::Rating {
                level: Satisfaction::ALL[(i % 4) as usize],
                reason: None,
                source: RatingSource::Pad,
                at: now,
            });
            changes.push(Change {
                kind: EventKind::TicketIssued,
                at: now,
                ticket: Some(t),
                counter: None,
                day: None,
                device: None,
                dossier: None,
            });
        }
        store.commit(&changes).unwrap();
    }
    let (from, to) = (
        start.date_naive(),
        (start + chrono::Duration::days(30)).date_naive(),
    );
    let mut samples = Vec::new();
    for _ in 0..20 {
        let t = Instant::now();
        let tickets = store.tickets_between(from, to).unwrap();
        let stats = motcua_core::stats::compute(
            &config.layout,
            &config.ratings.reasons,
            from,
            to,
            &tickets,
        );
        let _csv = motcua_core::stats::to_csv(&stats);
        samples.push(t.elapsed().as_secs_f64() * 1e3);
        assert_eq!(stats.hall.issued, 30_000);
    }
    report(
        "stats: a month of 30,000 tickets, JSON and CSV",
        "ms",
        samples,
    );

    // With messages on, so the reminder scan has templates to fill.
    let mut config = (*config).clone();
    let mut messages = motcua_core::message::Messages::default();
    messages
        .templates
        .insert("due_soon".into(), "Ho so {code} hen tra {due}".into());
    config.notify = Some(motcua_service::notify::Notify {
        channel: motcua_service::notify::Channel::Webhook,
        webhook: Some(motcua_service::notify::Webhook {
            url: "http://gateway.invalid/send".into(),
            auth_header: None,
            auth_env: None,
            ca_file: None,
        }),
        zalo: None,
        sms: None,
        retry_seconds: 10,
        messages,
    });
    let hall = motcua_service::hall::Hall::open(Arc::new(config), store).unwrap();
    let fields = motcua_service::config::UpstreamFields::default();
    let mut samples = Vec::new();
    for round in 0..10 {
        let items: Vec<serde_json::Value> = (0..200)
            .map(|i| {
                json!({"ma_ho_so": format!("000.00.12.H27-261123-{round:02}{i:03}"),
                       "ten_tthc": "Đăng ký khai sinh",
                       "chu_ho_so": {"ho_ten": "Nguyễn Thị Hoa", "so_dien_thoai": "0912345678", "dong_y_nhan_tin": true},
                       "ngay_hen_tra": "20261130163000", "trang_thai": if i % 2 == 0 { 4 } else { 9 }})
            })
            .collect();
        let page = json!({"cursor": format!("c{round}"), "items": items});
        let t = Instant::now();
        let (updates, _) =
            motcua_service::upstream::parse_page(&fields, &page, chrono_tz::Asia::Ho_Chi_Minh)
                .unwrap();
        let (applied, _) = motcua_service::upstream::apply(&hall, updates);
        samples.push(t.elapsed().as_secs_f64() * 1e3);
        assert_eq!(applied, 200);
    }
    report(
        "upstream: a page of 200 dossier changes applied (fsync each)",
        "ms",
        samples,
    );

    // The minute's reminder check over the 2,000 dossiers above (1,000 still in
    // progress, all due 30/11 16:30): the first writes 1,000 reminders, later ones
    // find them written and add nothing — the usual case, every minute.
    let before_due = chrono::DateTime::parse_from_rfc3339("2026-11-30T15:30:00+07:00")
        .unwrap()
        .with_timezone(&Utc);
    let t = Instant::now();
    assert_eq!(hall.send_reminders(before_due).unwrap(), 1000);
    report(
        "reminders: first check, 1,000 of 2,000 open dossiers due soon",
        "ms",
        vec![t.elapsed().as_secs_f64() * 1e3],
    );
    let mut samples = Vec::new();
    for _ in 0..20 {
        let t = Instant::now();
        assert_eq!(hall.send_reminders(before_due).unwrap(), 0);
        samples.push(t.elapsed().as_secs_f64() * 1e3);
    }
    report(
        "reminders: the minute's check, 2,000 open dossiers, none new",
        "ms",
        samples,
    );
}

async fn fan_out(displays: usize, calls: usize) {
    let dir = tempfile::tempdir().unwrap();
    let svc = common::Service::start(dir.path(), &common::hall_config(&[]));
    let c = common::client();
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<(u64, Instant)>();
    let mut readers = Vec::new();
    for _ in 0..displays {
        // Each display: the board, then the stream, each event applied to its model.
        let (_, board) = common::get(&c, &svc.url("/api/v1/board")).await;
        let mut model = DisplayModel::new(serde_json::from_value(board).unwrap());
        let mut reader = common::SseReader::open(&c, &svc.url("/api/v1/events"), None).await;
        let tx = tx.clone();
        readers.push(tokio::spawn(async move {
            loop {
                let e = reader.next(Duration::from_secs(60)).await;
                let event: StoredEvent = serde_json::from_value(e.data).unwrap();
                model.apply(&event);
                if e.event == "ticket.called" && tx.send((event.id, Instant::now())).is_err() {
                    break;
                }
            }
        }));
    }
    drop(tx);
    let mut issue_ms = Vec::new();
    let mut after_send = Vec::new();
    let mut after_return = Vec::new();
    let mut slowest = Vec::new();
    let cpu_before = svc.cpu_time();
    for _ in 0..calls {
        let t = Instant::now();
        common::post(
            &c,
            &svc.url("/api/v1/tickets"),
            common::KIOSK,
            Some(json!({"service": "HT"})),
        )
        .await;
        issue_ms.push(t.elapsed().as_secs_f64() * 1e3);
        let sent = Instant::now();
        let (status, _) =
            common::post(&c, &svc.url("/api/v1/counters/1/call"), common::ADMIN, None).await;
        assert_eq!(status, 200);
        let returned = Instant::now();
        let mut worst: f64 = 0.0;
        for _ in 0..displays {
            let (_, at) = rx.recv().await.unwrap();
            // The event often beats the HTTP answer to its client: that counts as zero.
            let ms = at.saturating_duration_since(returned).as_secs_f64() * 1e3;
            after_return.push(ms);
            worst = worst.max(ms);
            after_send.push((at - sent).as_secs_f64() * 1e3);
        }
        slowest.push(worst);
    }
    let cpu = (svc.cpu_time() - cpu_before).as_secs_f64() * 1e3 / calls as f64;
    println!(
        "service CPU per issue + call with {displays} displays following: {cpu:.2} ms \
         (user + system, /proc; 10 ms ticks over {calls} rounds)"
    );
    report("http: issue a ticket (loopback, durable)", "ms", issue_ms);
    report(
        &format!("display: call sent → its model updated ({displays} displays)"),
        "ms",
        after_send,
    );
    report(
        &format!("display: call returned → its model updated ({displays} displays)"),
        "ms",
        after_return,
    );
    report(
        &format!("display: call returned → the last of {displays} models updated"),
        "ms",
        slowest,
    );
    readers.iter().for_each(|r| r.abort());
}

/// `clients` kiosks taking tickets as fast as the service answers, for `secs`.
async fn issuing(clients: usize, secs: u64) {
    let dir = tempfile::tempdir().unwrap();
    let svc = common::Service::start(dir.path(), &common::hall_config(&[]));
    let url = svc.url("/api/v1/tickets");
    let cpu_before = svc.cpu_time();
    let started = Instant::now();
    let until = started + Duration::from_secs(secs);
    let mut kiosks = Vec::new();
    for k in 0..clients {
        let url = url.clone();
        kiosks.push(tokio::spawn(async move {
            let c = common::client();
            let service = ["HT", "DD"][k % 2];
            let mut got = Vec::new();
            while Instant::now() < until {
                let t = Instant::now();
                let res = c
                    .post(&url)
                    .bearer_auth(common::KIOSK)
                    .json(&json!({"service": service}))
                    .send()
                    .await
                    .unwrap();
                assert_eq!(res.status(), 201);
                let ticket: serde_json::Value = res.json().await.unwrap();
                got.push((
                    t.elapsed().as_secs_f64() * 1e3,
                    ticket["number"].as_str().unwrap().to_owned(),
                ));
            }
            got
        }));
    }
    let mut latencies = Vec::new();
    let mut numbers = std::collections::HashSet::new();
    for k in kiosks {
        for (ms, number) in k.await.unwrap() {
            latencies.push(ms);
            assert!(
                numbers.insert(number.clone()),
                "number {number} issued twice"
            );
        }
    }
    let elapsed = started.elapsed().as_secs_f64();
    let cpu = svc.cpu_time() - cpu_before;
    let n = latencies.len();
    println!(
        "issue, {clients:>2} clients: {:>6.0} tickets/s, service CPU {:.3} ms per ticket, no number twice (n = {n})",
        n as f64 / elapsed,
        cpu.as_secs_f64() * 1e3 / n as f64
    );
    report(
        &format!("issue, {clients} clients: latency"),
        "ms",
        latencies,
    );
}

fn main() {
    // `cargo bench --bench hall -- issuing` runs only the parts named.
    let only: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with("--"))
        .collect();
    let part = |name: &str| only.is_empty() || only.iter().any(|o| o == name);
    let rt = tokio::runtime::Runtime::new().unwrap();
    if part("engine") {
        engine();
    }
    if part("storage") {
        storage();
    }
    if part("statistics") {
        statistics_and_dossiers();
    }
    if part("fan_out") {
        rt.block_on(fan_out(10, 200));
        rt.block_on(fan_out(500, 100));
    }
    if part("issuing") {
        for clients in [1, 8, 64] {
            rt.block_on(issuing(clients, 5));
        }
    }
}
