//! Property tests: random interleavings of every command, with the clock running
//! across sessions and midnights, must keep the queue's promises.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Duration, Utc};
use proptest::prelude::*;

use super::tests::{hall, morning};
use super::*;

fn command() -> impl Strategy<Value = Command> {
    let service = prop::sample::select(vec!["HT", "CT", "DD", "XX"]).prop_map(String::from);
    let counter = 1u32..=4;
    prop_oneof![
        4 => (service.clone(), prop::option::weighted(0.3, Just("elderly".to_string())))
            .prop_map(|(service, priority)| Command::Issue { service, priority }),
        // A kiosk's own ticket, sent some minutes after it was given out (the minutes
        // ride in `issued_at` as time since the epoch, made absolute when it runs).
        2 => (service.clone(), prop::sample::select(vec!["K1", "K2"]), 1u32..6, 0i64..180)
            .prop_map(|(service, series, seq, ago)| Command::IssueOffline {
                service, priority: None, series: series.into(), seq,
                issued_at: DateTime::UNIX_EPOCH + Duration::minutes(ago),
            }),
        3 => counter.clone().prop_map(|counter| Command::Call { counter }),
        1 => counter.clone().prop_map(|counter| Command::Recall { counter }),
        1 => counter.clone().prop_map(|counter| Command::Start { counter }),
        1 => counter.clone().prop_map(|counter| Command::Finish { counter }),
        1 => counter.clone().prop_map(|counter| Command::NoShow { counter }),
        1 => (counter.clone(), prop::option::of(service), prop::option::of(counter.clone()))
            .prop_map(|(counter, service, to_counter)| Command::Transfer { counter, service, to_counter }),
        1 => counter.clone().prop_map(|counter| Command::Open { counter }),
        1 => counter.clone().prop_map(|counter| Command::Close { counter }),
        1 => Just(Command::Tick),
        2 => (prop::option::of(1u64..40), prop::option::of(counter.clone()), prop::sample::select(Satisfaction::ALL.to_vec()))
            .prop_map(|(ticket, counter, level)| Command::Rate { ticket, counter, level, reason: None, source: RatingSource::Pad }),
    ]
}

/// A generated command as sent at `now`: a kiosk's ticket given out its minutes ago.
fn at(mut cmd: Command, now: DateTime<Utc>) -> Command {
    if let Command::IssueOffline { issued_at, .. } = &mut cmd {
        *issued_at = now - (*issued_at - DateTime::UNIX_EPOCH);
    }
    cmd
}

/// Minutes to let pass before a command: mostly short, sometimes across a session
/// break or a night.
fn pause() -> impl Strategy<Value = i64> {
    prop_oneof![8 => 0i64..5, 1 => 60i64..300, 1 => 600i64..1500]
}

/// Which waiting ticket the counter must call, worked out from first principles.
fn expected_next(q: &Queue, counter: CounterId) -> Option<TicketId> {
    let services = &q.layout().counter(counter)?.services;
    q.tickets()
        .filter(|t| t.status == TicketStatus::Waiting)
        .filter(|t| match t.target_counter {
            Some(c) => c == counter,
            None => services.contains(&t.service),
        })
        .min_by_key(|t| (t.priority.is_none(), t.issued_at, t.id))
        .map(|t| t.id)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn the_queue_keeps_its_promises(steps in prop::collection::vec((pause(), command()), 1..120)) {
        let mut q = Queue::new(hall(), morning());
        let mut now: DateTime<Utc> = morning();
        let mut log: Vec<Change> = Vec::new();
        let mut numbers: HashSet<(chrono::NaiveDate, String)> = HashSet::new();
        let mut last_status: HashMap<TicketId, TicketStatus> = HashMap::new();
        let mut rated: HashSet<TicketId> = HashSet::new();

        for (minutes, cmd) in steps {
            now += Duration::minutes(minutes);
            let cmd = at(cmd, now);
            let before = q.clone();
            let called_counter = match &cmd { Command::Call { counter } => Some(*counter), _ => None };
            let Ok(changes) = q.execute(&cmd, now) else {
                // A refused command changes nothing.
                prop_assert_eq!(q.tickets().collect::<Vec<_>>(), before.tickets().collect::<Vec<_>>());
                continue;
            };
            // Decide again on the old state for the command alone (after any rollover).
            let mut rolled = before.clone();
            for c in changes.iter().take_while(|c| matches!(c.kind, EventKind::TicketExpired | EventKind::DayStarted)) {
                rolled.apply(c);
            }

            for c in &changes {
                if let Some(t) = &c.ticket {
                    match c.kind {
                        EventKind::TicketIssued => {
                            prop_assert!(!last_status.contains_key(&t.id), "ticket id {} reused", t.id);
                            prop_assert!(numbers.insert((t.day, t.number.clone())), "number {} issued twice on {}", t.number, t.day);
                        }
                        EventKind::TicketRated => {
                            // Once per ticket, and only a served one.
                            prop_assert!(rated.insert(t.id), "ticket {} rated twice", t.number);
                            prop_assert!(matches!(t.status, TicketStatus::Done | TicketStatus::Serving));
                            prop_assert!(t.rating.is_some());
                        }
                        _ => {
                            let prev = last_status.get(&t.id).copied();
                            prop_assert!(prev.is_some_and(|s| s.is_open()), "{:?} changed closed ticket {} ({:?})", c.kind, t.number, prev);
                        }
                    }
                    if c.kind == EventKind::TicketCalled {
                        let counter = called_counter.expect("only Call calls");
                        prop_assert_eq!(Some(t.id), expected_next(&rolled, counter), "wrong ticket called at counter {}", counter);
                    }
                    last_status.insert(t.id, t.status);
                }
            }
            log.extend(changes);

            // Nothing lost: every open ticket is in the queue with its last status.
            for (id, status) in &last_status {
                if status.is_open() {
                    prop_assert_eq!(q.ticket(*id).map(|t| t.status), Some(*status));
                }
            }
            // One counter per ticket, and each counter's ticket is really at it.
            let mut held = HashSet::new();
            for c in q.counters() {
                if let Some(id) = c.current {
                    prop_assert!(held.insert(id), "ticket {} at two counters", id);
                    let t = q.ticket(id).unwrap();
                    prop_assert!(t.status.is_at_counter());
                    prop_assert_eq!(t.counter, Some(c.id));
                }
            }
            for t in q.tickets().filter(|t| t.status.is_at_counter()) {
                prop_assert!(held.contains(&t.id), "ticket {} is {:?} but no counter holds it", t.number, t.status);
            }
        }

        // Replaying the stored events rebuilds the same queue.
        let mut replayed = Queue::new(hall(), morning());
        for c in &log {
            replayed.apply(c);
        }
        prop_assert_eq!(replayed.tickets().collect::<Vec<_>>(), q.tickets().collect::<Vec<_>>());
        prop_assert_eq!(replayed.counters().collect::<Vec<_>>(), q.counters().collect::<Vec<_>>());
        prop_assert_eq!(replayed.day(), q.day());
    }
}

/// Everything a queue holds, in an order that does not depend on hashing.
fn state(q: &Queue) -> String {
    let mut seq: Vec<_> = q.seq.iter().collect();
    seq.sort();
    format!(
        "{:?} {:?} {:?} {} {:?} {:?} {:?}",
        q.day, q.tickets, q.counters, q.next_id, seq, q.devices, q.results
    )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 128, ..ProptestConfig::default() })]

    /// The hall applies a batch of commands before storing them together, and takes the
    /// batch back when the store fails: after the undo the queue is exactly as before,
    /// and decides the next command as it would have.
    #[test]
    fn a_batch_taken_back_leaves_the_queue_as_it_was(
        before in prop::collection::vec((pause(), command()), 0..60),
        batch in prop::collection::vec((pause(), command()), 1..40),
        next in command(),
    ) {
        let mut q = Queue::new(hall(), morning());
        let mut now = morning();
        for (minutes, cmd) in before {
            now += Duration::minutes(minutes);
            let _ = q.execute(&at(cmd, now), now);
        }
        let kept = state(&q);
        let next = at(next, now);
        let decided = format!("{:?}", q.decide(&next, now));
        let mut undo = Vec::new();
        let mut later = now;
        for (minutes, cmd) in batch {
            later += Duration::minutes(minutes);
            if let Ok(changes) = q.decide(&at(cmd, later), later) {
                for c in &changes {
                    undo.push(q.apply_undoable(c));
                }
            }
        }
        for u in undo.into_iter().rev() {
            q.undo(u);
        }
        prop_assert_eq!(state(&q), kept);
        prop_assert_eq!(format!("{:?}", q.decide(&next, now)), decided);
    }
}
