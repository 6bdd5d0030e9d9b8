//! motcua: queue and notification system for Vietnam's one-stop public service halls.
//!
//! The hall service (`serve`) is the one authority for ticket numbers. Its layers:
//! `domain` (the words), `queue` (the engine, no I/O), `store` (durable events),
//! `hall` (engine + store + live events), `server` (HTTP API and SSE).

pub mod announce;
pub mod catalogue;
pub mod client;
pub mod config;
pub mod display;
pub mod domain;
pub mod dossier;
pub mod hall;
pub mod kiosk;
pub mod notify;
pub mod pad;
pub mod queue;
pub mod rating;
pub mod server;
pub mod stats;
pub mod store;
pub mod ui;
