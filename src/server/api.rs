//! The JSON API: what kiosks, displays, counter tools and a province's systems
//! read and ask. Views are built from the queue in one read, so they agree.

use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::AppState;
use super::auth::Caller;
use super::error::{ApiError, ApiJson, ApiPath, ErrorBody};
use crate::catalogue::Procedure;
use crate::config::PriorityGroup;
use crate::domain::{CounterId, DeviceStatus, EventId, Localized, Ticket, TicketId};
use crate::dossier::PublicDossier;
use crate::queue::{Command, EventKind, Queue, RecentCall, ServiceLoad};
use crate::store::StoredEvent;

/// How many calls the board lists.
const BOARD_CALLS: usize = 8;
/// How many results waiting for pickup the board lists.
pub const BOARD_RESULTS: usize = 30;

/// A ticket with where it stands now.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct TicketView {
    #[serde(flatten)]
    pub ticket: Ticket,
    /// People who will be called before this ticket; null unless waiting.
    pub waiting_ahead: Option<u32>,
    /// Likely wait in seconds; null unless waiting, or when no counter for it is open.
    pub estimated_wait_s: Option<u64>,
    /// Only when the ticket is issued: the path of its page for the citizen's phone,
    /// with the key that lets its holder rate the service there. Print it as the QR.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub follow_path: Option<String>,
}

impl TicketView {
    pub fn of(q: &Queue, ticket: &Ticket) -> Self {
        TicketView {
            ticket: ticket.clone(),
            waiting_ahead: q.waiting_ahead(ticket),
            estimated_wait_s: q.estimated_wait_secs(ticket),
            follow_path: None,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ServiceView {
    pub code: String,
    pub prefix: String,
    pub name: Localized,
    /// Issuing tickets right now.
    pub open: bool,
    /// Ticket windows, local time ("07:30–11:30"); empty means all hours.
    pub sessions: Vec<String>,
    /// Opening hours as a citizen reads them.
    pub hours: Localized,
    pub daily_limit: Option<u32>,
    #[serde(flatten)]
    pub load: ServiceLoad,
    /// Likely wait in seconds for a ticket taken now; null when no counter for it is open.
    pub estimated_wait_s: Option<u64>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct CounterView {
    pub id: CounterId,
    pub name: String,
    pub services: Vec<String>,
    pub open: bool,
    /// The ticket called to or served at this counter now.
    pub current: Option<TicketView>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct HallView {
    pub name: String,
    pub time_zone: String,
    #[schema(value_type = String, format = Date)]
    pub day: NaiveDate,
    pub now: DateTime<Utc>,
    pub max_recalls: u32,
    pub priority_groups: Vec<PriorityGroup>,
    /// The display's scrolling notice line.
    pub notice: String,
    /// The display says "results are ready" at most this often…
    pub results_announce_every_minutes: u32,
    /// …and for one dossier at most this many times.
    pub results_announce_times: u32,
    /// The line that gives result-return tickets, when the hall has one.
    pub return_service: Option<String>,
    /// Offered to a citizen who is not satisfied (rating screen, phone page).
    #[serde(default)]
    pub rating_reasons: Vec<String>,
}

/// Waiting per line, for the board.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct BoardLine {
    pub service: String,
    pub prefix: String,
    pub name: Localized,
    pub waiting: u32,
}

/// Everything a waiting-room display shows.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Board {
    pub hall: String,
    #[schema(value_type = String, format = Date)]
    pub day: NaiveDate,
    pub generated_at: DateTime<Utc>,
    /// The board reflects every event up to this id: follow
    /// `/api/v1/events?after=` this id to miss nothing.
    pub last_event_id: EventId,
    pub counters: Vec<CounterView>,
    /// Newest first.
    pub latest_calls: Vec<RecentCall>,
    pub waiting: Vec<BoardLine>,
    /// What each kiosk or display last said about its printer, for staff.
    pub devices: Vec<DeviceStatus>,
    /// Dossiers whose result waits for pickup (masked names), the longest waiting first.
    #[serde(default)]
    pub results: Vec<PublicDossier>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct IssueRequest {
    /// Service code, e.g. "HT". With `dossier`, the hall's return line by default.
    #[serde(default)]
    pub service: String,
    /// A dossier whose result is ready: gives a result-return ticket for it.
    #[serde(default)]
    pub dossier: Option<String>,
    /// Priority group code, e.g. "elderly"; see `GET /api/v1/hall`.
    #[serde(default)]
    pub priority: Option<String>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TransferRequest {
    /// Line to move the ticket to.
    #[serde(default)]
    pub service: Option<String>,
    /// Counter that alone may call the ticket next.
    #[serde(default)]
    pub counter: Option<CounterId>,
}

/// The answer to a counter action.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct CounterResult {
    /// The ticket the action was about (for `call`: the ticket called).
    pub ticket: Option<TicketView>,
    /// For `call`: the ticket the counter finished before calling the next.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub finished: Option<Ticket>,
    pub counter: CounterView,
}

/// A device's report about its hardware.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DeviceReport {
    /// `ready`, `paper_low`, `paper_out`, `cover_open`, `cutter_error`, `offline`,
    /// `unreachable` or `unknown`.
    pub printer: String,
}

/// The printer conditions a device may report.
pub const PRINTER_CONDITIONS: [&str; 8] = [
    "ready",
    "paper_low",
    "paper_out",
    "cover_open",
    "cutter_error",
    "offline",
    "unreachable",
    "unknown",
];

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Health {
    pub status: String,
    pub last_event_id: EventId,
    #[schema(value_type = String, format = Date)]
    pub day: NaiveDate,
}

pub fn service_views(q: &Queue, now: DateTime<Utc>) -> Vec<ServiceView> {
    let config = q.config();
    config
        .services
        .iter()
        .map(|s| {
            let load = q.service_load(&s.code);
            let estimated_wait_s = (load.open_counters > 0).then(|| {
                (f64::from(load.waiting) / f64::from(load.open_counters)
                    * f64::from(load.service_time_s))
                .round() as u64
            });
            ServiceView {
                code: s.code.clone(),
                prefix: s.prefix.clone(),
                name: s.name.clone(),
                open: s.hours.is_open(now, config.hall.time_zone),
                sessions: s
                    .hours
                    .sessions
                    .iter()
                    .map(|(a, b)| format!("{}–{}", a.format("%H:%M"), b.format("%H:%M")))
                    .collect(),
                hours: Localized {
                    vi: s.hours.describe_in(true),
                    en: Some(s.hours.describe_in(false)),
                },
                daily_limit: s.daily_limit,
                load,
                estimated_wait_s,
            }
        })
        .collect()
}

pub fn counter_view(q: &Queue, id: CounterId) -> Option<CounterView> {
    let config = q.config().counter(id)?;
    let state = q.counter(id)?;
    Some(CounterView {
        id,
        name: config.name.clone(),
        services: config.services.clone(),
        open: state.open,
        current: state
            .current
            .and_then(|t| q.ticket(t))
            .map(|t| TicketView::of(q, t)),
    })
}

fn counter_views(q: &Queue) -> Vec<CounterView> {
    q.config()
        .counters
        .iter()
        .filter_map(|c| counter_view(q, c.id))
        .collect()
}

pub fn board(q: &Queue, last_event_id: EventId) -> Board {
    let config = q.config();
    Board {
        hall: config.hall.name.clone(),
        day: q.day(),
        generated_at: Utc::now(),
        last_event_id,
        counters: counter_views(q),
        latest_calls: q.recent_calls(BOARD_CALLS),
        devices: q.devices().cloned().collect(),
        results: q
            .results()
            .into_iter()
            .take(BOARD_RESULTS)
            .cloned()
            .collect(),
        waiting: config
            .services
            .iter()
            .map(|s| BoardLine {
                service: s.code.clone(),
                prefix: s.prefix.clone(),
                name: s.name.clone(),
                waiting: q.service_load(&s.code).waiting,
            })
            .collect(),
    }
}

/// Reads the store off the async runtime; a store that fails is a 503, never a 500.
pub(super) async fn from_store<R: Send + 'static>(
    state: &AppState,
    read: impl FnOnce(&dyn crate::store::Store) -> Result<R, crate::store::StoreError> + Send + 'static,
) -> Result<R, ApiError> {
    let hall = state.hall.clone();
    tokio::task::spawn_blocking(move || read(hall.store().as_ref()))
        .await
        .map_err(|e| ApiError::internal(format!("store read failed: {e}")))?
        .map_err(|e| {
            ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "storage_unavailable",
                e.to_string(),
            )
        })
}

/// Runs a command off the async runtime (it waits on the disk).
pub(super) async fn run<R: Send + 'static>(
    state: &AppState,
    command: Command,
    then: impl FnOnce(&Queue, &[Arc<StoredEvent>]) -> R + Send + 'static,
) -> Result<R, ApiError> {
    let hall = state.hall.clone();
    tokio::task::spawn_blocking(move || hall.execute_then(&command, Utc::now(), then))
        .await
        .map_err(|e| ApiError::internal(format!("command task failed: {e}")))?
        .map_err(ApiError::from)
}

#[utoipa::path(get, path = "/healthz", tag = "service",
    responses((status = 200, description = "The service is up and its store answers", body = Health),
              (status = 503, description = "The store does not answer", body = ErrorBody)))]
pub async fn healthz(State(state): State<AppState>) -> Result<Json<Health>, ApiError> {
    let stored = from_store(&state, |store| store.last_event_id()).await?;
    let day = state.hall.read(|q| q.day());
    Ok(Json(Health {
        status: "ok".into(),
        last_event_id: stored,
        day,
    }))
}

#[utoipa::path(get, path = "/api/v1/hall", tag = "hall",
    responses((status = 200, description = "The hall, its day and its priority groups", body = HallView)))]
pub async fn hall(State(state): State<AppState>) -> Json<HallView> {
    let config = state.hall.config();
    Json(HallView {
        name: config.hall.name.clone(),
        time_zone: config.hall.time_zone.name().to_owned(),
        day: state.hall.read(|q| q.day()),
        now: Utc::now(),
        max_recalls: config.hall.max_recalls,
        priority_groups: config.priority_groups.clone(),
        notice: config.hall.notice.clone(),
        results_announce_every_minutes: config.dossiers.announce_every_minutes,
        results_announce_times: config.dossiers.announce_times,
        return_service: config.dossiers.return_service.clone(),
        rating_reasons: config.ratings.reasons.clone(),
    })
}

#[utoipa::path(get, path = "/api/v1/services", tag = "hall",
    responses((status = 200, description = "Every line, open or not, with its load", body = [ServiceView])))]
pub async fn services(State(state): State<AppState>) -> Json<Vec<ServiceView>> {
    Json(state.hall.read(|q| service_views(q, Utc::now())))
}

#[utoipa::path(get, path = "/api/v1/counters", tag = "hall",
    responses((status = 200, description = "Every counter with its ticket now", body = [CounterView])))]
pub async fn counters(State(state): State<AppState>) -> Json<Vec<CounterView>> {
    Json(state.hall.read(counter_views))
}

#[utoipa::path(get, path = "/api/v1/board", tag = "display",
    responses((status = 200, description = "What a waiting-room display shows", body = Board)))]
pub async fn get_board(State(state): State<AppState>) -> Json<Board> {
    Json(state.hall.read_at(board))
}

#[utoipa::path(post, path = "/api/v1/tickets", tag = "tickets", request_body = IssueRequest,
    security(("bearer" = [])),
    responses(
        (status = 201, description = "The ticket, stored before this answer", body = TicketView),
        (status = 409, description = "The line is closed or has no tickets left today; `citizen_message` says so in words for a citizen", body = ErrorBody),
        (status = 422, description = "Unknown service or priority group", body = ErrorBody),
        (status = 400, description = "Malformed JSON", body = ErrorBody),
        (status = 401, description = "No or unknown token", body = ErrorBody),
        (status = 403, description = "The token may not take tickets", body = ErrorBody),
        (status = 503, description = "Storage failed; no ticket was issued", body = ErrorBody)))]
pub async fn issue(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(req): ApiJson<IssueRequest>,
) -> Result<Response, ApiError> {
    caller.may_issue()?;
    let command = match req.dossier {
        None if req.service.is_empty() => {
            return Err(ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "unknown_service",
                "say which `service` the ticket is for",
            ));
        }
        None => Command::Issue {
            service: req.service,
            priority: req.priority,
        },
        Some(code) => return_ticket(&state, req.service, &code).await?,
    };
    let mut view = run(&state, command, |q, events| {
        let id = events.last()?.change.ticket.as_ref()?.id;
        q.ticket(id).map(|t| TicketView::of(q, t))
    })
    .await?
    .ok_or_else(|| ApiError::internal("the issue command stored no ticket"))?;
    let id = view.ticket.id;
    view.follow_path = Some(format!("/t/{id}?k={}", state.hall.follow_key(id)));
    let location = format!("/api/v1/tickets/{}", view.ticket.id);
    Ok((
        StatusCode::CREATED,
        [(header::LOCATION, location)],
        Json(view),
    )
        .into_response())
}

/// The command for a result-return ticket, once the dossier is found ready.
async fn return_ticket(state: &AppState, service: String, code: &str) -> Result<Command, ApiError> {
    use crate::dossier::{DossierStatus, normalize_code};
    let code = normalize_code(code)
        .map_err(|m| ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_dossier_code", m))?;
    let service = if service.is_empty() {
        state
            .hall
            .config()
            .dossiers
            .return_service
            .clone()
            .ok_or_else(|| {
                ApiError::new(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "unknown_service",
                    "this hall has no result-return line ([dossiers] return_service); say which `service`",
                )
            })?
    } else {
        service
    };
    let dossier = super::dossiers::stored(state, &code).await?;
    if dossier.status != DossierStatus::ResultReady {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "result_not_ready",
            format!(
                "dossier {code} is {}, not ready for pickup",
                dossier.status.as_str()
            ),
        )
        .citizen(
            "Hồ sơ chưa có kết quả để nhận. Xin hỏi cán bộ tại quầy.".into(),
            "The result is not ready for pickup. Please ask at a counter.".into(),
        ));
    }
    Ok(Command::IssueReturn {
        service,
        dossier: code,
        counter: dossier.pickup_counter,
    })
}

#[utoipa::path(get, path = "/api/v1/tickets/{id}", tag = "tickets",
    params(("id" = u64, Path, description = "Ticket id")),
    responses((status = 200, description = "The ticket and where it stands", body = TicketView),
              (status = 404, description = "No such ticket", body = ErrorBody)))]
pub async fn ticket(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<TicketId>,
) -> Result<Json<TicketView>, ApiError> {
    if let Some(view) = state
        .hall
        .read(|q| q.ticket(id).map(|t| TicketView::of(q, t)))
    {
        return Ok(Json(view));
    }
    // Tickets of earlier days live only in the store.
    let stored = from_store(&state, move |store| store.ticket(id)).await?;
    stored
        .map(|ticket| {
            Json(TicketView {
                ticket,
                waiting_ahead: None,
                estimated_wait_s: None,
                follow_path: None,
            })
        })
        .ok_or_else(|| {
            ApiError::not_found("unknown_ticket", format!("there is no ticket with id {id}"))
        })
}

/// Runs a counter command and answers with the counter and the ticket it touched.
async fn counter_command(
    state: AppState,
    caller: Caller,
    id: CounterId,
    command: Command,
) -> Result<Response, ApiError> {
    if state.hall.config().counter(id).is_none() {
        return Err(ApiError::not_found(
            "unknown_counter",
            format!("there is no counter {id}"),
        ));
    }
    caller.may_act_on(id)?;
    let is_call = matches!(command, Command::Call { .. });
    let result = run(&state, command, move |q, events| {
        let finished = events
            .iter()
            .find(|e| e.change.kind == EventKind::TicketFinished && is_call)
            .and_then(|e| e.change.ticket.clone());
        let touched = events
            .iter()
            .rev()
            .filter(|e| !(is_call && e.change.kind == EventKind::TicketFinished))
            .find_map(|e| e.change.ticket.as_ref())
            .and_then(|t| q.ticket(t.id).cloned().or_else(|| Some(t.clone())));
        CounterResult {
            ticket: touched.map(|t| TicketView::of(q, &t)),
            finished,
            counter: counter_view(q, id).expect("the counter exists"),
        }
    })
    .await?;
    if is_call && result.ticket.is_none() {
        return Ok(StatusCode::NO_CONTENT.into_response());
    }
    Ok(Json(result).into_response())
}

macro_rules! counter_action {
    ($name:ident, $path:literal, $variant:ident, $what:literal) => {
        #[utoipa::path(post, path = $path, tag = "counters", description = $what,
            params(("id" = u32, Path, description = "Counter id")),
            security(("bearer" = [])),
            responses(
                (status = 200, description = "Done", body = CounterResult),
                (status = 401, description = "No or unknown token", body = ErrorBody),
                (status = 403, description = "The token may not act on this counter", body = ErrorBody),
                (status = 404, description = "No such counter", body = ErrorBody),
                (status = 409, description = "Not possible in the counter's or ticket's state", body = ErrorBody)))]
        pub async fn $name(State(state): State<AppState>, caller: Caller, ApiPath(id): ApiPath<CounterId>) -> Result<Response, ApiError> {
            counter_command(state, caller, id, Command::$variant { counter: id }).await
        }
    };
}

#[utoipa::path(post, path = "/api/v1/counters/{id}/call", tag = "counters",
    description = "Finishes the counter's current ticket, if any, and calls the next: priority first, then the oldest, across the counter's lines.",
    params(("id" = u32, Path, description = "Counter id")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The ticket called, with `status` \"called\" and `counter`", body = CounterResult),
        (status = 204, description = "Nobody is waiting for this counter"),
        (status = 401, description = "No or unknown token", body = ErrorBody),
        (status = 403, description = "The token may not act on this counter", body = ErrorBody),
        (status = 404, description = "No such counter", body = ErrorBody),
        (status = 409, description = "The counter is closed", body = ErrorBody)))]
pub async fn call(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<CounterId>,
) -> Result<Response, ApiError> {
    counter_command(state, caller, id, Command::Call { counter: id }).await
}

counter_action!(
    recall,
    "/api/v1/counters/{id}/recall",
    Recall,
    "Calls the counter's current ticket again. Past the hall's `max_recalls` the ticket becomes a no-show."
);
counter_action!(
    start,
    "/api/v1/counters/{id}/start",
    Start,
    "The citizen has come: the called ticket is now being served."
);
counter_action!(
    finish,
    "/api/v1/counters/{id}/finish",
    Finish,
    "The counter's current ticket is done."
);
counter_action!(
    no_show,
    "/api/v1/counters/{id}/no-show",
    NoShow,
    "The called citizen did not come."
);
counter_action!(
    open,
    "/api/v1/counters/{id}/open",
    Open,
    "Opens the counter. Opening an open counter changes nothing."
);
counter_action!(
    close,
    "/api/v1/counters/{id}/close",
    Close,
    "Closes the counter. Refused while it has a ticket called or being served."
);

#[utoipa::path(post, path = "/api/v1/counters/{id}/transfer", tag = "counters", request_body = TransferRequest,
    description = "Sends the counter's current ticket to another line and/or counter. It keeps its number and its place by original issue time.",
    params(("id" = u32, Path, description = "Counter id")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The ticket, waiting again", body = CounterResult),
        (status = 404, description = "No such counter", body = ErrorBody),
        (status = 409, description = "The counter has no current ticket", body = ErrorBody),
        (status = 422, description = "Nowhere or nowhere valid to transfer to", body = ErrorBody)))]
pub async fn transfer(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<CounterId>,
    ApiJson(req): ApiJson<TransferRequest>,
) -> Result<Response, ApiError> {
    let command = Command::Transfer {
        counter: id,
        service: req.service,
        to_counter: req.counter,
    };
    counter_command(state, caller, id, command).await
}

#[utoipa::path(post, path = "/api/v1/devices/status", tag = "devices", request_body = DeviceReport,
    description = "A kiosk (or any device with a token) reports its printer's condition. A change is recorded as a \
                   `device.status` event and shown on the board, so staff see 'paper low' before it runs out.",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "What is now recorded for this device", body = DeviceStatus),
        (status = 401, description = "No or unknown token", body = ErrorBody),
        (status = 422, description = "Not a known printer condition", body = ErrorBody)))]
pub async fn report_device(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(report): ApiJson<DeviceReport>,
) -> Result<Json<DeviceStatus>, ApiError> {
    if !PRINTER_CONDITIONS.contains(&report.printer.as_str()) {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "unknown_condition",
            format!(
                "printer {:?} is not one of {}",
                report.printer,
                PRINTER_CONDITIONS.join(", ")
            ),
        ));
    }
    let name = caller.name.clone();
    let command = Command::ReportDevice {
        device: caller.name,
        printer: report.printer,
    };
    let status = run(&state, command, move |q, _| {
        q.devices().find(|d| d.name == name).cloned()
    })
    .await?;
    status
        .map(Json)
        .ok_or_else(|| ApiError::internal("the device report was not recorded"))
}

#[derive(Deserialize, utoipa::IntoParams)]
pub struct ProceduresQuery {
    /// Only the procedures of this line.
    pub service: Option<String>,
}

#[utoipa::path(get, path = "/api/v1/procedures", tag = "hall", params(ProceduresQuery),
    responses((status = 200, description = "The procedures citizens can browse: documents, time, fee", body = [Procedure])))]
pub async fn procedures(
    State(state): State<AppState>,
    super::error::ApiQuery(q): super::error::ApiQuery<ProceduresQuery>,
) -> Json<Vec<Procedure>> {
    let all = &state.hall.config().procedures;
    Json(
        all.iter()
            .filter(|p| q.service.as_ref().is_none_or(|s| &p.service == s))
            .cloned()
            .collect(),
    )
}
