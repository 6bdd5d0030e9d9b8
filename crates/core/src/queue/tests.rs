//! Behaviour of the queue engine that staff and citizens would notice.

use std::sync::Arc;

use chrono::{DateTime, Duration, TimeZone, Utc};
use chrono_tz::Asia::Ho_Chi_Minh;

use super::*;
use crate::layout::Layout;

pub(super) const SMALL_HALL: &str = r#"
[hall]
name = "Trung tâm Phục vụ hành chính công xã Thử Nghiệm"
max_recalls = 2

[[priority_groups]]
code = "elderly"
name = { vi = "Người cao tuổi" }

[[services]]
code = "HT"
prefix = "A"
name = { vi = "Hộ tịch" }
daily_limit = 5
avg_service_minutes = 4

[[services]]
code = "CT"
prefix = "B"
name = { vi = "Chứng thực" }

[[services]]
code = "DD"
prefix = "D"
name = { vi = "Đất đai" }
sessions = ["07:30-11:30", "13:30-17:00"]
days = ["mon", "tue", "wed", "thu", "fri"]

[[counters]]
id = 1
services = ["HT", "CT"]

[[counters]]
id = 2
services = ["CT"]

[[counters]]
id = 3
services = ["DD"]
open = false
"#;

pub(super) fn hall() -> Arc<Layout> {
    Arc::new(Layout::parse(SMALL_HALL).unwrap())
}

/// Tuesday 24 November 2026, 09:00 in Hanoi.
pub(super) fn morning() -> DateTime<Utc> {
    Ho_Chi_Minh
        .with_ymd_and_hms(2026, 11, 24, 9, 0, 0)
        .unwrap()
        .with_timezone(&Utc)
}

fn issue(q: &mut Queue, service: &str, at: DateTime<Utc>) -> Ticket {
    issue_p(q, service, None, at)
}

fn issue_p(q: &mut Queue, service: &str, priority: Option<&str>, at: DateTime<Utc>) -> Ticket {
    let cmd = Command::Issue {
        service: service.into(),
        priority: priority.map(Into::into),
    };
    let changes = q.execute(&cmd, at).unwrap();
    changes.last().unwrap().ticket.clone().unwrap()
}

fn call(q: &mut Queue, counter: CounterId, at: DateTime<Utc>) -> Option<Ticket> {
    let changes = q.execute(&Command::Call { counter }, at).unwrap();
    changes
        .into_iter()
        .find(|c| c.kind == EventKind::TicketCalled)
        .and_then(|c| c.ticket)
}

#[test]
fn numbers_run_per_line_and_restart_at_local_midnight() {
    let mut q = Queue::new(hall(), morning());
    let t = morning();
    assert_eq!(issue(&mut q, "HT", t).number, "A001");
    assert_eq!(issue(&mut q, "HT", t).number, "A002");
    assert_eq!(issue(&mut q, "CT", t).number, "B001");
    // 23:59 the same day in Hanoi (16:59 UTC) still counts on.
    let late = Ho_Chi_Minh
        .with_ymd_and_hms(2026, 11, 24, 23, 59, 0)
        .unwrap()
        .with_timezone(&Utc);
    assert_eq!(issue(&mut q, "CT", late).number, "B002");
    // 00:01 the next day in Hanoi is still 24 November in UTC: numbering restarts anyway.
    let next = Ho_Chi_Minh
        .with_ymd_and_hms(2026, 11, 25, 0, 1, 0)
        .unwrap()
        .with_timezone(&Utc);
    let changes = q
        .execute(
            &Command::Issue {
                service: "CT".into(),
                priority: None,
            },
            next,
        )
        .unwrap();
    let kinds: Vec<_> = changes.iter().map(|c| c.kind).collect();
    assert_eq!(kinds.last(), Some(&EventKind::TicketIssued));
    assert!(kinds.contains(&EventKind::DayStarted));
    assert_eq!(
        kinds
            .iter()
            .filter(|k| **k == EventKind::TicketExpired)
            .count(),
        4
    );
    assert_eq!(
        changes.last().unwrap().ticket.as_ref().unwrap().number,
        "B001"
    );
    assert_eq!(q.day(), next.with_timezone(&Ho_Chi_Minh).date_naive());
}

#[test]
fn priority_first_then_oldest_across_the_counters_lines() {
    let mut q = Queue::new(hall(), morning());
    let t0 = morning();
    let b1 = issue(&mut q, "CT", t0);
    let a1 = issue(&mut q, "HT", t0 + Duration::minutes(1));
    let a2 = issue_p(&mut q, "HT", Some("elderly"), t0 + Duration::minutes(2));
    let order: Vec<String> = (0..3)
        .map(|i| {
            call(&mut q, 1, t0 + Duration::minutes(10 + i))
                .unwrap()
                .number
        })
        .collect();
    assert_eq!(order, [a2.number, b1.number, a1.number]);
    // Calling again finishes the last one and finds nobody.
    let changes = q
        .execute(&Command::Call { counter: 1 }, t0 + Duration::minutes(20))
        .unwrap();
    assert_eq!(changes.len(), 1);
    assert_eq!(changes[0].kind, EventKind::TicketFinished);
}

#[test]
fn a_counter_never_calls_a_line_it_does_not_serve() {
    let mut q = Queue::new(hall(), morning());
    issue(&mut q, "HT", morning());
    assert_eq!(call(&mut q, 2, morning()), None);
    assert!(call(&mut q, 1, morning()).is_some());
}

#[test]
fn closed_service_and_daily_limit_are_refused() {
    let mut q = Queue::new(hall(), morning());
    let noon = morning() + Duration::hours(3);
    let err = q
        .execute(
            &Command::Issue {
                service: "DD".into(),
                priority: None,
            },
            noon,
        )
        .unwrap_err();
    let QueueError::ServiceClosed { hours, .. } = err else {
        panic!("{err:?}")
    };
    assert_eq!(
        hours.describe_in(true),
        "07:30–11:30, 13:30–17:00, thứ Hai – thứ Sáu"
    );
    assert_eq!(
        hours.describe_in(false),
        "07:30–11:30, 13:30–17:00, Mon – Fri"
    );
    for _ in 0..5 {
        issue(&mut q, "HT", morning());
    }
    let err = q
        .execute(
            &Command::Issue {
                service: "HT".into(),
                priority: None,
            },
            morning(),
        )
        .unwrap_err();
    assert!(
        matches!(err, QueueError::DailyLimitReached { limit: 5, ref service, .. } if service == "HT")
    );
    let err = q
        .execute(
            &Command::Issue {
                service: "XX".into(),
                priority: None,
            },
            morning(),
        )
        .unwrap_err();
    assert_eq!(err, QueueError::UnknownService("XX".into()));
    let err = q
        .execute(
            &Command::Issue {
                service: "CT".into(),
                priority: Some("vip".into()),
            },
            morning(),
        )
        .unwrap_err();
    assert_eq!(err, QueueError::UnknownPriority("vip".into()));
}

#[test]
fn recalls_run_out_into_a_no_show() {
    let mut q = Queue::new(hall(), morning());
    issue(&mut q, "HT", morning());
    call(&mut q, 1, morning()).unwrap();
    for n in 1..=2 {
        let c = q
            .execute(&Command::Recall { counter: 1 }, morning())
            .unwrap();
        assert_eq!(c[0].kind, EventKind::TicketRecalled);
        assert_eq!(c[0].ticket.as_ref().unwrap().recalls, n);
    }
    let c = q
        .execute(&Command::Recall { counter: 1 }, morning())
        .unwrap();
    assert_eq!(c[0].kind, EventKind::TicketNoShow);
    assert_eq!(q.counter(1).unwrap().current, None);
    assert_eq!(
        q.execute(&Command::Recall { counter: 1 }, morning()),
        Err(QueueError::NoCurrentTicket(1))
    );
}

#[test]
fn lifecycle_and_wrong_steps() {
    let mut q = Queue::new(hall(), morning());
    issue(&mut q, "HT", morning());
    call(&mut q, 1, morning()).unwrap();
    q.execute(&Command::Start { counter: 1 }, morning())
        .unwrap();
    let err = q
        .execute(&Command::NoShow { counter: 1 }, morning())
        .unwrap_err();
    assert!(matches!(
        err,
        QueueError::WrongStatus {
            status: TicketStatus::Serving,
            ..
        }
    ));
    let err = q
        .execute(&Command::Close { counter: 1 }, morning())
        .unwrap_err();
    assert!(matches!(err, QueueError::CounterBusy { counter: 1, .. }));
    let c = q
        .execute(
            &Command::Finish { counter: 1 },
            morning() + Duration::minutes(7),
        )
        .unwrap();
    assert_eq!(c[0].ticket.as_ref().unwrap().status, TicketStatus::Done);
    assert!(q.execute(&Command::Close { counter: 1 }, morning()).is_ok());
    assert_eq!(
        q.execute(&Command::Call { counter: 1 }, morning()),
        Err(QueueError::CounterClosed(1))
    );
    assert_eq!(
        q.execute(&Command::Open { counter: 9 }, morning()),
        Err(QueueError::UnknownCounter(9))
    );
    // Opening an open counter changes nothing and says nothing.
    assert_eq!(
        q.execute(&Command::Open { counter: 2 }, morning()),
        Ok(vec![])
    );
}

#[test]
fn transfer_keeps_number_and_place_by_issue_time() {
    let mut q = Queue::new(hall(), morning());
    let t0 = morning();
    let a1 = issue(&mut q, "HT", t0);
    let b1 = issue(&mut q, "CT", t0 + Duration::minutes(1));
    let b2 = issue(&mut q, "CT", t0 + Duration::minutes(2));
    assert_eq!(
        call(&mut q, 1, t0 + Duration::minutes(3)).unwrap().id,
        a1.id
    );
    let c = q
        .execute(
            &Command::Transfer {
                counter: 1,
                service: Some("CT".into()),
                to_counter: None,
            },
            t0 + Duration::minutes(4),
        )
        .unwrap();
    let moved = c[0].ticket.clone().unwrap();
    assert_eq!(
        (moved.number.as_str(), moved.service.as_str()),
        ("A001", "CT")
    );
    assert_eq!(moved.status, TicketStatus::Waiting);
    // Counter 2 serves CT only: A001 was issued first, so it is called first.
    assert_eq!(
        call(&mut q, 2, t0 + Duration::minutes(5)).unwrap().id,
        a1.id
    );
    assert_eq!(
        call(&mut q, 2, t0 + Duration::minutes(6)).unwrap().id,
        b1.id
    );
    // Transfer to a named counter: only that counter calls it.
    q.execute(
        &Command::Transfer {
            counter: 2,
            service: None,
            to_counter: Some(3),
        },
        t0 + Duration::minutes(7),
    )
    .unwrap();
    assert_eq!(
        call(&mut q, 1, t0 + Duration::minutes(8)).unwrap().id,
        b2.id
    );
    q.execute(&Command::Open { counter: 3 }, t0).unwrap();
    assert_eq!(
        call(&mut q, 3, t0 + Duration::minutes(9)).unwrap().id,
        b1.id
    );
    let err = q
        .execute(
            &Command::Transfer {
                counter: 3,
                service: None,
                to_counter: None,
            },
            t0,
        )
        .unwrap_err();
    assert!(matches!(err, QueueError::InvalidTransfer(_)));
}

#[test]
fn waiting_ahead_and_estimate_follow_open_counters_and_service_times() {
    let mut q = Queue::new(hall(), morning());
    let t0 = morning();
    let first = issue(&mut q, "CT", t0);
    for _ in 0..3 {
        issue(&mut q, "CT", t0);
    }
    let last = issue(&mut q, "CT", t0);
    let last = q.ticket(last.id).unwrap().clone();
    assert_eq!(q.waiting_ahead(&last), Some(4));
    assert_eq!(q.waiting_ahead(q.ticket(first.id).unwrap()), Some(0));
    // Counters 1 and 2 call CT; 5 minutes default → 4 ahead / 2 counters × 300 s.
    assert_eq!(q.estimated_wait_secs(&last), Some(600));
    // Real service times take over: one finished in 2 minutes.
    call(&mut q, 2, t0).unwrap();
    q.execute(&Command::Finish { counter: 2 }, t0 + Duration::minutes(2))
        .unwrap();
    assert_eq!(q.service_time_secs("CT"), 120);
    let last = q.ticket(last.id).unwrap().clone();
    assert_eq!(q.estimated_wait_secs(&last), Some(180));
    // No counter open for the line: no estimate rather than a made-up one.
    q.execute(&Command::Close { counter: 1 }, t0).unwrap();
    q.execute(&Command::Close { counter: 2 }, t0).unwrap();
    assert_eq!(q.estimated_wait_secs(&last), None);
    assert_eq!(q.waiting_ahead(&last), Some(3));
}

#[test]
fn restore_from_events_gives_the_same_queue() {
    let mut q = Queue::new(hall(), morning());
    let mut log = Vec::new();
    for cmd in [
        Command::Issue {
            service: "HT".into(),
            priority: None,
        },
        Command::Issue {
            service: "CT".into(),
            priority: Some("elderly".into()),
        },
        Command::Call { counter: 1 },
        Command::Start { counter: 1 },
        Command::Close { counter: 2 },
    ] {
        log.extend(q.execute(&cmd, morning()).unwrap());
    }
    let mut replayed = Queue::new(hall(), morning());
    for c in &log {
        replayed.apply(c);
    }
    assert_eq!(
        replayed.tickets().collect::<Vec<_>>(),
        q.tickets().collect::<Vec<_>>()
    );
    assert_eq!(
        replayed.counters().collect::<Vec<_>>(),
        q.counters().collect::<Vec<_>>()
    );
    let next = Command::Issue {
        service: "HT".into(),
        priority: None,
    };
    assert_eq!(
        replayed.decide(&next, morning()),
        q.decide(&next, morning())
    );
}

#[test]
fn recent_calls_newest_first() {
    let mut q = Queue::new(hall(), morning());
    let t0 = morning();
    issue(&mut q, "HT", t0);
    issue(&mut q, "CT", t0);
    call(&mut q, 1, t0 + Duration::seconds(10)).unwrap();
    call(&mut q, 2, t0 + Duration::seconds(20)).unwrap();
    q.execute(&Command::Recall { counter: 1 }, t0 + Duration::seconds(30))
        .unwrap();
    let calls: Vec<_> = q
        .recent_calls(8)
        .into_iter()
        .map(|c| (c.number, c.counter))
        .collect();
    assert_eq!(calls, [("A001".to_string(), 1), ("B001".to_string(), 2)]);
}

fn rate(
    q: &mut Queue,
    ticket: Option<TicketId>,
    counter: Option<CounterId>,
    level: Satisfaction,
    at: DateTime<Utc>,
) -> Result<Ticket, QueueError> {
    let cmd = Command::Rate {
        ticket,
        counter,
        level,
        reason: None,
        source: RatingSource::Pad,
    };
    let changes = q.execute(&cmd, at)?;
    assert_eq!(changes.len(), 1);
    assert_eq!(changes[0].kind, EventKind::TicketRated);
    Ok(changes[0].ticket.clone().unwrap())
}

#[test]
fn the_pad_rates_the_ticket_just_served_once() {
    let mut q = Queue::new(hall(), morning());
    let t0 = morning();
    let a1 = issue(&mut q, "HT", t0);
    let a2 = issue(&mut q, "HT", t0);
    // Nobody served yet: nothing to rate.
    assert_eq!(
        rate(&mut q, None, Some(1), Satisfaction::Satisfied, t0),
        Err(QueueError::NothingToRate(1))
    );
    call(&mut q, 1, t0);
    // Called but not yet served: still nothing (the citizen is only walking up).
    assert_eq!(
        rate(&mut q, None, Some(1), Satisfaction::Satisfied, t0),
        Err(QueueError::NothingToRate(1))
    );
    q.execute(&Command::Start { counter: 1 }, t0).unwrap();
    // Being served: the pad rates the citizen at the desk.
    let rated = rate(&mut q, None, Some(1), Satisfaction::VerySatisfied, t0).unwrap();
    assert_eq!(rated.id, a1.id);
    assert_eq!(
        rated.rating.as_ref().map(|r| r.level),
        Some(Satisfaction::VerySatisfied)
    );
    // A second press, or a second rating by id, is refused.
    assert_eq!(
        rate(&mut q, None, Some(1), Satisfaction::Unsatisfied, t0),
        Err(QueueError::AlreadyRated {
            number: a1.number.clone()
        })
    );
    assert_eq!(
        rate(&mut q, Some(a1.id), None, Satisfaction::Unsatisfied, t0),
        Err(QueueError::AlreadyRated {
            number: a1.number.clone()
        })
    );
    // Call next finishes a1 and calls a2; the pad now rates a2 only after it is served
    // (a2 is merely called, and a1 is rated).
    let t1 = t0 + Duration::minutes(5);
    call(&mut q, 1, t1);
    assert!(rate(&mut q, None, Some(1), Satisfaction::Neutral, t1).is_err());
    // a2 served and finished; its citizen rates on the way out, within the window.
    q.execute(&Command::Finish { counter: 1 }, t1).unwrap();
    let late = t1 + RATING_WINDOW;
    let rated = rate(&mut q, None, Some(1), Satisfaction::Neutral, late).unwrap();
    assert_eq!(rated.id, a2.id);
    assert_eq!(q.ticket(a2.id).unwrap().rating.as_ref().unwrap().at, late);
}

#[test]
fn ratings_are_refused_out_of_turn() {
    let mut q = Queue::new(hall(), morning());
    let t0 = morning();
    let a1 = issue(&mut q, "HT", t0);
    let b1 = issue(&mut q, "CT", t0);
    // Waiting tickets cannot be rated, even by their id.
    assert!(matches!(
        rate(&mut q, Some(a1.id), None, Satisfaction::Satisfied, t0),
        Err(QueueError::WrongStatus { .. })
    ));
    assert_eq!(
        rate(&mut q, Some(999), None, Satisfaction::Satisfied, t0),
        Err(QueueError::UnknownTicket(999))
    );
    assert_eq!(
        rate(&mut q, None, None, Satisfaction::Satisfied, t0),
        Err(QueueError::InvalidRating)
    );
    call(&mut q, 1, t0);
    q.execute(&Command::Finish { counter: 1 }, t0).unwrap();
    // Counter 2's pad cannot rate counter 1's citizen.
    assert!(matches!(
        rate(&mut q, Some(a1.id), Some(2), Satisfaction::Satisfied, t0),
        Err(QueueError::NotThisCounter { .. })
    ));
    // Too late for the pad: the window has passed.
    let much_later = t0 + RATING_WINDOW + Duration::seconds(1);
    assert_eq!(
        rate(&mut q, None, Some(1), Satisfaction::Satisfied, much_later),
        Err(QueueError::NothingToRate(1))
    );
    // By id (the citizen's phone) it is still fine that day.
    assert!(
        rate(
            &mut q,
            Some(a1.id),
            None,
            Satisfaction::Satisfied,
            much_later
        )
        .is_ok()
    );
    // A no-show is not rated.
    call(&mut q, 1, much_later);
    q.execute(&Command::NoShow { counter: 1 }, much_later)
        .unwrap();
    assert!(matches!(
        rate(
            &mut q,
            Some(b1.id),
            None,
            Satisfaction::Satisfied,
            much_later
        ),
        Err(QueueError::WrongStatus { .. })
    ));
}
