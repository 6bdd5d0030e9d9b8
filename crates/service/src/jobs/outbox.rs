//! Sends the outbox: messages to citizens written in the same transaction as the
//! change that causes them go through the hall's channels (`notify`) — retried with
//! backoff, sent with an idempotency key so a provider that already has one does not
//! send it twice, visible to staff when they fail (in the provider's own words), and
//! never lost across a restart.

use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;

use crate::hall::Hall;
use crate::notify::{Channels, Notify, Outcome};
use motcua_core::message::backoff;

/// Sends what is due, one message at a time, until the task is dropped.
pub async fn run(hall: Arc<Hall>, config: Notify) {
    let channels = match Channels::new(&config, hall.store().clone()) {
        Ok(channels) => channels,
        Err(e) => {
            // The config was checked at start; messages wait in the outbox meanwhile.
            tracing::error!("outbox: {e}; messages are kept until the service restarts with it");
            return;
        }
    };
    let retry = config.retry_seconds;
    loop {
        let store = hall.store().clone();
        let due = tokio::task::spawn_blocking(move || store.outbox_due(Utc::now(), 20))
            .await
            .ok()
            .and_then(Result::ok)
            .unwrap_or_default();
        for m in &due {
            let outcome = channels.send(m).await;
            let store = hall.store().clone();
            let (id, attempts) = (m.id, m.attempts + 1);
            let result = tokio::task::spawn_blocking(move || match outcome {
                Outcome::Sent { channel, note } => {
                    if let Some(note) = &note {
                        tracing::info!("message {id} went by {channel}: {note}");
                    }
                    store.outbox_sent(id, Utc::now(), channel, note.as_deref())
                }
                Outcome::Retry(error) => {
                    tracing::warn!("message {id} not sent (attempt {attempts}): {error}");
                    store.outbox_failed(id, &error, Utc::now() + backoff(retry, attempts))
                }
            })
            .await;
            if let Ok(Err(e)) = result {
                tracing::warn!("outbox: cannot record message {id}'s outcome: {e}");
            }
        }
        hall.outbox_wait(Duration::from_secs(if due.is_empty() { 5 } else { 0 }))
            .await;
    }
}
