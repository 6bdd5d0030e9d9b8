//! Reminders before a promised date go into the outbox when their time comes.

use std::sync::Arc;
use std::time::Duration;

use crate::hall::Hall;

/// How often dossiers nearing their promised time are looked for.
const REMINDER_CHECK: Duration = Duration::from_secs(60);

/// Writes `due_soon` reminders as their time comes (at start, then every minute).
pub async fn run(hall: Arc<Hall>) {
    let mut interval = tokio::time::interval(REMINDER_CHECK);
    loop {
        interval.tick().await;
        let hall = hall.clone();
        match tokio::task::spawn_blocking(move || hall.send_reminders(chrono::Utc::now())).await {
            Ok(Ok(0)) => {}
            Ok(Ok(n)) => {
                tracing::info!("{n} reminders before a promised date written to the outbox")
            }
            Ok(Err(e)) => tracing::warn!("reminder check failed, will retry: {e}"),
            Err(e) => tracing::warn!("reminder check task failed: {e}"),
        }
    }
}
