//! The display's picture, kept by applying events, must equal the board the service
//! would give at the same moment: checked against the real engine.

use std::sync::Arc;

use chrono::{Duration, Utc};

use super::model::{Applied, DisplayModel};
use motcua_api::StoredEvent;
use motcua_api::board;
use motcua_core::layout::Layout;
use motcua_core::queue::{Command, Queue};

fn run(
    q: &mut Queue,
    last: &mut u64,
    cmd: Command,
    now: chrono::DateTime<Utc>,
) -> Vec<StoredEvent> {
    q.execute(&cmd, now)
        .unwrap_or_default()
        .into_iter()
        .map(|change| {
            *last += 1;
            StoredEvent { id: *last, change }
        })
        .collect()
}

#[test]
fn applying_events_gives_the_board_the_service_would_give() {
    let now = Utc::now();
    let mut q = Queue::new(Arc::new(Layout::sample()), now);
    let mut last = 0;
    let mut model = DisplayModel::new(board(&q, last));
    let script = [
        Command::Issue {
            service: "HT".into(),
            priority: None,
        },
        Command::Issue {
            service: "HT".into(),
            priority: Some("elderly".into()),
        },
        Command::Issue {
            service: "CT".into(),
            priority: None,
        },
        Command::Call { counter: 1 },
        Command::Recall { counter: 1 },
        Command::Start { counter: 1 },
        Command::Transfer {
            counter: 1,
            service: Some("CT".into()),
            to_counter: None,
        },
        Command::Call { counter: 3 },
        Command::Call { counter: 2 },
        Command::NoShow { counter: 2 },
        Command::Close { counter: 7 },
        Command::Call { counter: 3 },
        Command::Finish { counter: 3 },
        Command::ReportDevice {
            device: "Kiosk sảnh chính".into(),
            printer: "paper_low".into(),
        },
    ];
    for (i, cmd) in script.into_iter().enumerate() {
        let at = now + Duration::seconds(i as i64);
        for e in run(&mut q, &mut last, cmd.clone(), at) {
            assert_eq!(model.apply(&e), Applied::Updated, "{cmd:?}");
        }
        let truth = board(&q, last);
        assert_eq!(model.board.waiting, truth.waiting, "after {cmd:?}");
        assert_eq!(
            model.board.latest_calls, truth.latest_calls,
            "after {cmd:?}"
        );
        assert_eq!(model.board.devices, truth.devices, "after {cmd:?}");
        let shown = |b: &motcua_api::Board| {
            b.counters
                .iter()
                .map(|c| {
                    (
                        c.id,
                        c.open,
                        c.current.as_ref().map(|t| (t.ticket.id, t.ticket.status)),
                    )
                })
                .collect::<Vec<_>>()
        };
        assert_eq!(shown(&model.board), shown(&truth), "after {cmd:?}");
    }
    // The last call in the script: counter 3, after finishing A002, called B001.
    assert_eq!(
        model.spotlight.as_ref().map(|s| s.number.as_str()),
        Some("B001")
    );
}

#[test]
fn old_events_are_known_and_a_new_day_asks_for_the_board() {
    let now = Utc::now();
    let mut q = Queue::new(Arc::new(Layout::sample()), now);
    let mut last = 0;
    let events = run(
        &mut q,
        &mut last,
        Command::Issue {
            service: "HT".into(),
            priority: None,
        },
        now,
    );
    let mut model = DisplayModel::new(board(&q, last));
    assert_eq!(
        model.apply(&events[0]),
        Applied::Known,
        "already in the board"
    );
    assert_eq!(model.waiting_in("HT"), 1);
    let tomorrow = now + Duration::days(1);
    let events = run(&mut q, &mut last, Command::Tick, tomorrow);
    let day = events
        .iter()
        .find(|e| e.change.kind == motcua_core::queue::EventKind::DayStarted)
        .unwrap();
    assert_eq!(model.apply(day), Applied::NeedBoard);
}

#[test]
fn results_waiting_for_pickup_follow_the_service_s_list() {
    use motcua_core::dossier::{Dossier, DossierStatus, DossierUpdate};
    let now = Utc::now();
    let mut q = Queue::new(Arc::new(Layout::sample()), now);
    let mut model = DisplayModel::new(board(&q, 0));
    let mut stored: std::collections::HashMap<String, Dossier> = Default::default();
    let script = [
        ("H27-261123-0001", DossierStatus::InProgress),
        ("H27-261123-0001", DossierStatus::ResultReady),
        ("H27-261123-0002", DossierStatus::ResultReady),
        ("H27-261123-0003", DossierStatus::ResultReady),
        ("H27-261123-0002", DossierStatus::Returned),
        ("H27-261123-0003", DossierStatus::NeedsDocuments),
        ("H27-261123-0002", DossierStatus::ResultReady),
    ];
    for (i, (code, status)) in script.into_iter().enumerate() {
        let at = now + Duration::minutes(i as i64);
        let update = DossierUpdate {
            code: code.into(),
            citizen_name: Some("Nguyễn Thị Hoa".into()),
            status: Some(status),
            ..DossierUpdate::default()
        };
        let d = Dossier::merged(stored.get(code), &update, "test", at).unwrap();
        stored.insert(code.into(), d.clone());
        let change = Queue::dossier_change(d.public(at), at);
        q.apply(&change);
        let e = StoredEvent {
            id: i as u64 + 1,
            change,
        };
        assert_eq!(model.apply(&e), Applied::Updated);
        let truth = board(&q, e.id);
        assert_eq!(
            model.board.results, truth.results,
            "after {code} {status:?}"
        );
    }
    let codes: Vec<&str> = model
        .board
        .results
        .iter()
        .map(|r| r.code.as_str())
        .collect();
    assert_eq!(
        codes,
        ["H27-261123-0001", "H27-261123-0002"],
        "longest waiting first"
    );
    assert!(
        model
            .board
            .results
            .iter()
            .all(|r| r.masked_name.as_deref() == Some("Nguyễn Thị H."))
    );
}
