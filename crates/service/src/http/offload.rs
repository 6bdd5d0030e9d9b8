//! Store reads and hall commands wait on the disk, so handlers run them on tokio's
//! blocking pool; a store that fails is a 503 with nothing changed, never a 500.

use axum::http::StatusCode;
use chrono::Utc;

use super::AppState;
use super::error::ApiError;
use motcua_core::queue::{Change, Command, Queue};

/// Reads the store off the async runtime; a store that fails is a 503, never a 500.
pub async fn from_store<R: Send + 'static>(
    state: &AppState,
    read: impl FnOnce(&dyn motcua_store::Store) -> Result<R, motcua_store::StoreError> + Send + 'static,
) -> Result<R, ApiError> {
    let hall = state.hall.clone();
    tokio::task::spawn_blocking(move || read(hall.store().as_ref()))
        .await
        .map_err(|e| ApiError::internal(format!("store read failed: {e}")))?
        .map_err(|e| {
            ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "storage_unavailable",
                e.to_string(),
            )
        })
}

/// Runs a command off the async runtime (it waits on the disk); `then` makes the
/// answer from the queue as the command left it and the command's changes.
pub async fn run<R: Send + 'static>(
    state: &AppState,
    command: Command,
    then: impl FnOnce(&Queue, &[Change]) -> R + Send + 'static,
) -> Result<R, ApiError> {
    let hall = state.hall.clone();
    tokio::task::spawn_blocking(move || hall.execute_then(command, Utc::now(), then))
        .await
        .map_err(|e| ApiError::internal(format!("command task failed: {e}")))?
        .map(|(answer, _events)| answer)
        .map_err(ApiError::from)
}
