//! eSMS's SMS brandname API: `POST
//! /MainService.svc/json/SendMultipleMessage_V4_post_json/` with `{ApiKey, SecretKey,
//! Content, Phone, Brandname, SmsType, IsUnicode, Sandbox, RequestId}` answers
//! `{CodeResult: "100", CountRegenerate: 0, SMSID}`, or `{CodeResult, ErrorMessage}`
//! from its table: 101 wrong keys, 103 not enough balance, 104 brandname not
//! registered, 108 phone not in a correct format, 124 duplicate RequestId.

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::extract::State;
use axum::routing::post;
use serde_json::{Value, json};

use crate::lock;

pub struct Esms {
    pub api_key: String,
    pub secret_key: String,
    pub brandname: String,
    /// Messages the balance still pays for (`None`: plenty).
    pub balance: Option<u32>,
    /// Accepted requests, as sent (the keys taken out).
    pub sent: Vec<Value>,
    request_ids: BTreeSet<String>,
}

pub type Shared = Arc<Mutex<Esms>>;

impl Esms {
    pub fn new(brandname: &str) -> Shared {
        Arc::new(Mutex::new(Esms {
            api_key: "fake-esms-api-key".into(),
            secret_key: "fake-esms-secret".into(),
            brandname: brandname.into(),
            balance: None,
            sent: Vec::new(),
            request_ids: BTreeSet::new(),
        }))
    }
}

pub fn router(esms: Shared) -> Router {
    Router::new()
        .route(
            "/MainService.svc/json/SendMultipleMessage_V4_post_json/",
            post(send),
        )
        .with_state(esms)
}

fn refused(code: u32, message: &str) -> axum::Json<Value> {
    axum::Json(json!({ "CodeResult": code.to_string(), "ErrorMessage": message }))
}

async fn send(State(esms): State<Shared>, body: axum::body::Bytes) -> axum::Json<Value> {
    let mut e = lock(&esms);
    let Ok(mut body) = serde_json::from_slice::<Value>(&body) else {
        return refused(99, "Request is not valid JSON");
    };
    let field = |name: &str| body[name].as_str().unwrap_or_default().to_owned();
    if field("ApiKey") != e.api_key || field("SecretKey") != e.secret_key {
        return refused(101, "Authorize Failed");
    }
    if field("Brandname") != e.brandname {
        return refused(104, "Brandname không tồn tại hoặc đã bị hủy");
    }
    let phone = field("Phone");
    let digits = phone.chars().all(|c| c.is_ascii_digit());
    let valid = digits
        && ((phone.len() == 10 && phone.starts_with('0'))
            || (phone.len() == 11 && phone.starts_with("84")));
    if !valid {
        return refused(108, "Số điện thoại không hợp lệ");
    }
    let request_id = field("RequestId");
    if !request_id.is_empty() && e.request_ids.contains(&request_id) {
        return refused(124, "Trùng RequestId");
    }
    if let Some(left) = e.balance.as_mut() {
        if *left == 0 {
            return refused(103, "Tài khoản không đủ tiền");
        }
        *left -= 1;
    }
    if !request_id.is_empty() {
        e.request_ids.insert(request_id);
    }
    for secret in ["ApiKey", "SecretKey"] {
        body.as_object_mut().map(|o| o.remove(secret));
    }
    e.sent.push(body);
    let n = e.sent.len();
    axum::Json(json!({
        "CodeResult": "100",
        "CountRegenerate": 0,
        "SMSID": format!("fake-sms-{n:08}")
    }))
}
