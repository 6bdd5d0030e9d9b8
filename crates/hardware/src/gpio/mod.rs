//! Buttons, LEDs and buzzers on GPIO pins, for the counter's call-button pad and the
//! citizens' satisfaction pad.
//!
//! `Pins` is the small seam: raw edges in, outputs on and off. Behind it, `rppal`
//! drives a Raspberry Pi's pins (feature `rpi`) and `SimPins` stands in everywhere
//! else, driven by tests or the keyboard. `Debouncer` turns raw edges into presses a
//! person meant: contact bounce ignored, a held button one press, a second press of
//! the same button within the guard time ignored. `Signals` plays short LED and
//! buzzer patterns without blocking. Pins are BCM numbers (GPIO17 is header pin 11).

mod debounce;
#[cfg(feature = "rpi")]
mod rpi;
mod sim;

use std::time::{Duration, Instant};

pub use debounce::Debouncer;
#[cfg(feature = "rpi")]
pub use rpi::RppalPins;
pub use sim::{SimHandle, SimPins};

/// A BCM GPIO number (0–27 on the 40-pin header).
pub type Pin = u8;

/// The highest BCM number on the 40-pin header.
pub const MAX_PIN: Pin = 27;

/// A level change on an input, as read: `pressed` is the pin pulled low (buttons
/// close to ground against the internal pull-up).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Edge {
    pub pin: Pin,
    pub pressed: bool,
    pub at: Instant,
}

#[derive(Debug, thiserror::Error)]
pub enum GpioError {
    /// No GPIO here (not a Pi, no permission on /dev/gpiomem, built without `rpi`).
    #[error("GPIO is not available: {0}")]
    Unavailable(String),
    #[error("GPIO pin {pin}: {message}")]
    Pin { pin: Pin, message: String },
}

/// The pins a pad uses. Inputs get the internal pull-up; outputs start off.
pub trait Pins: Send {
    /// Waits up to `timeout` for the next edge on an input.
    fn next_edge(&mut self, timeout: Duration) -> Option<Edge>;
    /// Switches an output (LED, buzzer transistor) on or off.
    fn set_output(&mut self, pin: Pin, on: bool) -> Result<(), GpioError>;
}

/// Opens the Pi's pins when built with `rpi` and running on a Pi.
pub fn open_rpi(inputs: &[Pin], outputs: &[Pin]) -> Result<Box<dyn Pins>, GpioError> {
    #[cfg(feature = "rpi")]
    {
        Ok(Box::new(RppalPins::open(inputs, outputs)?))
    }
    #[cfg(not(feature = "rpi"))]
    {
        let _ = (inputs, outputs);
        Err(GpioError::Unavailable(
            "this motcua was built without the `rpi` feature".into(),
        ))
    }
}

/// A pattern for one output: on for the first duration, off for the next, and so on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Pattern(pub Vec<Duration>);

impl Pattern {
    /// One pulse.
    pub fn pulse(ms: u64) -> Pattern {
        Pattern(vec![Duration::from_millis(ms)])
    }

    /// `n` pulses of `on_ms` with `off_ms` between.
    pub fn pulses(n: usize, on_ms: u64, off_ms: u64) -> Pattern {
        let mut steps = Vec::new();
        for i in 0..n {
            if i > 0 {
                steps.push(Duration::from_millis(off_ms));
            }
            steps.push(Duration::from_millis(on_ms));
        }
        Pattern(steps)
    }
}

/// The pause between a cut pattern and the one that replaces it.
const GAP: Duration = Duration::from_millis(80);

/// Plays patterns on outputs without blocking: `play` schedules, `tick` switches
/// whatever is due. A new pattern on an output replaces the one playing there.
#[derive(Default)]
pub struct Signals {
    /// Per output: the switch times still to come, `(at, on)`.
    planned: Vec<(Pin, Vec<(Instant, bool)>)>,
}

impl Signals {
    pub fn play(&mut self, pins: &mut dyn Pins, pin: Pin, pattern: &Pattern, now: Instant) {
        let before = self.planned.len();
        self.planned.retain(|(p, _)| *p != pin);
        let mut at = now;
        if self.planned.len() < before {
            // Cut the pattern still playing, with a gap one can hear and see, so two
            // answers in quick succession do not run together.
            let _ = pins.set_output(pin, false);
            at += GAP;
        }
        let mut on = true;
        let mut steps = Vec::new();
        for d in &pattern.0 {
            steps.push((at, on));
            at += *d;
            on = !on;
        }
        steps.push((at, false));
        self.planned.push((pin, steps));
        self.tick(pins, now);
    }

    /// Switches outputs whose time has come; returns when the next switch is due.
    pub fn tick(&mut self, pins: &mut dyn Pins, now: Instant) -> Option<Instant> {
        for (pin, steps) in &mut self.planned {
            let due = steps.iter().take_while(|(at, _)| *at <= now).count();
            if let Some((_, on)) = steps.drain(..due).next_back() {
                // A failing LED must not stop the pad; the next pattern tries again.
                let _ = pins.set_output(*pin, on);
            }
        }
        self.planned.retain(|(_, steps)| !steps.is_empty());
        self.planned
            .iter()
            .filter_map(|(_, steps)| steps.first().map(|(at, _)| *at))
            .min()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pattern_switches_on_and_off_on_time() {
        let (mut pins, handle) = SimPins::new();
        let mut signals = Signals::default();
        let t0 = Instant::now();
        signals.play(&mut pins, 21, &Pattern::pulses(2, 100, 50), t0);
        assert_eq!(handle.output(21), Some(true));
        let ms = |n| t0 + Duration::from_millis(n);
        assert_eq!(signals.tick(&mut pins, ms(99)), Some(ms(100)));
        assert_eq!(handle.output(21), Some(true));
        signals.tick(&mut pins, ms(100));
        assert_eq!(handle.output(21), Some(false));
        signals.tick(&mut pins, ms(160));
        assert_eq!(handle.output(21), Some(true));
        assert_eq!(signals.tick(&mut pins, ms(260)), None);
        assert_eq!(handle.output(21), Some(false));
        let history: Vec<bool> = handle.history(21);
        assert_eq!(history, [true, false, true, false]);
    }

    #[test]
    fn a_new_pattern_replaces_the_one_playing() {
        let (mut pins, handle) = SimPins::new();
        let mut signals = Signals::default();
        let t0 = Instant::now();
        signals.play(&mut pins, 26, &Pattern::pulse(1000), t0);
        signals.play(
            &mut pins,
            26,
            &Pattern::pulse(100),
            t0 + Duration::from_millis(10),
        );
        // The first is cut (off at once); the second starts after a gap and its
        // switch-off comes at 10 + 80 + 100 ms, the first's at 1000 ms is gone.
        assert_eq!(handle.history(26), [true, false]);
        assert_eq!(
            signals.tick(&mut pins, t0 + Duration::from_millis(50)),
            Some(t0 + Duration::from_millis(90))
        );
        signals.tick(&mut pins, t0 + Duration::from_millis(90));
        assert_eq!(handle.output(26), Some(true));
        assert_eq!(
            signals.tick(&mut pins, t0 + Duration::from_millis(100)),
            Some(t0 + Duration::from_millis(190))
        );
        signals.tick(&mut pins, t0 + Duration::from_millis(190));
        assert_eq!(handle.output(26), Some(false));
        assert_eq!(handle.pulses(26), 2);
        assert_eq!(signals.tick(&mut pins, t0 + Duration::from_secs(2)), None);
    }
}
