//! SMS brandname through eSMS's documented HTTP API: `POST
//! {api}/MainService.svc/json/SendMultipleMessage_V4_post_json/` with `{ApiKey,
//! SecretKey, Content, Phone, Brandname, SmsType: "2" (customer care), IsUnicode,
//! Sandbox, RequestId}`; the answer's `CodeResult` is "100" when accepted, "124" when
//! that `RequestId` was accepted before (so it went), other codes with `ErrorMessage`.

use super::Sms;
use super::send::{http_error, request_id, short};

pub(super) fn send_url(s: &Sms) -> String {
    format!(
        "{}/MainService.svc/json/SendMultipleMessage_V4_post_json/",
        s.api_url.trim_end_matches('/')
    )
}

/// eSMS's documented codes, for when its answer carries no words of its own.
fn code_words(code: &str) -> &'static str {
    match code {
        "99" => "the phone number is blocked",
        "101" => "wrong ApiKey or SecretKey",
        "102" => "no price list on the account",
        "103" => "not enough balance to send",
        "104" => "the brandname is not registered",
        "108" => "the phone number is not in a correct format",
        "118" => "unsupported message type",
        "140" => "this machine's IP address is not on the account's allow list",
        "146" => "the text does not match a registered customer-care template",
        "177" => "the network is not registered for this brandname",
        _ => "",
    }
}

pub(super) struct Sender {
    http: reqwest::Client,
    config: Sms,
    /// From the environment at start.
    api_key: Option<String>,
    secret_key: Option<String>,
}

impl Sender {
    pub(super) fn new(
        http: reqwest::Client,
        config: Sms,
        api_key: Option<String>,
        secret_key: Option<String>,
    ) -> Self {
        Sender {
            http,
            config,
            api_key,
            secret_key,
        }
    }

    pub(super) async fn send(&self, phone: &str, body: &str, key: &str) -> Result<(), String> {
        let unset = |name: &str| format!("{name} is not set in the service's environment");
        let api_key = self
            .api_key
            .as_deref()
            .ok_or_else(|| unset(&self.config.api_key_env))?;
        let secret = self
            .secret_key
            .as_deref()
            .ok_or_else(|| unset(&self.config.secret_key_env))?;
        let flag = |on: bool| if on { "1" } else { "0" };
        let res = self
            .http
            .post(send_url(&self.config))
            .json(&serde_json::json!({
                "ApiKey": api_key,
                "SecretKey": secret,
                "Content": body,
                "Phone": phone,
                "Brandname": self.config.brandname,
                "SmsType": "2",
                "IsUnicode": flag(!body.is_ascii()),
                "Sandbox": flag(self.config.sandbox),
                "RequestId": request_id(key),
            }))
            .send()
            .await
            .map_err(|e| http_error("eSMS", &e))?;
        let status = res.status();
        let text = res.text().await.unwrap_or_default();
        if !status.is_success() {
            return Err(format!("eSMS answered HTTP {status} {}", short(&text)));
        }
        let answer: serde_json::Value = serde_json::from_str(&text).map_err(|_| {
            format!(
                "eSMS answered something that is not its JSON: {}",
                short(&text)
            )
        })?;
        let code = match &answer["CodeResult"] {
            serde_json::Value::String(s) => s.clone(),
            serde_json::Value::Number(n) => n.to_string(),
            _ => {
                return Err(format!(
                    "eSMS answered without a CodeResult: {}",
                    short(&text)
                ));
            }
        };
        match code.as_str() {
            "100" => Ok(()),
            "124" => {
                tracing::info!(
                    "eSMS already had request {} — it went before",
                    request_id(key)
                );
                Ok(())
            }
            _ => {
                let said = answer["ErrorMessage"]
                    .as_str()
                    .filter(|s| !s.trim().is_empty())
                    .unwrap_or(code_words(&code));
                Err(format!("eSMS {code} {said}").trim().to_owned())
            }
        }
    }
}
