//! What counter staff and hall managers use beyond the counter commands: who a
//! token is, the line a counter calls from, satisfaction ratings and statistics.

use axum::Json;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::{NaiveDate, Utc};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

use super::AppState;
use super::auth::Caller;
use super::error::{ApiError, ApiJson, ApiPath, ApiQuery, ErrorBody};
use super::offload::{from_store, run};
use crate::config::Role;
use motcua_api::{Me, TicketView};
use motcua_core::domain::{CounterId, RatingSource, Satisfaction, TicketId, TicketStatus};
use motcua_core::queue::{Command, EventKind, call_order, local_day};
use motcua_core::stats::{Stats, compute, to_csv};

/// The longest range of days one statistics request covers.
const MAX_STATS_DAYS: i64 = 366;
/// The longest reason a rating may carry.
pub const MAX_REASON_CHARS: usize = 120;

#[utoipa::path(get, path = "/api/v1/me", tag = "staff",
    description = "Who the bearer token belongs to: the counter page signs in with it.",
    security(("bearer" = [])),
    responses((status = 200, description = "The token's role, name and counter", body = Me),
              (status = 401, description = "No or unknown token", body = ErrorBody)))]
pub async fn me(caller: Caller) -> Json<Me> {
    let role = match caller.role {
        Role::Admin => "admin",
        Role::Kiosk => "kiosk",
        Role::Counter => "counter",
        Role::Display => "display",
    };
    Json(Me {
        role: role.into(),
        name: caller.name,
        counter: caller.counter,
        series: caller.series,
    })
}

#[utoipa::path(get, path = "/api/v1/counters/{id}/queue", tag = "counters",
    description = "The tickets this counter may call, in the order it will call them (priority first, then by issue time). No personal data: numbers and lines.",
    params(("id" = u32, Path, description = "Counter id")),
    responses((status = 200, description = "Waiting tickets, next first", body = [TicketView]),
              (status = 404, description = "No such counter", body = ErrorBody)))]
pub async fn counter_queue(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<CounterId>,
) -> Result<Json<Vec<TicketView>>, ApiError> {
    let Some(counter) = state.hall.config().layout.counter(id).cloned() else {
        return Err(ApiError::not_found(
            "unknown_counter",
            format!("there is no counter {id}"),
        ));
    };
    Ok(Json(state.hall.read(|q| {
        let mut waiting: Vec<_> = q
            .tickets()
            .filter(|t| t.status == TicketStatus::Waiting)
            .filter(|t| match t.target_counter {
                Some(c) => c == id,
                None => counter.services.contains(&t.service),
            })
            .collect();
        waiting.sort_by_key(|t| call_order(t));
        waiting.into_iter().map(|t| TicketView::of(q, t)).collect()
    })))
}

/// A rating given through the API (the pad, the rating screen, or staff).
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RatingRequest {
    /// The ticket rated. Without it, the counter's ticket being served now or
    /// finished last (within 10 minutes).
    #[serde(default)]
    pub ticket: Option<TicketId>,
    /// The counter that served; a counter token's own counter by default.
    #[serde(default)]
    pub counter: Option<CounterId>,
    pub level: Satisfaction,
    /// A short reason, mostly for `unsatisfied` ("Chờ lâu"); at most 120 characters.
    #[serde(default)]
    pub reason: Option<String>,
    /// `pad`, `screen` or `counter` (the default).
    #[serde(default)]
    pub source: Option<RatingSource>,
}

#[utoipa::path(post, path = "/api/v1/ratings", tag = "staff", request_body = RatingRequest,
    description = "Records a citizen's rating of a served ticket, once per ticket. Counter tokens rate at their own counter; admins anywhere. Citizens rate from their phone on the ticket's page instead.",
    security(("bearer" = [])),
    responses(
        (status = 201, description = "The rated ticket", body = TicketView),
        (status = 401, description = "No or unknown token", body = ErrorBody),
        (status = 403, description = "The token may not rate at this counter", body = ErrorBody),
        (status = 404, description = "No such ticket today, or no such counter", body = ErrorBody),
        (status = 409, description = "Already rated, not served, or nothing to rate at the counter", body = ErrorBody),
        (status = 422, description = "Malformed rating", body = ErrorBody)))]
pub async fn rate(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(req): ApiJson<RatingRequest>,
) -> Result<Response, ApiError> {
    let counter = req.counter.or(caller.counter);
    match counter {
        Some(c) => caller.may_act_on(c)?,
        None if caller.role == Role::Admin => {}
        None => {
            return Err(ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_rating",
                "say at which `counter` the ticket was served",
            ));
        }
    }
    if req.source == Some(RatingSource::Phone) {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_rating",
            "phone ratings come from the ticket's own page, not with a staff token",
        ));
    }
    let reason = clean_reason(req.reason)?;
    let command = Command::Rate {
        ticket: req.ticket,
        counter,
        level: req.level,
        reason,
        source: req.source.unwrap_or(RatingSource::Counter),
    };
    let view = rated_view(&state, command).await?;
    Ok((StatusCode::CREATED, Json(view)).into_response())
}

/// Runs a rating command and answers with the rated ticket.
pub(super) async fn rated_view(state: &AppState, command: Command) -> Result<TicketView, ApiError> {
    run(state, command, |q, changes| {
        let c = changes.iter().find(|c| c.kind == EventKind::TicketRated)?;
        let t = c.ticket.as_ref()?;
        Some(TicketView::of(q, q.ticket(t.id).unwrap_or(t)))
    })
    .await?
    .ok_or_else(|| ApiError::internal("the rating was not recorded"))
}

/// A reason is a short chip of text: trimmed, no control characters, bounded.
pub(super) fn clean_reason(reason: Option<String>) -> Result<Option<String>, ApiError> {
    let Some(r) = reason else { return Ok(None) };
    let r = r.trim();
    if r.is_empty() {
        return Ok(None);
    }
    if r.chars().count() > MAX_REASON_CHARS || r.chars().any(char::is_control) {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_reason",
            format!("a reason is one line of at most {MAX_REASON_CHARS} characters"),
        ));
    }
    Ok(Some(r.to_owned()))
}

#[derive(Deserialize, IntoParams)]
pub struct StatsQuery {
    /// First hall-local day (YYYY-MM-DD); today when left out.
    #[param(value_type = Option<String>, format = Date)]
    pub from: Option<NaiveDate>,
    /// Last day, inclusive; `from` when left out.
    #[param(value_type = Option<String>, format = Date)]
    pub to: Option<NaiveDate>,
    /// `json` (the default) or `csv`.
    pub format: Option<String>,
}

#[utoipa::path(get, path = "/api/v1/stats", tag = "staff", params(StatsQuery),
    description = "Tickets issued, served, no-shows, average wait and service times and the satisfaction shares, for the hall, each line and each counter, over a range of days (at most 366). `format=csv` gives a spreadsheet. Admin token.",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The figures", body = Stats),
        (status = 401, description = "No or unknown token", body = ErrorBody),
        (status = 403, description = "Not an admin token", body = ErrorBody),
        (status = 422, description = "A bad range or format", body = ErrorBody)))]
pub async fn stats(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(query): ApiQuery<StatsQuery>,
) -> Result<Response, ApiError> {
    if caller.role != Role::Admin {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "forbidden",
            format!(
                "{} cannot read the hall's statistics; use an admin token",
                caller.name
            ),
        ));
    }
    let csv = match query.format.as_deref() {
        None | Some("json") => false,
        Some("csv") => true,
        Some(other) => {
            return Err(ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_format",
                format!("format {other:?} is not `json` or `csv`"),
            ));
        }
    };
    let today = local_day(&state.hall.config().layout, Utc::now());
    let from = query.from.unwrap_or(today);
    let to = query.to.unwrap_or(from);
    if to < from || (to - from).num_days() >= MAX_STATS_DAYS {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_range",
            format!("`from` must be on or before `to`, at most {MAX_STATS_DAYS} days apart"),
        ));
    }
    let tickets = from_store(&state, move |store| store.tickets_between(from, to)).await?;
    let config = state.hall.config();
    let stats = compute(&config.layout, &config.ratings.reasons, from, to, &tickets);
    if csv {
        let name = format!("attachment; filename=\"motcua-thong-ke-{from}-{to}.csv\"");
        return Ok((
            [
                (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
                (header::CONTENT_DISPOSITION, name),
            ],
            to_csv(&stats),
        )
            .into_response());
    }
    Ok(Json(stats).into_response())
}
