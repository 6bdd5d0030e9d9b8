//! What every backend must do, as tests any backend runs against itself:
//!
//! ```ignore
//! motcua_store::conformance_suite!(new_hall);
//! ```
//!
//! where `new_hall()` makes a new, empty hall and returns an opener for it: each call
//! of the opener opens that hall's store (after the previous one was dropped, that is
//! a restart). Each check below is one `#[test]` named after it.

use chrono::{Duration, Utc};

use crate::Store;
use motcua_core::domain::TicketStatus;
use motcua_core::dossier::{Dossier, DossierStatus, DossierUpdate};
use motcua_core::layout::Layout;
use motcua_core::message::NewMessage;
use motcua_core::queue::{Command, Queue};

/// Opens one hall's store; calling it again reopens the same hall.
pub type Opener<'a> = &'a dyn Fn() -> Box<dyn Store>;

fn hall() -> std::sync::Arc<Layout> {
    std::sync::Arc::new(Layout::sample())
}

/// Generates one `#[test]` per conformance check, each on a new hall from `$new_hall()`.
#[macro_export]
macro_rules! conformance_suite {
    ($new_hall:path) => {
        $crate::conformance_suite!(@tests $new_hall;
            restart_restores_the_queue_and_numbering,
            a_reused_number_is_refused_by_the_database,
            kiosks_count_their_own_tickets_beside_the_line,
            a_message_for_the_morning_is_not_due_before,
            withdrawn_consent_takes_the_phone_out_of_the_outbox_and_stops_unsent_messages,
            erasure_takes_name_and_phone_and_closes_unsent_messages,
            a_message_keeps_its_fields_and_says_how_it_went,
            an_id_beyond_any_database_names_no_ticket,
        );
    };
    (@tests $new_hall:path; $($check:ident),* $(,)?) => {
        $(
            #[test]
            fn $check() {
                let open = $new_hall();
                $crate::conformance::$check(&open);
            }
        )*
    };
}

pub fn restart_restores_the_queue_and_numbering(open: Opener) {
    let now = chrono::Utc::now();
    let mut q = Queue::new(hall(), now);
    {
        let store = open();
        for cmd in [
            Command::Issue {
                service: "HT".into(),
                priority: None,
            },
            Command::Issue {
                service: "HT".into(),
                priority: Some("elderly".into()),
            },
            Command::Call { counter: 1 },
            Command::Close { counter: 3 },
        ] {
            let changes = q.decide(&cmd, now).unwrap();
            let ids = store.commit(&changes).unwrap();
            assert_eq!(ids.len(), changes.len());
            changes.iter().for_each(|c| q.apply(c));
        }
        let events = store.events_after(0, 100).unwrap();
        assert_eq!(events.len(), 4);
        assert!(events.windows(2).all(|w| w[0].id < w[1].id));
        assert_eq!(store.last_event_id().unwrap(), events[3].id);
        assert_eq!(store.events_after(events[1].id, 100).unwrap(), events[2..]);
    }
    let store = open();
    let restored = Queue::restore(hall(), store.load().unwrap(), now);
    assert_eq!(
        restored.tickets().collect::<Vec<_>>(),
        q.tickets().collect::<Vec<_>>()
    );
    assert_eq!(
        restored.counters().collect::<Vec<_>>(),
        q.counters().collect::<Vec<_>>()
    );
    let next = Command::Issue {
        service: "HT".into(),
        priority: None,
    };
    let issued = restored.decide(&next, now).unwrap();
    assert_eq!(issued[0].ticket.as_ref().unwrap().number, "A003");
    assert_eq!(issued[0].ticket.as_ref().unwrap().id, 3);
    // Tickets of a finished day are still found by id after the rollover.
    let tomorrow = now + Duration::days(1);
    let rolled = restored.decide(&next, tomorrow).unwrap();
    store.commit(&rolled).unwrap();
    let reloaded = store.load().unwrap();
    assert!(reloaded.tickets.iter().all(|t| t.day > restored.day()));
    assert_eq!(
        store.ticket(1).unwrap().unwrap().status,
        TicketStatus::Expired
    );
}

pub fn a_reused_number_is_refused_by_the_database(open: Opener) {
    let store = open();
    let now = chrono::Utc::now();
    let q = Queue::new(hall(), now);
    let issue = Command::Issue {
        service: "CT".into(),
        priority: None,
    };
    let changes = q.decide(&issue, now).unwrap();
    store.commit(&changes).unwrap();
    let mut again = changes.clone();
    again[0].ticket.as_mut().unwrap().id = 99;
    assert!(store.commit(&again).is_err());
    assert_eq!(
        store.last_event_id().unwrap(),
        1,
        "a failed commit leaves no event"
    );
}

pub fn kiosks_count_their_own_tickets_beside_the_line(open: Opener) {
    let now = chrono::Utc::now();
    let mut q = Queue::new(hall(), now);
    let offline = |series: &str| Command::IssueOffline {
        service: "HT".into(),
        priority: None,
        series: series.into(),
        seq: 1,
        issued_at: now - Duration::minutes(5),
    };
    let online = Command::Issue {
        service: "HT".into(),
        priority: None,
    };
    let mut numbers = Vec::new();
    {
        let store = open();
        for cmd in [online.clone(), offline("K1"), offline("K2"), offline("K1")] {
            let changes = q.decide(&cmd, now).unwrap();
            store.commit(&changes).unwrap();
            for c in &changes {
                q.apply(c);
                numbers.push(c.ticket.as_ref().unwrap().number.clone());
            }
        }
        // The same kiosk's count twice in one line and day is one ticket.
        assert_eq!(numbers, ["A001", "A-K1-001", "A-K2-001"]);
        let mut again = q.decide(&offline("K3"), now).unwrap();
        let t = again[0].ticket.as_mut().unwrap();
        t.offline = Some("K1".into());
        assert!(
            store.commit(&again).is_err(),
            "the database refuses a kiosk's count twice"
        );
    }
    let restored = Queue::restore(hall(), open().load().unwrap(), now);
    let kept: Vec<_> = restored.tickets().map(|t| t.number.clone()).collect();
    assert_eq!(kept, numbers);
    assert_eq!(
        restored.offline_ticket("K2", 1).map(|t| t.id),
        Some(3),
        "found again after a restart"
    );
    let next = restored.decide(&online, now).unwrap();
    assert_eq!(next[0].ticket.as_ref().unwrap().number, "A002");
}

pub fn a_message_for_the_morning_is_not_due_before(open: Opener) {
    let store = open();
    let now = Utc::now();
    let morning = now + Duration::hours(9);
    let written = store
        .put_messages(
            &[NewMessage {
                key: "k3".into(),
                send_at: morning,
                dossier: "H27-261001-0003".into(),
                kind: "result_ready".into(),
                phone: "0912345678".into(),
                body: "Ho so da co ket qua".into(),
                fields: Default::default(),
            }],
            now,
        )
        .unwrap();
    assert_eq!(written, 1);
    assert!(store.outbox_due(now, 10).unwrap().is_empty());
    assert!(
        store
            .outbox_due(morning - Duration::minutes(1), 10)
            .unwrap()
            .is_empty()
    );
    assert_eq!(store.outbox_due(morning, 10).unwrap().len(), 1);
}

pub fn withdrawn_consent_takes_the_phone_out_of_the_outbox_and_stops_unsent_messages(open: Opener) {
    let store = open();
    let t0 = Utc::now();
    let mut u = DossierUpdate {
        code: "H27-261001-0002".into(),
        phone: Some("0912345678".into()),
        notify_consent: Some(true),
        ..DossierUpdate::default()
    };
    let d = Dossier::merged(None, &u, "test", t0).unwrap();
    assert_eq!(d.consent_at, Some(t0), "the time of consent is kept");
    let message = NewMessage {
        key: "k2".into(),
        send_at: t0,
        dossier: d.code.clone(),
        kind: "needs_documents".into(),
        phone: "0912345678".into(),
        body: "Ho so can bo sung".into(),
        fields: Default::default(),
    };
    store.save_dossier(&d, &[], &[message]).unwrap();
    assert_eq!(store.outbox_due(t0, 10).unwrap().len(), 1);
    // The citizen changes their mind at the counter.
    u.phone = None;
    u.notify_consent = Some(false);
    let withdrawn = Dossier::merged(Some(&d), &u, "staff", t0).unwrap();
    assert_eq!(
        (withdrawn.phone.as_deref(), withdrawn.consent_at),
        (None, None)
    );
    store.save_dossier(&withdrawn, &[], &[]).unwrap();
    assert!(
        store
            .outbox_due(Utc::now() + Duration::days(365), 10)
            .unwrap()
            .is_empty()
    );
    let m = &store.outbox(10).unwrap()[0];
    assert_eq!((m.phone.as_deref(), m.body.as_deref()), (None, None));
    assert!(m.sent_at.is_none());
    assert!(
        m.last_error
            .as_deref()
            .unwrap()
            .contains("withdrew consent")
    );
}

pub fn erasure_takes_name_and_phone_and_closes_unsent_messages(open: Opener) {
    let store = open();
    let t0 = Utc::now() - Duration::days(40);
    let update = DossierUpdate {
        code: "H27-261001-0001".into(),
        citizen_name: Some("Nguyễn Thị Hoa".into()),
        phone: Some("0912345678".into()),
        notify_consent: Some(true),
        status: Some(DossierStatus::Returned),
        ..DossierUpdate::default()
    };
    let mut d = Dossier::merged(None, &update, "test", t0).unwrap();
    d.id_check = Some("0123456789abcdef".into());
    let message = NewMessage {
        key: "k1".into(),
        send_at: t0,
        dossier: d.code.clone(),
        kind: "result_ready".into(),
        phone: "0912345678".into(),
        body: "Ho so da co ket qua".into(),
        fields: [("place".to_owned(), "Quầy 8".to_owned())].into(),
    };
    store
        .save_dossier(&d, &[], std::slice::from_ref(&message))
        .unwrap();
    // The same key again adds nothing.
    store.save_dossier(&d, &[], &[message]).unwrap();
    assert_eq!(store.outbox(10).unwrap().len(), 1);
    let now = Utc::now();
    // Closed 40 days ago: kept with a 60-day rule, erased with a 30-day one.
    assert_eq!(
        store
            .erase_personal_data(now - Duration::days(60), now)
            .unwrap(),
        0
    );
    assert_eq!(
        store
            .erase_personal_data(now - Duration::days(30), now)
            .unwrap(),
        1
    );
    let erased = store.dossier(&d.code).unwrap().unwrap();
    assert_eq!((erased.citizen_name, erased.phone), (None, None));
    assert!(erased.personal_data_erased_at.is_some());
    assert_eq!(erased.id_check, None, "the ID digits' hash goes too");
    let m = &store.outbox(10).unwrap()[0];
    assert_eq!((m.phone.as_deref(), m.body.as_deref()), (None, None));
    assert_eq!(m.fields, None, "the fields go with the words");
    assert!(m.last_error.as_deref().unwrap().contains("erased"));
    assert!(
        store.outbox_due(now, 10).unwrap().is_empty(),
        "never sent now"
    );
    // Once erased, nothing more to erase.
    assert_eq!(store.erase_personal_data(now, now).unwrap(), 0);
}

pub fn a_message_keeps_its_fields_and_says_how_it_went(open: Opener) {
    let now = Utc::now();
    let fields: std::collections::BTreeMap<String, String> = [
        ("code", "000.00.12.H27-261001-0004"),
        ("place", "Quầy 8 – Trả kết quả"),
        ("hall", "TT PVHCC phường Hòa Bình"),
    ]
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .into();
    {
        let store = open();
        let message = NewMessage {
            key: "k4".into(),
            send_at: now,
            dossier: "000.00.12.H27-261001-0004".into(),
            kind: "result_ready".into(),
            phone: "0912345678".into(),
            body: "Ho so da co ket qua".into(),
            fields: fields.clone(),
        };
        store.put_messages(&[message], now).unwrap();
        let due = store.outbox_due(now, 10).unwrap();
        assert_eq!(due[0].fields.as_ref(), Some(&fields), "diacritics whole");
        store
            .outbox_sent(
                due[0].id,
                now,
                "sms",
                Some("Zalo: -118 Zalo account not existed"),
            )
            .unwrap();
        // What a channel keeps between restarts (Zalo's one-use refresh token).
        store.set_meta("zalo_refresh_token", "r-1").unwrap();
        store.set_meta("zalo_refresh_token", "r-2").unwrap();
    }
    let store = open();
    let m = &store.outbox(10).unwrap()[0];
    assert_eq!(m.channel.as_deref(), Some("sms"));
    assert!(m.sent_at.is_some() && m.last_error.as_deref().unwrap().contains("-118"));
    assert!(store.outbox_due(now, 10).unwrap().is_empty(), "sent once");
    assert_eq!(
        store.meta("zalo_refresh_token").unwrap().as_deref(),
        Some("r-2")
    );
}

pub fn an_id_beyond_any_database_names_no_ticket(open: Opener) {
    let store = open();
    for id in [0, u64::MAX, 1 << 63, (1 << 63) - 1] {
        assert_eq!(store.ticket(id).unwrap(), None, "ticket {id}");
    }
}
