//! `motcua rating`: a small touchscreen facing the citizen at one counter. Four big
//! buttons (Rất hài lòng / Hài lòng / Bình thường / Không hài lòng) rate the service
//! just given there. The screen follows the hall's events: when the counter finishes
//! a ticket it asks about that ticket by number; a tap rates it once; thanks, then
//! back to waiting. `controller` decides; `app` draws and talks to the service.

pub mod app;
pub mod controller;

use anyhow::{Context, Result};

/// `motcua rating`: the screen at `counter` until the window closes or `stop` resolves.
pub fn run(
    counter: u32,
    client: motcua_client::HallClient,
    fullscreen: bool,
    stop: impl Future<Output = ()> + Send + 'static,
) -> Result<()> {
    let runtime = tokio::runtime::Runtime::new().context("cannot start the async runtime")?;
    runtime.spawn(client.clone().report_every_minute("rating"));
    let opts = app::RatingOptions { client, counter };
    let window = app::start(opts, runtime.handle()).context("cannot open the rating window")?;
    crate::run_window(&runtime, window, fullscreen, "rating", stop)
}

#[cfg(test)]
mod tests;
