//! The button pad against the real `motcua serve` on loopback, with simulated pins:
//! presses call, recall, finish and rate; bounces, held buttons and double presses
//! call once; the LED and buzzer say how each press went.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use motcua_client::HallClient;
use motcua_core::domain::Satisfaction;
use motcua_hardware::gpio::{SimHandle, SimPins};
use motcua_pad::{Action, Outcome, PadConfig};
use tokio::sync::mpsc;

use common::*;

struct Pad {
    handle: SimHandle,
    outcomes: mpsc::UnboundedReceiver<(Action, Outcome)>,
    stop: Arc<AtomicBool>,
    config: PadConfig,
}

impl Pad {
    fn start(base: &str, counter: u32) -> Pad {
        let (pins, handle) = SimPins::new();
        let config = PadConfig::default();
        let client = HallClient::new(base, Some(counter_token(counter)));
        let stop = Arc::new(AtomicBool::new(false));
        let (tx, outcomes) = mpsc::unbounded_channel();
        tokio::spawn(motcua_pad::run(
            Box::new(pins),
            config.clone(),
            client,
            counter,
            stop.clone(),
            move |a, o| {
                let _ = tx.send((a, o.clone()));
            },
        ));
        Pad {
            handle,
            outcomes,
            stop,
            config,
        }
    }

    fn pin(&self, action: Action) -> u8 {
        self.config.pin_for(action).unwrap()
    }

    async fn tap(&mut self, action: Action) -> Outcome {
        self.handle.tap(self.pin(action));
        self.next().await
    }

    async fn next(&mut self) -> Outcome {
        let (a, o) = tokio::time::timeout(Duration::from_secs(10), self.outcomes.recv())
            .await
            .expect("the press was answered")
            .unwrap();
        let _ = a;
        o
    }

    /// Waits (up to 5 s) until the outputs are off and have not changed for 300 ms:
    /// a pattern's pauses are shorter, so whatever was playing has ended.
    async fn quiet(&self, pins: &[u8]) {
        let deadline = Instant::now() + Duration::from_secs(5);
        let state = || -> Vec<Vec<bool>> { pins.iter().map(|p| self.handle.history(*p)).collect() };
        let mut last = state();
        let mut since = Instant::now();
        loop {
            tokio::time::sleep(Duration::from_millis(20)).await;
            let now = state();
            if now != last {
                last = now;
                since = Instant::now();
            } else if since.elapsed() >= Duration::from_millis(300)
                && pins.iter().all(|p| self.handle.output(*p) != Some(true))
            {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "the LED and buzzer never went quiet"
            );
        }
    }

    async fn nothing_more(&mut self, within: Duration) -> bool {
        tokio::time::timeout(within, self.outcomes.recv())
            .await
            .is_err()
    }
}

impl Drop for Pad {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

/// Waits past the pad's guard time so the next press of the same button counts.
async fn pause() {
    tokio::time::sleep(Duration::from_millis(1600)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_pad_moves_the_queue_and_takes_ratings() {
    let dir = tempfile::tempdir().unwrap();
    let svc = Service::start(dir.path(), &hall_config(&[]));
    let c = client();
    for _ in 0..3 {
        svc.take(&c, "HT").await;
    }
    let mut pad = Pad::start(&svc.base, 1);
    let led = pad.config.led.unwrap();
    let buzzer = pad.config.buzzer.unwrap();

    // Call next: A001 at counter 1; the LED lights once and the buzzer beeps once.
    assert_eq!(
        pad.tap(Action::CallNext).await,
        Outcome::Done("A001".into())
    );
    pad.quiet(&[led, buzzer]).await;
    assert_eq!(pad.handle.pulses(led), 1);
    assert_eq!(pad.handle.pulses(buzzer), 1);
    assert_eq!(
        pad.handle.output(led),
        Some(false),
        "the LED goes off again"
    );

    // A bouncing contact and an impatient double press: still one call.
    pause().await;
    let call = pad.pin(Action::CallNext);
    let t = Instant::now();
    for (ms, pressed) in [
        (0, true),
        (2, false),
        (4, true),
        (150, false),
        (400, true),
        (500, false),
    ] {
        pad.handle
            .edge(call, pressed, t + Duration::from_millis(ms));
    }
    assert_eq!(pad.next().await, Outcome::Done("A002".into()));
    assert!(pad.nothing_more(Duration::from_millis(800)).await);

    // A button held down for three seconds: one call, not one per second.
    pause().await;
    let t = Instant::now();
    pad.handle.edge(call, true, t);
    for s in 1..=3 {
        tokio::time::sleep(Duration::from_secs(1)).await;
        pad.handle.edge(call, true, t + Duration::from_secs(s));
    }
    pad.handle.edge(call, false, Instant::now());
    assert_eq!(pad.next().await, Outcome::Done("A003".into()));
    assert!(pad.nothing_more(Duration::from_millis(500)).await);
    let (_, board) = get(&c, &svc.url("/api/v1/counters")).await;
    assert_eq!(board[0]["current"]["number"], "A003");

    // Recall, finish, then the citizen presses "Hài lòng": A003 is rated.
    assert_eq!(pad.tap(Action::Recall).await, Outcome::Done("A003".into()));
    assert_eq!(pad.tap(Action::Finish).await, Outcome::Done("A003".into()));
    let satisfied = Action::Rate(Satisfaction::Satisfied);
    assert_eq!(pad.tap(satisfied).await, Outcome::Done("A003".into()));
    let (_, a3) = get(&c, &svc.url("/api/v1/tickets/3")).await;
    assert_eq!(a3["rating"]["level"], "satisfied");
    assert_eq!(a3["rating"]["source"], "pad");

    // A second rating (another button, after the guard) is refused: two beeps.
    let beeps = pad.handle.pulses(buzzer);
    let other = Action::Rate(Satisfaction::Unsatisfied);
    assert!(matches!(pad.tap(other).await, Outcome::Refused(_)));
    pad.quiet(&[led, buzzer]).await;
    assert_eq!(pad.handle.pulses(buzzer), beeps + 2);
    let (_, a3) = get(&c, &svc.url("/api/v1/tickets/3")).await;
    assert_eq!(a3["rating"]["level"], "satisfied", "the first rating stays");

    // Nobody left: call next says so with two blinks and no beep.
    pause().await;
    let (leds, beeps) = (pad.handle.pulses(led), pad.handle.pulses(buzzer));
    assert_eq!(pad.tap(Action::CallNext).await, Outcome::Nobody);
    pad.quiet(&[led, buzzer]).await;
    assert_eq!(
        pad.handle.pulses(led),
        leds + 2,
        "{:?}",
        pad.handle.history(led)
    );
    assert_eq!(pad.handle.pulses(buzzer), beeps);

    // The service goes away: three long beeps, and the pad keeps running.
    svc.crash();
    pause().await;
    let beeps = pad.handle.pulses(buzzer);
    assert!(matches!(pad.tap(Action::CallNext).await, Outcome::Away(_)));
    pad.quiet(&[led, buzzer]).await;
    assert_eq!(pad.handle.pulses(buzzer), beeps + 3);
    assert_eq!(pad.handle.output(buzzer), Some(false));
}

/// A press that crosses a change made elsewhere (the clerk called from the counter
/// page) is refused as stale, with two beeps, and changes nothing; the pad learns the
/// counter's new ticket, so the next press acts on it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_press_across_a_change_made_elsewhere_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let svc = Service::start(dir.path(), &hall_config(&[]));
    let c = client();
    for _ in 0..3 {
        svc.take(&c, "HT").await;
    }
    let mut pad = Pad::start(&svc.base, 1);
    let (led, buzzer) = (pad.config.led.unwrap(), pad.config.buzzer.unwrap());
    assert_eq!(
        pad.tap(Action::CallNext).await,
        Outcome::Done("A001".into())
    );
    pad.quiet(&[led, buzzer]).await;
    // The clerk calls from the page: A001 finished, A002 called.
    let (status, _) = post(
        &c,
        &svc.url("/api/v1/counters/1/call"),
        &counter_token(1),
        None,
    )
    .await;
    assert_eq!(status, 200);
    pause().await;
    let beeps = pad.handle.pulses(buzzer);
    match pad.tap(Action::Finish).await {
        Outcome::Refused(why) => assert!(why.contains("A002"), "{why}"),
        other => panic!("a finish meant for A001 did {other:?}"),
    }
    pad.quiet(&[led, buzzer]).await;
    assert_eq!(pad.handle.pulses(buzzer), beeps + 2);
    let (_, counters) = get(&c, &svc.url("/api/v1/counters")).await;
    assert_eq!(counters[0]["current"]["number"], "A002", "nothing changed");
    let (_, a2) = get(&c, &svc.url("/api/v1/tickets/2")).await;
    assert_eq!(a2["status"], "called");
    // Pressed again, it finishes the ticket the counter has now.
    pause().await;
    assert_eq!(pad.tap(Action::Finish).await, Outcome::Done("A002".into()));
    pause().await;
    assert_eq!(
        pad.tap(Action::CallNext).await,
        Outcome::Done("A003".into())
    );
}
