//! Zalo Notification Service: an approved template message to a phone number, sent
//! with the Official Account's access token, which lives 25 hours and is made anew
//! from a refresh token that works once (each refresh gives the next, kept in the
//! hall's database the moment it arrives: lose it and someone must authorise the app
//! on the OA again).
//!
//! Documented shapes: `POST {api}/message/template`, header `access_token`, body
//! `{phone: "84…", template_id, template_data, tracking_id}`, answer
//! `{error: 0, message, data: {msg_id, …}}` or `{error: -118, message: "Zalo account
//! not existed"}`; `POST {oauth}/v4/oa/access_token`, header `secret_key`, form
//! `refresh_token, app_id, grant_type=refresh_token`, answer `{access_token,
//! refresh_token, expires_in}` or `{error, error_name, error_description}`.

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use motcua_core::message::fill;
use motcua_store::Store;

use super::send::{http_error, short};
use super::{Zalo, ZaloTemplate};

pub(super) fn send_url(z: &Zalo) -> String {
    format!("{}/message/template", z.api_url.trim_end_matches('/'))
}

pub(super) fn token_url(z: &Zalo) -> String {
    format!("{}/v4/oa/access_token", z.oauth_url.trim_end_matches('/'))
}

/// Where the latest refresh token is kept, with the configured one it descends from.
const META_KEY: &str = "zalo_refresh_token";

/// ZNS answers that mean this citizen cannot get it on Zalo: "Zalo account not
/// existed", "Account can not receive ZNS". SMS can still reach them.
const NOT_ON_ZALO: [i64; 2] = [-118, -119];
/// "Access token invalid": refresh it and try once more.
const TOKEN_INVALID: i64 = -124;

pub(super) enum Attempt {
    Sent,
    /// Zalo cannot carry it to this citizen; SMS may.
    NotOnZalo(String),
    /// Try again later.
    Failed(String),
}

#[derive(Serialize, Deserialize)]
struct KeptRefresh {
    token: String,
    /// The configured (environment) token this one descends from: a different one
    /// there later means the app was authorised again, and that one wins.
    seed: Option<String>,
}

struct Access {
    token: String,
    until: DateTime<Utc>,
}

#[derive(Default)]
struct Tokens {
    access: Option<Access>,
    /// The latest refresh token, also when the database could not keep it.
    refresh: Option<KeptRefresh>,
}

pub(super) struct Sender {
    http: reqwest::Client,
    config: Zalo,
    store: Arc<dyn Store>,
    secrets: Secrets,
    tokens: tokio::sync::Mutex<Tokens>,
}

/// What the service's environment holds for Zalo, read at start.
pub(super) struct Secrets {
    /// The app's secret key.
    pub secret_key: Option<String>,
    /// The refresh token from the latest authorisation of the app on the OA.
    pub refresh_token: Option<String>,
}

#[derive(Deserialize)]
struct SendAnswer {
    error: i64,
    #[serde(default)]
    message: String,
}

#[derive(Deserialize)]
struct TokenAnswer {
    #[serde(default)]
    access_token: Option<String>,
    #[serde(default)]
    refresh_token: Option<String>,
    /// Seconds, written as a string ("90000") by Zalo; a number is taken too.
    #[serde(default)]
    expires_in: Option<serde_json::Value>,
    #[serde(default)]
    error: Option<i64>,
    #[serde(default)]
    error_name: Option<String>,
    #[serde(default)]
    error_description: Option<String>,
}

/// "0912345678", "+84 912 345 678" → "84912345678", as ZNS takes it.
pub(super) fn zns_phone(phone: &str) -> String {
    let digits: String = phone.chars().filter(char::is_ascii_digit).collect();
    match digits.strip_prefix('0') {
        Some(rest) => format!("84{rest}"),
        None => digits,
    }
}

enum Sent {
    Ok,
    TokenInvalid(String),
    Refused(i64, String),
    Failed(String),
}

impl Sender {
    pub(super) fn new(
        http: reqwest::Client,
        config: Zalo,
        store: Arc<dyn Store>,
        secrets: Secrets,
    ) -> Self {
        Sender {
            http,
            config,
            store,
            secrets,
            tokens: tokio::sync::Mutex::new(Tokens::default()),
        }
    }

    /// The template for `kind` with its parameters filled from `fields`, if the hall
    /// has one (and the message was written with its fields).
    pub(super) fn template<'a>(
        &'a self,
        kind: &str,
        fields: Option<&BTreeMap<String, String>>,
    ) -> Option<(&'a ZaloTemplate, BTreeMap<String, String>)> {
        let template = self.config.templates.get(kind)?;
        let fields = fields?;
        let data = template
            .data
            .iter()
            .map(|(param, value)| (param.clone(), fill(value, fields, false)))
            .collect();
        Some((template, data))
    }

    pub(super) async fn send(
        &self,
        phone: &str,
        template: &ZaloTemplate,
        data: BTreeMap<String, String>,
        key: &str,
    ) -> Attempt {
        let body = serde_json::json!({
            "phone": zns_phone(phone),
            "template_id": template.template_id,
            "template_data": data,
            "tracking_id": super::send::request_id(key),
        });
        let mut refreshed = false;
        loop {
            let token = match self.access_token(refreshed).await {
                Ok(t) => t,
                Err(e) => return Attempt::Failed(e),
            };
            return match self.post(&token, &body).await {
                Sent::Ok => Attempt::Sent,
                Sent::TokenInvalid(_) if !refreshed => {
                    tracing::info!("Zalo: the access token was refused; refreshing it once");
                    refreshed = true;
                    continue;
                }
                Sent::TokenInvalid(said) => Attempt::Failed(format!(
                    "Zalo refuses even a new access token ({TOKEN_INVALID} {said})"
                )),
                Sent::Refused(code, said) if NOT_ON_ZALO.contains(&code) => {
                    Attempt::NotOnZalo(format!("{code} {said}"))
                }
                Sent::Refused(code, said) => Attempt::Failed(format!("Zalo: {code} {said}")),
                Sent::Failed(e) => Attempt::Failed(e),
            };
        }
    }

    async fn post(&self, token: &str, body: &serde_json::Value) -> Sent {
        let res = match self
            .http
            .post(send_url(&self.config))
            .header("access_token", token)
            .json(body)
            .send()
            .await
        {
            Ok(res) => res,
            Err(e) => return Sent::Failed(http_error("Zalo", &e)),
        };
        let status = res.status();
        let text = res.text().await.unwrap_or_default();
        if !status.is_success() {
            return Sent::Failed(format!("Zalo answered HTTP {status} {}", short(&text)));
        }
        match serde_json::from_str::<SendAnswer>(&text) {
            Ok(a) if a.error == 0 => Sent::Ok,
            Ok(a) if a.error == TOKEN_INVALID => Sent::TokenInvalid(a.message),
            Ok(a) => Sent::Refused(a.error, a.message),
            Err(_) => Sent::Failed(format!(
                "Zalo answered something that is not its JSON: {}",
                short(&text)
            )),
        }
    }

    /// A valid access token: the one held while it has ten minutes left, else a new
    /// one (also when `renew`, after Zalo refused the held one).
    async fn access_token(&self, renew: bool) -> Result<String, String> {
        let mut tokens = self.tokens.lock().await;
        if !renew
            && let Some(a) = &tokens.access
            && a.until - chrono::Duration::minutes(10) > Utc::now()
        {
            return Ok(a.token.clone());
        }
        let secret = self.secrets.secret_key.clone().ok_or_else(|| {
            format!(
                "{} is not set in the service's environment",
                self.config.secret_key_env
            )
        })?;
        let refresh = match tokens.refresh.take() {
            Some(r) => r,
            None => self.refresh_token().await?,
        };
        let form = [
            ("refresh_token", refresh.token.as_str()),
            ("app_id", self.config.app_id.as_str()),
            ("grant_type", "refresh_token"),
        ];
        let answer = self
            .http
            .post(token_url(&self.config))
            .header("secret_key", secret)
            .header(
                reqwest::header::CONTENT_TYPE,
                "application/x-www-form-urlencoded",
            )
            .body(form_body(&form))
            .send()
            .await;
        // Until a new one arrives, the old refresh token is still the one to use.
        let keep_old = |tokens: &mut Tokens, refresh| tokens.refresh = Some(refresh);
        let res = match answer {
            Ok(res) => res,
            Err(e) => {
                keep_old(&mut tokens, refresh);
                return Err(http_error("Zalo's OAuth server", &e));
            }
        };
        let status = res.status();
        let text = res.text().await.unwrap_or_default();
        let parsed = serde_json::from_str::<TokenAnswer>(&text).ok();
        let fresh = parsed
            .as_ref()
            .filter(|_| status.is_success())
            .and_then(|a| {
                let access = a.access_token.clone()?;
                Some((access, a.refresh_token.clone()?, a.expires_in.clone()))
            });
        let Some((access, next, expires_in)) = fresh else {
            keep_old(&mut tokens, refresh);
            let said = match &parsed {
                Some(a) => format!(
                    "{} {}",
                    a.error.map(|e| e.to_string()).unwrap_or_default(),
                    a.error_description
                        .as_deref()
                        .or(a.error_name.as_deref())
                        .unwrap_or_default()
                ),
                None => format!("HTTP {status} {}", short(&text)),
            };
            return Err(format!(
                "Zalo would not renew the OA's access token ({}); if the refresh token has \
                 expired (3 months unused), authorise the app on the OA again and set {}",
                said.trim(),
                self.config.refresh_token_env
            ));
        };
        let kept = KeptRefresh {
            token: next,
            seed: refresh.seed,
        };
        self.keep(&kept).await;
        tokens.refresh = Some(kept);
        let seconds = expires_in
            .as_ref()
            .and_then(|v| v.as_i64().or_else(|| v.as_str()?.trim().parse().ok()))
            .unwrap_or(90_000);
        tokens.access = Some(Access {
            token: access.clone(),
            until: Utc::now() + chrono::Duration::seconds(seconds),
        });
        tracing::info!("Zalo: a new OA access token, valid {} h", seconds / 3600);
        Ok(access)
    }

    /// The refresh token to use: the kept one, unless the environment names a new one.
    async fn refresh_token(&self) -> Result<KeptRefresh, String> {
        let configured = self
            .secrets
            .refresh_token
            .as_ref()
            .map(|v| v.trim().to_owned());
        let store = self.store.clone();
        let kept = tokio::task::spawn_blocking(move || store.meta(META_KEY))
            .await
            .map_err(|e| e.to_string())?
            .map_err(|e| format!("cannot read the kept Zalo refresh token: {e}"))?
            .and_then(|text| serde_json::from_str::<KeptRefresh>(&text).ok());
        match (kept, configured) {
            (Some(kept), Some(env)) if kept.seed.as_deref() != Some(env.as_str()) => {
                tracing::info!(
                    "Zalo: {} is new; it replaces the kept refresh token",
                    self.config.refresh_token_env
                );
                Ok(KeptRefresh {
                    token: env.clone(),
                    seed: Some(env),
                })
            }
            (Some(kept), _) => Ok(kept),
            (None, Some(env)) => Ok(KeptRefresh {
                token: env.clone(),
                seed: Some(env),
            }),
            (None, None) => Err(format!(
                "no Zalo refresh token: set {} to the one from authorising the app on the OA",
                self.config.refresh_token_env
            )),
        }
    }

    /// Keeps the new refresh token before anything else is done with the answer.
    async fn keep(&self, kept: &KeptRefresh) {
        let store = self.store.clone();
        let text = serde_json::to_string(kept).unwrap_or_default();
        let done = tokio::task::spawn_blocking(move || store.set_meta(META_KEY, &text)).await;
        if !matches!(done, Ok(Ok(()))) {
            tracing::error!(
                "Zalo: cannot keep the new refresh token in the database ({done:?}); it is \
                 held in memory, and lost if the service stops before the disk is fixed"
            );
        }
    }
}

/// `application/x-www-form-urlencoded`, as Zalo's OAuth takes it.
fn form_body(pairs: &[(&str, &str)]) -> String {
    url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(pairs)
        .finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phones_go_to_zns_as_84() {
        assert_eq!(zns_phone("0912345678"), "84912345678");
        assert_eq!(zns_phone("+84 912 345 678"), "84912345678");
        assert_eq!(zns_phone("84912345678"), "84912345678");
    }
}
