//! motcua's devices, each behind a small trait with a real backend and a simulated
//! one that behaves like the device, faults included: ESC/POS ticket printers,
//! GPIO button pads, voice output.

pub mod audio;
pub mod gpio;
pub mod printer;
