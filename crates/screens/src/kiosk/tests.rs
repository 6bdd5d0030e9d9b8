//! The kiosk's behaviour, tested without a window or a network.

use chrono::{NaiveDate, Utc};

use super::controller::*;
use motcua_api::{ServiceView, TicketView};
use motcua_client::ClientError;
use motcua_core::domain::{Localized, Ticket};
use motcua_core::queue::ServiceLoad;
use motcua_hardware::printer::Health;

fn service(code: &str, open: bool) -> ServiceView {
    ServiceView {
        code: code.into(),
        prefix: "A".into(),
        name: Localized::new("Hộ tịch", "Civil status"),
        open,
        sessions: vec!["07:30–11:30".into()],
        days: vec![],
        hours: Localized::new("07:30–11:30, thứ Hai – thứ Sáu", "07:30–11:30, Mon – Fri"),
        daily_limit: None,
        load: ServiceLoad {
            waiting: 3,
            issued_today: 9,
            open_counters: 2,
            service_time_s: 300,
        },
        estimated_wait_s: Some(450),
    }
}

fn ticket(number: &str) -> TicketView {
    TicketView {
        ticket: Ticket::waiting(
            7,
            number.into(),
            "HT",
            NaiveDate::from_ymd_opt(2026, 11, 24).unwrap(),
            23,
            Utc::now(),
        ),
        waiting_ahead: Some(3),
        estimated_wait_s: Some(450),
        follow_path: None,
    }
}

fn kiosk(groups: bool) -> Kiosk {
    let mut k = Kiosk::new("Trung tâm");
    let groups = if groups {
        vec![PriorityChoice {
            code: "elderly".into(),
            name: Localized::new("Người cao tuổi", "Elderly person"),
        }]
    } else {
        vec![]
    };
    k.loaded(Ok(Loaded {
        hall_name: "Trung tâm PVHCC phường Hòa Bình".into(),
        priority_groups: groups,
        services: vec![service("HT", true), service("DD", false)],
        procedures: motcua_core::catalogue::parse(
            motcua_core::catalogue::SAMPLE_CATALOGUE,
            &motcua_core::layout::Layout::sample(),
        )
        .unwrap(),
        ..Loaded::default()
    }));
    k
}

#[test]
fn two_taps_give_a_ticket_and_print_it() {
    let mut k = kiosk(true);
    assert_eq!(k.choose_service("HT"), vec![]);
    assert_eq!(k.screen, Screen::Priority);
    let effects = k.choose_priority(None);
    assert_eq!(
        effects,
        vec![Effect::Issue {
            service: "HT".into(),
            priority: None
        }]
    );
    // A second tap while the first is on its way does nothing.
    assert_eq!(k.choose_priority(Some("elderly")), vec![]);
    let effects = k.issued(Ok(ticket("A023")));
    assert!(matches!(&effects[0], Effect::Print(t) if t.ticket.number == "A023"));
    assert_eq!(k.screen, Screen::Ticket);
    k.printed(Ok(Health::Ready));
    assert_eq!(k.issued.as_ref().unwrap().print, PrintState::Printed);
    k.tick(TICKET_SCREEN_MS);
    assert_eq!(k.screen, Screen::Home, "back home by itself");
}

#[test]
fn without_priority_groups_one_tap_is_enough() {
    let mut k = kiosk(false);
    assert_eq!(
        k.choose_service("HT"),
        vec![Effect::Issue {
            service: "HT".into(),
            priority: None
        }]
    );
}

#[test]
fn a_closed_line_says_its_hours_and_issues_nothing() {
    let mut k = kiosk(true);
    assert_eq!(k.choose_service("DD"), vec![]);
    assert_eq!(k.screen, Screen::Home);
    match k.notice.as_ref().unwrap() {
        Message::LineClosed { name, hours } => {
            assert_eq!(name.vi, "Hộ tịch");
            assert!(hours.vi.contains("07:30–11:30"), "{hours:?}");
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(k.choose_service("nope"), vec![]);
}

#[test]
fn no_paper_keeps_the_number_on_screen_longer() {
    let mut k = kiosk(false);
    k.choose_service("HT");
    k.issued(Ok(ticket("A024")));
    k.printed(Err(Health::PaperOut));
    assert_eq!(k.printer, Health::PaperOut);
    k.tick(TICKET_SCREEN_MS);
    assert_eq!(
        k.screen,
        Screen::Ticket,
        "the citizen needs time to note the number"
    );
    k.tick(TICKET_SCREEN_NO_PAPER_MS);
    assert_eq!(k.screen, Screen::Home);
}

#[test]
fn the_service_away_or_refusing_is_said_in_words() {
    let mut k = kiosk(false);
    k.choose_service("HT");
    k.issued(Err(ClientError::Unreachable("connection refused".into())));
    assert!(!k.connected);
    assert!(!k.busy, "the kiosk is usable again");
    assert_eq!(k.notice, Some(Message::ServiceAway));
    k.loaded(Ok(Loaded {
        hall_name: "Trung tâm".into(),
        services: vec![service("HT", true)],
        ..Loaded::default()
    }));
    assert!(k.connected);
    assert_eq!(k.notice, None);
    k.choose_service("HT");
    let citizen = Localized::new(
        "Lĩnh vực Hộ tịch đã hết số hôm nay (200 số).",
        "All 200 tickets given.",
    );
    k.issued(Err(ClientError::Refused {
        status: 409,
        code: "daily_limit_reached".into(),
        message: "x".into(),
        citizen_message: Some(citizen.clone()),
    }));
    assert_eq!(k.notice, Some(Message::Hall(citizen)));
    assert_eq!(k.screen, Screen::Home);
}

#[test]
fn a_scanned_receipt_opens_the_lookup_from_home() {
    let mut k = kiosk(false);
    assert_eq!(k.key("000.00.12.h27-261124-0042"), vec![]);
    assert_eq!(k.screen, Screen::Lookup);
    assert_eq!(k.lookup_input, "000.00.12.H27-261124-0042");
    assert_eq!(
        k.key("\r"),
        vec![Effect::Lookup {
            code: "000.00.12.H27-261124-0042".into(),
            id: None
        }]
    );
    k.looked_up(
        "000.00.12.H27-261124-0042",
        Err(ClientError::Refused {
            status: 404,
            code: "not_found".into(),
            message: "x".into(),
            citizen_message: None,
        }),
    );
    assert_eq!(
        k.lookup_result,
        Some(Message::NotFound("000.00.12.H27-261124-0042".into()))
    );
    k.key("\u{8}");
    assert_eq!(k.lookup_input.len(), 24);
    k.key("ắ<>");
    assert_eq!(k.lookup_input.len(), 24, "only code characters are typed");
}

#[test]
fn an_idle_screen_goes_home_and_refreshes_come_regularly() {
    let mut k = kiosk(true);
    k.choose_service("HT");
    assert_eq!(k.screen, Screen::Priority);
    assert_eq!(
        k.tick(IDLE_MS - 1),
        vec![Effect::Refresh],
        "the lines are refreshed meanwhile"
    );
    assert_eq!(k.screen, Screen::Priority);
    k.touched();
    k.tick(IDLE_MS - 1);
    assert_eq!(k.screen, Screen::Priority, "a touch restarts the wait");
    k.tick(1);
    assert_eq!(k.screen, Screen::Home);
    assert_eq!(k.tick(REFRESH_MS - 2), vec![], "1 ms already counted");
    assert_eq!(k.tick(1), vec![Effect::Refresh]);
}

#[test]
fn printer_trouble_is_told_to_staff_once_and_again_every_minute() {
    let mut k = kiosk(false);
    assert_eq!(
        k.printer_changed(Health::Ready),
        vec![Effect::ReportPrinter(Health::Ready)]
    );
    assert_eq!(
        k.printer_changed(Health::Ready),
        vec![],
        "no news, no report"
    );
    k.choose_service("HT");
    k.issued(Ok(ticket("A025")));
    assert_eq!(
        k.printed(Ok(Health::PaperLow)),
        vec![Effect::ReportPrinter(Health::PaperLow)]
    );
    let effects = k.tick(REPORT_MS);
    assert!(
        effects.contains(&Effect::ReportPrinter(Health::PaperLow)),
        "{effects:?}"
    );
}

#[test]
fn procedures_are_browsed_line_then_procedure_and_back() {
    let mut k = kiosk(false);
    k.open_procedures();
    assert_eq!(k.screen, Screen::Procedures);
    k.pick("1.001193");
    assert_eq!(k.procedure_line, None, "a procedure code is not a line");
    k.pick("HT");
    k.pick("1.001193");
    assert_eq!(
        (k.procedure_line.as_deref(), k.procedure.as_deref()),
        (Some("HT"), Some("1.001193"))
    );
    k.back();
    assert_eq!(k.procedure, None);
    k.back();
    k.back();
    assert_eq!(k.screen, Screen::Home);
    let mut empty = Kiosk::new("x");
    empty.open_procedures();
    assert_eq!(
        empty.screen,
        Screen::Home,
        "no catalogue, no procedures screen"
    );
}

#[test]
fn a_ready_result_gives_a_return_ticket_in_one_tap() {
    let mut k = kiosk(false);
    k.key("000.00.12.h27-261124-0042\n");
    // Not ready: no return ticket offered.
    k.looked_up_dossier(
        "000.00.12.H27-261124-0042",
        Ok(motcua_api::DossierLookup {
            code: "000.00.12.H27-261124-0042".into(),
            status: "in_progress".into(),
            status_text: Localized::new("Hồ sơ đang được xử lý.", "Being handled."),
        }),
    );
    assert_eq!(k.lookup_ready, None);
    assert_eq!(k.take_return_ticket(), vec![]);
    k.looked_up_dossier(
        "000.00.12.H27-261124-0042",
        Ok(motcua_api::DossierLookup {
            code: "000.00.12.H27-261124-0042".into(),
            status: "result_ready".into(),
            status_text: Localized::new("Hồ sơ đã có kết quả.", "The result is ready."),
        }),
    );
    assert_eq!(
        k.take_return_ticket(),
        vec![Effect::IssueReturn("000.00.12.H27-261124-0042".into())]
    );
    assert_eq!(k.take_return_ticket(), vec![], "a second tap waits");
    // Typing another code forgets the offer.
    k.busy = false;
    k.key("\u{8}");
    assert_eq!(k.lookup_ready, None);
}

fn refused(code: &str, vi: &str) -> ClientError {
    ClientError::Refused {
        status: 403,
        code: code.into(),
        message: "x".into(),
        citizen_message: Some(Localized::new(vi, "")),
    }
}

#[test]
fn a_dossier_that_asks_for_the_id_digits_gets_them_from_the_keypad() {
    const CODE: &str = "000.00.12.H27-261124-0042";
    let mut k = kiosk(false);
    k.key("000.00.12.h27-261124-0042\n");
    k.looked_up_dossier(CODE, Err(refused("id_required", "Xin nhập 4 số cuối")));
    assert_eq!(k.id_for.as_deref(), Some(CODE));
    assert_eq!(
        k.lookup_result,
        Some(Message::Hall(Localized::new("Xin nhập 4 số cuối", "")))
    );
    // Only digits, at most four; Enter only when all four are there.
    assert_eq!(k.key("12\n"), vec![]);
    assert_eq!(k.key("3"), vec![]);
    assert_eq!(k.key("45"), vec![]);
    assert_eq!(k.id_digits, "1234");
    assert_eq!(
        k.key("\n"),
        vec![Effect::Lookup {
            code: CODE.into(),
            id: Some("1234".into())
        }]
    );
    // Wrong: asked again, the boxes empty.
    k.looked_up_dossier(CODE, Err(refused("id_mismatch", "4 số cuối không khớp")));
    assert_eq!(
        (k.id_for.as_deref(), k.id_digits.as_str()),
        (Some(CODE), "")
    );
    // Right: the status, and the keypad types codes again.
    k.key("5678\n");
    k.looked_up_dossier(
        CODE,
        Ok(motcua_api::DossierLookup {
            code: CODE.into(),
            status: "result_ready".into(),
            status_text: Localized::new("Hồ sơ đã có kết quả.", "The result is ready."),
        }),
    );
    assert_eq!(k.id_for, None);
    assert!(k.lookup_ready.is_some());
    // Asked again, the citizen erases past the digits: back to the code to correct it.
    k.looked_up_dossier(CODE, Err(refused("id_required", "Xin nhập 4 số cuối")));
    k.key("1\u{8}\u{8}");
    assert_eq!(k.id_for, None);
    k.key("\u{8}");
    assert_eq!(k.lookup_input, "000.00.12.H27-261124-004");
    // Asked, and another receipt is scanned instead: its code, whole.
    k.key("2\n");
    k.looked_up_dossier(CODE, Err(refused("id_required", "Xin nhập 4 số cuối")));
    let effects = k.key("000.00.12.H27-261124-0050\n");
    assert_eq!(
        effects,
        vec![Effect::Lookup {
            code: "000.00.12.H27-261124-0050".into(),
            id: None
        }]
    );
    // Too many wrong tries (429) or the service away: no more digits asked.
    k.looked_up_dossier(
        CODE,
        Err(refused("too_many_tries", "Đã nhập sai nhiều lần")),
    );
    assert_eq!(k.id_for, None);
}

#[test]
fn the_next_citizen_is_met_in_vietnamese() {
    // English for a ticket: once the ticket screen goes, home is Vietnamese again.
    let mut k = kiosk(false);
    k.set_lang(Lang::En);
    k.choose_service("HT");
    k.issued(Ok(ticket("A024")));
    k.printed(Ok(Health::Ready));
    assert_eq!((k.screen, k.lang), (Screen::Ticket, Lang::En));
    k.tick(TICKET_SCREEN_MS);
    assert_eq!((k.screen, k.lang), (Screen::Home, Lang::Vi));
    // "Xong" on the ticket screen does the same.
    k.set_lang(Lang::En);
    k.choose_service("HT");
    k.issued(Ok(ticket("A025")));
    k.go_home();
    assert_eq!(k.lang, Lang::Vi);
    // Moving between screens keeps the citizen's language…
    k.set_lang(Lang::En);
    k.open_lookup();
    k.go_home();
    assert_eq!(k.lang, Lang::En);
    // …and a kiosk left in English, even on its home screen, returns to Vietnamese.
    k.tick(IDLE_MS);
    assert_eq!((k.screen, k.lang), (Screen::Home, Lang::Vi));
}

#[test]
fn a_second_receipt_scanned_after_a_lookup_replaces_the_code() {
    const FIRST: &str = "000.00.12.H27-261124-0042";
    const SECOND: &str = "000.00.12.H27-261124-0043";
    let mut k = kiosk(false);
    k.key(&format!("{FIRST}\n"));
    k.looked_up(
        FIRST,
        Err(ClientError::Refused {
            status: 404,
            code: "not_found".into(),
            message: "x".into(),
            citizen_message: None,
        }),
    );
    assert_eq!(k.lookup_result, Some(Message::NotFound(FIRST.into())));
    assert_eq!(
        k.key(&format!("{SECOND}\n")),
        vec![Effect::Lookup {
            code: SECOND.into(),
            id: None
        }]
    );
    assert_eq!(k.lookup_input, SECOND);
    // Correcting a code by hand keeps it, and the old answer goes at once.
    k.looked_up(
        SECOND,
        Err(ClientError::Refused {
            status: 404,
            code: "not_found".into(),
            message: "x".into(),
            citizen_message: None,
        }),
    );
    k.key("\u{8}");
    assert_eq!(k.lookup_result, None);
    k.key("3");
    assert_eq!(k.lookup_input, SECOND);
    // "Xóa hết" (the × in the field) takes the whole code at once.
    k.key("\u{1b}");
    assert_eq!(k.lookup_input, "");
    assert_eq!(k.screen, Screen::Lookup);
    k.key("H27");
    assert_eq!(k.lookup_input, "H27");
}

#[test]
fn a_ticket_says_which_counters_will_call_it() {
    let mut k = kiosk(false);
    let counter = |id: u32, services: &[&str]| motcua_api::CounterView {
        id,
        name: format!("Quầy {id}"),
        services: services.iter().map(|s| s.to_string()).collect(),
        open: true,
        current: None,
    };
    k.loaded(Ok(Loaded {
        services: vec![service("HT", true)],
        counters: vec![
            counter(1, &["HT", "CT"]),
            counter(2, &["CT"]),
            counter(3, &["HT"]),
        ],
        ..Loaded::default()
    }));
    let mut t = ticket("A024").ticket;
    assert_eq!(k.counters_for(&t), vec![1, 3]);
    // Sent to one counter: only that one calls it.
    t.target_counter = Some(3);
    assert_eq!(k.counters_for(&t), vec![3]);
}

#[test]
fn nghe_reads_each_screen_and_the_ticket_with_where_to_go() {
    use crate::voice::*;
    let mut k = kiosk(true);
    let counter = |id: u32| motcua_api::CounterView {
        id,
        name: format!("Quầy {id}"),
        services: vec!["HT".into()],
        open: true,
        current: None,
    };
    k.counters = vec![counter(1), counter(12)];
    assert_eq!(k.guide(), [GUIDE_HOME]);
    k.choose_service("HT");
    assert_eq!(k.guide(), [GUIDE_PRIORITY]);
    let effects = k.choose_priority(None);
    assert!(matches!(effects[..], [Effect::Issue { .. }]));
    k.issued(Ok(ticket("A023")));
    // "Số thứ tự của ông bà là a, không, hai, ba … tại quầy một và mười hai … nhận phiếu"
    let said = k.guide();
    assert_eq!(
        said,
        [
            GUIDE_YOUR_NUMBER,
            "letter_a",
            "d0",
            "d2",
            "d3",
            PAUSE,
            GUIDE_WAIT_FOR,
            "d1",
            GUIDE_AND,
            MUOI_TEN,
            "d2",
            PAUSE,
            GUIDE_TAKE_PAPER
        ]
    );
    k.printed(Err(Health::PaperOut));
    assert_eq!(k.guide().last().unwrap(), GUIDE_NO_PAPER);
    k.go_home();
    k.open_lookup();
    assert_eq!(k.guide(), [GUIDE_LOOKUP]);
    k.go_home();
    k.open_procedures();
    assert_eq!(k.guide(), [GUIDE_PROCEDURES]);

    // The shipped pack says every one of them.
    let pack = load_guide_pack(&default_pack_dir()).unwrap();
    let samples = pack.render(&said);
    assert!(
        samples.len() > pack.rate() as usize * 3,
        "{} samples",
        samples.len()
    );
}

#[test]
fn chu_to_is_for_one_citizen() {
    let mut k = kiosk(false);
    k.set_large_text(true);
    k.choose_service("HT");
    // Going back to choose another line is the same citizen.
    k.go_home();
    assert!(k.large_text);
    k.choose_service("HT");
    k.issued(Ok(ticket("A001")));
    k.printed(Ok(Health::Ready));
    k.tick(TICKET_SCREEN_MS);
    assert_eq!(k.screen, Screen::Home);
    assert!(!k.large_text, "the next citizen gets ordinary type");
    // Walking away resets it too.
    k.set_large_text(true);
    k.open_lookup();
    k.tick(IDLE_MS);
    assert!(!k.large_text);
}

fn away() -> ClientError {
    ClientError::Unreachable("connection refused".into())
}

fn offline_ticket(number: &str) -> TicketView {
    let mut t = ticket(number);
    t.ticket.offline = Some("K1".into());
    t.waiting_ahead = None;
    t
}

#[test]
fn the_service_away_a_few_seconds_the_kiosk_gives_its_own_ticket() {
    let mut k = kiosk(false);
    k.series = Some("K1".into());
    let online = Effect::Issue {
        service: "HT".into(),
        priority: None,
    };
    assert_eq!(k.choose_service("HT"), std::slice::from_ref(&online));
    // One lost answer is not the service away: asked again a second later.
    assert_eq!(k.issued(Err(away())), []);
    assert!(k.busy, "the citizen waits");
    assert_eq!(k.notice, Some(Message::Offline));
    assert!(k.tick(1000).contains(&online));
    assert_eq!(k.issued(Err(away())), []);
    k.tick(1000);
    k.issued(Err(away()));
    // Four seconds without the service: the journal gives the ticket.
    let effects = k.tick(2000);
    assert!(
        effects.contains(&Effect::IssueOffline {
            service: "HT".into(),
            priority: None
        }),
        "{effects:?}"
    );
    let effects = k.issued_offline(Ok(offline_ticket("A-K1-001")), 1);
    assert!(matches!(&effects[..], [Effect::Print(t)] if t.ticket.number == "A-K1-001"));
    assert_eq!(
        (k.screen, k.busy, k.journal_waiting),
        (Screen::Ticket, false, 1)
    );
    k.printed(Ok(Health::Ready));
    k.tick(TICKET_SCREEN_MS);
    // The next citizen, the service still away: straight from the journal.
    assert_eq!(
        k.choose_service("HT"),
        [Effect::IssueOffline {
            service: "HT".into(),
            priority: None
        }]
    );
    k.issued_offline(Ok(offline_ticket("A-K1-002")), 2);
    // Nothing is sent while the service is away; once it answers, the journal is.
    assert!(!k.tick(REFRESH_AWAY_MS).contains(&Effect::Replay));
    k.loaded(Ok(Loaded {
        services: vec![service("HT", true)],
        ..Loaded::default()
    }));
    assert_eq!(k.notice, None);
    assert!(k.tick(1000).contains(&Effect::Replay));
    assert!(
        !k.tick(1000).contains(&Effect::Replay),
        "one sending at a time"
    );
    // The link drops midway: one ticket is in, one waits for the next time.
    k.replayed(1, Some(away()));
    assert!(!k.connected);
    k.loaded(Ok(Loaded::default()));
    assert!(k.tick(1000).contains(&Effect::Replay));
    let effects = k.replayed(0, None);
    assert_eq!(
        effects,
        [Effect::ReportPrinter(k.printer)],
        "staff see the count"
    );
    assert!(!k.tick(1000).contains(&Effect::Replay));
}

#[test]
fn a_slow_answer_counts_its_wait_and_a_kiosk_without_series_gives_none() {
    let mut k = kiosk(false);
    k.series = Some("K1".into());
    k.choose_service("HT");
    // The request waited its whole timeout: that is the service away long enough.
    k.tick(1000);
    k.tick(1000);
    k.tick(1000);
    k.tick(1000);
    assert_eq!(
        k.issued(Err(away())),
        [Effect::IssueOffline {
            service: "HT".into(),
            priority: None
        }]
    );
    // A refusal is the hall's answer, not the service away.
    let mut k = kiosk(false);
    k.series = Some("K1".into());
    k.choose_service("HT");
    k.issued(Err(refused("daily_limit_reached", "Hết số")));
    assert_eq!((k.screen, k.busy), (Screen::Home, false));
    // Without a series the citizen is told to wait, as before.
    let mut k = kiosk(false);
    k.choose_service("HT");
    assert_eq!(k.issued(Err(away())), []);
    assert_eq!((k.screen, k.busy), (Screen::Home, false));
    assert_eq!(k.notice, Some(Message::ServiceAway));
    // A journal that cannot be written: no ticket, said plainly.
    let mut k = kiosk(false);
    k.series = Some("K1".into());
    k.choose_service("HT");
    k.issued_offline(Err("disk full".into()), 0);
    assert_eq!(
        (k.screen, k.notice.clone()),
        (Screen::Home, Some(Message::ServiceAway))
    );
}

#[test]
fn while_away_the_lines_open_and_close_by_their_hours() {
    let mut k = kiosk(false);
    k.reopen(|_| false);
    assert!(
        k.services[0].open,
        "the service's word holds while it answers"
    );
    k.loaded(Err(away()));
    k.reopen(|s| s.code == "DD");
    let open: Vec<bool> = k.services.iter().map(|s| s.open).collect();
    assert_eq!(open, [false, true]);
}
