//! A client of the hall service, for the kiosk, the display, the rating screen and
//! the pad: typed calls over HTTP with short timeouts, errors that say whether the
//! service was away, refused (with the words to show a citizen), or answered nonsense,
//! and the event-stream follower (`follow`). Depends on the wire types (`motcua-api`)
//! and the core, never on the service or the store.

pub mod follow;
pub mod journal;

use std::path::Path;
use std::time::Duration;

use reqwest::StatusCode;
use serde::de::DeserializeOwned;

use motcua_api::{
    Board, CounterResult, CounterView, DossierLookup, ErrorBody, HallView, ServiceView, TicketView,
};
use motcua_core::domain::{CounterId, Localized, RatingSource, Satisfaction, TicketId};

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
    /// For the event stream: no overall timeout, since the stream lasts.
    stream_http: reqwest::Client,
}

impl HallClient {
    /// `base` like `http://127.0.0.1:8080` or `https://hall.example.vn`; `token` for
    /// writes. HTTPS trusts the system's certificates.
    pub fn new(base: &str, token: Option<String>) -> Self {
        HallClient::connect(base, token, None)
            .expect("an HTTP client can be built with the system's certificates")
    }

    /// As `new`, also trusting the CA(s) in `ca_file` (a province's own network).
    pub fn connect(
        base: &str,
        token: Option<String>,
        ca_file: Option<&Path>,
    ) -> Result<Self, motcua_net::NetError> {
        // A device makes its client as it starts: its uptime counts from here.
        STARTED.get_or_init(std::time::Instant::now);
        let options = |timeout, read_timeout| motcua_net::Options {
            ca_file: ca_file.map(Path::to_owned),
            connect_timeout: Some(Duration::from_secs(3)),
            timeout,
            read_timeout,
        };
        let http = motcua_net::client(&options(Some(Duration::from_secs(6)), None))?;
        // The event stream has no overall timeout, since it lasts; keep-alives come
        // every 15 s, so 40 s of silence means the link is gone.
        let stream_http = motcua_net::client(&options(None, Some(Duration::from_secs(40))))?;
        Ok(HallClient {
            base: base.trim_end_matches('/').to_owned(),
            token,
            http,
            stream_http,
        })
    }

    pub fn base(&self) -> &str {
        &self.base
    }

    async fn answer<T: DeserializeOwned>(
        res: Result<reqwest::Response, reqwest::Error>,
    ) -> Result<T, ClientError> {
        let res = res.map_err(|e| ClientError::Unreachable(motcua_net::describe(&e)))?;
        let status = res.status();
        let body = res
            .bytes()
            .await
            .map_err(|e| ClientError::Unreachable(motcua_net::describe(&e)))?;
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

    pub async fn procedures(&self) -> Result<Vec<motcua_core::catalogue::Procedure>, ClientError> {
        self.get("/api/v1/procedures").await
    }

    pub async fn board(&self) -> Result<Board, ClientError> {
        self.get("/api/v1/board").await
    }

    pub async fn ticket(&self, id: TicketId) -> Result<TicketView, ClientError> {
        self.get(&format!("/api/v1/tickets/{id}")).await
    }

    /// Takes a ticket. Needs a kiosk, counter or admin token. A citizen is waiting:
    /// no answer within `ISSUE_TIMEOUT` counts as the service being away.
    pub async fn issue(
        &self,
        service: &str,
        priority: Option<&str>,
    ) -> Result<TicketView, ClientError> {
        let body = serde_json::json!({ "service": service, "priority": priority });
        let req = self.post_json("/api/v1/tickets", Some(body));
        Self::answer(req.timeout(ISSUE_TIMEOUT).send().await).await
    }

    /// Places a ticket the kiosk gave out on its own. Safe to send again: the same
    /// `seq` is answered with the same ticket.
    pub async fn issue_offline(
        &self,
        ticket: &journal::OfflineTicket,
    ) -> Result<TicketView, ClientError> {
        let body = motcua_api::OfflineTicketRequest {
            service: ticket.service.clone(),
            priority: ticket.priority.clone(),
            seq: ticket.seq,
            issued_at: ticket.issued_at,
        };
        let body = serde_json::to_value(body).map_err(|e| ClientError::BadAnswer(e.to_string()))?;
        let req = self.post_json("/api/v1/tickets/offline", Some(body));
        Self::answer(req.send().await).await
    }

    /// Who this client's token is: for a kiosk, the series of its own tickets.
    pub async fn me(&self) -> Result<motcua_api::Me, ClientError> {
        let mut req = self.http.get(format!("{}/api/v1/me", self.base));
        if let Some(t) = &self.token {
            req = req.bearer_auth(t);
        }
        Self::answer(req.send().await).await
    }
}

/// How long a kiosk waits for a ticket before it counts the service as away.
pub const ISSUE_TIMEOUT: Duration = Duration::from_secs(3);

/// When this program started, for the uptime a device reports.
static STARTED: std::sync::OnceLock<std::time::Instant> = std::sync::OnceLock::new();

/// How often a device reports itself; three missed reports and staff see it offline.
pub const REPORT_EVERY: Duration = Duration::from_secs(60);

/// This device's report: its role, this program's version and uptime, and what it
/// knows of its printer and its last trouble.
pub fn device_report(
    role: &str,
    printer: Option<&str>,
    last_error: Option<String>,
) -> motcua_api::DeviceReport {
    motcua_api::DeviceReport {
        printer: printer.map(str::to_owned),
        role: Some(role.to_owned()),
        version: Some(env!("CARGO_PKG_VERSION").to_owned()),
        uptime_seconds: Some(
            STARTED
                .get_or_init(std::time::Instant::now)
                .elapsed()
                .as_secs(),
        ),
        last_error,
        journal_waiting: None,
    }
}

impl HallClient {
    /// Tells the service this device is alive, and how its printer is.
    pub async fn report(&self, report: &motcua_api::DeviceReport) -> Result<(), ClientError> {
        let body =
            serde_json::to_value(report).map_err(|e| ClientError::BadAnswer(e.to_string()))?;
        let req = self.post_json("/api/v1/devices/status", Some(body));
        Self::answer::<serde_json::Value>(req.send().await)
            .await
            .map(|_| ())
    }

    /// Reports `role` every minute until the task is dropped (a device with no printer:
    /// a display, a rating screen, a pad). Without a token there is nobody to report as.
    pub async fn report_every_minute(self, role: &'static str) {
        if self.token.is_none() {
            tracing::info!("{role}: no token, so it does not report itself to the hall service");
            return;
        }
        loop {
            if let Err(e) = self.report(&device_report(role, None, None)).await {
                tracing::debug!("{role}: could not report itself: {e}");
            }
            tokio::time::sleep(REPORT_EVERY).await;
        }
    }
}

impl HallClient {
    fn post_json(&self, path: &str, body: Option<serde_json::Value>) -> reqwest::RequestBuilder {
        let mut req = self.http.post(format!("{}{path}", self.base));
        if let Some(b) = body {
            req = req.json(&b);
        }
        if let Some(t) = &self.token {
            req = req.bearer_auth(t);
        }
        req
    }

    /// A counter command (`call`, `recall`, `start`, `finish`, `no-show`, `open`,
    /// `close`). `None` when a call found nobody waiting.
    pub async fn counter_action(
        &self,
        counter: CounterId,
        action: &str,
    ) -> Result<Option<CounterResult>, ClientError> {
        self.guarded_action(counter, action, None).await
    }

    /// A counter command that acts only if the counter's ticket is still `current`
    /// (`Some(None)`: no ticket), the one the device believes is there; otherwise the
    /// service refuses it as `stale` and nothing changes. `None` sends no guard.
    pub async fn guarded_action(
        &self,
        counter: CounterId,
        action: &str,
        current: Option<Option<TicketId>>,
    ) -> Result<Option<CounterResult>, ClientError> {
        let body = current.map(|c| serde_json::json!({ "current": c }));
        let res = self
            .post_json(&format!("/api/v1/counters/{counter}/{action}"), body)
            .send()
            .await;
        if let Ok(r) = &res
            && r.status() == StatusCode::NO_CONTENT
        {
            return Ok(None);
        }
        Self::answer(res).await.map(Some)
    }

    /// Rates the ticket served at `counter` (the one being served, or the last finished).
    pub async fn rate(
        &self,
        counter: CounterId,
        ticket: Option<TicketId>,
        level: Satisfaction,
        reason: Option<&str>,
        source: RatingSource,
    ) -> Result<TicketView, ClientError> {
        let body = serde_json::json!({
            "counter": counter, "ticket": ticket, "level": level, "reason": reason,
            "source": source,
        });
        Self::answer(self.post_json("/api/v1/ratings", Some(body)).send().await).await
    }
}

impl HallClient {
    /// A dossier's public status, by the code on its appointment receipt and, when
    /// the dossier asks for them (`id_required`), the last 4 digits of the ID card.
    pub async fn dossier(
        &self,
        code: &str,
        id: Option<&str>,
    ) -> Result<DossierLookup, ClientError> {
        let code: String = code
            .chars()
            .filter(|c| c.is_ascii_alphanumeric() || *c == '.' || *c == '-')
            .collect();
        match id {
            Some(id) => {
                let id: String = id.chars().filter(char::is_ascii_digit).collect();
                self.get(&format!("/api/v1/dossiers/{code}?id={id}")).await
            }
            None => self.get(&format!("/api/v1/dossiers/{code}")).await,
        }
    }

    /// A result-return ticket for a dossier whose result is ready (the hall's return line).
    pub async fn issue_return(&self, dossier: &str) -> Result<TicketView, ClientError> {
        let body = serde_json::json!({ "dossier": dossier });
        Self::answer(self.post_json("/api/v1/tickets", Some(body)).send().await).await
    }
}

/// One server-sent event as received.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SseEvent {
    pub id: Option<u64>,
    pub event: String,
    pub data: String,
}

/// Splits a byte stream into server-sent events; comments (keep-alives) are skipped.
#[derive(Default)]
pub struct SseParser {
    buf: String,
}

impl SseParser {
    /// Adds received bytes and returns the events they complete.
    pub fn push(&mut self, bytes: &[u8]) -> Vec<SseEvent> {
        self.buf.push_str(&String::from_utf8_lossy(bytes));
        let mut out = Vec::new();
        while let Some(end) = self.buf.find("\n\n") {
            let block: String = self.buf.drain(..end + 2).collect();
            let mut e = SseEvent {
                id: None,
                event: String::new(),
                data: String::new(),
            };
            for line in block.lines() {
                if let Some(v) = line.strip_prefix("id:") {
                    e.id = v.trim().parse().ok();
                } else if let Some(v) = line.strip_prefix("event:") {
                    e.event = v.trim().to_owned();
                } else if let Some(v) = line.strip_prefix("data:") {
                    e.data.push_str(v.strip_prefix(' ').unwrap_or(v));
                }
            }
            if !(e.event.is_empty() && e.data.is_empty()) {
                out.push(e);
            }
        }
        out
    }
}

impl HallClient {
    /// Opens the event stream after `after`; chunks of bytes for an `SseParser`.
    pub async fn events(&self, after: u64) -> Result<reqwest::Response, ClientError> {
        let res = self
            .stream_http
            .get(format!("{}/api/v1/events?after={after}", self.base))
            .header("Last-Event-ID", after.to_string())
            .send()
            .await
            .map_err(|e| ClientError::Unreachable(motcua_net::describe(&e)))?;
        if !res.status().is_success() {
            return Err(ClientError::Unreachable(format!(
                "event stream: HTTP {}",
                res.status()
            )));
        }
        Ok(res)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_split_across_reads_and_keep_alives_are_parsed() {
        let mut p = SseParser::default();
        assert_eq!(
            p.push(b": keep-alive\n\nid: 7\nevent: ticket.called\nda"),
            vec![]
        );
        let got = p.push(b"ta: {\"a\":1}\n\n");
        assert_eq!(
            got,
            vec![SseEvent {
                id: Some(7),
                event: "ticket.called".into(),
                data: "{\"a\":1}".into()
            }]
        );
    }
}
