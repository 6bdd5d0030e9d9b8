//! A client of the hall service, for the kiosk, the display and tools: typed calls
//! over HTTP with short timeouts, and errors that say whether the service was away,
//! refused (with the words to show a citizen), or answered nonsense.

use std::time::Duration;

use reqwest::StatusCode;
use serde::de::DeserializeOwned;

use crate::domain::{Localized, TicketId};
use crate::server::api::{Board, CounterView, HallView, ServiceView, TicketView};
use crate::server::error::ErrorBody;

#[derive(Clone, Debug, thiserror::Error)]
pub enum ClientError {
    /// No connection, or no answer in time.
    #[error("the hall service cannot be reached: {0}")]
    Unreachable(String),
    /// The service said no, with its reason.
    #[error("the hall service refused ({status}, {code}): {message}")]
    Refused {
        status: u16,
        code: String,
        message: String,
        citizen_message: Option<Localized>,
    },
    /// An answer that is not what the API promises.
    #[error("the hall service answered something unexpected: {0}")]
    BadAnswer(String),
}

#[derive(Clone)]
pub struct HallClient {
    base: String,
    token: Option<String>,
    http: reqwest::Client,
}

impl HallClient {
    /// `base` like `http://127.0.0.1:8080`; `token` for writes.
    pub fn new(base: &str, token: Option<String>) -> Self {
        let http = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(3))
            .timeout(Duration::from_secs(6))
            .build()
            .expect("an HTTP client can be built");
        HallClient {
            base: base.trim_end_matches('/').to_owned(),
            token,
            http,
        }
    }

    pub fn base(&self) -> &str {
        &self.base
    }

    async fn answer<T: DeserializeOwned>(
        res: Result<reqwest::Response, reqwest::Error>,
    ) -> Result<T, ClientError> {
        let res = res.map_err(|e| ClientError::Unreachable(e.to_string()))?;
        let status = res.status();
        let body = res
            .bytes()
            .await
            .map_err(|e| ClientError::Unreachable(e.to_string()))?;
        if status.is_success() {
            return serde_json::from_slice(&body)
                .map_err(|e| ClientError::BadAnswer(e.to_string()));
        }
        match serde_json::from_slice::<ErrorBody>(&body) {
            Ok(err) if status != StatusCode::SERVICE_UNAVAILABLE => Err(ClientError::Refused {
                status: status.as_u16(),
                code: err.error.code,
                message: err.error.message,
                citizen_message: err.error.citizen_message,
            }),
            Ok(err) => Err(ClientError::Unreachable(err.error.message)),
            Err(_) if status.is_server_error() => {
                Err(ClientError::Unreachable(format!("HTTP {status}")))
            }
            Err(_) => Err(ClientError::BadAnswer(format!(
                "HTTP {status} without an error body"
            ))),
        }
    }

    async fn get<T: DeserializeOwned>(&self, path: &str) -> Result<T, ClientError> {
        Self::answer(self.http.get(format!("{}{path}", self.base)).send().await).await
    }

    pub async fn hall(&self) -> Result<HallView, ClientError> {
        self.get("/api/v1/hall").await
    }

    pub async fn services(&self) -> Result<Vec<ServiceView>, ClientError> {
        self.get("/api/v1/services").await
    }

    pub async fn counters(&self) -> Result<Vec<CounterView>, ClientError> {
        self.get("/api/v1/counters").await
    }

    pub async fn procedures(&self) -> Result<Vec<crate::catalogue::Procedure>, ClientError> {
        self.get("/api/v1/procedures").await
    }

    pub async fn board(&self) -> Result<Board, ClientError> {
        self.get("/api/v1/board").await
    }

    pub async fn ticket(&self, id: TicketId) -> Result<TicketView, ClientError> {
        self.get(&format!("/api/v1/tickets/{id}")).await
    }

    /// Takes a ticket. Needs a kiosk, counter or admin token.
    pub async fn issue(
        &self,
        service: &str,
        priority: Option<&str>,
    ) -> Result<TicketView, ClientError> {
        let mut req = self
            .http
            .post(format!("{}/api/v1/tickets", self.base))
            .json(&serde_json::json!({ "service": service, "priority": priority }));
        if let Some(t) = &self.token {
            req = req.bearer_auth(t);
        }
        Self::answer(req.send().await).await
    }
}

impl HallClient {
    /// Tells the service how this device's printer is (`ready`, `paper_low`, …).
    pub async fn report_printer(&self, condition: &str) -> Result<(), ClientError> {
        let mut req = self
            .http
            .post(format!("{}/api/v1/devices/status", self.base))
            .json(&serde_json::json!({ "printer": condition }));
        if let Some(t) = &self.token {
            req = req.bearer_auth(t);
        }
        Self::answer::<serde_json::Value>(req.send().await)
            .await
            .map(|_| ())
    }
}

/// What the kiosk shows for a dossier: its status in plain words.
#[derive(Clone, Debug, PartialEq, Eq, serde::Deserialize)]
pub struct DossierStatus {
    pub status_text: Localized,
}

impl HallClient {
    /// A dossier's public status, by the code on its appointment receipt.
    pub async fn dossier(&self, code: &str) -> Result<DossierStatus, ClientError> {
        let code: String = code
            .chars()
            .filter(|c| c.is_ascii_alphanumeric() || *c == '.' || *c == '-')
            .collect();
        self.get(&format!("/api/v1/dossiers/{code}")).await
    }
}
