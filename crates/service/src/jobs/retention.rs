//! Personal data leaves dossiers `personal_data_days` after they close.

use std::sync::Arc;
use std::time::Duration;

use crate::hall::Hall;

/// How often personal data past its time is looked for.
const RETENTION_CHECK: Duration = Duration::from_secs(3600);

/// Erases citizens' names and phones `personal_data_days` after their dossier was
/// returned or cancelled (at start, then hourly), and says how many in the log.
pub async fn run(hall: Arc<Hall>) {
    let days = i64::from(hall.config().dossiers.personal_data_days);
    let mut interval = tokio::time::interval(RETENTION_CHECK);
    loop {
        interval.tick().await;
        let store = hall.store().clone();
        let now = chrono::Utc::now();
        let cutoff = now - chrono::Duration::days(days);
        match tokio::task::spawn_blocking(move || store.erase_personal_data(cutoff, now)).await {
            Ok(Ok(0)) => {}
            Ok(Ok(n)) => tracing::info!(
                "personal data erased from {n} dossiers closed more than {days} days ago"
            ),
            Ok(Err(e)) => tracing::warn!("personal data erasure failed, will retry: {e}"),
            Err(e) => tracing::warn!("personal data erasure task failed: {e}"),
        }
    }
}
