//! The outbox: messages to citizens ("your result is ready") written in the same
//! transaction as the change that causes them, then sent by a worker through the
//! configured gateway — retried with backoff, sent with an idempotency key so a
//! gateway that already has it does not send it twice, visible to staff when they
//! fail, and never lost across a restart.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::config::Notify;
use crate::dossier::Dossier;
use crate::hall::Hall;

/// A message to be sent, as the change that causes it writes it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewMessage {
    /// Unique per message: the same event never makes two messages.
    pub key: String,
    pub dossier: String,
    /// `result_ready`.
    pub kind: String,
    pub phone: String,
    pub body: String,
}

/// A message in the outbox, for the worker and for staff.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct OutboxMessage {
    pub id: i64,
    pub key: String,
    pub dossier: String,
    pub kind: String,
    /// Shown to staff as `09xx xxx 678`; erased with the dossier's personal data.
    #[serde(default)]
    pub phone: Option<String>,
    #[serde(default)]
    pub body: Option<String>,
    pub created_at: DateTime<Utc>,
    pub attempts: u32,
    pub next_at: DateTime<Utc>,
    #[serde(default)]
    pub sent_at: Option<DateTime<Utc>>,
    #[serde(default)]
    pub last_error: Option<String>,
}

/// Retries wait `base`, twice that, four times … up to an hour.
pub fn backoff(base_secs: u64, attempts: u32) -> chrono::Duration {
    let base = i64::try_from(base_secs).unwrap_or(3600);
    let secs = base.saturating_mul(1i64 << attempts.saturating_sub(1).min(12));
    chrono::Duration::seconds(secs.min(3600))
}

/// "0912345678" → "0912 xxx 678": enough for staff to recognise, not to dial.
pub fn mask_phone(phone: &str) -> String {
    if phone.len() < 7 {
        return "xxx".into();
    }
    format!("{} xxx {}", &phone[..4], &phone[phone.len() - 3..])
}

/// Vietnamese without diacritics, for SMS: "Quầy 8" → "Quay 8", "đ" → "d".
pub fn plain_ascii(s: &str) -> String {
    use unicode_normalization::UnicodeNormalization;
    s.nfd()
        .filter(|c| !unicode_normalization::char::is_combining_mark(*c))
        .map(|c| match c {
            'đ' => 'd',
            'Đ' => 'D',
            c => c,
        })
        .collect()
}

/// The message for a dossier that has just reached its status, when the hall has a
/// template for that status and the citizen agreed and gave a phone. "Result ready"
/// uses `template`; other statuses (`needs_documents`, `needs_payment`, …) only when
/// `[notify.templates]` names them.
pub fn status_message(
    config: &Notify,
    hall_name: &str,
    d: &Dossier,
    at: DateTime<Utc>,
) -> Option<NewMessage> {
    if !d.notify_consent {
        return None;
    }
    let kind = d.status.as_str();
    let template = match config.templates.get(kind) {
        Some(t) => t,
        None if d.status == crate::dossier::DossierStatus::ResultReady => &config.template,
        None => return None,
    };
    let phone = d.phone.clone()?;
    let words = |s: &str| {
        if config.plain_ascii {
            plain_ascii(s)
        } else {
            s.to_owned()
        }
    };
    let body = template
        .replace("{code}", &d.code)
        .replace(
            "{place}",
            &words(d.pickup.as_deref().unwrap_or("quầy trả kết quả")),
        )
        .replace("{hall}", &words(hall_name))
        .replace("{procedure}", &words(&d.procedure_name));
    Some(NewMessage {
        key: format!("{}/{kind}/{}", d.code, at.format("%Y%m%dT%H%M%S%.3fZ")),
        dossier: d.code.clone(),
        kind: kind.into(),
        phone,
        body,
    })
}

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
        Err(e) => Sent::Retry(format!("the gateway cannot be reached: {e}")),
    }
}

/// Sends what is due, one message at a time, until the task is dropped.
pub async fn worker(hall: Arc<Hall>, config: Notify) {
    let auth = config
        .auth_env
        .as_deref()
        .and_then(|v| std::env::var(v).ok());
    let http = reqwest::Client::builder()
        .connect_timeout(Duration::from_secs(5))
        .timeout(Duration::from_secs(15))
        .build()
        .expect("an HTTP client can be built");
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_status_speaks_only_with_a_template_and_consent() {
        use crate::dossier::{DossierStatus, DossierUpdate};
        let mut config: Notify = toml::from_str(
            "webhook_url = \"http://gw/send\"\n[templates]\nneeds_documents = \"Ho so {code} can bo sung giay to tai {hall}\"",
        )
        .unwrap();
        let at = Utc::now();
        let dossier = |status, consent| {
            let u = DossierUpdate {
                code: "H27-261123-0042".into(),
                phone: Some("0912345678".into()),
                notify_consent: Some(consent),
                status: Some(status),
                pickup: Some("Quầy 8".into()),
                ..DossierUpdate::default()
            };
            Dossier::merged(None, &u, "test", at).unwrap()
        };
        let hall = "TT PVHCC phường Hòa Bình";
        let ready = status_message(
            &config,
            hall,
            &dossier(DossierStatus::ResultReady, true),
            at,
        )
        .unwrap();
        assert_eq!(ready.kind, "result_ready");
        assert!(ready.body.contains("Quay 8") && ready.body.contains("phuong Hoa Binh"));
        let docs = status_message(
            &config,
            hall,
            &dossier(DossierStatus::NeedsDocuments, true),
            at,
        )
        .unwrap();
        assert_eq!(
            docs.body,
            "Ho so H27-261123-0042 can bo sung giay to tai TT PVHCC phuong Hoa Binh"
        );
        assert_ne!(docs.key, ready.key);
        assert!(
            status_message(&config, hall, &dossier(DossierStatus::InProgress, true), at).is_none()
        );
        assert!(
            status_message(
                &config,
                hall,
                &dossier(DossierStatus::ResultReady, false),
                at
            )
            .is_none()
        );
        config.plain_ascii = false;
        let ready = status_message(
            &config,
            hall,
            &dossier(DossierStatus::ResultReady, true),
            at,
        )
        .unwrap();
        assert!(ready.body.contains("Quầy 8"));
    }

    #[test]
    fn sms_text_is_plain_and_short() {
        assert_eq!(
            plain_ascii("Quầy 8 – Trả kết quả, Đức"),
            "Quay 8 – Tra ket qua, Duc"
        );
        assert_eq!(mask_phone("0912345678"), "0912 xxx 678");
        assert_eq!(backoff(10, 1), chrono::Duration::seconds(10));
        assert_eq!(backoff(10, 3), chrono::Duration::seconds(40));
        assert_eq!(backoff(10, 30), chrono::Duration::seconds(3600));
    }
}
