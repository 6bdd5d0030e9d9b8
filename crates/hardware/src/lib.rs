//! motcua's devices, each behind a small trait with a real backend and a simulated
//! one that behaves like the device, faults included: ESC/POS ticket printers,
//! GPIO button pads, voice output.
//!
//! Knows nothing of halls, tickets or the service: it draws and prints pictures, reads
//! pins and plays WAV. It carries its own fonts (`fonts/`), so it builds and packages
//! on its own; it must not depend on any other motcua crate.

pub mod audio;
pub mod gpio;
pub mod printer;
pub mod systemd;
