//! Dossiers over HTTP: the public, masked status by code (kiosk, phones), staff
//! registering and updating dossiers, the province's pushes, and what staff need to
//! watch: the outbox of messages and the link to the province.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use chrono::Utc;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::{IntoParams, ToSchema};

use super::AppState;
use super::auth::Caller;
use super::error::{ApiError, ApiJson, ApiPath, ApiQuery, ErrorBody};
use super::offload::from_store;
use crate::config::Role;
use crate::upstream::{self, UpstreamStatus};
use motcua_core::dossier::{Dossier, DossierUpdate, PublicDossier, normalize_code};
use motcua_core::message::{OutboxMessage, mask_phone};
use motcua_hardware::printer::layout::ReceiptPrint;

pub(super) fn staff_only(caller: &Caller) -> Result<(), ApiError> {
    match caller.role {
        Role::Admin | Role::Counter => Ok(()),
        _ => Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "forbidden",
            format!("{} is not a staff token", caller.name),
        )),
    }
}

fn bad_code(message: String) -> ApiError {
    ApiError::new(
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_dossier_code",
        message,
    )
}

fn unknown_dossier(code: &str) -> ApiError {
    ApiError::not_found("unknown_dossier", format!("there is no dossier {code}"))
}

/// The stored dossier with this (normalized) code, or 404 `unknown_dossier`.
pub(super) async fn stored(state: &AppState, code: &str) -> Result<Dossier, ApiError> {
    let key = code.to_owned();
    from_store(state, move |s| s.dossier(&key))
        .await?
        .ok_or_else(|| unknown_dossier(code))
}

/// A dossier as staff see it: the full name (they check it against the ID card),
/// the phone masked.
#[derive(Serialize, Deserialize, ToSchema)]
pub struct StaffDossier {
    #[serde(flatten)]
    pub dossier: Dossier,
    /// Overdue without a result: the hall owes the citizen an apology letter.
    pub overdue: bool,
    /// The public lookup asks for the last 4 digits of the citizen's ID card.
    pub id_required: bool,
}

fn for_staff(mut d: Dossier) -> StaffDossier {
    let overdue = d.is_overdue(Utc::now());
    d.phone = d.phone.as_deref().map(mask_phone);
    let id_required = d.id_check.take().is_some();
    StaffDossier {
        dossier: d,
        overdue,
        id_required,
    }
}

/// Codes are dates and sequence numbers, easy to guess: an address that looks up
/// this many codes that do not exist within a minute is told to wait, so nobody can
/// walk the codes to collect masked names. Looking up real codes is never limited.
pub const MAX_MISSES_PER_MINUTE: u32 = 20;

/// A dossier whose ID digits were given wrong this many times within an hour (from
/// any address) answers no more digit guesses until the hour is over: 10,000
/// possible digits cannot be walked from many addresses either.
pub const MAX_WRONG_IDS_PER_HOUR: u32 = 10;

/// Misses per client address in the current minute, wrong ID digits per dossier in
/// the current hour.
#[derive(Clone, Default)]
pub struct LookupGuard {
    misses: Arc<Mutex<HashMap<IpAddr, (Instant, u32)>>>,
    wrong_ids: Arc<Mutex<HashMap<String, (Instant, u32)>>>,
}

/// Counts within a window that starts at the first count.
fn within<K: std::hash::Hash + Eq>(
    m: &Mutex<HashMap<K, (Instant, u32)>>,
    window: Duration,
    now: Instant,
) -> std::sync::MutexGuard<'_, HashMap<K, (Instant, u32)>> {
    let mut m = m.lock().unwrap_or_else(|e| e.into_inner());
    m.retain(|_, (start, _)| now.duration_since(*start) < window);
    m
}

const MINUTE: Duration = Duration::from_secs(60);
const HOUR: Duration = Duration::from_secs(3600);

impl LookupGuard {
    fn blocked(&self, ip: IpAddr, now: Instant) -> bool {
        within(&self.misses, MINUTE, now)
            .get(&ip)
            .is_some_and(|(_, n)| *n >= MAX_MISSES_PER_MINUTE)
    }

    fn missed(&self, ip: IpAddr, now: Instant) {
        within(&self.misses, MINUTE, now)
            .entry(ip)
            .or_insert((now, 0))
            .1 += 1;
    }

    fn id_locked(&self, code: &str, now: Instant) -> bool {
        within(&self.wrong_ids, HOUR, now)
            .get(code)
            .is_some_and(|(_, n)| *n >= MAX_WRONG_IDS_PER_HOUR)
    }

    fn wrong_id(&self, code: &str, now: Instant) {
        within(&self.wrong_ids, HOUR, now)
            .entry(code.to_owned())
            .or_insert((now, 0))
            .1 += 1;
    }
}

#[derive(Deserialize, IntoParams)]
pub struct LookupQuery {
    /// The last 4 digits of the citizen's ID card (CCCD), when the dossier asks for
    /// them (403 `id_required`).
    pub id: Option<String>,
}

#[utoipa::path(get, path = "/api/v1/dossiers/{code}", tag = "dossiers",
    description = "A dossier's status in plain words, by the code on the appointment receipt. Public: the name is masked (\"Nguyễn Thị H.\"), no phone. When the hall knows the citizen's ID number, the last 4 digits are asked too (`?id=`; 403 `id_required` / `id_mismatch`; 10 wrong for one dossier within an hour → 429). An address that asks for 20 codes that do not exist (or wrong digits) within a minute waits out the minute (429).",
    params(("code" = String, Path, description = "Dossier code, e.g. 000.00.12.H27-261123-0042"), LookupQuery),
    responses((status = 200, description = "The dossier", body = PublicDossier),
              (status = 403, description = "The ID digits are needed, or do not match", body = ErrorBody),
              (status = 404, description = "No such dossier", body = ErrorBody),
              (status = 422, description = "Not a dossier code", body = ErrorBody),
              (status = 429, description = "Too many codes that do not exist", body = ErrorBody)))]
pub async fn public(
    State(state): State<AppState>,
    extensions: axum::http::Extensions,
    ApiPath(code): ApiPath<String>,
    ApiQuery(query): ApiQuery<LookupQuery>,
) -> Result<Json<PublicDossier>, ApiError> {
    let ip = extensions
        .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
        .map(|c| c.0.ip());
    let now = Instant::now();
    if let Some(ip) = ip
        && state.lookups.blocked(ip, now)
    {
        return Err(ApiError::new(
            StatusCode::TOO_MANY_REQUESTS,
            "too_many_lookups",
            format!("{MAX_MISSES_PER_MINUTE} codes that do not exist in a minute; wait a minute"),
        )
        .citizen(
            "Đã tra cứu quá nhiều mã không đúng. Xin chờ một phút rồi thử lại, hoặc hỏi cán bộ tại quầy.".into(),
            "Too many codes that do not exist. Please wait a minute and try again, or ask at a counter.".into(),
        ));
    }
    let code = normalize_code(&code).map_err(bad_code)?;
    let shown = code.clone();
    let found = from_store(&state, move |s| s.dossier(&code)).await?;
    match found {
        Some(d) if d.id_check.is_none() => Ok(Json(d.public(Utc::now()))),
        Some(d) => {
            let Some(id) = query.id.as_deref().filter(|i| !i.trim().is_empty()) else {
                return Err(ApiError::new(
                    StatusCode::FORBIDDEN,
                    "id_required",
                    "this dossier is shown with the last 4 digits of the citizen's ID card: ?id=NNNN",
                )
                .citizen(
                    "Xin nhập 4 số cuối trên thẻ căn cước (CCCD) của người nộp hồ sơ.".into(),
                    "Please enter the last 4 digits of the applicant's ID card (CCCD).".into(),
                ));
            };
            if state.lookups.id_locked(&d.code, now) {
                return Err(ApiError::new(
                    StatusCode::TOO_MANY_REQUESTS,
                    "too_many_tries",
                    format!("{MAX_WRONG_IDS_PER_HOUR} wrong ID digits for this dossier within an hour; wait"),
                )
                .citizen(
                    "Đã nhập sai nhiều lần. Xin hỏi cán bộ tại quầy để tra cứu hồ sơ này.".into(),
                    "Too many wrong tries. Please ask at a counter about this dossier.".into(),
                ));
            }
            if state.hall.id_check_ok(&d, id) {
                return Ok(Json(d.public(Utc::now())));
            }
            state.lookups.wrong_id(&d.code, now);
            if let Some(ip) = ip {
                state.lookups.missed(ip, now);
            }
            Err(ApiError::new(
                StatusCode::FORBIDDEN,
                "id_mismatch",
                "the ID digits do not match this dossier",
            )
            .citizen(
                "4 số cuối không khớp với hồ sơ. Xin xem lại thẻ căn cước hoặc hỏi cán bộ tại quầy.".into(),
                "Those 4 digits do not match the dossier. Please check the ID card or ask at a counter.".into(),
            ))
        }
        None => {
            if let Some(ip) = ip {
                state.lookups.missed(ip, now);
            }
            Err(unknown_dossier(&shown))
        }
    }
}

#[derive(Deserialize, IntoParams)]
pub struct ListQuery {
    /// Only dossiers not yet returned or cancelled (the default).
    pub open: Option<bool>,
    /// At most this many, latest changed first (default 200, at most 1000).
    pub limit: Option<usize>,
    /// Just this dossier (empty list when there is none).
    pub code: Option<String>,
}

#[utoipa::path(get, path = "/api/v1/dossiers", tag = "dossiers", params(ListQuery),
    description = "Dossiers for staff, latest changed first, with `overdue` marked. Staff token.",
    security(("bearer" = [])),
    responses((status = 200, description = "The dossiers", body = [StaffDossier]),
              (status = 401, description = "No or unknown token", body = ErrorBody),
              (status = 403, description = "Not a staff token", body = ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> Result<Json<Vec<StaffDossier>>, ApiError> {
    staff_only(&caller)?;
    if let Some(code) = q.code {
        let code = normalize_code(&code).map_err(bad_code)?;
        let found = from_store(&state, move |s| s.dossier(&code)).await?;
        return Ok(Json(found.into_iter().map(for_staff).collect()));
    }
    let (open, limit) = (q.open.unwrap_or(true), q.limit.unwrap_or(200).min(1000));
    let all = from_store(&state, move |s| s.dossiers(open, limit)).await?;
    Ok(Json(all.into_iter().map(for_staff).collect()))
}

#[utoipa::path(put, path = "/api/v1/dossiers/{code}", tag = "dossiers", request_body = DossierUpdate,
    description = "Registers a dossier or changes it; fields left out stay. A phone is kept only with `notify_consent`. Becoming `result_ready` puts it on the display's results panel and, with consent, queues the message to the citizen. Staff token.",
    params(("code" = String, Path, description = "Dossier code")),
    security(("bearer" = [])),
    responses((status = 200, description = "The dossier as stored", body = StaffDossier),
              (status = 401, description = "No or unknown token", body = ErrorBody),
              (status = 403, description = "Not a staff token", body = ErrorBody),
              (status = 422, description = "A bad code, phone or text", body = ErrorBody)))]
pub async fn put(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(code): ApiPath<String>,
    ApiJson(mut update): ApiJson<DossierUpdate>,
) -> Result<Json<StaffDossier>, ApiError> {
    staff_only(&caller)?;
    let code = normalize_code(&code).map_err(bad_code)?;
    if !update.code.is_empty() && normalize_code(&update.code).ok().as_ref() != Some(&code) {
        return Err(bad_code(
            "the code in the body is not the one in the path".into(),
        ));
    }
    update.code = code;
    let hall = state.hall.clone();
    let source = format!("staff:{}", caller.name);
    let (dossier, _) =
        tokio::task::spawn_blocking(move || hall.save_dossier(&update, &source, Utc::now()))
            .await
            .map_err(|e| ApiError::internal(format!("dossier task failed: {e}")))??;
    Ok(Json(for_staff(dossier)))
}

/// What a push did.
#[derive(Serialize, Deserialize, ToSchema)]
pub struct PushResult {
    pub applied: u64,
    pub skipped: u64,
}

#[utoipa::path(post, path = "/api/v1/upstream/push", tag = "dossiers", request_body = Object,
    description = "The province's system pushes changes: one item, a list, or a page (`{\"items\": [...]}`) in the shape the `[upstream.fields]` config maps. Items that cannot be read are skipped and counted; the rest are applied. Admin token.",
    security(("bearer" = [])),
    responses((status = 200, description = "What was applied", body = PushResult),
              (status = 401, description = "No or unknown token", body = ErrorBody),
              (status = 403, description = "Not an admin token", body = ErrorBody),
              (status = 422, description = "No items in the body", body = ErrorBody)))]
pub async fn push(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(body): ApiJson<Value>,
) -> Result<Json<PushResult>, ApiError> {
    if caller.role != Role::Admin {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "forbidden",
            "pushes need an admin token",
        ));
    }
    let fields = state
        .hall
        .config()
        .upstream
        .as_ref()
        .map(|u| u.fields.clone())
        .unwrap_or_default();
    let tz = state.hall.config().layout.hall.time_zone;
    let (updates, _) = upstream::parse_page(&fields, &body, tz)
        .map_err(|m| ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "no_items", m))?;
    let hall = state.hall.clone();
    let (applied, skipped) = tokio::task::spawn_blocking(move || upstream::apply(&hall, updates))
        .await
        .map_err(|e| ApiError::internal(format!("push task failed: {e}")))?;
    {
        let mut s = state.upstream.lock().unwrap_or_else(|e| e.into_inner());
        s.last_success_at = Some(Utc::now());
        s.applied += applied;
        s.skipped += skipped;
    }
    Ok(Json(PushResult { applied, skipped }))
}

#[utoipa::path(get, path = "/api/v1/upstream", tag = "dossiers",
    description = "The link to the province's system: when it last answered, the last error, the cursor. Staff token.",
    security(("bearer" = [])),
    responses((status = 200, description = "The link's state", body = UpstreamStatus)))]
pub async fn upstream_status(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Json<UpstreamStatus>, ApiError> {
    staff_only(&caller)?;
    Ok(Json(
        state
            .upstream
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone(),
    ))
}

#[utoipa::path(get, path = "/api/v1/outbox", tag = "dossiers",
    description = "Messages to citizens: unsent (with the last error) first, then the latest sent. Phones masked. Staff token.",
    security(("bearer" = [])),
    responses((status = 200, description = "The messages", body = [OutboxMessage])))]
pub async fn outbox(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Json<Vec<OutboxMessage>>, ApiError> {
    staff_only(&caller)?;
    let mut all = from_store(&state, |s| s.outbox(200)).await?;
    for m in &mut all {
        m.phone = m.phone.as_deref().map(mask_phone);
    }
    Ok(Json(all))
}

/// Where to print an appointment receipt.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReceiptRequest {
    /// The counter whose printer prints it; a counter token's own by default.
    #[serde(default)]
    pub counter: Option<motcua_core::domain::CounterId>,
}

/// What the printer said.
#[derive(Serialize, Deserialize, ToSchema)]
pub struct ReceiptResult {
    pub printer: String,
    /// `ready`, `paper_low`, …: the printer after the job.
    pub condition: String,
}

#[utoipa::path(post, path = "/api/v1/dossiers/{code}/receipt", tag = "dossiers", request_body = ReceiptRequest,
    description = "Prints the appointment receipt (phiếu hẹn trả kết quả) at a counter's printer (`printer =` under that `[[counters]]`), with the dossier code as a QR code the kiosk's scanner reads. Staff token.",
    params(("code" = String, Path, description = "Dossier code")),
    security(("bearer" = [])),
    responses((status = 200, description = "Printed", body = ReceiptResult),
              (status = 404, description = "No such dossier or counter", body = ErrorBody),
              (status = 409, description = "The counter has no printer", body = ErrorBody),
              (status = 503, description = "The printer cannot print now (paper out, offline…)", body = ErrorBody)))]
pub async fn receipt(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(code): ApiPath<String>,
    ApiJson(req): ApiJson<ReceiptRequest>,
) -> Result<Json<ReceiptResult>, ApiError> {
    use motcua_hardware::printer::{EscPosPrinter, PrinterSpec, layout, paper_dots};
    staff_only(&caller)?;
    let Some(counter_id) = req.counter.or(caller.counter) else {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "unknown_counter",
            "say at which `counter` to print",
        ));
    };
    caller.may_act_on(counter_id)?;
    let config = state.hall.config().clone();
    let counter = config.layout.counter(counter_id).cloned().ok_or_else(|| {
        ApiError::not_found(
            "unknown_counter",
            format!("there is no counter {counter_id}"),
        )
    })?;
    let spec = counter.printer.clone().ok_or_else(|| {
        ApiError::new(
            StatusCode::CONFLICT,
            "no_printer",
            format!("{} has no printer in the config", counter.name),
        )
    })?;
    let code = normalize_code(&code).map_err(bad_code)?;
    let dossier = stored(&state, &code).await?;
    let tz = config.layout.hall.time_zone;
    let when = |t: Option<chrono::DateTime<Utc>>| {
        t.map(|t| t.with_timezone(&tz).format("%H:%M %d/%m/%Y").to_string())
            .unwrap_or_else(|| "—".into())
    };
    let paper = ReceiptPrint {
        hall_name: config.layout.hall.name.clone(),
        dossier_code: dossier.code.clone(),
        procedure: dossier.procedure_name.clone(),
        // The receipt is the citizen's own paper: the full name belongs on it.
        citizen_name: dossier.citizen_name.clone().unwrap_or_default(),
        received_at: when(dossier.received_at),
        due_at: when(dossier.due()),
        return_place: dossier
            .pickup
            .clone()
            .unwrap_or_else(|| "Bộ phận trả kết quả".into()),
        lookup_url: None,
        footer: "Quét mã QR tại kiosk để xem hồ sơ đã có kết quả chưa.".into(),
    };
    let (printer, condition) = tokio::task::spawn_blocking(move || {
        let spec: PrinterSpec = spec.parse().map_err(|e: String| (spec.clone(), e))?;
        let width = paper_dots(counter.paper_mm).map_err(|e| (format!("{spec:?}"), e))?;
        let mut printer =
            EscPosPrinter::open(&spec, width).map_err(|e| (format!("{spec:?}"), e.to_string()))?;
        let health = printer
            .print(&layout::receipt(&paper, width))
            .map_err(|e| (printer.describe(), e.to_string()))?;
        Ok::<_, (String, String)>((printer.describe(), health.code().to_owned()))
    })
    .await
    .map_err(|e| ApiError::internal(format!("print task failed: {e}")))?
    .map_err(|(printer, e)| {
        ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "printer_unavailable",
            format!("the receipt did not print on {printer}: {e}"),
        )
    })?;
    Ok(Json(ReceiptResult { printer, condition }))
}
