//! The JSON API: what kiosks, displays, counter tools and a province's systems
//! read and ask. Views are built from the queue in one read, so they agree.

use axum::Json;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::Utc;
use serde::Deserialize;

use super::AppState;
use super::auth::Caller;
use super::error::{ApiError, ApiJson, ApiPath, ErrorBody, OptionalJson};
use super::offload::{from_store, run};
use motcua_api::{
    Board, CounterAction, CounterResult, CounterView, HallView, Health, IssueRequest,
    OfflineTicketRequest, ServiceView, TicketView, TransferRequest, board, counter_view,
    counter_views, service_views,
};
use motcua_core::catalogue::Procedure;
use motcua_core::domain::{CounterId, TicketId};
use motcua_core::queue::{Command, EventKind};

#[utoipa::path(get, path = "/healthz", tag = "service",
    description = "Up only when the hall can issue: the store answers a read and takes a small durable write \
                   (a full disk, a read-only or broken database file is a 503 with the reason).",
    responses((status = 200, description = "The service is up and its store reads and writes", body = Health),
              (status = 503, description = "The store does not answer, or cannot write", body = ErrorBody)))]
pub async fn healthz(State(state): State<AppState>) -> Result<Json<Health>, ApiError> {
    let stored = from_store(&state, |store| {
        let last = store.last_event_id()?;
        // A read alone would say "ok" while no ticket can be stored.
        store.set_meta("healthz_at", &Utc::now().to_rfc3339())?;
        Ok(last)
    })
    .await?;
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
        name: config.layout.hall.name.clone(),
        time_zone: config.layout.hall.time_zone.name().to_owned(),
        day: state.hall.read(|q| q.day()),
        now: Utc::now(),
        max_recalls: config.layout.hall.max_recalls,
        priority_groups: config.layout.priority_groups.clone(),
        notice: config.layout.hall.notice.clone(),
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
        (status = 429, description = "`too_many_tickets`: this device took tickets faster than its `tickets_per_minute`; `Retry-After` says when to try again", body = ErrorBody),
        (status = 503, description = "Storage failed; no ticket was issued", body = ErrorBody)))]
pub async fn issue(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(req): ApiJson<IssueRequest>,
) -> Result<Response, ApiError> {
    caller.may_issue()?;
    if let Err(wait) = state.issuing.take(
        &caller.name,
        caller.tickets_per_minute,
        std::time::Instant::now(),
    ) {
        tracing::warn!(
            "{} takes tickets faster than {} a minute: refused (a stuck key or a script?)",
            caller.name,
            caller.tickets_per_minute
        );
        return Err(ApiError::too_many(
            "too_many_tickets",
            format!(
                "{} may take {} tickets a minute; try again in {} s",
                caller.name,
                caller.tickets_per_minute,
                wait.as_secs() + 1
            ),
            wait,
        )
        .citizen(
            "Kiosk vừa cấp nhiều số liên tiếp. Xin ông/bà chờ một chút rồi lấy số, hoặc hỏi cán bộ hướng dẫn.".into(),
            "This kiosk has just given many tickets in a row. Please wait a moment and try again, or ask staff.".into(),
        ));
    }
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
    let mut view = run(&state, command, |q, changes| {
        let id = changes.last()?.ticket.as_ref()?.id;
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

#[utoipa::path(post, path = "/api/v1/tickets/offline", tag = "tickets", request_body = OfflineTicketRequest,
    description = "A kiosk that could not reach the service gave this ticket out on its own, numbered in its series (`A-K1-007`); now it joins the queue, called in its turn from the time it was given out. Sending the same `seq` again (an answer lost, a kiosk restarted mid-way) changes nothing and answers the same ticket.",
    security(("bearer" = [])),
    responses(
        (status = 201, description = "The ticket, placed in the queue and stored before this answer", body = TicketView),
        (status = 200, description = "The kiosk sent this ticket before: it is in the queue already", body = TicketView),
        (status = 409, description = "`offline_ticket_too_old`: given out on a day that is over", body = ErrorBody),
        (status = 422, description = "Unknown service, or `seq` not within 1–999", body = ErrorBody),
        (status = 400, description = "Malformed JSON", body = ErrorBody),
        (status = 401, description = "No or unknown token", body = ErrorBody),
        (status = 403, description = "The token is not a kiosk's", body = ErrorBody),
        (status = 503, description = "Storage failed; the ticket is not placed yet", body = ErrorBody)))]
pub async fn issue_offline(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(req): ApiJson<OfflineTicketRequest>,
) -> Result<Response, ApiError> {
    let Some(series) = caller.series else {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "forbidden",
            format!(
                "{} is not a kiosk: only a kiosk gives tickets out on its own",
                caller.name
            ),
        ));
    };
    // Three digits on the paper; a kiosk's day never needs more, and a script with a
    // kiosk's token can place no more than that.
    if !(1..=999).contains(&req.seq) {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_seq",
            "`seq` counts a kiosk's own tickets of the day, from 1 to 999",
        ));
    }
    let (seq, known) = (req.seq, series.clone());
    let command = Command::IssueOffline {
        service: req.service,
        priority: req.priority,
        series,
        seq: req.seq,
        issued_at: req.issued_at,
    };
    let (view, new) = run(&state, command, move |q, changes| {
        let t = q.offline_ticket(&known, seq)?;
        Some((TicketView::of(q, t), !changes.is_empty()))
    })
    .await?
    .ok_or_else(|| ApiError::internal("the kiosk's ticket was not stored"))?;
    let status = if new {
        tracing::info!(
            "ticket {} that {} gave out on its own joined the queue",
            view.ticket.number,
            caller.name
        );
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    let location = format!("/api/v1/tickets/{}", view.ticket.id);
    Ok((status, [(header::LOCATION, location)], Json(view)).into_response())
}

/// The command for a result-return ticket, once the dossier is found ready.
async fn return_ticket(state: &AppState, service: String, code: &str) -> Result<Command, ApiError> {
    use motcua_core::dossier::{DossierStatus, normalize_code};
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
    current: Option<Option<TicketId>>,
) -> Result<Response, ApiError> {
    if state.hall.config().layout.counter(id).is_none() {
        return Err(ApiError::not_found(
            "unknown_counter",
            format!("there is no counter {id}"),
        ));
    }
    caller.may_act_on(id)?;
    let is_call = matches!(command, Command::Call { .. });
    // The clerk said which ticket they saw at the desk: act only if it is still there.
    let command = match current {
        Some(current) => Command::Guarded {
            current,
            command: Box::new(command),
        },
        None => command,
    };
    let result = run(&state, command, move |q, changes| {
        let finished = changes
            .iter()
            .find(|c| c.kind == EventKind::TicketFinished && is_call)
            .and_then(|c| c.ticket.clone());
        let touched = changes
            .iter()
            .rev()
            .filter(|c| !(is_call && c.kind == EventKind::TicketFinished))
            .find_map(|c| c.ticket.as_ref())
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
            request_body(content = Option<CounterAction>, description = "Optional: `{\"current\": id}`, the ticket seen at the desk"),
            security(("bearer" = [])),
            responses(
                (status = 200, description = "Done", body = CounterResult),
                (status = 401, description = "No or unknown token", body = ErrorBody),
                (status = 403, description = "The token may not act on this counter", body = ErrorBody),
                (status = 404, description = "No such counter", body = ErrorBody),
                (status = 409, description = "Not possible in the counter's or ticket's state, or `stale`: the desk's ticket changed", body = ErrorBody)))]
        pub async fn $name(State(state): State<AppState>, caller: Caller, ApiPath(id): ApiPath<CounterId>, OptionalJson(action): OptionalJson<CounterAction>) -> Result<Response, ApiError> {
            counter_command(state, caller, id, Command::$variant { counter: id }, action.current).await
        }
    };
}

#[utoipa::path(post, path = "/api/v1/counters/{id}/call", tag = "counters",
    description = "Finishes the counter's current ticket, if any, and calls the next: priority first, then the oldest, across the counter's lines. \
                   With `{\"current\": id}` (the ticket seen at the desk, or null) it acts only if that ticket is still the counter's: a double press calls once.",
    params(("id" = u32, Path, description = "Counter id")),
    request_body(content = Option<CounterAction>, description = "Optional: the ticket seen at the desk"),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The ticket called, with `status` \"called\" and `counter`", body = CounterResult),
        (status = 204, description = "Nobody is waiting for this counter"),
        (status = 401, description = "No or unknown token", body = ErrorBody),
        (status = 403, description = "The token may not act on this counter", body = ErrorBody),
        (status = 404, description = "No such counter", body = ErrorBody),
        (status = 409, description = "The counter is closed, or `stale`: the desk's ticket changed", body = ErrorBody)))]
pub async fn call(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<CounterId>,
    OptionalJson(action): OptionalJson<CounterAction>,
) -> Result<Response, ApiError> {
    let call = Command::Call { counter: id };
    counter_command(state, caller, id, call, action.current).await
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
    counter_command(state, caller, id, command, req.current).await
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
