//! A citizen's double tap on a line: the second tap lands where the first screen's
//! tile was, now a priority button. A new screen ignores taps for a moment, so no
//! priority ticket nobody chose is issued. Real pointer taps (not screen-reader
//! actions) on the real kiosk app against the real service.

mod common;

use std::time::{Duration, Instant};

use i_slint_backend_testing::{AccessibleRole, ElementHandle};
use slint::ComponentHandle;
use slint::platform::PointerEventButton;

use common::*;
use motcua_screens::ui::{KioskAdapter, Screen};

/// Taps, with the pointer, the button labelled `label`; false if it is not shown.
fn touch(ui: &impl ComponentHandle, label: &str) -> bool {
    let button = ElementHandle::find_by_accessible_label(ui, label)
        .find(|e| e.accessible_role() == Some(AccessibleRole::Button));
    match button {
        Some(b) => {
            slint::spawn_local(async move { b.single_click(PointerEventButton::Left).await })
                .unwrap();
            true
        }
        None => false,
    }
}

#[test]
fn a_double_tap_on_a_line_issues_no_priority_ticket() {
    i_slint_backend_testing::init_integration_test_with_system_time();
    let dir = tempfile::tempdir().unwrap();
    let svc = Service::start(dir.path(), &hall_config(&[]));
    let rt = tokio::runtime::Runtime::new().unwrap();
    let kiosk = start_kiosk(&svc, &rt);

    let weak = kiosk.ui.as_weak();
    let mut second_tap_at = Instant::now();
    let reached = drive(4, move |step| {
        let ui = weak.unwrap();
        let a = ui.global::<KioskAdapter>();
        match step {
            // The lines have loaded: the first tap of the double tap.
            0 if touch(&ui, "Hộ tịch") => 1,
            // The priority screen is up: the second tap, a moment later, where the tile was.
            1 if a.get_screen() == Screen::Priority && touch(&ui, "Người cao tuổi") => {
                second_tap_at = Instant::now();
                2
            }
            // It did nothing; a deliberate tap after the moment counts.
            2 if second_tap_at.elapsed() > Duration::from_millis(600) => {
                assert_eq!(a.get_screen(), Screen::Priority, "the second tap was taken");
                assert!(touch(&ui, "Người cao tuổi"));
                3
            }
            3 if a.get_screen() == Screen::Ticket => 4,
            other => other,
        }
    });
    assert_eq!(reached, 4, "stuck at step {reached}");
    let c = client();
    let tickets: serde_json::Value =
        rt.block_on(async { get(&c, &svc.url("/api/v1/tickets/1")).await.1 });
    assert_eq!(tickets["priority"], "elderly", "{tickets}");
    let second: serde_json::Value =
        rt.block_on(async { get(&c, &svc.url("/api/v1/tickets/2")).await.1 });
    assert_eq!(
        second["error"]["code"], "unknown_ticket",
        "only one ticket: {second}"
    );
}
