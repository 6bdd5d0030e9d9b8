//! The Raspberry Pi's pins through rppal: inputs with the internal pull-up and an
//! interrupt on both edges (rppal's own thread), outputs driven directly.

use std::collections::HashMap;
use std::sync::mpsc::{self, Receiver};
use std::time::{Duration, Instant};

use rppal::gpio::{Gpio, InputPin, OutputPin, Trigger};

use super::{Edge, GpioError, Pin, Pins};

/// The kernel's share of debouncing; `Debouncer` does the rest.
const KERNEL_DEBOUNCE: Duration = Duration::from_millis(5);

pub struct RppalPins {
    _inputs: Vec<InputPin>,
    outputs: HashMap<Pin, OutputPin>,
    edges: Receiver<Edge>,
}

fn pin_error(pin: Pin, e: rppal::gpio::Error) -> GpioError {
    GpioError::Pin {
        pin,
        message: e.to_string(),
    }
}

impl RppalPins {
    pub fn open(inputs: &[Pin], outputs: &[Pin]) -> Result<RppalPins, GpioError> {
        let gpio = Gpio::new().map_err(|e| GpioError::Unavailable(e.to_string()))?;
        let (tx, rx) = mpsc::channel();
        let mut held = Vec::new();
        for &pin in inputs {
            let mut input = gpio
                .get(pin)
                .map_err(|e| pin_error(pin, e))?
                .into_input_pullup();
            let tx = tx.clone();
            input
                .set_async_interrupt(Trigger::Both, Some(KERNEL_DEBOUNCE), move |event| {
                    let pressed = event.trigger == Trigger::FallingEdge;
                    let _ = tx.send(Edge {
                        pin,
                        pressed,
                        at: Instant::now(),
                    });
                })
                .map_err(|e| pin_error(pin, e))?;
            held.push(input);
        }
        let mut outs = HashMap::new();
        for &pin in outputs {
            let out = gpio
                .get(pin)
                .map_err(|e| pin_error(pin, e))?
                .into_output_low();
            outs.insert(pin, out);
        }
        Ok(RppalPins {
            _inputs: held,
            outputs: outs,
            edges: rx,
        })
    }
}

impl Pins for RppalPins {
    fn next_edge(&mut self, timeout: Duration) -> Option<Edge> {
        self.edges.recv_timeout(timeout).ok()
    }

    fn set_output(&mut self, pin: Pin, on: bool) -> Result<(), GpioError> {
        let out = self.outputs.get_mut(&pin).ok_or(GpioError::Pin {
            pin,
            message: "not configured as an output".into(),
        })?;
        if on {
            out.set_high();
        } else {
            out.set_low();
        }
        Ok(())
    }
}
