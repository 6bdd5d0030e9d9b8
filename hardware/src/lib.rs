//! motcua's devices, each behind a small trait with a real backend and a simulated
//! one that behaves like the device, faults included. Today: ESC/POS ticket printers.

pub mod audio;
pub mod printer;
