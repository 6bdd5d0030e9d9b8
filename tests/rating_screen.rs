//! The citizen's rating screen, end to end: the real hall service on loopback, the
//! real rating app; staff finish a ticket, the screen asks about it by number, the
//! citizen taps a face (found by its accessible label), the service records it.

mod common;

use slint::ComponentHandle;

use common::*;
use motcua_screens::rating::app::{RatingOptions, start};
use motcua_screens::ui::RatingAdapter;

/// A citizen takes a ticket for Chứng thực and counter 2 serves and finishes it.
async fn serve_one(c: reqwest::Client, base: String) {
    let url = |p: &str| format!("{base}{p}");
    let body = serde_json::json!({"service": "CT"});
    post(&c, &url("/api/v1/tickets"), KIOSK, Some(body)).await;
    let token = counter_token(2);
    post(&c, &url("/api/v1/counters/2/call"), &token, None).await;
    post(&c, &url("/api/v1/counters/2/finish"), &token, None).await;
}

#[test]
fn the_screen_asks_about_the_ticket_just_finished_and_records_the_tap() {
    i_slint_backend_testing::init_integration_test_with_system_time();
    let dir = tempfile::tempdir().unwrap();
    let svc = Service::start(dir.path(), &hall_config(&[]));
    let rt = tokio::runtime::Runtime::new().unwrap();
    let c = client();
    let ui = start(
        RatingOptions {
            client: motcua_client::HallClient::new(&svc.base, Some(counter_token(2))),
            counter: 2,
        },
        rt.handle(),
    )
    .unwrap();
    ui.show().unwrap();

    let (weak, base, handle) = (ui.as_weak(), svc.base.clone(), rt.handle().clone());
    let reached = drive(6, move |step| {
        let ui = weak.unwrap();
        let a = ui.global::<RatingAdapter>();
        match step {
            // The screen has followed the service and named its counter.
            0 if a.get_hall_name().contains("Kiểm Thử") => {
                handle.spawn(serve_one(c.clone(), base.clone()));
                1
            }
            1 if a.get_number() == "B001" && tap(&ui, "Hài lòng") => 2,
            // Thanks; the next citizen is finished and is not satisfied.
            2 if a.get_thanks() => {
                handle.spawn(serve_one(c.clone(), base.clone()));
                3
            }
            3 if a.get_number() == "B002" && tap(&ui, "Không hài lòng") => 4,
            4 if a.get_asking_why() && tap(&ui, "Chờ lâu") => 5,
            5 if a.get_thanks() => 6,
            other => other,
        }
    });
    assert_eq!(reached, 6, "stuck at step {reached}");
    assert_eq!(
        ui.global::<RatingAdapter>().get_counter_name(),
        "Quầy 2",
        "the counter's own name from the service"
    );
    let c = client();
    let ticket: serde_json::Value =
        rt.block_on(async { get(&c, &svc.url("/api/v1/tickets/1")).await.1 });
    assert_eq!(ticket["rating"]["level"], "satisfied");
    assert_eq!(ticket["rating"]["source"], "screen");
    let ticket: serde_json::Value =
        rt.block_on(async { get(&c, &svc.url("/api/v1/tickets/2")).await.1 });
    assert_eq!(ticket["rating"]["level"], "unsatisfied");
    assert_eq!(ticket["rating"]["reason"], "Chờ lâu");
}
