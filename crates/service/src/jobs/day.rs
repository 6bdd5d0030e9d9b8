//! The day turns over at local midnight even when nobody takes a ticket.

use std::sync::Arc;
use std::time::Duration;

use crate::hall::Hall;
use motcua_core::queue::Command;

/// How often the service looks at the clock to start a new day unprompted.
const TICK: Duration = Duration::from_secs(30);

/// Starts the new day on time even when nobody takes a ticket: at midnight the
/// board empties and yesterday's open tickets expire.
pub async fn run(hall: Arc<Hall>) {
    let mut interval = tokio::time::interval(TICK);
    loop {
        interval.tick().await;
        let hall = hall.clone();
        let result = tokio::task::spawn_blocking(move || hall.execute(&Command::Tick)).await;
        if let Ok(Err(e)) = result {
            tracing::warn!("day rollover check failed, will retry: {e}");
        }
    }
}
