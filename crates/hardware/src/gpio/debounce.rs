//! From raw edges to the presses a person meant.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use super::{Edge, Pin};

/// Contact bounce lasts a few milliseconds; no person presses and releases faster.
pub const SETTLE: Duration = Duration::from_millis(30);
/// A second press of the same button this soon is a double press by mistake (or an
/// impatient one): ignored, so one press is one ticket called.
pub const GUARD: Duration = Duration::from_millis(1500);

#[derive(Clone, Copy, Default)]
struct PinState {
    down: bool,
    last_edge: Option<Instant>,
    last_press: Option<Instant>,
}

/// Debounces every input pin. Feed it edges in the order they happened.
pub struct Debouncer {
    settle: Duration,
    guard: Duration,
    pins: HashMap<Pin, PinState>,
}

impl Default for Debouncer {
    fn default() -> Self {
        Debouncer::new(SETTLE, GUARD)
    }
}

impl Debouncer {
    pub fn new(settle: Duration, guard: Duration) -> Self {
        Debouncer {
            settle,
            guard,
            pins: HashMap::new(),
        }
    }

    /// The pin pressed, when this edge is a press a person meant.
    pub fn feed(&mut self, e: Edge) -> Option<Pin> {
        let s = self.pins.entry(e.pin).or_default();
        // Within the settle time of the last edge that counted: bounce.
        if s.last_edge
            .is_some_and(|t| e.at.saturating_duration_since(t) < self.settle)
        {
            return None;
        }
        if e.pressed == s.down {
            // No change (a repeated level): a held button stays one press.
            return None;
        }
        s.down = e.pressed;
        s.last_edge = Some(e.at);
        if !e.pressed {
            return None;
        }
        if s.last_press
            .is_some_and(|t| e.at.saturating_duration_since(t) < self.guard)
        {
            return None;
        }
        s.last_press = Some(e.at);
        Some(e.pin)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Script {
        t0: Instant,
        d: Debouncer,
    }

    impl Script {
        fn new() -> Self {
            Script {
                t0: Instant::now(),
                d: Debouncer::default(),
            }
        }

        /// Feeds `(ms, pin, pressed)` edges; returns the presses, as `(ms, pin)`.
        fn run(&mut self, edges: &[(u64, Pin, bool)]) -> Vec<(u64, Pin)> {
            edges
                .iter()
                .filter_map(|&(ms, pin, pressed)| {
                    let at = self.t0 + Duration::from_millis(ms);
                    self.d.feed(Edge { pin, pressed, at }).map(|p| (ms, p))
                })
                .collect()
        }
    }

    #[test]
    fn a_bouncing_contact_is_one_press() {
        let presses = Script::new().run(&[
            (0, 17, true),
            (2, 17, false),
            (3, 17, true),
            (5, 17, false),
            (6, 17, true),
            (180, 17, false),
            (182, 17, true),
            (184, 17, false),
        ]);
        assert_eq!(presses, [(0, 17)]);
    }

    #[test]
    fn a_held_button_is_one_press_however_long() {
        let mut s = Script::new();
        // Held for ten seconds, with the odd repeated low level from a noisy line.
        let mut edges = vec![(0, 17, true)];
        edges.extend((1..10).map(|i| (i * 1000, 17, true)));
        edges.push((10_000, 17, false));
        assert_eq!(s.run(&edges), [(0, 17)]);
        // Released and pressed again later: a new press.
        assert_eq!(s.run(&[(12_000, 17, true)]), [(12_000, 17)]);
    }

    #[test]
    fn a_quick_second_press_is_ignored_but_not_a_later_one() {
        let presses = Script::new().run(&[
            (0, 17, true),
            (200, 17, false),
            (600, 17, true), // impatient double press: ignored
            (800, 17, false),
            (1600, 17, true), // a deliberate second call
            (1700, 17, false),
        ]);
        assert_eq!(presses, [(0, 17), (1600, 17)]);
    }

    #[test]
    fn buttons_are_debounced_each_on_its_own() {
        let presses = Script::new().run(&[
            (0, 17, true),
            (5, 5, true), // another button at once: its own press
            (10, 17, false),
            (100, 5, false),
            (120, 17, false),
        ]);
        assert_eq!(presses, [(0, 17), (5, 5)]);
    }
}
