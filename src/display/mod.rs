//! The waiting-room display: the board kept current from the event stream, and the
//! calls it announces. `model` holds the picture; the window and the voice loop
//! come with the display issue.

pub mod app;
pub mod follow;
pub mod model;

#[cfg(test)]
mod tests;
