//! Zalo: the ZNS template endpoint and the OA's OAuth token endpoint.
//!
//! `POST /message/template` with header `access_token` and `{phone, template_id,
//! template_data, tracking_id}` answers `{error: 0, message: "Success", data: {msg_id,
//! sent_time, quota}}`, or an error from the ZNS table: -108 phone number invalid,
//! -109 template id invalid (not approved), -111 template data empty, -115 out of
//! quota, -118 Zalo account not existed, -124 access token invalid.
//! `POST /v4/oa/access_token` with header `secret_key` and the form `refresh_token,
//! app_id, grant_type=refresh_token` answers `{access_token, refresh_token,
//! expires_in: "90000"}`; a refresh token works once.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::routing::post;
use serde_json::{Value, json};

use crate::lock;

/// What the fake Zalo knows and what it was sent.
pub struct Zalo {
    pub app_id: String,
    pub secret_key: String,
    /// The one refresh token that works now; each refresh replaces it.
    pub refresh_token: String,
    /// The access token that works now (none until the first refresh).
    pub access_token: Option<String>,
    /// Approved templates: id → their parameter names.
    pub templates: BTreeMap<String, BTreeSet<String>>,
    /// Phones ("84…") with no Zalo account.
    pub not_on_zalo: BTreeSet<String>,
    /// Messages left today (`None`: no limit).
    pub quota: Option<u32>,
    /// Accepted messages, as sent.
    pub sent: Vec<Value>,
    pub refreshes: u32,
    /// Each request to the send endpoint, accepted or not.
    pub attempts: u32,
}

impl Zalo {
    /// An OA app with `refresh_token` to start from and `templates` approved.
    pub fn new(refresh_token: &str, templates: &[(&str, &[&str])]) -> Shared {
        Arc::new(Mutex::new(Zalo {
            app_id: "4318000000000000001".into(),
            secret_key: "fake-zalo-app-secret".into(),
            refresh_token: refresh_token.into(),
            access_token: None,
            templates: templates
                .iter()
                .map(|(id, params)| {
                    (
                        id.to_string(),
                        params.iter().map(|p| p.to_string()).collect(),
                    )
                })
                .collect(),
            not_on_zalo: BTreeSet::new(),
            quota: None,
            sent: Vec::new(),
            refreshes: 0,
            attempts: 0,
        }))
    }

    /// The access token expires now, as after 25 hours.
    pub fn expire_access_token(&mut self) {
        self.access_token = None;
    }
}

pub type Shared = Arc<Mutex<Zalo>>;

pub fn router(zalo: Shared) -> Router {
    Router::new()
        .route("/message/template", post(send))
        .route("/v4/oa/access_token", post(token))
        .with_state(zalo)
}

fn error(code: i64, message: &str) -> axum::Json<Value> {
    axum::Json(json!({ "error": code, "message": message }))
}

async fn send(
    State(zalo): State<Shared>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> axum::Json<Value> {
    let mut z = lock(&zalo);
    z.attempts += 1;
    let token = headers.get("access_token").and_then(|v| v.to_str().ok());
    if token.is_none() || token != z.access_token.as_deref() {
        return error(-124, "Access token invalid");
    }
    let Ok(body) = serde_json::from_slice::<Value>(&body) else {
        return error(-100, "Unknown error");
    };
    let phone = body["phone"].as_str().unwrap_or_default();
    // A Vietnamese mobile number: 84, then 3, 5, 7, 8 or 9 and eight digits.
    let valid_phone = phone.len() == 11
        && phone.starts_with("84")
        && matches!(phone.as_bytes()[2], b'3' | b'5' | b'7' | b'8' | b'9')
        && phone.chars().all(|c| c.is_ascii_digit());
    if !valid_phone {
        return error(-108, "Phone number invalid");
    }
    let template = body["template_id"].as_str().unwrap_or_default();
    let Some(params) = z.templates.get(template).cloned() else {
        return error(-109, "Template ID invalid");
    };
    let Some(data) = body["template_data"].as_object().filter(|d| !d.is_empty()) else {
        return error(-111, "Template data empty");
    };
    let given: BTreeSet<String> = data.keys().cloned().collect();
    if given != params || data.values().any(|v| !v.is_string()) {
        return error(-112, "Template data invalid");
    }
    if z.not_on_zalo.contains(phone) {
        return error(-118, "Zalo account not existed");
    }
    if let Some(left) = z.quota.as_mut() {
        if *left == 0 {
            return error(-115, "Out of quota");
        }
        *left -= 1;
    }
    z.sent.push(body.clone());
    let n = z.sent.len();
    axum::Json(json!({
        "error": 0,
        "message": "Success",
        "data": {
            "msg_id": format!("fake-zns-{n}"),
            "sent_time": chrono::Utc::now().timestamp_millis().to_string(),
            "quota": {"dailyQuota": "500", "remainingQuota": z.quota.unwrap_or(500).to_string()}
        }
    }))
}

async fn token(
    State(zalo): State<Shared>,
    headers: HeaderMap,
    axum::Form(form): axum::Form<BTreeMap<String, String>>,
) -> axum::Json<Value> {
    let mut z = lock(&zalo);
    let oauth_error = |code: i64, name: &str, description: &str| {
        axum::Json(json!({
            "error": code, "error_name": name, "error_reason": description,
            "ref_doc": "https://developers.zalo.me/docs/official-account/bat-dau/xac-thuc-va-uy-quyen-cho-ung-dung-new",
            "error_description": description
        }))
    };
    if headers.get("secret_key").and_then(|v| v.to_str().ok()) != Some(z.secret_key.as_str()) {
        return oauth_error(
            -14002,
            "Invalid app secret key",
            "app secret key is invalid",
        );
    }
    if form.get("app_id") != Some(&z.app_id)
        || form.get("grant_type").map(String::as_str) != Some("refresh_token")
    {
        return oauth_error(
            -14001,
            "Invalid parameter",
            "app_id or grant_type is invalid",
        );
    }
    if form.get("refresh_token") != Some(&z.refresh_token) {
        return oauth_error(
            -14014,
            "Invalid refresh token",
            "Refresh token is invalid or expired",
        );
    }
    z.refreshes += 1;
    let n = z.refreshes;
    z.refresh_token = format!("fake-refresh-{n}");
    z.access_token = Some(format!("fake-access-{n}"));
    axum::Json(json!({
        "access_token": z.access_token,
        "refresh_token": z.refresh_token,
        "expires_in": "90000"
    }))
}
