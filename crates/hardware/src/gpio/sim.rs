//! Simulated pins: tests (or the keyboard) press and release buttons through a
//! `SimHandle`, and read back what the LEDs and buzzer did.

use std::collections::HashMap;
use std::sync::mpsc::{self, Receiver, Sender};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use super::{Edge, GpioError, Pin, Pins};

type Outputs = Arc<Mutex<HashMap<Pin, Vec<bool>>>>;

pub struct SimPins {
    edges: Receiver<Edge>,
    outputs: Outputs,
}

/// The other side of `SimPins`: cheap to clone, usable from any thread.
#[derive(Clone)]
pub struct SimHandle {
    edges: Sender<Edge>,
    outputs: Outputs,
}

impl SimPins {
    pub fn new() -> (SimPins, SimHandle) {
        let (tx, rx) = mpsc::channel();
        let outputs = Outputs::default();
        (
            SimPins {
                edges: rx,
                outputs: outputs.clone(),
            },
            SimHandle { edges: tx, outputs },
        )
    }
}

impl Pins for SimPins {
    fn next_edge(&mut self, timeout: Duration) -> Option<Edge> {
        self.edges.recv_timeout(timeout).ok()
    }

    fn set_output(&mut self, pin: Pin, on: bool) -> Result<(), GpioError> {
        let mut outputs = self.outputs.lock().unwrap_or_else(|e| e.into_inner());
        outputs.entry(pin).or_default().push(on);
        Ok(())
    }
}

impl SimHandle {
    /// An edge at a given time (tests use this to play bounces and holds).
    pub fn edge(&self, pin: Pin, pressed: bool, at: Instant) {
        let _ = self.edges.send(Edge { pin, pressed, at });
    }

    /// A clean press and release, as a person taps a button now.
    pub fn tap(&self, pin: Pin) {
        let now = Instant::now();
        self.edge(pin, true, now);
        self.edge(pin, false, now + Duration::from_millis(120));
    }

    /// The output's level now (`None` if never set).
    pub fn output(&self, pin: Pin) -> Option<bool> {
        self.history(pin).last().copied()
    }

    /// Every level the output was set to, in order.
    pub fn history(&self, pin: Pin) -> Vec<bool> {
        let outputs = self.outputs.lock().unwrap_or_else(|e| e.into_inner());
        outputs.get(&pin).cloned().unwrap_or_default()
    }

    /// How many times the output was switched on.
    pub fn pulses(&self, pin: Pin) -> usize {
        let h = self.history(pin);
        h.iter()
            .enumerate()
            .filter(|(i, on)| **on && (*i == 0 || !h[i - 1]))
            .count()
    }
}
