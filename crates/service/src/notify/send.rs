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
                Some(w) => Some(webhook::Sender::new(client(&w.ca_file)?, w.clone())),
                None => None,
            },
            zalo: match &config.zalo {
                Some(z) => Some(zalo::Sender::new(client(&z.ca_file)?, z.clone(), store)),
                None => None,
            },
            sms: match &config.sms {
                Some(s) => Some(esms::Sender::new(client(&s.ca_file)?, s.clone())),
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
