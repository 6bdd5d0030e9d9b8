//! A commune with a bad network: the hall service killed under the kiosk, the real
//! kiosk app giving tickets from its journal, the service back, every ticket placed
//! in the queue once — also the one a kiosk had sent just before it died.

mod common;

use std::time::{Duration, Instant};

use chrono::{TimeZone, Utc};
use chrono_tz::Asia::Ho_Chi_Minh;
use serde_json::{Value, json};
use slint::ComponentHandle;

use common::*;
use motcua_client::journal::Journal;
use motcua_screens::ui::{KioskAdapter, Screen};

/// The numbers waiting at counter 1 (lines HT and CT), in the order it will call them.
fn queue(rt: &tokio::runtime::Runtime, svc: &Service) -> Vec<String> {
    let c = client();
    let url = svc.url("/api/v1/counters/1/queue");
    let list: Value = rt.block_on(async { get(&c, &url).await.1 });
    list.as_array()
        .unwrap()
        .iter()
        .map(|t| t["number"].as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn the_service_away_the_kiosk_gives_tickets_and_each_joins_the_queue_once() {
    i_slint_backend_testing::init_integration_test_with_system_time();
    let dir = tempfile::tempdir().unwrap();
    let svc = Service::start(dir.path(), &hall_config(&[]));
    let port: u16 = svc.base.rsplit(':').next().unwrap().parse().unwrap();
    let rt = tokio::runtime::Runtime::new().unwrap();

    // A kiosk that died while sending its journal: two tickets given out while the
    // service was away; the service took the first, but the kiosk died before it
    // could write that down.
    let now = Utc::now();
    let local = now.with_timezone(&Ho_Chi_Minh);
    let midnight = Ho_Chi_Minh
        .from_local_datetime(&local.date_naive().and_hms_opt(0, 0, 0).unwrap())
        .unwrap()
        .with_timezone(&Utc);
    let at = |minutes| (now - chrono::Duration::minutes(minutes)).max(midnight);
    let journal_path = svc.dir.join("kiosk-state/journal.jsonl");
    {
        let mut j = Journal::open(&journal_path).unwrap();
        let day = local.date_naive();
        let first = j.issue(day, "K1", "A", "HT", None, at(10)).unwrap();
        j.issue(day, "K1", "A", "HT", None, at(5)).unwrap();
        let body = json!({"service": "HT", "seq": first.seq, "issued_at": first.issued_at});
        let url = svc.url("/api/v1/tickets/offline");
        let (status, _) = rt.block_on(post(&client(), &url, KIOSK, Some(body)));
        assert_eq!(status, 201);
    }
    // A citizen took a ticket the usual way meanwhile.
    assert_eq!(rt.block_on(svc.take(&client(), "HT")).1["number"], "A001");

    let kiosk = start_kiosk(&svc, &rt);
    let (c, url) = (client(), svc.url("/api/v1/counters/1/queue"));
    let reached = drive(1, move |step| {
        let list = rt_block(&c, &url);
        if list.as_array().is_some_and(|l| l.len() == 3) {
            1
        } else {
            step
        }
    });
    assert_eq!(reached, 1, "the kiosk never sent its journal");
    assert_eq!(queue(&rt, &svc), ["A-K1-001", "A-K1-002", "A001"]);

    // The service dies (kill -9). The citizen chooses a line as always, and after a
    // few seconds of the service not answering the kiosk gives its own ticket, on
    // paper, and says so.
    svc.crash();
    let (ui, sim) = (&kiosk.ui, kiosk.paper.clone());
    let weak = ui.as_weak();
    let started = Instant::now();
    let waited = std::rc::Rc::new(std::cell::Cell::new(Duration::ZERO));
    let w = waited.clone();
    let reached = drive(3, move |step| {
        let ui = weak.unwrap();
        let a = ui.global::<KioskAdapter>();
        match step {
            0 if a.get_screen() == Screen::Home && tap(&ui, "Hộ tịch") => 1,
            1 if a.get_screen() == Screen::Priority && tap(&ui, "Không – lấy số thường") => {
                2
            }
            2 if a.get_screen() == Screen::Ticket
                && a.get_ticket().offline
                && !sim.lock().unwrap().sheets().is_empty() =>
            {
                w.set(started.elapsed());
                3
            }
            other => other,
        }
    });
    assert_eq!(reached, 3, "the citizen got stuck at step {reached}");
    let a = ui.global::<KioskAdapter>();
    assert_eq!(a.get_ticket().number, "A-K1-003");
    let shown = shown_texts(ui);
    assert!(
        shown
            .iter()
            .any(|t| t.contains("được cấp khi hệ thống mất kết nối")),
        "{shown:?}"
    );
    assert!(
        waited.get() < Duration::from_secs(12),
        "the citizen waited {:?}",
        waited.get()
    );
    // The paper says it too (its picture is kept for a person to look at).
    let sheet = kiosk.paper.lock().unwrap().sheets().last().unwrap().clone();
    let out = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target/tickets");
    std::fs::create_dir_all(&out).unwrap();
    sheet
        .to_image()
        .save(out.join("kiosk-offline-ticket.png"))
        .unwrap();
    {
        // The number as the ticket's layout draws it, whole on one line.
        use motcua_hardware::printer::raster::{Align, Weight, one_line_px, text};
        let px = one_line_px("A-K1-003", 150.0, Weight::Bold, 576 - 32);
        let big = text("A-K1-003", px, Weight::Bold, Align::Center, 576 - 32);
        let inked = |y| (0..big.width()).any(|x| big.get(x, y));
        let top = (0..big.height()).find(|&y| inked(y)).unwrap();
        let bottom = (0..big.height()).rev().find(|&y| inked(y)).unwrap() + 1;
        assert!(
            sheet.contains(&big.crop_rows(top, bottom), 0),
            "A-K1-003 is not on the paper"
        );
    }
    // On disk before it was shown: a kiosk that dies now still has it.
    let kept = Journal::open(&journal_path).unwrap().pending();
    assert_eq!(
        kept.iter().map(|t| t.number.as_str()).collect::<Vec<_>>(),
        ["A-K1-003"]
    );

    // The service comes back where the kiosk expects it; within seconds the ticket is
    // in the queue, in its turn, once.
    let svc = Service::start_on_port(dir.path(), port);
    let weak = ui.as_weak();
    let svc_url = svc.url("/api/v1/counters/1/queue");
    let c = client();
    let reached = drive(1, move |step| {
        let connected = weak.unwrap().global::<KioskAdapter>().get_connected();
        let list: Value = rt_block(&c, &svc_url);
        if connected && list.as_array().is_some_and(|l| l.len() == 4) {
            1
        } else {
            step
        }
    });
    assert_eq!(reached, 1, "the journal never reached the service");
    assert_eq!(
        queue(&rt, &svc),
        ["A-K1-001", "A-K1-002", "A001", "A-K1-003"]
    );
    assert!(Journal::open(&journal_path).unwrap().pending().is_empty());
    // A counter calls it by the number on its paper.
    let call = svc.url("/api/v1/counters/1/call");
    let called: Vec<String> = (0..4)
        .map(|_| {
            let (_, r) = rt.block_on(post(&client(), &call, ADMIN, None));
            r["ticket"]["number"].as_str().unwrap().to_owned()
        })
        .collect();
    assert_eq!(called, ["A-K1-001", "A-K1-002", "A001", "A-K1-003"]);

    // The kiosk is switched off, and comes back on while the service is away again:
    // it shows the hall's lines as it last saw them and gives the next number.
    let base = svc.base.clone();
    svc.crash();
    ui.window()
        .dispatch_event(slint::platform::WindowEvent::CloseRequested);
    drop(kiosk);
    // The last window closing ends the event loop once: let it.
    drive(1, |_| 1);
    let kiosk = start_kiosk_at(&base, dir.path(), &rt, None);
    let weak = kiosk.ui.as_weak();
    let reached = drive(3, move |step| {
        let ui = weak.unwrap();
        let a = ui.global::<KioskAdapter>();
        match step {
            0 if tap(&ui, "Hộ tịch") => 1,
            1 if a.get_screen() == Screen::Priority && tap(&ui, "Không – lấy số thường") => {
                2
            }
            2 if a.get_screen() == Screen::Ticket => 3,
            other => other,
        }
    });
    assert_eq!(
        reached, 3,
        "the restarted kiosk got stuck at step {reached}"
    );
    let card = kiosk.ui.global::<KioskAdapter>().get_ticket();
    assert_eq!((card.number.as_str(), card.offline), ("A-K1-004", true));
    assert_eq!(card.counters, "1", "the counters are known from before");
}

/// A blocking GET from inside the event loop (the kiosk's own work runs on its runtime).
fn rt_block(c: &reqwest::Client, url: &str) -> Value {
    let (c, url) = (c.clone(), url.to_owned());
    std::thread::spawn(move || {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
            .block_on(async { get(&c, &url).await.1 })
    })
    .join()
    .unwrap_or(Value::Null)
}
