//! The citizen kiosk: a touchscreen that gives queue tickets, prints them, and looks
//! up dossiers. `controller` holds the logic; `app` runs it in a Slint window.

pub mod app;
pub mod controller;

#[cfg(test)]
mod tests;
