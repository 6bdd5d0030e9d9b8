//! A gateway's webhook: one JSON POST per message, its idempotency key in a header and
//! the body; 2xx is sent, 409 is "already have it", anything else is tried again.

use super::Webhook;
use super::send::{http_error, short};

pub(super) struct Sender {
    http: reqwest::Client,
    config: Webhook,
    /// The auth header's value, read from `auth_env` at start.
    auth: Option<String>,
}

impl Sender {
    pub(super) fn new(http: reqwest::Client, config: Webhook, auth: Option<String>) -> Self {
        Sender { http, config, auth }
    }

    pub(super) async fn send(
        &self,
        phone: &str,
        body: &str,
        m: &motcua_core::message::OutboxMessage,
    ) -> Result<(), String> {
        let mut req = self
            .http
            .post(&self.config.url)
            .header("Idempotency-Key", &m.key)
            .json(&serde_json::json!({
                "to": phone, "message": body, "idempotency_key": m.key,
                "dossier": m.dossier, "event": m.kind,
            }));
        if let (Some(h), Some(v)) = (self.config.auth_header.as_deref(), &self.auth) {
            req = req.header(h, v);
        }
        match req.send().await {
            Ok(res) if res.status().is_success() => Ok(()),
            // 409: the gateway already has this key, so the message went out before.
            Ok(res) if res.status() == reqwest::StatusCode::CONFLICT => Ok(()),
            Ok(res) => {
                let status = res.status();
                let text = res.text().await.unwrap_or_default();
                Err(format!(
                    "the gateway answered HTTP {status} {}",
                    short(&text)
                ))
            }
            Err(e) => Err(http_error("the gateway", &e)),
        }
    }
}
