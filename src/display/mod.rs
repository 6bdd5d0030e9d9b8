//! The waiting-room display: `model` is the board kept current from the event
//! stream, `follow` keeps the link to the service (stale mark, reconnect), `app` draws
//! it in a Slint window and speaks the calls through `crate::announce`.

pub mod app;
pub mod follow;
pub mod model;

#[cfg(test)]
mod tests;
