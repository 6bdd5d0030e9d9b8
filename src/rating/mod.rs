//! `motcua rating`: a small touchscreen facing the citizen at one counter. Four big
//! buttons (Rất hài lòng / Hài lòng / Bình thường / Không hài lòng) rate the service
//! just given there. The screen follows the hall's events: when the counter finishes
//! a ticket it asks about that ticket by number; a tap rates it once; thanks, then
//! back to waiting. `controller` decides; `app` draws and talks to the service.

pub mod app;
pub mod controller;

#[cfg(test)]
mod tests;
