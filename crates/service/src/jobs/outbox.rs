//! Sends the outbox: messages to citizens written in the same transaction as the
//! change that causes them go through the configured gateway — retried with backoff,
//! sent with an idempotency key so a gateway that already has one does not send it
//! twice, visible to staff when they fail, and never lost across a restart.

use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;

use crate::config::Notify;
use crate::hall::Hall;
use motcua_core::message::{OutboxMessage, backoff};

/// What the gateway said.
enum Sent {
    Ok,
    /// Try again later.
    Retry(String),
}

async fn send_one(
    http: &reqwest::Client,
    config: &Notify,
    auth: Option<&str>,
    m: &OutboxMessage,
) -> Sent {
    let (Some(phone), Some(body)) = (&m.phone, &m.body) else {
        return Sent::Retry(
            "the message's personal data was erased before it could be sent".into(),
        );
    };
    let mut req = http
        .post(&config.webhook_url)
        .header("Idempotency-Key", &m.key)
        .json(&serde_json::json!({
            "to": phone, "message": body, "idempotency_key": m.key,
            "dossier": m.dossier, "event": m.kind,
        }));
    if let (Some(h), Some(v)) = (config.auth_header.as_deref(), auth) {
        req = req.header(h, v);
    }
    match req.send().await {
        Ok(res) if res.status().is_success() => Sent::Ok,
        // 409: the gateway already has this key, so the message went out before.
        Ok(res) if res.status() == reqwest::StatusCode::CONFLICT => Sent::Ok,
        Ok(res) => Sent::Retry(format!("the gateway answered HTTP {}", res.status())),
        Err(e) if e.is_timeout() => Sent::Retry("the gateway did not answer in time".into()),
        Err(e) => Sent::Retry(format!(
            "the gateway cannot be reached: {}",
            motcua_net::describe(&e)
        )),
    }
}

/// Sends what is due, one message at a time, until the task is dropped.
pub async fn run(hall: Arc<Hall>, config: Notify) {
    let auth = config
        .auth_env
        .as_deref()
        .and_then(|v| std::env::var(v).ok());
    let http = match motcua_net::client(&motcua_net::Options {
        ca_file: config.ca_file.clone(),
        connect_timeout: Some(Duration::from_secs(5)),
        timeout: Some(Duration::from_secs(15)),
        read_timeout: None,
    }) {
        Ok(http) => http,
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
            let outcome = send_one(&http, &config, auth.as_deref(), m).await;
            let store = hall.store().clone();
            let (id, attempts) = (m.id, m.attempts + 1);
            let result = tokio::task::spawn_blocking(move || match outcome {
                Sent::Ok => store.outbox_sent(id, Utc::now()),
                Sent::Retry(error) => {
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
