//! Renders every kiosk screen at the three kiosk sizes, in Vietnamese and English,
//! and the waiting-room display at its three sizes, with the software renderer the
//! Pi uses, through the same rendering code as the running apps, and the counter's
//! satisfaction screen. The PNGs land in
//! `target/screenshots/` for a person to look at.

mod common;

use std::sync::Arc;

use chrono::{Duration, TimeZone, Utc};
use chrono_tz::Asia::Ho_Chi_Minh;
use i_slint_backend_testing::{TestingBackend, TestingBackendOptions};
use slint::ComponentHandle;

use motcua_api::{TicketView, board, service_views};
use motcua_core::domain::Localized;
use motcua_core::layout::Hours;
use motcua_core::queue::{Command, Queue};
use motcua_hardware::printer::Health;
use motcua_screens::display::model::DisplayModel;
use motcua_screens::kiosk::app::{render, to_image};
use motcua_screens::kiosk::controller::{
    Issued, Kiosk, Lang, Loaded, Message, PrintState, PriorityChoice, Screen,
};
use motcua_screens::ui::KioskWindow;
use motcua_service::config::Config;

const SIZES: [(u32, u32, &str); 4] = [
    (1080, 1920, "portrait"),
    (1920, 1080, "landscape"),
    (1280, 800, "tablet"),
    (800, 480, "pi7"),
];

/// How tall the one-line text `label` is as drawn, in pixels: from the top of its
/// highest mark to the bottom of its lowest, found in the frame `shot` inside the
/// text's own box, against the colour most of that box has.
fn ink_height(
    ui: &KioskWindow,
    shot: &slint::SharedPixelBuffer<slint::Rgba8Pixel>,
    label: &str,
) -> u32 {
    use i_slint_backend_testing::{AccessibleRole, ElementHandle};
    let text = ElementHandle::find_by_accessible_label(ui, label)
        .find(|e| e.accessible_role() == Some(AccessibleRole::Text))
        .unwrap_or_else(|| panic!("no text {label:?} on screen"));
    let (at, size) = (text.absolute_position(), text.size());
    let (x0, y0) = (at.x.max(0.0) as u32, at.y.max(0.0) as u32);
    let x1 = ((at.x + size.width) as u32).min(shot.width());
    let y1 = ((at.y + size.height) as u32).min(shot.height());
    let px = |x: u32, y: u32| shot.as_slice()[(y * shot.width() + x) as usize];
    let mut counts = std::collections::HashMap::new();
    for y in y0..y1 {
        for x in x0..x1 {
            let p = px(x, y);
            *counts.entry((p.r, p.g, p.b)).or_insert(0u32) += 1;
        }
    }
    let ground = counts
        .into_iter()
        .max_by_key(|(_, n)| *n)
        .map(|(c, _)| c)
        .unwrap();
    let inked = |y: u32| {
        (x0..x1).any(|x| {
            let p = px(x, y);
            let d = |a: u8, b: u8| i32::from(a).abs_diff(i32::from(b));
            d(p.r, ground.0) + d(p.g, ground.1) + d(p.b, ground.2) > 150
        })
    };
    let rows: Vec<u32> = (y0..y1).filter(|&y| inked(y)).collect();
    match (rows.first(), rows.last()) {
        (Some(top), Some(bottom)) => bottom - top + 1,
        _ => 0,
    }
}

/// A morning in the demo hall: some lines busy, Đất đai closed, one ticket just taken.
fn morning() -> (Kiosk, TicketView) {
    let config = Config::sample();
    let mut layout = (*config.layout).clone();
    for s in &mut layout.services {
        if s.code == "DD" {
            s.hours = Hours {
                sessions: vec![],
                days: vec![],
            };
            s.hours
                .sessions
                .push(("13:30".parse().unwrap(), "17:00".parse().unwrap()));
        }
    }
    let now = Ho_Chi_Minh
        .with_ymd_and_hms(2026, 11, 24, 8, 41, 0)
        .unwrap()
        .with_timezone(&Utc);
    let mut q = Queue::new(Arc::new(layout), now);
    let mut last = None;
    for (i, code) in [
        "HT", "HT", "HT", "CTRU", "CTRU", "XD", "LDXH", "TKQ", "TKQ", "HT",
    ]
    .iter()
    .enumerate()
    {
        let cmd = Command::Issue {
            service: (*code).into(),
            priority: None,
        };
        last = q
            .execute(&cmd, now + Duration::seconds(i as i64))
            .unwrap()
            .pop();
    }
    let t = last.unwrap().ticket.unwrap();
    let ticket = TicketView::of(&q, q.ticket(t.id).unwrap());
    let mut k = Kiosk::new("Trung tâm Phục vụ hành chính công phường Hòa Bình");
    let groups = q
        .layout()
        .priority_groups
        .iter()
        .map(|g| PriorityChoice {
            code: g.code.clone(),
            name: g.name.clone(),
        })
        .collect();
    k.loaded(Ok(Loaded {
        hall_name: q.layout().hall.name.clone(),
        priority_groups: groups,
        services: service_views(&q, now),
        procedures: config.procedures.clone(),
        counters: motcua_api::counter_views(&q),
    }));
    (k, ticket)
}

#[test]
fn every_screen_renders_at_every_size() {
    slint::platform::set_platform(Box::new(TestingBackend::new(TestingBackendOptions {
        mock_time: true,
        threading: false,
        renderer_name: Some("software".into()),
    })))
    .unwrap();
    let out = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target/screenshots");
    std::fs::create_dir_all(&out).unwrap();
    let ui = KioskWindow::new().unwrap();
    ui.show().unwrap();
    let now = Ho_Chi_Minh
        .with_ymd_and_hms(2026, 11, 24, 8, 41, 0)
        .unwrap();
    let qr = motcua_hardware::printer::raster::qr_code("http://192.168.1.10:8080/t/10", 8).unwrap();

    for (w, h, size) in SIZES {
        ui.window().set_size(slint::PhysicalSize::new(w, h));
        // Vietnamese, English, and Vietnamese in large type ("Chữ to").
        for (lang, large) in [(Lang::Vi, false), (Lang::En, false), (Lang::Vi, true)] {
            let (mut k, ticket) = morning();
            k.lang = lang;
            let mut shots: Vec<(&str, Kiosk)> = Vec::new();

            shots.push(("home", {
                let (mut k, _) = morning();
                k.lang = lang;
                k
            }));
            let mut notice = morning().0;
            notice.lang = lang;
            notice.choose_service("DD");
            shots.push(("home-closed-line", notice));

            let mut low = morning().0;
            low.lang = lang;
            low.printer = Health::PaperLow;
            shots.push(("home-printer-low", low));

            let mut prio = morning().0;
            prio.lang = lang;
            prio.choose_service("HT");
            shots.push(("priority", prio));

            k.screen = Screen::Ticket;
            k.issued = Some(Issued {
                ticket: ticket.clone(),
                service_name: Localized::new("Hộ tịch", "Civil status"),
                print: PrintState::Printed,
                shown_ms: 0,
            });
            shots.push(("ticket", k));

            let mut no_paper = morning().0;
            no_paper.lang = lang;
            no_paper.screen = Screen::Ticket;
            let mut prio_ticket = ticket.clone();
            prio_ticket.ticket.priority = Some("elderly".into());
            no_paper.issued = Some(Issued {
                ticket: prio_ticket,
                service_name: Localized::new("Hộ tịch", "Civil status"),
                print: PrintState::Failed(Health::PaperOut),
                shown_ms: 0,
            });
            no_paper.printer = Health::PaperOut;
            shots.push(("ticket-no-paper", no_paper));

            // The hall service away: the kiosk says it still gives tickets, and gives
            // one of its own, marked so, without a QR code.
            let mut away = morning().0;
            away.lang = lang;
            away.series = Some("K1".into());
            away.loaded(Err(motcua_client::ClientError::Unreachable(
                "refused".into(),
            )));
            shots.push(("home-offline", away));
            let mut offline = morning().0;
            offline.lang = lang;
            offline.screen = Screen::Ticket;
            let mut own = ticket.clone();
            own.ticket.number = "A-K1-007".into();
            own.ticket.offline = Some("K1".into());
            own.waiting_ahead = None;
            own.estimated_wait_s = None;
            offline.issued = Some(Issued {
                ticket: own,
                service_name: Localized::new("Hộ tịch", "Civil status"),
                print: PrintState::Printed,
                shown_ms: 0,
            });
            shots.push(("ticket-offline", offline));

            let mut lookup = morning().0;
            lookup.lang = lang;
            lookup.key("000.00.12.H27-261124-0042\n");
            lookup.looked_up(
                "000.00.12.H27-261124-0042",
                Err(motcua_client::ClientError::Refused {
                    status: 404,
                    code: "not_found".into(),
                    message: String::new(),
                    citizen_message: None,
                }),
            );
            shots.push(("lookup", lookup));

            let mut ready = morning().0;
            ready.lang = lang;
            ready.key("000.00.12.H27-261124-0042\n");
            ready.looked_up_dossier(
                "000.00.12.H27-261124-0042",
                Ok(motcua_api::DossierLookup {
                    code: "000.00.12.H27-261124-0042".into(),
                    status: "result_ready".into(),
                    status_text: Localized::new(
                        "Hồ sơ đã có kết quả. Mời ông/bà đến Quầy 8 nhận kết quả, mang theo giấy hẹn.",
                        "The result is ready. Please collect it at Quầy 8; bring your receipt.",
                    ),
                }),
            );
            shots.push(("lookup-ready", ready));

            let mut asks_id = morning().0;
            asks_id.lang = lang;
            asks_id.key("000.00.12.H27-261124-0042\n");
            asks_id.looked_up_dossier(
                "000.00.12.H27-261124-0042",
                Err(motcua_client::ClientError::Refused {
                    status: 403,
                    code: "id_required".into(),
                    message: String::new(),
                    citizen_message: Some(Localized::new(
                        "Xin nhập 4 số cuối trên thẻ căn cước (CCCD) của người nộp hồ sơ.",
                        "Please enter the last 4 digits of the applicant's ID card (CCCD).",
                    )),
                }),
            );
            asks_id.key("07");
            shots.push(("lookup-id", asks_id));

            let mut procedures = morning().0;
            procedures.lang = lang;
            procedures.open_procedures();
            shots.push(("procedures", procedures));
            let mut line = morning().0;
            line.lang = lang;
            line.open_procedures();
            line.pick("HT");
            shots.push(("procedures-line", line));
            let mut one = morning().0;
            one.lang = lang;
            one.open_procedures();
            one.pick("CT");
            one.pick("2.000815");
            shots.push(("procedure", one));

            let mut capitals = morning().0;
            capitals.lang = lang;
            capitals.hall_name = "ẮẰẲẴẶ ỐỒỔỖỘ ỨỪỬỮỰ – TRUNG TÂM PHỤC VỤ HÀNH CHÍNH CÔNG".into();
            capitals.notice = Some(Message::Hall(Localized::new(
                "ẮẰẲẴẶ ỐỒỔỖỘ ỨỪỬỮỰ",
                "ẮẰẲẴẶ ỐỒỔỖỘ ỨỪỬỮỰ",
            )));
            shots.push(("stacked-capitals", capitals));

            let lang_name = match (lang, large) {
                (Lang::Vi, false) => "vi",
                (Lang::En, _) => "en",
                (Lang::Vi, true) => "vi-large",
            };
            for (name, mut state) in shots {
                state.large_text = large;
                render(&ui, &state, now, Some(to_image(qr.clone())));
                let shot = ui.window().take_snapshot().unwrap();
                assert_eq!((shot.width(), shot.height()), (w, h));
                // The kiosk's own sentences, as the window shows them.
                let says = |words: &[&str]| {
                    let shown = common::shown_texts(&ui);
                    assert!(
                        shown.iter().any(|t| words.iter().all(|w| t.contains(w))),
                        "{name} {lang_name}: no text with {words:?} in {shown:?}"
                    );
                };
                match (name, lang) {
                    ("home-closed-line", Lang::Vi) => says(&["Lĩnh vực Đất đai", "13:30–17:00"]),
                    ("home-closed-line", Lang::En) => says(&["Land is not giving", "13:30–17:00"]),
                    ("lookup", Lang::Vi) => {
                        says(&["Không tìm thấy hồ sơ 000.00.12.H27-261124-0042"])
                    }
                    ("lookup", Lang::En) => says(&["No dossier 000.00.12.H27-261124-0042"]),
                    ("home-printer-low", Lang::Vi) => {
                        says(&["Máy in sắp hết giấy – xin báo cán bộ"])
                    }
                    ("home-printer-low", Lang::En) => says(&["Printer: paper low"]),
                    ("home-offline", Lang::Vi) => {
                        says(&["mất kết nối, nhưng ông/bà vẫn lấy số được"])
                    }
                    ("home-offline", Lang::En) => {
                        says(&["offline, but you can still take a ticket"])
                    }
                    ("ticket-offline", Lang::Vi) => {
                        says(&["A-K1-007"]);
                        says(&["được cấp khi hệ thống mất kết nối"]);
                    }
                    ("ticket-offline", Lang::En) => says(&["given while the system was offline"]),
                    ("ticket", Lang::Vi) => {
                        says(&[if size == "pi7" {
                            "3 người chờ trước · khoảng"
                        } else {
                            "Có 3 người đang chờ trước ông/bà"
                        }]);
                        says(&[if size != "portrait" {
                            "Hộ tịch · Quầy 1, 2"
                        } else {
                            "số sẽ được gọi tại quầy 1, 2"
                        }]);
                    }
                    ("ticket", Lang::En) => {
                        says(&["3 people ahead"]);
                        says(&[if size != "portrait" {
                            "Civil status · Counter 1, 2"
                        } else {
                            "will be called at counter 1, 2"
                        }]);
                    }
                    _ => {}
                }
                // The 7-inch kiosk: its main labels are at least 5 mm tall (26 px at
                // its 5.2 px per mm), in both type sizes. Measured on words that span
                // the type's whole height, from the highest mark to the lowest point
                // (about one em; capitals are 0.71 of it).
                if size == "pi7" && lang == Lang::Vi {
                    let labels: &[&str] = match name {
                        "home" => &["Hộ tịch"],
                        "priority" => &["Người cao tuổi", "Quay lại"],
                        "ticket" => &["Xong"],
                        _ => &[],
                    };
                    for label in labels {
                        let h = ink_height(&ui, &shot, label);
                        assert!(
                            h >= 26,
                            "{name} {lang_name}: \"{label}\" is {h} px tall at 800×480"
                        );
                    }
                }
                let path = out.join(format!("kiosk-{name}-{size}-{lang_name}.png"));
                image::save_buffer(
                    &path,
                    shot.as_bytes(),
                    w,
                    h,
                    image::ExtendedColorType::Rgba8,
                )
                .unwrap();
            }
        }
    }
    // The waiting-room display: a quiet start, a busy morning with a fresh call, and
    // the stream down.
    // The display speaks Vietnamese; the kiosk shots above left English selected.
    slint::select_bundled_translation("").unwrap();
    let display = motcua_screens::ui::DisplayWindow::new().unwrap();
    display.show().unwrap();
    let (busy, call_at) = busy_hall();
    let quiet = DisplayModel::new(board(&Queue::new(Config::sample().layout, call_at), 0));
    let mut stale = busy.clone();
    stale.stale = true;
    let notice = "Giờ làm việc: sáng 7:30–11:30, chiều 13:30–17:00, từ thứ Hai đến thứ Sáu. Đường dây nóng: 1022.";
    for (w, h, size) in [
        (1920, 1080, "1080p"),
        (1280, 720, "720p"),
        (1080, 1920, "portrait"),
    ] {
        display.window().set_size(slint::PhysicalSize::new(w, h));
        for (name, model) in [("quiet", &quiet), ("busy", &busy), ("stale", &stale)] {
            let at = (call_at + Duration::seconds(2)).with_timezone(&Ho_Chi_Minh);
            motcua_screens::display::app::render(&display, Some(model), notice, at);
            // Let the spotlight's colour animation finish (time is mocked here).
            i_slint_backend_testing::mock_elapsed_time(std::time::Duration::from_millis(500));
            let shot = display.window().take_snapshot().unwrap();
            if name == "stale" {
                // Vietnamese whatever a kiosk in the same process chose.
                slint::select_bundled_translation("en").unwrap();
                let shown = common::shown_texts(&display);
                for words in ["MỜI CÔNG DÂN SỐ", "Đang chờ", "Tạm nghỉ", "● Mất kết nối"]
                {
                    assert!(shown.iter().any(|t| t == words), "{words}: {shown:?}");
                }
                slint::select_bundled_translation("").unwrap();
            }
            if name == "busy" {
                // Results wait and calls were made: the panel shows the results, then,
                // after its turn, the latest calls, then the results again.
                let says = |words: &str| common::shown_texts(&display).iter().any(|t| t == words);
                assert!(says("Hồ sơ đã có kết quả") && !says("Vừa gọi"));
                i_slint_backend_testing::mock_elapsed_time(std::time::Duration::from_secs(10));
                assert!(says("Vừa gọi") && !says("Hồ sơ đã có kết quả"));
                i_slint_backend_testing::mock_elapsed_time(std::time::Duration::from_secs(10));
                assert!(says("Hồ sơ đã có kết quả"));
            }
            let path = out.join(format!("display-{name}-{size}.png"));
            image::save_buffer(
                &path,
                shot.as_bytes(),
                w,
                h,
                image::ExtendedColorType::Rgba8,
            )
            .unwrap();
        }
    }
    rating_screens(&out);
}

/// The satisfaction screen at a counter: waiting, asking about a finished ticket,
/// thanks, and a refusal in words, at a tablet's, a 7-inch and a 10-inch size.
fn rating_screens(out: &std::path::Path) {
    use motcua_api::StoredEvent;
    use motcua_screens::rating::controller::RatingScreen;

    let ui = motcua_screens::ui::RatingWindow::new().unwrap();
    ui.show().unwrap();
    let a = ui.global::<motcua_screens::ui::RatingAdapter>();
    a.set_hall_name("Trung tâm Phục vụ hành chính công phường Hòa Bình".into());
    a.set_counter_name("Quầy 3 – Chứng thực".into());
    let now = Utc::now();
    let mut q = Queue::new(Config::sample().layout, now);
    let mut events = Vec::new();
    for cmd in [
        Command::Issue {
            service: "CT".into(),
            priority: None,
        },
        Command::Call { counter: 3 },
        Command::Finish { counter: 3 },
    ] {
        events.extend(q.execute(&cmd, now).unwrap());
    }
    let mut asking = RatingScreen::new(3);
    for (i, change) in events.into_iter().enumerate() {
        asking.on_event(
            &StoredEvent {
                id: i as u64 + 1,
                change,
            },
            now,
        );
    }
    let mut why = RatingScreen::new(3);
    why.set_reasons(motcua_service::config::Ratings::default().reasons);
    why.tap(motcua_core::domain::Satisfaction::Unsatisfied, now);
    let mut thanks = RatingScreen::new(3);
    thanks.tap(motcua_core::domain::Satisfaction::Satisfied, now);
    thanks.answered(Ok(()), now);
    let mut refused = RatingScreen::new(3);
    refused.tap(motcua_core::domain::Satisfaction::Satisfied, now);
    refused.answered(
        Err(motcua_client::ClientError::Refused {
            status: 409,
            code: "nothing_to_rate".into(),
            message: String::new(),
            citizen_message: None,
        }),
        now,
    );
    let waiting = RatingScreen::new(3);
    for (w, h, size) in [
        (1280, 800, "tablet"),
        (800, 480, "pi7"),
        (1024, 600, "10in"),
    ] {
        ui.window().set_size(slint::PhysicalSize::new(w, h));
        for (name, screen) in [
            ("waiting", &waiting),
            ("asking", &asking),
            ("why", &why),
            ("thanks", &thanks),
            ("refused", &refused),
        ] {
            motcua_screens::rating::app::render(&ui, screen);
            let shot = ui.window().take_snapshot().unwrap();
            let path = out.join(format!("rating-{name}-{size}.png"));
            image::save_buffer(
                &path,
                shot.as_bytes(),
                w,
                h,
                image::ExtendedColorType::Rgba8,
            )
            .unwrap();
        }
    }
}

/// Eight counters at work, long line names, the last call two seconds ago.
fn busy_hall() -> (DisplayModel, chrono::DateTime<Utc>) {
    let start = Ho_Chi_Minh
        .with_ymd_and_hms(2026, 11, 24, 9, 30, 0)
        .unwrap()
        .with_timezone(&Utc);
    let mut q = Queue::new(Config::sample().layout, start);
    let mut t = start;
    for (i, code) in [
        "HT", "HT", "CT", "CTRU", "DD", "XD", "KD", "LDXH", "TKQ", "HT", "HT", "CT", "CTRU",
        "LDXH", "TKQ", "TKQ",
    ]
    .iter()
    .enumerate()
    {
        let priority = (i == 1).then(|| "elderly".to_string());
        q.execute(
            &Command::Issue {
                service: (*code).into(),
                priority,
            },
            t,
        )
        .unwrap();
        t += Duration::seconds(20);
    }
    q.execute(&Command::Close { counter: 5 }, t).unwrap();
    for counter in [1, 2, 3, 4, 6, 7, 8] {
        t += Duration::seconds(7);
        q.execute(&Command::Call { counter }, t).unwrap();
    }
    // Three results waiting for pickup, as the switchboard lists them.
    for (i, (code, name, place)) in [
        (
            "000.00.12.H27-261123-0042",
            "Nguyễn Thị Hoa",
            Some("Quầy 8"),
        ),
        (
            "000.00.12.H27-261120-0107",
            "Đặng Quốc Khánh",
            Some("Quầy 8"),
        ),
        ("H23.45-231123-0001", "Lò Văn Ửng", None),
    ]
    .into_iter()
    .enumerate()
    {
        let d = motcua_core::dossier::Dossier::merged(
            None,
            &motcua_core::dossier::DossierUpdate {
                code: code.into(),
                procedure_name: Some("Đăng ký khai sinh".into()),
                citizen_name: Some(name.into()),
                status: Some(motcua_core::dossier::DossierStatus::ResultReady),
                pickup: place.map(Into::into),
                ..Default::default()
            },
            "upstream",
            t - Duration::minutes(30 - i as i64),
        )
        .unwrap();
        q.apply(&Queue::dossier_change(d.public(t), t));
    }
    let mut model = DisplayModel::new(board(&q, 99));
    model.spotlight = model.board.latest_calls.first().cloned();
    (model, t)
}

/// `motcua snapshot`: each role drawn off-screen by the real binary, the same frame
/// every time (the CI compares an emulated Pi's with this machine's byte for byte).
#[test]
fn the_binary_draws_each_screen_without_a_display() {
    let dir = tempfile::tempdir().unwrap();
    let snap = |role: &str, size: &str, out: &std::path::Path| {
        std::process::Command::new(env!("CARGO_BIN_EXE_motcua"))
            .args(["snapshot", role, "--size", size, "--out"])
            .arg(out)
            .env_remove("DISPLAY")
            .env_remove("WAYLAND_DISPLAY")
            .output()
            .unwrap()
    };
    for (role, size, (w, h)) in [
        ("kiosk", "800x480", (800, 480)),
        ("display", "1920x1080", (1920, 1080)),
        ("rating", "1280x800", (1280, 800)),
    ] {
        let first = dir.path().join(format!("{role}-1.png"));
        let again = dir.path().join(format!("{role}-2.png"));
        for out in [&first, &again] {
            let done = snap(role, size, out);
            assert!(done.status.success(), "{role}: {done:?}");
        }
        let image = image::open(&first).unwrap().to_rgb8();
        assert_eq!(image.dimensions(), (w, h));
        let colours: std::collections::HashSet<_> = image.pixels().map(|p| p.0).collect();
        assert!(
            colours.len() > 50,
            "{role} drew little: {} colours",
            colours.len()
        );
        assert_eq!(
            std::fs::read(&first).unwrap(),
            std::fs::read(&again).unwrap(),
            "{role}: the same frame each time"
        );
    }
    let wrong = snap("counter", "800x480", &dir.path().join("x.png"));
    assert!(!wrong.status.success());
    let said = String::from_utf8_lossy(&wrong.stderr);
    assert!(
        said.contains("this build draws kiosk, display, rating"),
        "{said}"
    );
    let size = snap("kiosk", "800", &dir.path().join("x.png"));
    assert!(String::from_utf8_lossy(&size.stderr).contains("width×height"));
}
