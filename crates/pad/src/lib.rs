//! `motcua pad`: push buttons at a counter. Call next / recall / finish for staff,
//! and the four-button satisfaction pad for citizens, with an LED and a buzzer to say
//! a press was taken (or refused).
//!
//! The pins live on their own thread (`Pins` blocks); presses go to the async side,
//! which asks the hall service and sends back how it went. One request at a time:
//! a press while one is under way is dropped, so a nervous double press never
//! calls two tickets.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc as std_mpsc;
use std::time::{Duration, Instant};

use motcua_hardware::gpio::{Debouncer, MAX_PIN, Pattern, Pin, Pins, Signals};
use serde::Deserialize;
use tokio::sync::mpsc;

use motcua_client::ClientError;
pub use motcua_client::HallClient;
use motcua_core::domain::{CounterId, RatingSource, Satisfaction, TicketId};

/// What a button does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    CallNext,
    Recall,
    Finish,
    Rate(Satisfaction),
}

impl Action {
    fn name(self) -> &'static str {
        match self {
            Action::CallNext => "call_next",
            Action::Recall => "recall",
            Action::Finish => "finish",
            Action::Rate(l) => l.as_str(),
        }
    }
}

/// How a press went, for the LED and the buzzer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Done: one long LED pulse and a short beep.
    Done(String),
    /// A call found nobody waiting: two LED blinks, no beep.
    Nobody,
    /// The service said no (nothing to rate, already rated, no ticket): two beeps.
    Refused(String),
    /// The service did not answer: three long beeps.
    Away(String),
}

/// The pad's wiring: which BCM pin each button and output is on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PadConfig {
    pub buttons: BTreeMap<Pin, Action>,
    pub led: Option<Pin>,
    pub buzzer: Option<Pin>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PadFile {
    #[serde(default)]
    buttons: FileButtons,
    #[serde(default)]
    outputs: FileOutputs,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct FileButtons {
    call_next: Option<Pin>,
    recall: Option<Pin>,
    finish: Option<Pin>,
    very_satisfied: Option<Pin>,
    satisfied: Option<Pin>,
    neutral: Option<Pin>,
    unsatisfied: Option<Pin>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct FileOutputs {
    led: Option<Pin>,
    buzzer: Option<Pin>,
}

impl Default for PadConfig {
    /// The wiring in `hardware/README.md`: staff buttons on GPIO17/27/22, the
    /// satisfaction pad on GPIO5/6/13/19, LED on GPIO26, buzzer on GPIO21.
    fn default() -> Self {
        PadConfig::parse(include_str!("../../../assets/config/pad.sample.toml"))
            .expect("the sample pad config is valid")
    }
}

impl PadConfig {
    pub fn parse(text: &str) -> Result<PadConfig, String> {
        let file: PadFile = toml::from_str(text).map_err(|e| e.to_string())?;
        let b = file.buttons;
        let wanted = [
            (b.call_next, Action::CallNext, "call_next"),
            (b.recall, Action::Recall, "recall"),
            (b.finish, Action::Finish, "finish"),
            (
                b.very_satisfied,
                Action::Rate(Satisfaction::VerySatisfied),
                "very_satisfied",
            ),
            (
                b.satisfied,
                Action::Rate(Satisfaction::Satisfied),
                "satisfied",
            ),
            (b.neutral, Action::Rate(Satisfaction::Neutral), "neutral"),
            (
                b.unsatisfied,
                Action::Rate(Satisfaction::Unsatisfied),
                "unsatisfied",
            ),
        ];
        let mut used: BTreeMap<Pin, &str> = BTreeMap::new();
        let mut claim = |pin: Pin, what: &'static str| -> Result<(), String> {
            if pin > MAX_PIN {
                return Err(format!(
                    "{what} = {pin}: use a BCM GPIO number from 0 to {MAX_PIN}"
                ));
            }
            if let Some(other) = used.insert(pin, what) {
                return Err(format!("GPIO{pin} is given to both {other} and {what}"));
            }
            Ok(())
        };
        let mut buttons = BTreeMap::new();
        for (pin, action, what) in wanted {
            if let Some(pin) = pin {
                claim(pin, what)?;
                buttons.insert(pin, action);
            }
        }
        if buttons.is_empty() {
            return Err("no buttons: give at least one pin under [buttons]".into());
        }
        if let Some(p) = file.outputs.led {
            claim(p, "led")?;
        }
        if let Some(p) = file.outputs.buzzer {
            claim(p, "buzzer")?;
        }
        Ok(PadConfig {
            buttons,
            led: file.outputs.led,
            buzzer: file.outputs.buzzer,
        })
    }

    pub fn load(path: &Path) -> Result<PadConfig, String> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        PadConfig::parse(&text).map_err(|e| format!("{}: {e}", path.display()))
    }

    pub fn inputs(&self) -> Vec<Pin> {
        self.buttons.keys().copied().collect()
    }

    pub fn outputs(&self) -> Vec<Pin> {
        self.led.into_iter().chain(self.buzzer).collect()
    }

    /// The LED and buzzer patterns that tell how a press went.
    fn feedback(&self, outcome: &Outcome) -> Vec<(Pin, Pattern)> {
        let (led, buzz) = match outcome {
            Outcome::Done(_) => (Some(Pattern::pulse(400)), Some(Pattern::pulse(60))),
            Outcome::Nobody => (Some(Pattern::pulses(2, 150, 150)), None),
            Outcome::Refused(_) => (
                Some(Pattern::pulses(2, 120, 120)),
                Some(Pattern::pulses(2, 120, 120)),
            ),
            Outcome::Away(_) => (
                Some(Pattern::pulses(3, 300, 200)),
                Some(Pattern::pulses(3, 300, 200)),
            ),
        };
        let mut out = Vec::new();
        if let (Some(pin), Some(p)) = (self.led, led) {
            out.push((pin, p));
        }
        if let (Some(pin), Some(p)) = (self.buzzer, buzz) {
            out.push((pin, p));
        }
        out
    }
}

/// The ticket the pad believes is at its counter, so a press acts only on that one:
/// a press that crosses a change made elsewhere (the counter page, a second pad) is
/// refused as stale instead of finishing or skipping someone else's citizen.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Known {
    /// Not known yet (the service was away): the press goes unguarded.
    #[default]
    Unknown,
    /// This ticket, or none.
    At(Option<TicketId>),
}

impl Known {
    fn guard(self) -> Option<Option<TicketId>> {
        match self {
            Known::Unknown => None,
            Known::At(t) => Some(t),
        }
    }

    /// What the counter shows now, asked of the service.
    pub async fn fetch(client: &HallClient, counter: CounterId) -> Known {
        match client.counters().await {
            Ok(all) => all
                .iter()
                .find(|c| c.id == counter)
                .map_or(Known::Unknown, |c| {
                    Known::At(c.current.as_ref().map(|t| t.ticket.id))
                }),
            Err(_) => Known::Unknown,
        }
    }
}

/// Asks the hall service to do what a button means, guarded by what the pad knows of
/// its counter, and updates that.
pub async fn perform(
    client: &HallClient,
    counter: CounterId,
    action: Action,
    known: &mut Known,
) -> Outcome {
    let guard = known.guard();
    let act = |name| client.guarded_action(counter, name, guard);
    let result = match action {
        Action::CallNext => act("call").await,
        Action::Recall => act("recall").await,
        Action::Finish => act("finish").await,
        Action::Rate(level) => {
            let rated = client
                .rate(counter, None, level, None, RatingSource::Pad)
                .await;
            return match rated {
                Ok(t) => Outcome::Done(t.ticket.number),
                Err(ClientError::Refused { message, .. }) => Outcome::Refused(message),
                Err(e) => Outcome::Away(e.to_string()),
            };
        }
    };
    match result {
        Ok(Some(r)) => {
            // The counter as the service left it.
            *known = Known::At(r.counter.current.as_ref().map(|t| t.ticket.id));
            match r.ticket {
                Some(t) => Outcome::Done(t.ticket.number),
                None => Outcome::Nobody,
            }
        }
        // Nobody waiting: the counter is free now.
        Ok(None) => {
            *known = Known::At(None);
            Outcome::Nobody
        }
        Err(ClientError::Refused { code, message, .. }) => {
            if code == "stale" {
                // Someone else changed the counter: learn what it shows now, so the
                // next press acts on that.
                *known = Known::fetch(client, counter).await;
            }
            Outcome::Refused(message)
        }
        Err(e) => {
            *known = Known::Unknown;
            Outcome::Away(e.to_string())
        }
    }
}

/// Runs the pad until `stop` is set: presses become requests, outcomes become light
/// and sound. Returns each outcome to `report` too (the terminal, or a test).
pub async fn run(
    pins: Box<dyn Pins>,
    config: PadConfig,
    client: HallClient,
    counter: CounterId,
    stop: Arc<AtomicBool>,
    report: impl Fn(Action, &Outcome) + Send + 'static,
) {
    let (press_tx, mut press_rx) = mpsc::channel::<Action>(1);
    let (done_tx, done_rx) = std_mpsc::channel::<Outcome>();
    let thread_config = config.clone();
    let thread_stop = stop.clone();
    let pins_thread = std::thread::Builder::new()
        .name("pad-pins".into())
        .spawn(move || pin_loop(pins, thread_config, press_tx, done_rx, thread_stop))
        .expect("a thread can be started");
    let mut known = Known::fetch(&client, counter).await;
    while let Some(action) = press_rx.recv().await {
        if known == Known::Unknown {
            known = Known::fetch(&client, counter).await;
        }
        let outcome = perform(&client, counter, action, &mut known).await;
        report(action, &outcome);
        if done_tx.send(outcome).is_err() {
            break;
        }
    }
    stop.store(true, Ordering::Relaxed);
    let _ = tokio::task::spawn_blocking(move || pins_thread.join()).await;
}

/// The pins' side: debounce, hand presses over (dropping them while one is under
/// way), and play feedback on time.
fn pin_loop(
    mut pins: Box<dyn Pins>,
    config: PadConfig,
    presses: mpsc::Sender<Action>,
    outcomes: std_mpsc::Receiver<Outcome>,
    stop: Arc<AtomicBool>,
) {
    let mut debouncer = Debouncer::default();
    let mut signals = Signals::default();
    let mut next_signal: Option<Instant> = None;
    while !stop.load(Ordering::Relaxed) {
        let wait = next_signal
            .map(|t| t.saturating_duration_since(Instant::now()))
            .unwrap_or(Duration::from_millis(50))
            .min(Duration::from_millis(50));
        if let Some(edge) = pins.next_edge(wait)
            && let Some(pin) = debouncer.feed(edge)
            && let Some(action) = config.buttons.get(&pin)
            && presses.try_send(*action).is_err()
        {
            tracing::info!(
                "{} pressed while a request is under way: ignored",
                action.name()
            );
        }
        while let Ok(outcome) = outcomes.try_recv() {
            for (pin, pattern) in config.feedback(&outcome) {
                signals.play(pins.as_mut(), pin, &pattern, Instant::now());
            }
        }
        next_signal = signals.tick(pins.as_mut(), Instant::now());
    }
    // Leave the LED and buzzer off.
    for pin in config.outputs() {
        let _ = pins.set_output(pin, false);
    }
}

/// Keys for the simulated pad in a terminal: a line with one of these presses the
/// button (n call next, r recall, f finish, 1–4 rating from very satisfied down).
pub fn key_action(key: &str) -> Option<Action> {
    Some(match key.trim() {
        "n" => Action::CallNext,
        "r" => Action::Recall,
        "f" => Action::Finish,
        "1" => Action::Rate(Satisfaction::VerySatisfied),
        "2" => Action::Rate(Satisfaction::Satisfied),
        "3" => Action::Rate(Satisfaction::Neutral),
        "4" => Action::Rate(Satisfaction::Unsatisfied),
        _ => return None,
    })
}

impl PadConfig {
    /// The pin of the button that does `action`, if the pad has one.
    pub fn pin_for(&self, action: Action) -> Option<Pin> {
        self.buttons
            .iter()
            .find(|(_, a)| **a == action)
            .map(|(p, _)| *p)
    }
}

impl std::fmt::Display for Outcome {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Outcome::Done(n) => write!(f, "ok ({n})"),
            Outcome::Nobody => write!(f, "nobody waiting"),
            Outcome::Refused(m) => write!(f, "refused: {m}"),
            Outcome::Away(m) => write!(f, "no answer: {m}"),
        }
    }
}

/// Simulated pins pressed from the terminal: a line with n, r, f or 1–4.
pub fn keyboard_pins(config: &PadConfig) -> Box<dyn Pins> {
    let (pins, handle) = motcua_hardware::gpio::SimPins::new();
    let keys = config.clone();
    std::thread::spawn(move || {
        for line in std::io::stdin().lines().map_while(Result::ok) {
            match key_action(&line).and_then(|a| keys.pin_for(a)) {
                Some(pin) => handle.tap(pin),
                None => println!("? n call next, r recall, f finish, 1–4 rating"),
            }
        }
    });
    println!(
        "Button pad on this keyboard: n call next, r recall, f finish, \
         1 very satisfied … 4 not satisfied; then Enter."
    );
    Box::new(pins)
}

/// `motcua pad`: the pad at `counter` until `stop` resolves. `pins` is the wiring
/// file (the sample's pins without one); `sim` takes presses from the keyboard.
pub fn run_device(
    counter: CounterId,
    client: HallClient,
    pins: Option<&Path>,
    sim: bool,
    stop: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let config = match pins {
        Some(path) => PadConfig::load(path).map_err(anyhow::Error::msg)?,
        None => PadConfig::default(),
    };
    let runtime = tokio::runtime::Runtime::new()
        .map_err(|e| anyhow::anyhow!("cannot start the async runtime: {e}"))?;
    let stopped = Arc::new(AtomicBool::new(false));
    let pins: Box<dyn Pins> = if sim {
        keyboard_pins(&config)
    } else {
        motcua_hardware::gpio::open_rpi(&config.inputs(), &config.outputs()).map_err(|e| {
            anyhow::anyhow!("{e}; on a machine without GPIO, try `motcua pad --sim`")
        })?
    };
    println!("Pad for counter {counter} on {}", client.base());
    let reports = runtime.spawn(client.clone().report_every_minute("pad"));
    runtime.spawn({
        let stopped = stopped.clone();
        async move {
            stop.await;
            stopped.store(true, Ordering::Relaxed);
        }
    });
    runtime.block_on(run(
        pins,
        config,
        client,
        counter,
        stopped,
        |action, outcome| {
            println!("{action:?}: {outcome}");
        },
    ));
    reports.abort();
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sample_wiring_is_the_documented_one() {
        let c = PadConfig::default();
        assert_eq!(c.buttons[&17], Action::CallNext);
        assert_eq!(c.buttons[&27], Action::Recall);
        assert_eq!(c.buttons[&22], Action::Finish);
        assert_eq!(c.buttons[&5], Action::Rate(Satisfaction::VerySatisfied));
        assert_eq!(c.buttons[&19], Action::Rate(Satisfaction::Unsatisfied));
        assert_eq!((c.led, c.buzzer), (Some(26), Some(21)));
    }

    #[test]
    fn a_broken_wiring_file_is_refused_in_words() {
        let twice = "[buttons]\ncall_next = 17\nfinish = 17\n";
        assert!(
            PadConfig::parse(twice)
                .unwrap_err()
                .contains("GPIO17 is given to both call_next and finish")
        );
        let led_on_button = "[buttons]\ncall_next = 17\n[outputs]\nled = 17\n";
        assert!(PadConfig::parse(led_on_button).is_err());
        assert!(
            PadConfig::parse("[buttons]\ncall_next = 40\n")
                .unwrap_err()
                .contains("0 to 27")
        );
        assert!(
            PadConfig::parse("[buttons]\n")
                .unwrap_err()
                .contains("no buttons")
        );
        assert!(PadConfig::parse("[buttons]\ncall = 17\n").is_err());
        // A rating-only pad (facing the citizen) is fine.
        let rating_only = "[buttons]\nsatisfied = 6\nunsatisfied = 19\n";
        assert_eq!(PadConfig::parse(rating_only).unwrap().buttons.len(), 2);
    }
}
