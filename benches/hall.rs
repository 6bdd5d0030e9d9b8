//! Benchmarks for the hall service: `cargo bench --bench hall`.
//!
//! 1. The engine alone: deciding and applying an issue and a call with a full day's
//!    queue in memory.
//! 2. Storage: one ticket committed durably (SQLite WAL, fsync), as the service does.
//! 3. The real `motcua serve` binary on loopback with many displays following the
//!    event stream: how long from a counter's call returning to each display's model
//!    (the board it draws) having the call applied.
//!
//! Prints medians and percentiles; the machine is shared, so compare runs by ratio.

#[path = "../tests/common/mod.rs"]
mod common;

use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::Utc;
use serde_json::json;

use motcua::config::Config;
use motcua::display::model::DisplayModel;
use motcua::queue::{Command, Queue};
use motcua::store::{SqliteStore, Store, StoredEvent};

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
    config
        .services
        .iter_mut()
        .for_each(|s| s.daily_limit = None);
    Arc::new(config)
}

fn engine() {
    let config = unlimited_hall();
    let now = Utc::now();
    let mut q = Queue::new(config, now);
    // A busy super-ward's day: 1,000 tickets waiting across the lines.
    let services: Vec<String> = q.config().services.iter().map(|s| s.code.clone()).collect();
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
    let mut q = Queue::new(config, now);
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

fn main() {
    // `cargo bench` passes `--bench`; any other argument filters nothing here.
    engine();
    storage();
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(fan_out(10, 200));
    rt.block_on(fan_out(500, 100));
}
