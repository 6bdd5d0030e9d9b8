//! The hall's devices: each kiosk, display, rating screen and pad reports itself every
//! minute (role, version, uptime, printer, last error); staff list them, online or
//! not, and see which runs another version than the service. Heartbeats are kept in
//! memory (they would only bloat the event log); a printer's change is an event.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use chrono::{DateTime, Utc};

use super::AppState;
use super::auth::Caller;
use super::error::{ApiError, ApiJson};
use super::offload::run;
use crate::config::Role;
use motcua_api::{DeviceReport, DeviceView, ErrorBody, PRINTER_CONDITIONS};
use motcua_core::queue::Command;

/// Devices report every minute; three missed reports and a device is offline.
pub const OFFLINE_AFTER: chrono::Duration = chrono::Duration::minutes(3);

/// The version of this service, which devices are compared with.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// What each device last said, and when, by name.
#[derive(Clone, Default)]
pub struct Heard(Arc<Mutex<BTreeMap<String, LastReport>>>);

type LastReport = (DeviceReport, DateTime<Utc>);

const ROLES: [&str; 4] = ["kiosk", "display", "rating", "pad"];

#[utoipa::path(post, path = "/api/v1/devices/status", tag = "devices", request_body = DeviceReport,
    description = "A device reports itself (every minute) and its printer (also on each change). A printer's \
                   change is recorded as a `device.status` event and shown on the board, so staff see 'paper low' \
                   before it runs out; the rest is kept in memory for `GET /api/v1/devices`.",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The device as staff now see it", body = DeviceView),
        (status = 401, description = "No or unknown token", body = ErrorBody),
        (status = 422, description = "Not a known printer condition or role", body = ErrorBody)))]
pub async fn report(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(report): ApiJson<DeviceReport>,
) -> Result<Json<DeviceView>, ApiError> {
    let refuse = |code: &'static str, message: String| {
        ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, code, message)
    };
    if let Some(p) = &report.printer
        && !PRINTER_CONDITIONS.contains(&p.as_str())
    {
        return Err(refuse(
            "unknown_condition",
            format!(
                "printer {p:?} is not one of {}",
                PRINTER_CONDITIONS.join(", ")
            ),
        ));
    }
    if let Some(r) = &report.role
        && !ROLES.contains(&r.as_str())
    {
        return Err(refuse(
            "unknown_role",
            format!("role {r:?} is not one of {}", ROLES.join(", ")),
        ));
    }
    let long = |s: &Option<String>| s.as_ref().is_some_and(|s| s.chars().count() > 300);
    if long(&report.last_error) || long(&report.version) {
        return Err(refuse(
            "too_long",
            "version and last_error are at most 300 characters".into(),
        ));
    }
    let name = caller.name.clone();
    if let Some(printer) = report.printer.clone() {
        let command = Command::ReportDevice {
            device: caller.name,
            printer,
        };
        run(&state, command, |_, _| ()).await?;
    }
    state
        .devices
        .0
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .insert(name.clone(), (report, Utc::now()));
    list_all(&state)
        .into_iter()
        .find(|d| d.name == name)
        .map(Json)
        .ok_or_else(|| ApiError::internal("the device report was not recorded"))
}

#[utoipa::path(get, path = "/api/v1/devices", tag = "devices",
    description = "Every device heard from since the service started, and every kiosk or display token not heard \
                   from (offline). Staff token.",
    security(("bearer" = [])),
    responses((status = 200, description = "The devices, offline ones first", body = [DeviceView])))]
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Json<Vec<DeviceView>>, ApiError> {
    super::dossiers::staff_only(&caller)?;
    Ok(Json(list_all(&state)))
}

fn list_all(state: &AppState) -> Vec<DeviceView> {
    let now = Utc::now();
    let printers: BTreeMap<String, String> = state.hall.read(|q| {
        q.devices()
            .map(|d| (d.name.clone(), d.printer.clone()))
            .collect()
    });
    let heard = state
        .devices
        .0
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .clone();
    let mut all: Vec<DeviceView> = heard
        .into_iter()
        .map(|(name, (r, at))| DeviceView {
            printer: r.printer.or_else(|| printers.get(&name).cloned()),
            online: now - at < OFFLINE_AFTER,
            version_differs: r.version.as_deref().is_some_and(|v| v != VERSION),
            name,
            role: r.role,
            version: r.version,
            uptime_seconds: r.uptime_seconds,
            last_error: r.last_error,
            journal_waiting: r.journal_waiting,
            series: None,
            last_seen: Some(at),
        })
        .collect();
    // Kiosks and displays the hall expects, though not heard from.
    for t in &state.hall.config().tokens {
        let role = match t.role {
            Role::Kiosk => "kiosk",
            Role::Display => "display",
            _ => continue,
        };
        if !all.iter().any(|d| d.name == t.name) {
            all.push(DeviceView {
                name: t.name.clone(),
                role: Some(role.into()),
                version: None,
                printer: printers.get(&t.name).cloned(),
                uptime_seconds: None,
                last_error: None,
                journal_waiting: None,
                series: None,
                last_seen: None,
                online: false,
                version_differs: false,
            });
        }
    }
    // A kiosk's series, so staff know which kiosk gave out `A-K1-007`.
    for d in &mut all {
        d.series = state
            .hall
            .config()
            .tokens
            .iter()
            .find(|t| t.name == d.name)
            .and_then(|t| t.series.clone());
    }
    all.sort_by(|a, b| (a.online, &a.name).cmp(&(b.online, &b.name)));
    all
}
