//! The rating screen's decisions, played from the engine's own events.

use std::sync::Arc;

use chrono::{Duration, TimeZone, Utc};

use super::controller::*;
use motcua_api::StoredEvent;
use motcua_client::ClientError;
use motcua_core::domain::{RatingSource, Satisfaction};
use motcua_core::layout::Layout;
use motcua_core::queue::{Command, Queue};

struct Hall {
    q: Queue,
    next_id: u64,
    now: chrono::DateTime<Utc>,
}

impl Hall {
    fn new() -> Hall {
        let now = chrono_tz::Asia::Ho_Chi_Minh
            .with_ymd_and_hms(2026, 11, 24, 9, 0, 0)
            .unwrap()
            .with_timezone(&Utc);
        Hall {
            q: Queue::new(Arc::new(Layout::sample()), now),
            next_id: 1,
            now,
        }
    }

    fn run(&mut self, cmd: Command) -> Vec<StoredEvent> {
        self.now += Duration::seconds(10);
        self.q
            .execute(&cmd, self.now)
            .unwrap()
            .into_iter()
            .map(|change| {
                self.next_id += 1;
                StoredEvent {
                    id: self.next_id,
                    change,
                }
            })
            .collect()
    }
}

fn feed(screen: &mut RatingScreen, events: &[StoredEvent], now: chrono::DateTime<Utc>) {
    for e in events {
        screen.on_event(e, now);
    }
}

#[test]
fn a_finished_ticket_is_asked_about_and_rated_once() {
    let mut hall = Hall::new();
    let counter = hall.q.layout().counters[0].id;
    let mut screen = RatingScreen::new(counter);
    let issue = Command::Issue {
        service: "HT".into(),
        priority: None,
    };
    let events = hall.run(issue.clone());
    feed(&mut screen, &events, hall.now);
    hall.run(issue);
    let events = hall.run(Command::Call { counter });
    feed(&mut screen, &events, hall.now);
    assert_eq!(screen.phase(), &Phase::Waiting, "a call is not a finish");

    // Call next finishes A001 and calls A002: the screen asks about A001.
    let events = hall.run(Command::Call { counter });
    feed(&mut screen, &events, hall.now);
    let Phase::Asking { ticket, number, .. } = screen.phase().clone() else {
        panic!("{:?}", screen.phase())
    };
    assert_eq!(number, "A001");

    // A tap sends that ticket's rating; a second tap meanwhile sends nothing.
    let send = screen.tap(Satisfaction::VerySatisfied, hall.now).unwrap();
    assert_eq!(
        send,
        Send {
            ticket: Some(ticket),
            level: Satisfaction::VerySatisfied,
            reason: None
        }
    );
    assert_eq!(screen.tap(Satisfaction::Unsatisfied, hall.now), None);
    screen.answered(Ok(()), hall.now);
    assert!(matches!(
        screen.phase(),
        Phase::Message { thanks: true, .. }
    ));
    assert_eq!(
        screen.tap(Satisfaction::Unsatisfied, hall.now),
        None,
        "no tap on the thanks"
    );
    screen.tick(hall.now + MESSAGE_FOR);
    assert_eq!(screen.phase(), &Phase::Waiting);
}

#[test]
fn other_counters_and_other_ways_of_rating_are_respected() {
    let mut hall = Hall::new();
    let one = hall.q.layout().counters[0].id;
    let two = hall.q.layout().counters[1].id;
    let mut screen = RatingScreen::new(two);
    for _ in 0..2 {
        hall.run(Command::Issue {
            service: "HT".into(),
            priority: None,
        });
    }
    hall.run(Command::Call { counter: one });
    let events = hall.run(Command::Finish { counter: one });
    feed(&mut screen, &events, hall.now);
    assert_eq!(
        screen.phase(),
        &Phase::Waiting,
        "counter 1's ticket is not ours"
    );

    hall.run(Command::Call { counter: two });
    let events = hall.run(Command::Finish { counter: two });
    feed(&mut screen, &events, hall.now);
    assert!(matches!(screen.phase(), Phase::Asking { .. }));
    // The citizen rated on the pad instead: the question goes, with thanks.
    let events = hall.run(Command::Rate {
        ticket: None,
        counter: Some(two),
        level: Satisfaction::Satisfied,
        reason: None,
        source: RatingSource::Pad,
    });
    feed(&mut screen, &events, hall.now);
    assert!(matches!(
        screen.phase(),
        Phase::Message { thanks: true, .. }
    ));
}

#[test]
fn questions_time_out_and_refusals_are_said_in_words() {
    let mut hall = Hall::new();
    let counter = hall.q.layout().counters[0].id;
    let mut screen = RatingScreen::new(counter);
    hall.run(Command::Issue {
        service: "HT".into(),
        priority: None,
    });
    hall.run(Command::Call { counter });
    let events = hall.run(Command::Finish { counter });
    feed(&mut screen, &events, hall.now);
    screen.tick(hall.now + ASK_FOR - Duration::seconds(1));
    assert!(matches!(screen.phase(), Phase::Asking { .. }));
    screen.tick(hall.now + ASK_FOR);
    assert_eq!(screen.phase(), &Phase::Waiting);

    // Waiting: a tap rates whatever the counter served last (the service decides).
    assert_eq!(
        screen.tap(Satisfaction::Neutral, hall.now),
        Some(Send {
            ticket: None,
            level: Satisfaction::Neutral,
            reason: None
        })
    );
    screen.answered(
        Err(ClientError::Refused {
            status: 409,
            code: "nothing_to_rate".into(),
            message: "counter 1 has nobody to rate".into(),
            citizen_message: None,
        }),
        hall.now,
    );
    let Phase::Message { vi, thanks, .. } = screen.phase().clone() else {
        panic!()
    };
    assert!(vi.contains("Chưa có lượt phục vụ"), "{vi}");
    assert!(!thanks);
    // After a refusal the citizen may tap again at once.
    assert!(screen.tap(Satisfaction::Neutral, hall.now).is_some());
    screen.answered(
        Err(ClientError::Unreachable("connection refused".into())),
        hall.now,
    );
    let Phase::Message { vi, .. } = screen.phase().clone() else {
        panic!()
    };
    assert!(vi.contains("thử lại"), "{vi}");
}

#[test]
fn not_satisfied_asks_why_and_sends_with_the_answer_or_without_one() {
    let mut hall = Hall::new();
    let counter = hall.q.layout().counters[0].id;
    let mut screen = RatingScreen::new(counter);
    screen.set_reasons(vec!["Chờ lâu".into(), "Thái độ cán bộ".into()]);
    let finish = |hall: &mut Hall, screen: &mut RatingScreen| {
        hall.run(Command::Issue {
            service: "HT".into(),
            priority: None,
        });
        hall.run(Command::Call { counter });
        let events = hall.run(Command::Finish { counter });
        feed(screen, &events, hall.now);
        let Phase::Asking { ticket, .. } = screen.phase().clone() else {
            panic!("{:?}", screen.phase())
        };
        ticket
    };
    let ticket = finish(&mut hall, &mut screen);
    // "Không hài lòng": nothing sent yet, the reasons are asked for.
    assert_eq!(screen.tap(Satisfaction::Unsatisfied, hall.now), None);
    assert!(matches!(screen.phase(), Phase::Why { number, .. } if number == "A001"));
    assert_eq!(
        screen.reason(Some(5)).map(|s| s.reason),
        Some(None),
        "no such reason: none"
    );
    screen.answered(Ok(()), hall.now);
    screen.tick(hall.now + MESSAGE_FOR);

    let ticket2 = finish(&mut hall, &mut screen);
    assert_ne!(ticket, ticket2);
    screen.tap(Satisfaction::Unsatisfied, hall.now);
    assert_eq!(
        screen.reason(Some(0)),
        Some(Send {
            ticket: Some(ticket2),
            level: Satisfaction::Unsatisfied,
            reason: Some("Chờ lâu".into())
        })
    );
    assert_eq!(screen.reason(Some(1)), None, "one answer per question");
    screen.answered(Ok(()), hall.now);
    screen.tick(hall.now + MESSAGE_FOR);

    // The citizen walks away: the tap still counts, without a reason.
    let ticket3 = finish(&mut hall, &mut screen);
    screen.tap(Satisfaction::Unsatisfied, hall.now);
    assert_eq!(screen.tick(hall.now + WHY_FOR - Duration::seconds(1)), None);
    assert_eq!(
        screen.tick(hall.now + WHY_FOR),
        Some(Send {
            ticket: Some(ticket3),
            level: Satisfaction::Unsatisfied,
            reason: None
        })
    );
    assert_eq!(screen.phase(), &Phase::Sending);

    // A hall that offers no reasons does not ask.
    screen.answered(Ok(()), hall.now);
    screen.tick(hall.now + MESSAGE_FOR);
    screen.set_reasons(Vec::new());
    finish(&mut hall, &mut screen);
    assert!(screen.tap(Satisfaction::Unsatisfied, hall.now).is_some());
}
