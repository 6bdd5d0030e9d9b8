//! `[notify]`: how messages reach citizens — a gateway's webhook, Zalo (ZNS template
//! messages) with SMS brandname when Zalo cannot, or SMS alone — and the words they
//! carry. `send` delivers one outbox message through the hall's channels; the outbox
//! job (`jobs::outbox`) decides when, and records what happened.

mod esms;
mod send;
mod webhook;
mod zalo;

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::Deserialize;

use motcua_core::message::{DUE_SOON, FIELDS, Messages, OVERDUE_APOLOGY, unknown_fields};

pub use send::{Channels, Outcome};

/// `[notify]`, checked.
#[derive(Clone, Debug)]
pub struct Notify {
    /// What is tried first.
    pub channel: Channel,
    pub webhook: Option<Webhook>,
    pub zalo: Option<Zalo>,
    pub sms: Option<Sms>,
    /// The first retry waits this long; each next one twice as long, up to an hour.
    pub retry_seconds: u64,
    /// What is said, and when.
    pub messages: Messages,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    /// A JSON POST to a gateway someone else runs.
    Webhook,
    /// Zalo Notification Service; SMS brandname for who is not on Zalo.
    ZaloZns,
    /// SMS brandname only.
    Sms,
}

/// A gateway's webhook: `{to, message, idempotency_key, dossier, event}`.
#[derive(Clone, Debug)]
pub struct Webhook {
    pub url: String,
    pub auth_header: Option<String>,
    /// The environment variable holding the header's value.
    pub auth_env: Option<String>,
    pub ca_file: Option<PathBuf>,
}

/// `[notify.zalo]`: the hall's Official Account's app, and one approved ZNS template
/// per kind of message.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Zalo {
    /// The app linked to the OA (Zalo for Developers).
    pub app_id: String,
    /// The environment variable holding the app's secret key.
    #[serde(default = "default_zalo_secret_env")]
    pub secret_key_env: String,
    /// The environment variable holding the first refresh token (from authorising the
    /// app on the OA). Each refresh gives a new one, kept in the hall's database; a
    /// different value here later (a new authorisation) replaces it.
    #[serde(default = "default_zalo_refresh_env")]
    pub refresh_token_env: String,
    #[serde(default = "default_zalo_api")]
    pub api_url: String,
    #[serde(default = "default_zalo_oauth")]
    pub oauth_url: String,
    #[serde(default)]
    pub ca_file: Option<PathBuf>,
    /// By message kind (`result_ready`, `needs_documents`, `due_soon`…).
    #[serde(default)]
    pub templates: BTreeMap<String, ZaloTemplate>,
}

/// One approved ZNS template: its id, and each of its parameters filled from the
/// message's fields (`{code}`, `{place}`, `{hall}`, `{procedure}`, `{due}`, `{new_due}`).
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ZaloTemplate {
    pub template_id: String,
    pub data: BTreeMap<String, String>,
}

/// `[notify.sms]`: an SMS brandname account (eSMS's documented HTTP API).
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Sms {
    /// `esms` (the one provider spoken today).
    pub provider: SmsProvider,
    /// The registered sender name citizens see ("UBND-HOABINH").
    pub brandname: String,
    #[serde(default = "default_esms_key_env")]
    pub api_key_env: String,
    #[serde(default = "default_esms_secret_env")]
    pub secret_key_env: String,
    #[serde(default = "default_esms_api")]
    pub api_url: String,
    /// The provider checks each request but sends nothing and charges nothing.
    #[serde(default)]
    pub sandbox: bool,
    #[serde(default)]
    pub ca_file: Option<PathBuf>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SmsProvider {
    Esms,
}

fn default_zalo_secret_env() -> String {
    "MOTCUA_ZALO_SECRET_KEY".into()
}
fn default_zalo_refresh_env() -> String {
    "MOTCUA_ZALO_REFRESH_TOKEN".into()
}
fn default_zalo_api() -> String {
    "https://business.openapi.zalo.me".into()
}
fn default_zalo_oauth() -> String {
    "https://oauth.zaloapp.com".into()
}
fn default_esms_key_env() -> String {
    "MOTCUA_ESMS_API_KEY".into()
}
fn default_esms_secret_env() -> String {
    "MOTCUA_ESMS_SECRET_KEY".into()
}
fn default_esms_api() -> String {
    "https://rest.esms.vn".into()
}
fn default_retry() -> u64 {
    10
}

/// `[notify]` as written: the channel, the webhook's fields (at the top, as before
/// there were other channels), the channels' sections, the rest are the messages'.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct FileNotify {
    #[serde(default)]
    channel: Option<Channel>,
    #[serde(default)]
    webhook_url: Option<String>,
    #[serde(default)]
    auth_header: Option<String>,
    #[serde(default)]
    auth_env: Option<String>,
    #[serde(default = "default_retry")]
    retry_seconds: u64,
    #[serde(default)]
    ca_file: Option<PathBuf>,
    #[serde(default)]
    zalo: Option<Zalo>,
    #[serde(default)]
    sms: Option<Sms>,
    #[serde(default)]
    template: Option<String>,
    #[serde(default)]
    plain_ascii: Option<bool>,
    #[serde(default)]
    templates: BTreeMap<String, String>,
    #[serde(default)]
    due_soon_hours: Option<u32>,
    #[serde(default)]
    send_hours: Option<[u32; 2]>,
}

impl Notify {
    /// The kinds of message the hall writes: a ready result always, the others when
    /// `[notify.templates]` has their words.
    pub fn kinds(&self) -> Vec<String> {
        let mut kinds = vec!["result_ready".to_string()];
        kinds.extend(
            self.messages
                .templates
                .keys()
                .filter(|k| *k != "result_ready")
                .cloned(),
        );
        kinds
    }

    /// Every CA file named, to read (and resolve against the config's folder) at start.
    pub fn ca_files_mut(&mut self) -> impl Iterator<Item = &mut PathBuf> {
        let webhook = self.webhook.as_mut().and_then(|w| w.ca_file.as_mut());
        let zalo = self.zalo.as_mut().and_then(|z| z.ca_file.as_mut());
        let sms = self.sms.as_mut().and_then(|s| s.ca_file.as_mut());
        [webhook, zalo, sms].into_iter().flatten()
    }

    /// Where it connects, with the CA file for each: for `check-config`'s probe.
    pub fn endpoints(&self) -> Vec<(&'static str, String, Option<PathBuf>)> {
        let mut out = Vec::new();
        if let Some(w) = &self.webhook {
            out.push(("notifications", w.url.clone(), w.ca_file.clone()));
        }
        if let Some(z) = &self.zalo {
            out.push(("Zalo ZNS", zalo::send_url(z), z.ca_file.clone()));
            out.push(("Zalo OA token", zalo::token_url(z), z.ca_file.clone()));
        }
        if let Some(s) = &self.sms {
            out.push(("SMS brandname", esms::send_url(s), s.ca_file.clone()));
        }
        out
    }

    /// The environment variables the channels read that are not set, for the report.
    pub fn missing_env(&self) -> Vec<String> {
        let mut names: Vec<&str> = Vec::new();
        if let Some(z) = &self.zalo {
            names.extend([z.secret_key_env.as_str(), z.refresh_token_env.as_str()]);
        }
        if let Some(s) = &self.sms {
            names.extend([s.api_key_env.as_str(), s.secret_key_env.as_str()]);
        }
        if let Some(env) = self.webhook.as_ref().and_then(|w| w.auth_env.as_deref()) {
            names.push(env);
        }
        names
            .into_iter()
            .filter(|n| std::env::var(n).map_or(true, |v| v.trim().is_empty()))
            .map(String::from)
            .collect()
    }
}

pub(crate) fn check(n: FileNotify) -> Result<Notify, String> {
    if !(1..=3600).contains(&n.retry_seconds) {
        return Err("notify.retry_seconds must be 1 to 3600".into());
    }
    let mut messages = Messages::default();
    if let Some(t) = n.template {
        messages.template = t;
    }
    if let Some(p) = n.plain_ascii {
        messages.plain_ascii = p;
    }
    if let Some(h) = n.due_soon_hours {
        messages.due_soon_hours = h;
    }
    if let Some(h) = n.send_hours {
        messages.send_hours = h;
    }
    messages.templates = n.templates;
    messages.check("notify")?;
    let channel = match (n.channel, &n.webhook_url) {
        (Some(c), _) => c,
        (None, Some(_)) => Channel::Webhook,
        (None, None) => {
            return Err(
                "notify: say how messages go: webhook_url = \"https://…\" for a \
                        gateway's webhook, channel = \"zalo_zns\" with [notify.zalo], or \
                        channel = \"sms\" with [notify.sms]"
                    .into(),
            );
        }
    };
    let webhook = match n.webhook_url {
        Some(url) => {
            crate::config::check_url(&url, "notify.webhook_url")?;
            Some(Webhook {
                url,
                auth_header: n.auth_header,
                auth_env: n.auth_env,
                ca_file: n.ca_file,
            })
        }
        None if n.auth_header.is_some() || n.auth_env.is_some() || n.ca_file.is_some() => {
            return Err(
                "notify: auth_header, auth_env and ca_file are the webhook's; \
                        without webhook_url, put ca_file under [notify.zalo] or [notify.sms]"
                    .into(),
            );
        }
        None => None,
    };
    let notify = Notify {
        channel,
        webhook,
        zalo: n.zalo,
        sms: n.sms,
        retry_seconds: n.retry_seconds,
        messages,
    };
    check_channels(&notify)?;
    Ok(notify)
}

/// Each channel named has its section, each section is used, and every kind of message
/// the hall writes has a way out.
fn check_channels(n: &Notify) -> Result<(), String> {
    let needs = |what: &str| format!("notify.channel = \"{what}\" needs [notify.{what}]");
    match n.channel {
        Channel::Webhook if n.webhook.is_none() => {
            return Err("notify.channel = \"webhook\" needs webhook_url".into());
        }
        Channel::ZaloZns if n.zalo.is_none() => return Err(needs("zalo")),
        Channel::Sms if n.sms.is_none() => return Err(needs("sms")),
        _ => {}
    }
    if n.webhook.is_some() && n.channel != Channel::Webhook {
        return Err("notify.webhook_url is set but the channel is not \"webhook\"".into());
    }
    if n.zalo.is_some() && n.channel != Channel::ZaloZns {
        return Err("[notify.zalo] is set but notify.channel is not \"zalo_zns\"".into());
    }
    if n.sms.is_some() && n.channel == Channel::Webhook {
        return Err("[notify.sms] is for channel = \"sms\", or Zalo's fallback \
                    (channel = \"zalo_zns\"); the webhook channel does not use it"
            .into());
    }
    if let Some(z) = &n.zalo {
        for (what, value) in [("app_id", &z.app_id)] {
            if value.trim().is_empty() {
                return Err(format!("notify.zalo.{what} is empty"));
            }
        }
        for (what, url) in [("api_url", &z.api_url), ("oauth_url", &z.oauth_url)] {
            crate::config::check_url(url, &format!("notify.zalo.{what}"))?;
        }
        let kinds = n.kinds();
        for (kind, t) in &z.templates {
            let at = format!("notify.zalo.templates.{kind}");
            if !kinds.contains(kind) {
                let hint = if [DUE_SOON, OVERDUE_APOLOGY].contains(&kind.as_str())
                    || motcua_core::dossier::DossierStatus::parse(kind).is_some()
                {
                    format!(
                        "no such message is written without its words in \
                         [notify.templates] {kind} = \"…\" (they are the SMS and what staff read)"
                    )
                } else {
                    format!("not a kind of message ({})", kinds.join(", "))
                };
                return Err(format!("{at}: {hint}"));
            }
            if t.template_id.trim().is_empty() {
                return Err(format!("{at}.template_id is empty"));
            }
            if t.data.is_empty() {
                return Err(format!(
                    "{at}.data is empty: name the template's parameters, e.g. \
                     data = {{ ma_ho_so = \"{{code}}\", noi_nhan = \"{{place}}\" }}"
                ));
            }
            for (param, value) in &t.data {
                if let Some(f) = unknown_fields(value).first() {
                    return Err(format!(
                        "{at}.data.{param}: {{{f}}} is not a field; use {}",
                        FIELDS.map(|f| format!("{{{f}}}")).join(" ")
                    ));
                }
            }
        }
        if n.sms.is_none()
            && let Some(kind) = kinds.iter().find(|k| !z.templates.contains_key(*k))
        {
            return Err(format!(
                "notify: {kind} messages have no Zalo template \
                 ([notify.zalo.templates.{kind}]) and there is no [notify.sms] to send them by"
            ));
        }
    }
    if let Some(s) = &n.sms {
        if s.brandname.trim().is_empty() {
            return Err("notify.sms.brandname is empty".into());
        }
        crate::config::check_url(&s.api_url, "notify.sms.api_url")?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Notify, String> {
        let file: FileNotify = toml::from_str(text).map_err(|e| e.to_string())?;
        check(file)
    }

    const ZALO: &str = r#"
channel = "zalo_zns"
[zalo]
app_id = "4318000000000000001"
[zalo.templates.result_ready]
template_id = "312345"
data = { ma_ho_so = "{code}", noi_nhan = "{place}", co_quan = "{hall}" }
"#;

    #[test]
    fn a_webhook_alone_is_what_it_was() {
        let n = parse("webhook_url = \"https://gw.example.vn/send\"").unwrap();
        assert_eq!(n.channel, Channel::Webhook);
        assert!(n.zalo.is_none() && n.sms.is_none());
        let err = parse("retry_seconds = 5").unwrap_err();
        assert!(err.contains("say how messages go"), "{err}");
    }

    #[test]
    fn zalo_with_its_templates_and_sms_as_the_fallback() {
        let n = parse(ZALO).unwrap();
        assert_eq!(n.channel, Channel::ZaloZns);
        let z = n.zalo.as_ref().unwrap();
        assert_eq!(z.api_url, "https://business.openapi.zalo.me");
        assert_eq!(z.secret_key_env, "MOTCUA_ZALO_SECRET_KEY");
        // A reminder with words but no Zalo template needs SMS to go by.
        let with_reminder =
            format!("{ZALO}\n[templates]\ndue_soon = \"Ho so {{code}} hen {{due}}\"");
        let err = parse(&with_reminder).unwrap_err();
        assert!(
            err.contains("due_soon messages have no Zalo template"),
            "{err}"
        );
        let with_sms =
            format!("{with_reminder}\n[sms]\nprovider = \"esms\"\nbrandname = \"UBND-HOABINH\"");
        let n = parse(&with_sms).unwrap();
        assert_eq!(n.sms.as_ref().unwrap().api_url, "https://rest.esms.vn");
    }

    #[test]
    fn each_mistake_is_named() {
        let cases = [
            ("channel = \"zalo_zns\"", "needs [notify.zalo]"),
            ("channel = \"sms\"", "needs [notify.sms]"),
            ("channel = \"telegram\"", "unknown variant"),
            (
                "webhook_url = \"https://gw.example.vn\"\n[sms]\nprovider = \"esms\"\nbrandname = \"X\"",
                "the webhook channel does not use it",
            ),
            (
                &ZALO.replace("{place}", "{noi_nhan}"),
                "data.noi_nhan: {noi_nhan} is not a field",
            ),
            (
                &format!(
                    "{ZALO}\n[zalo.templates.needs_payment]\ntemplate_id = \"1\"\ndata = {{ a = \"{{code}}\" }}"
                ),
                "notify.zalo.templates.needs_payment: no such message is written without its words",
            ),
            (&ZALO.replace("312345", " "), "template_id is empty"),
            (
                "channel = \"sms\"\nca_file = \"x.pem\"\n[sms]\nprovider = \"esms\"\nbrandname = \"X\"",
                "put ca_file under",
            ),
            (
                "channel = \"sms\"\n[sms]\nprovider = \"viettel\"\nbrandname = \"X\"",
                "unknown variant",
            ),
        ];
        for (text, said) in cases {
            let err = parse(text).unwrap_err();
            assert!(err.contains(said), "{text}\n→ {err}");
        }
    }
}
