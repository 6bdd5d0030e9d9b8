//! motcua's core: the words of a one-stop hall (tickets, counters, dossiers), the
//! hall's layout, the queue engine, dossier rules, message composition and statistics.
//!
//! Pure Rust: no I/O, no clock of its own, no tokio, no HTTP. The service, the store
//! and every device build on it; it depends on none of them. `utoipa` schemas come
//! only with the `openapi` feature, which the service turns on.

pub mod catalogue;
pub mod domain;
pub mod dossier;
pub mod layout;
pub mod message;
pub mod queue;
pub mod stats;
