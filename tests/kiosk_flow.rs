//! A citizen at the kiosk, end to end: the real hall service on loopback, the real
//! kiosk app with a simulated printer, taps found by their accessible labels the
//! way a screen reader finds them.

mod common;

use std::time::{Duration, Instant};

use slint::ComponentHandle;

use common::*;
use motcua_hardware::printer::sim::Faults;
use motcua_screens::ui::{KioskAdapter, PrintStatus, Screen};

/// A speaker that plays until stopped, and remembers what it was told.
#[derive(Clone, Default)]
struct Speaker(std::sync::Arc<std::sync::Mutex<(Vec<String>, bool)>>);

impl Speaker {
    fn log(&self) -> Vec<String> {
        self.0.lock().unwrap().0.clone()
    }
}

impl motcua_hardware::audio::Playback for Speaker {
    fn start(&mut self, wav: Vec<u8>) -> std::io::Result<()> {
        let mut s = self.0.lock().unwrap();
        assert!(!s.1, "a reading started over another");
        s.0.push(format!("start {}", wav.len()));
        s.1 = true;
        Ok(())
    }
    fn stop(&mut self) {
        let mut s = self.0.lock().unwrap();
        if std::mem::take(&mut s.1) {
            s.0.push("stop".into());
        }
    }
    fn playing(&mut self) -> bool {
        self.0.lock().unwrap().1
    }
}

#[test]
fn a_citizen_takes_a_ticket_in_two_taps_and_it_prints() {
    i_slint_backend_testing::init_integration_test_with_system_time();
    let dir = tempfile::tempdir().unwrap();
    let svc = Service::start(dir.path(), &hall_config(&[]));
    let rt = tokio::runtime::Runtime::new().unwrap();
    // A network printer on loopback that answers status queries as a real one does,
    // and a speaker that plays until it is stopped.
    let speaker = Speaker::default();
    let pack =
        motcua_screens::voice::load_guide_pack(&motcua_screens::voice::default_pack_dir()).unwrap();
    let home_said = pack.wav(&pack.render(&[motcua_screens::voice::GUIDE_HOME.into()]));
    let kiosk = start_kiosk_with_voice(&svc, &rt, Some((pack, Box::new(speaker.clone()))));
    let (ui, sim) = (&kiosk.ui, kiosk.paper.clone());

    // The citizen's steps, each taken once the screen shows what it needs. First they
    // ask to hear the screen, then choose while it is still being read.
    let (weak, sim2, heard) = (ui.as_weak(), sim.clone(), speaker.clone());
    let reached = drive(6, move |step| {
        let ui = weak.unwrap();
        let a = ui.global::<KioskAdapter>();
        match step {
            0 if tap(&ui, "Nghe") => 10,
            10 if a.get_speaking() && tap(&ui, "Hộ tịch") => 11,
            11 if heard.log().len() == 2 && !a.get_speaking() => 1,
            1 if a.get_screen() == Screen::Priority && tap(&ui, "Không – lấy số thường") => {
                2
            }
            2 if a.get_screen() == Screen::Ticket && !sim2.lock().unwrap().sheets().is_empty() => {
                // The paper is out; now the printer runs dry for the next citizen.
                sim2.lock().unwrap().set_faults(Faults {
                    paper_out: true,
                    ..Faults::default()
                });
                tap(&ui, "Xong");
                3
            }
            3 if a.get_screen() == Screen::Home && tap(&ui, "Chứng thực") => 4,
            4 if a.get_screen() == Screen::Priority && tap(&ui, "Người cao tuổi") => 5,
            5 if a.get_screen() == Screen::Ticket
                && a.get_ticket().print == PrintStatus::Failed =>
            {
                6
            }
            other => other,
        }
    });
    assert_eq!(reached, 6, "the citizen got stuck at step {reached}");
    // The home screen was read (the shipped pack's words), and the reading stopped
    // when the next screen came; nothing read over anything.
    assert_eq!(
        speaker.log(),
        [format!("start {}", home_said.len()), "stop".to_string()]
    );

    // The service issued both tickets; the first is on paper, the second on screen only.
    let a = ui.global::<KioskAdapter>();
    let card = a.get_ticket();
    assert_eq!(card.number, "B001");
    assert!(card.priority.contains("Người cao tuổi"));
    // What the citizen reads: the printer's trouble, and the number to remember.
    let shown = shown_texts(ui);
    assert!(
        shown
            .iter()
            .any(|t| t.contains("hết giấy") && t.contains("B001")),
        "{shown:?}"
    );
    assert!(
        shown.iter().any(|t| t == "Ưu tiên – Người cao tuổi"),
        "{shown:?}"
    );
    let sheets = sim.lock().unwrap().sheets().to_vec();
    assert_eq!(sheets.len(), 1, "nothing printed into an empty roll");
    let c = client();
    let services: serde_json::Value =
        rt.block_on(async { get(&c, &svc.url("/api/v1/services")).await.1 });
    let issued = |code: &str| {
        services
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["code"] == code)
            .unwrap()["issued_today"]
            .clone()
    };
    assert_eq!((issued("HT"), issued("CT")), (1.into(), 1.into()));
    let ticket: serde_json::Value =
        rt.block_on(async { get(&c, &svc.url("/api/v1/tickets/2")).await.1 });
    assert_eq!(
        (ticket["number"].as_str(), ticket["priority"].as_str()),
        (Some("B001"), Some("elderly"))
    );
    assert!(a.get_printer_problem().contains("hết giấy"));

    // Staff see the empty roll on the board (the kiosk reports it in the background).
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let board: serde_json::Value =
            rt.block_on(async { get(&c, &svc.url("/api/v1/board")).await.1 });
        if board["devices"][0]["printer"] == "paper_out" {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the board never heard of the empty roll: {}",
            board["devices"]
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}
