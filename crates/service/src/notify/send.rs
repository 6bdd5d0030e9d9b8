//! One message through the hall's channels: the first channel, and SMS when Zalo says
//! the citizen cannot get it there.

use std::sync::Arc;
use std::time::Duration;

use motcua_core::message::OutboxMessage;
use motcua_store::Store;

use super::{Channel, Notify, esms, webhook, zalo};

/// How one message went.
#[derive(Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Out, through `channel`; `note` says why not the first channel.
    Sent {
        channel: &'static str,
        note: Option<String>,
    },
    /// Not out; try again later. The providers' own words, for staff.
    Retry(String),
}

/// The hall's channels, ready to send.
pub struct Channels {
    first: Channel,
    webhook: Option<webhook::Sender>,
    zalo: Option<zalo::Sender>,
    sms: Option<esms::Sender>,
}

impl Channels {
    /// Builds each configured channel's HTTPS client (its CA file read again) and reads
    /// its secrets from the environment; a secret not set is said on each message.
    pub fn new(config: &Notify, store: Arc<dyn Store>) -> Result<Channels, String> {
        Channels::with_secrets(config, store, &|name| std::env::var(name).ok())
    }

    /// As `new`, with the secrets looked up by `secret` instead of the environment.
    pub fn with_secrets(
        config: &Notify,
        store: Arc<dyn Store>,
        secret: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Channels, String> {
        let secret = |name: &str| secret(name).filter(|v| !v.trim().is_empty());
        let client = |ca_file: &Option<std::path::PathBuf>| {
            motcua_net::client(&motcua_net::Options {
                ca_file: ca_file.clone(),
                connect_timeout: Some(Duration::from_secs(5)),
                timeout: Some(Duration::from_secs(15)),
                read_timeout: None,
            })
            .map_err(|e| e.to_string())
        };
        Ok(Channels {
            first: config.channel,
            webhook: match &config.webhook {
                Some(w) => Some(webhook::Sender::new(
                    client(&w.ca_file)?,
                    w.clone(),
                    w.auth_env.as_deref().and_then(secret),
                )),
                None => None,
            },
            zalo: match &config.zalo {
                Some(z) => Some(zalo::Sender::new(
                    client(&z.ca_file)?,
                    z.clone(),
                    store,
                    zalo::Secrets {
                        secret_key: secret(&z.secret_key_env),
                        refresh_token: secret(&z.refresh_token_env),
                    },
                )),
                None => None,
            },
            sms: match &config.sms {
                Some(s) => Some(esms::Sender::new(
                    client(&s.ca_file)?,
                    s.clone(),
                    secret(&s.api_key_env),
                    secret(&s.secret_key_env),
                )),
                None => None,
            },
        })
    }

    pub async fn send(&self, m: &OutboxMessage) -> Outcome {
        let (Some(phone), Some(body)) = (&m.phone, &m.body) else {
            return Outcome::Retry(
                "the message's personal data was erased before it could be sent".into(),
            );
        };
        let sent = |channel| Outcome::Sent {
            channel,
            note: None,
        };
        match (self.first, &self.webhook, &self.zalo) {
            (Channel::Webhook, Some(w), _) => match w.send(phone, body, m).await {
                Ok(()) => sent("webhook"),
                Err(e) => Outcome::Retry(e),
            },
            (Channel::ZaloZns, _, Some(z)) => {
                let why = match z.template(&m.kind, m.fields.as_ref()) {
                    Some((template, data)) => match z.send(phone, template, data, &m.key).await {
                        zalo::Attempt::Sent => return sent("zalo"),
                        zalo::Attempt::Failed(e) => return Outcome::Retry(e),
                        zalo::Attempt::NotOnZalo(why) => why,
                    },
                    None => format!("no template for {} messages", m.kind),
                };
                match self.send_sms(phone, body, m).await {
                    Outcome::Sent { channel, .. } => Outcome::Sent {
                        channel,
                        note: Some(format!("Zalo: {why}")),
                    },
                    Outcome::Retry(e) => Outcome::Retry(format!("Zalo: {why}; {e}")),
                }
            }
            _ => self.send_sms(phone, body, m).await,
        }
    }

    async fn send_sms(&self, phone: &str, body: &str, m: &OutboxMessage) -> Outcome {
        match &self.sms {
            Some(s) => match s.send(phone, body, &m.key).await {
                Ok(()) => Outcome::Sent {
                    channel: "sms",
                    note: None,
                },
                Err(e) => Outcome::Retry(format!("SMS: {e}")),
            },
            None => Outcome::Retry("there is no [notify.sms] to send it by".into()),
        }
    }
}

/// What a failed call says: no answer in time, or why it could not connect (an unknown
/// certificate issuer, a wrong name…).
pub(super) fn http_error(who: &str, e: &reqwest::Error) -> String {
    if e.is_timeout() {
        format!("{who} did not answer in time")
    } else {
        format!("{who} cannot be reached: {}", motcua_net::describe(e))
    }
}

/// The start of a provider's answer, for a log line.
pub(super) fn short(text: &str) -> String {
    let text = text.trim();
    match text.char_indices().nth(120) {
        Some((i, _)) => format!("{}…", &text[..i]),
        None => text.to_owned(),
    }
}

/// A provider's request id (at most 50 characters for eSMS): the message's key, or
/// when longer its start and a hash of the whole, the same on every retry.
pub(super) fn request_id(key: &str) -> String {
    const MAX: usize = 50;
    if key.len() <= MAX {
        return key.to_owned();
    }
    use std::hash::Hasher;
    let mut h = siphasher::sip::SipHasher13::new_with_keys(0x6d6f_7463_7561, 0x7265_7175_6573_7400);
    h.write(key.as_bytes());
    let hash = format!("{:016x}", h.finish());
    let head: String = key.chars().take(MAX - hash.len() - 1).collect();
    format!("{head}~{hash}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_long_key_makes_a_short_stable_request_id() {
        let key = "000.00.12.H27-261123-0042/result_ready/20261125T101500.123Z";
        let id = request_id(key);
        assert_eq!(id.len(), 50);
        assert_eq!(id, request_id(key), "the same on every retry");
        assert!(id.starts_with("000.00.12.H27-261123-0042/result_~"));
        assert_ne!(id, request_id(&key.replace("101500", "101501")));
        assert_eq!(request_id("H27-1/result_ready/x"), "H27-1/result_ready/x");
    }
}

/// The channels against the fakes, for what the end-to-end test cannot reach: a
/// provider that already has a request, and a refresh token Zalo no longer takes.
#[cfg(test)]
mod against_fakes {
    use super::*;
    use crate::notify::{Sms, SmsProvider, Zalo, ZaloTemplate};

    fn message(key: &str, phone: &str) -> OutboxMessage {
        OutboxMessage {
            id: 1,
            key: key.into(),
            dossier: "H27-261123-0042".into(),
            kind: "result_ready".into(),
            phone: Some(phone.into()),
            body: Some("Ho so H27-261123-0042 da co ket qua".into()),
            fields: Some([("code".to_owned(), "H27-261123-0042".to_owned())].into()),
            created_at: chrono::Utc::now(),
            attempts: 0,
            next_at: chrono::Utc::now(),
            sent_at: None,
            last_error: None,
            channel: None,
        }
    }

    async fn serve(app: axum::Router, pki: &motcua_fakes::Pki) -> String {
        motcua_fakes::serve_https(app, pki).await.unwrap()
    }

    #[tokio::test]
    async fn a_request_the_provider_already_has_counts_as_sent_and_a_dead_refresh_token_is_said() {
        let dir = tempfile::tempdir().unwrap();
        let pki = motcua_fakes::make_pki(dir.path(), &["localhost"]).unwrap();
        let esms = motcua_fakes::esms::Esms::new("UBND-HOABINH");
        let zalo = motcua_fakes::zalo::Zalo::new("spent-long-ago", &[("312345", &["ma_ho_so"])]);
        let esms_url = serve(motcua_fakes::esms::router(esms.clone()), &pki).await;
        let zalo_url = serve(motcua_fakes::zalo::router(zalo.clone()), &pki).await;
        let env = [
            ("MOTCUA_UNIT_ESMS_KEY", "fake-esms-api-key"),
            ("MOTCUA_UNIT_ESMS_SECRET", "fake-esms-secret"),
            ("MOTCUA_UNIT_ZALO_SECRET", "fake-zalo-app-secret"),
            ("MOTCUA_UNIT_ZALO_REFRESH", "a-token-zalo-never-gave"),
        ];
        let secret = |name: &str| {
            env.iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| v.to_string())
        };
        let notify = Notify {
            channel: Channel::ZaloZns,
            webhook: None,
            zalo: Some(Zalo {
                app_id: "4318000000000000001".into(),
                secret_key_env: env[2].0.into(),
                refresh_token_env: env[3].0.into(),
                api_url: zalo_url.clone(),
                oauth_url: zalo_url,
                ca_file: Some(pki.ca.clone()),
                templates: [(
                    "result_ready".to_owned(),
                    ZaloTemplate {
                        template_id: "312345".into(),
                        data: [("ma_ho_so".to_owned(), "{code}".to_owned())].into(),
                    },
                )]
                .into(),
            }),
            sms: Some(Sms {
                provider: SmsProvider::Esms,
                brandname: "UBND-HOABINH".into(),
                api_key_env: env[0].0.into(),
                secret_key_env: env[1].0.into(),
                api_url: esms_url,
                sandbox: false,
                ca_file: Some(pki.ca.clone()),
            }),
            retry_seconds: 1,
            messages: Default::default(),
        };
        let store: Arc<dyn Store> = Arc::new(motcua_store::SqliteStore::open(dir.path()).unwrap());
        let channels = Channels::with_secrets(&notify, store, &secret).unwrap();

        // Zalo will not renew: the outbox says so, with Zalo's words and what to do.
        let m = message("k1", "0987654321");
        let Outcome::Retry(why) = channels.send(&m).await else {
            panic!("sent without a token")
        };
        assert!(
            why.contains("-14014") && why.contains("MOTCUA_UNIT_ZALO_REFRESH"),
            "{why}"
        );
        assert_eq!(
            zalo.lock().unwrap().attempts,
            0,
            "nothing sent without a token"
        );

        // SMS: the same request twice (a crash between eSMS's answer and the database's
        // write) is sent once and counts as sent both times.
        let sms = channels.sms.as_ref().unwrap();
        sms.send("0912345678", "Ho so da co ket qua", "k2")
            .await
            .unwrap();
        sms.send("0912345678", "Ho so da co ket qua", "k2")
            .await
            .unwrap();
        assert_eq!(esms.lock().unwrap().sent.len(), 1);
        // Wrong keys are said in eSMS's words.
        esms.lock().unwrap().secret_key = "rotated".into();
        let err = sms.send("0912345678", "x", "k3").await.unwrap_err();
        assert!(err.contains("eSMS 101"), "{err}");
    }
}
