//! The hall service over HTTP: the JSON API, the event stream and the OpenAPI
//! document, on axum. Handlers are in `api` and `events`; errors become answers in
//! `error`; tokens are checked in `auth`.

pub mod api;
pub mod auth;
pub mod counter_page;
pub mod devices;
pub mod dossiers;
pub mod error;
pub mod events;
pub mod follow;
pub mod limits;
mod offload;
pub mod staff;
pub mod tls;

use std::sync::Arc;

use axum::Json;
use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::{StatusCode, Uri};
use axum::routing::{get, post};
use tokio::net::TcpListener;
use tokio::sync::watch;
use utoipa::OpenApi;
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};

use crate::hall::Hall;
use error::ApiError;

/// Request bodies are small JSON; anything bigger is a mistake or an attack.
pub const BODY_LIMIT: usize = 64 * 1024;
/// How much of a too-large body is read and thrown away so that the client gets its
/// 413: closing a connection with unread data makes the kernel reset it, and the
/// answer can be lost. Bigger bodies are cut off without that courtesy.
const DRAIN_LIMIT: usize = 1024 * 1024;

#[derive(Clone)]
pub struct AppState {
    pub hall: Arc<Hall>,
    /// The link to the province's system, for staff.
    pub upstream: crate::upstream::SharedStatus,
    /// Who has been guessing dossier codes.
    pub lookups: dossiers::LookupGuard,
    /// Turns true when the service is stopping, so event streams end.
    pub shutdown: watch::Receiver<bool>,
    /// What each device last reported.
    pub devices: devices::Heard,
    /// How fast each device may take tickets.
    pub issuing: limits::IssueGuard,
}

#[derive(OpenApi)]
#[openapi(
    info(title = "motcua hall service", description = "Queue tickets, counters, the waiting-room board and live events of a one-stop public service hall (bộ phận một cửa). Writes need `Authorization: Bearer TOKEN`; reads are open. Errors are `{\"error\": {\"code\", \"message\"}}`."),
    paths(
        api::healthz, api::hall, api::services, api::counters, api::get_board, api::procedures,
        api::issue, api::issue_offline, api::ticket,
        api::call, api::recall, api::start, api::finish, api::no_show, api::transfer, api::open, api::close,
        devices::report, devices::list,
        staff::me, staff::counter_queue, staff::rate, staff::stats,
        dossiers::public, dossiers::list, dossiers::put, dossiers::push, dossiers::upstream_status, dossiers::outbox, dossiers::receipt,
        events::events,
    ),
    components(schemas(motcua_core::queue::Change, motcua_api::StoredEvent, motcua_core::queue::EventKind, motcua_core::stats::Stats)),
    modifiers(&BearerAuth),
)]
pub struct ApiDoc;

struct BearerAuth;

impl utoipa::Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(Http::new(HttpAuthScheme::Bearer)),
        );
    }
}

pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/", get(index))
        .route("/healthz", get(api::healthz))
        .route("/api/v1/openapi.json", get(openapi))
        .route("/counter", get(counter_page::page))
        .route("/counter/counter.css", get(counter_page::css))
        .route("/counter/counter.js", get(counter_page::js))
        .route("/t/{id}", get(follow::follow))
        .route("/t/{id}/rating", post(follow::rate))
        .route("/api/v1/hall", get(api::hall))
        .route("/api/v1/services", get(api::services))
        .route("/api/v1/counters", get(api::counters))
        .route("/api/v1/procedures", get(api::procedures))
        .route("/api/v1/board", get(api::get_board))
        .route("/api/v1/events", get(events::events))
        .route("/api/v1/tickets", post(api::issue))
        .route("/api/v1/tickets/offline", post(api::issue_offline))
        .route("/api/v1/tickets/{id}", get(api::ticket))
        .route("/api/v1/counters/{id}/call", post(api::call))
        .route("/api/v1/counters/{id}/recall", post(api::recall))
        .route("/api/v1/counters/{id}/start", post(api::start))
        .route("/api/v1/counters/{id}/finish", post(api::finish))
        .route("/api/v1/counters/{id}/no-show", post(api::no_show))
        .route("/api/v1/counters/{id}/transfer", post(api::transfer))
        .route("/api/v1/counters/{id}/open", post(api::open))
        .route("/api/v1/counters/{id}/close", post(api::close))
        .route("/api/v1/devices/status", post(devices::report))
        .route("/api/v1/devices", get(devices::list))
        .route("/api/v1/me", get(staff::me))
        .route("/api/v1/counters/{id}/queue", get(staff::counter_queue))
        .route("/api/v1/ratings", post(staff::rate))
        .route("/api/v1/stats", get(staff::stats))
        .route("/api/v1/dossiers", get(dossiers::list))
        .route(
            "/api/v1/dossiers/{code}",
            get(dossiers::public).put(dossiers::put),
        )
        .route("/api/v1/dossiers/{code}/receipt", post(dossiers::receipt))
        .route("/api/v1/upstream", get(dossiers::upstream_status))
        .route("/api/v1/upstream/push", post(dossiers::push))
        .route("/api/v1/outbox", get(dossiers::outbox))
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .layer(axum::middleware::from_fn(limit_body))
        .with_state(state)
}

/// Reads the request body, up to `BODY_LIMIT`, before any handler sees it; a body
/// over the limit is answered 413 after its excess is drained (see `DRAIN_LIMIT`).
async fn limit_body(
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    use futures_util::StreamExt;

    let too_large = || {
        let mut r = ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload_too_large",
            format!(
                "the body is larger than this API accepts ({} KiB)",
                BODY_LIMIT / 1024
            ),
        )
        .into_response();
        r.headers_mut().insert(
            axum::http::header::CONNECTION,
            axum::http::HeaderValue::from_static("close"),
        );
        r
    };
    let declared = req
        .headers()
        .get(axum::http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok()?.parse::<usize>().ok());
    if declared.is_some_and(|n| n > BODY_LIMIT + DRAIN_LIMIT) {
        return too_large();
    }
    let (parts, body) = req.into_parts();
    let mut stream = body.into_data_stream();
    let mut kept = Vec::new();
    let mut seen = 0usize;
    while let Some(chunk) = stream.next().await {
        let Ok(chunk) = chunk else {
            return ApiError::new(
                StatusCode::BAD_REQUEST,
                "invalid_body",
                "the body could not be read",
            )
            .into_response();
        };
        seen += chunk.len();
        if seen <= BODY_LIMIT {
            kept.extend_from_slice(&chunk);
        } else if seen > BODY_LIMIT + DRAIN_LIMIT {
            break;
        }
    }
    if seen > BODY_LIMIT {
        return too_large();
    }
    next.run(axum::extract::Request::from_parts(
        parts,
        axum::body::Body::from(kept),
    ))
    .await
}

async fn index(
    axum::extract::State(state): axum::extract::State<AppState>,
) -> Json<serde_json::Value> {
    Json(serde_json::json!({
        "service": "motcua hall service",
        "hall": state.hall.config().layout.hall.name,
        "api": "/api/v1",
        "openapi": "/api/v1/openapi.json",
        "board": "/api/v1/board",
        "events": "/api/v1/events",
        "counter_page": "/counter",
    }))
}

async fn openapi() -> Json<utoipa::openapi::OpenApi> {
    Json(ApiDoc::openapi())
}

async fn not_found(uri: Uri) -> ApiError {
    ApiError::not_found(
        "not_found",
        format!(
            "there is nothing at {}; the API is under /api/v1",
            uri.path()
        ),
    )
}

async fn method_not_allowed(method: axum::http::Method, uri: Uri) -> ApiError {
    ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
        format!("{method} is not allowed on {}", uri.path()),
    )
}

/// A connection must send its request's head within this long (also between requests
/// on a kept-alive connection): a silent or trickling client is dropped instead of
/// holding a file descriptor for ever, so one machine on the hall's network cannot
/// use up the service's connections and lock out kiosks and counters.
pub const HEADER_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(15);

/// Drops a connection that sends nothing within `HEADER_TIMEOUT` (hyper's own
/// timeout starts only with the first byte).
#[derive(Clone)]
struct SpeakFirst<A>(A);

impl<S, A> axum_server::accept::Accept<tokio::net::TcpStream, S> for SpeakFirst<A>
where
    A: axum_server::accept::Accept<tokio::net::TcpStream, S> + Clone + Send + Sync + 'static,
    A::Future: Send,
    S: Send + 'static,
{
    type Stream = A::Stream;
    type Service = A::Service;
    type Future =
        futures_util::future::BoxFuture<'static, std::io::Result<(A::Stream, A::Service)>>;

    fn accept(&self, stream: tokio::net::TcpStream, service: S) -> Self::Future {
        let inner = self.0.clone();
        Box::pin(async move {
            let mut first = [0u8; 1];
            match tokio::time::timeout(HEADER_TIMEOUT, stream.peek(&mut first)).await {
                Ok(Ok(n)) if n > 0 => inner.accept(stream, service).await,
                _ => Err(std::io::Error::new(
                    std::io::ErrorKind::TimedOut,
                    "the client sent nothing",
                )),
            }
        })
    }
}

fn limit_connections(
    builder: &mut hyper_util::server::conn::auto::Builder<hyper_util::rt::TokioExecutor>,
) {
    builder
        .http1()
        .timer(hyper_util::rt::TokioTimer::new())
        .header_read_timeout(HEADER_TIMEOUT);
}

/// Serves until `stop` resolves, then lets requests in flight finish and ends
/// event streams.
pub async fn serve(
    listener: TcpListener,
    hall: Arc<Hall>,
    tls: Option<tls::TlsFiles>,
    stop: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let (shutdown_tx, shutdown) = watch::channel(false);
    let upstream = crate::upstream::SharedStatus::default();
    let jobs = crate::jobs::start(&hall, &upstream);
    let app = router(AppState {
        hall,
        upstream,
        lookups: dossiers::LookupGuard::default(),
        shutdown,
        devices: devices::Heard::default(),
        issuing: limits::IssueGuard::default(),
    });
    let app = app.into_make_service_with_connect_info::<std::net::SocketAddr>();
    let stopping = async move {
        stop.await;
        let _ = shutdown_tx.send(true);
    };
    let handle = axum_server::Handle::new();
    let graceful = handle.clone();
    tokio::spawn(async move {
        stopping.await;
        graceful.graceful_shutdown(Some(std::time::Duration::from_secs(10)));
    });
    let listener = listener.into_std()?;
    let result = match tls {
        None => {
            let mut server = axum_server::from_tcp(listener)?
                .acceptor(SpeakFirst(axum_server::accept::DefaultAcceptor))
                .handle(handle);
            limit_connections(server.http_builder());
            server.serve(app).await
        }
        Some(files) => {
            let config = files.load().await?;
            let reload = tokio::spawn(files.reload_forever(config.clone()));
            let acceptor = axum_server::tls_rustls::RustlsAcceptor::new(config)
                .acceptor(SpeakFirst(axum_server::accept::DefaultAcceptor));
            let mut server = axum_server::from_tcp(listener)?
                .acceptor(acceptor)
                .handle(handle);
            limit_connections(server.http_builder());
            let result = server.serve(app).await;
            reload.abort();
            result
        }
    };
    drop(jobs);
    result
}
