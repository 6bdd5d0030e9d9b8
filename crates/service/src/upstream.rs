//! The province's one-stop system as the source of dossier status: its JSON mapped
//! through the field paths in the config, so a province can point motcua at its own
//! system, and what staff see of the link. The poller that asks for changes is the
//! `jobs::upstream` job; the push webhook is in `http::dossiers`.

use std::sync::{Arc, Mutex};

use chrono::{DateTime, NaiveDateTime, TimeZone, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;

use crate::config::UpstreamFields;
use crate::hall::Hall;
use motcua_core::dossier::{Apology, DossierStatus, DossierUpdate};

/// What staff see about the link to the province.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct UpstreamStatus {
    pub configured: bool,
    /// The last time the upstream answered properly.
    pub last_success_at: Option<DateTime<Utc>>,
    pub last_attempt_at: Option<DateTime<Utc>>,
    /// Why the last attempt failed; empty after a success.
    pub last_error: Option<String>,
    pub cursor: Option<String>,
    /// Changes applied since the service started.
    pub applied: u64,
    /// Items refused (no code, junk code, bad phone…) since the service started.
    pub skipped: u64,
}

pub type SharedStatus = Arc<Mutex<UpstreamStatus>>;

/// The status, even if a thread panicked while holding it (it is only figures).
pub(crate) fn lock(s: &SharedStatus) -> std::sync::MutexGuard<'_, UpstreamStatus> {
    s.lock().unwrap_or_else(|e| e.into_inner())
}

/// A page's items, each parsed or refused on its own, and its cursor.
pub type Page = (Vec<Result<DossierUpdate, String>>, Option<String>);

/// The value at a dotted path (`chu_ho_so.ho_ten`).
fn at<'a>(v: &'a Value, path: &str) -> Option<&'a Value> {
    if path.is_empty() {
        return None;
    }
    path.split('.')
        .try_fold(v, |v, key| v.get(key))
        .filter(|v| !v.is_null())
}

fn text(v: &Value, path: &str) -> Option<String> {
    match at(v, path)? {
        Value::String(s) => Some(s.trim().to_owned()).filter(|s| !s.is_empty()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// ISO-8601 (with an offset, or local to the hall) or the national `yyyyMMddHHmmss`.
pub fn parse_time(s: &str, tz: Tz) -> Option<DateTime<Utc>> {
    let s = s.trim();
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Some(t.with_timezone(&Utc));
    }
    let local = NaiveDateTime::parse_from_str(s, "%Y%m%d%H%M%S")
        .or_else(|_| NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S"))
        .or_else(|_| NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S"))
        .or_else(|_| {
            chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d")
                .map(|d| d.and_hms_opt(0, 0, 0).expect("midnight exists"))
        })
        .ok()?;
    tz.from_local_datetime(&local)
        .earliest()
        .map(|t| t.with_timezone(&Utc))
}

fn time(v: &Value, path: &str, tz: Tz, what: &str) -> Result<Option<DateTime<Utc>>, String> {
    match text(v, path) {
        None => Ok(None),
        Some(s) => parse_time(&s, tz)
            .map(Some)
            .ok_or_else(|| format!("{what} {s:?} is not a date")),
    }
}

/// One upstream item as a dossier update. Unknown statuses are kept raw and shown
/// as "in progress"; a missing or junk code refuses the item.
pub fn parse_item(f: &UpstreamFields, item: &Value, tz: Tz) -> Result<DossierUpdate, String> {
    let code = text(item, &f.code).ok_or_else(|| format!("no dossier code at {:?}", f.code))?;
    let code = motcua_core::dossier::normalize_code(&code)?;
    let (status, raw_status) = match text(item, &f.status) {
        None => (None, None),
        Some(raw) => match DossierStatus::from_national(&raw) {
            Some(s) => (Some(s), None),
            None => (Some(DossierStatus::InProgress), Some(raw)),
        },
    };
    let consent = match at(item, &f.consent) {
        Some(Value::Bool(b)) => Some(*b),
        Some(Value::Number(n)) => Some(n.as_i64() == Some(1)),
        Some(Value::String(s)) => Some(matches!(s.as_str(), "1" | "true" | "co" | "có")),
        _ => None,
    };
    let pickup_counter = at(item, &f.pickup_counter).and_then(|v| match v {
        Value::Number(n) => n.as_u64().and_then(|n| u32::try_from(n).ok()),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    });
    let apology_due = time(item, &f.apology_new_due, tz, "apology date")?;
    let apology_reason = text(item, &f.apology_reason);
    Ok(DossierUpdate {
        code,
        procedure_code: text(item, &f.procedure_code),
        procedure_name: text(item, &f.procedure_name),
        citizen_name: text(item, &f.citizen_name),
        phone: text(item, &f.phone),
        notify_consent: consent,
        received_at: time(item, &f.received_at, tz, "received date")?,
        due_at: time(item, &f.due_at, tz, "due date")?,
        status,
        raw_status,
        pickup: text(item, &f.pickup),
        pickup_counter,
        apology: (apology_due.is_some() || apology_reason.is_some()).then_some(Apology {
            new_due_at: apology_due,
            reason: apology_reason,
        }),
        // An ID number that cannot be read leaves the dossier without a second factor
        // rather than losing its status change.
        id_number: text(item, &f.id_number).filter(|n| motcua_core::dossier::id_last4(n).is_ok()),
    })
}

/// The items of a page (or of a push: one item, a list, or `{items: [...]}`), each
/// parsed or refused on its own, and the page's cursor.
pub fn parse_page(f: &UpstreamFields, body: &Value, tz: Tz) -> Result<Page, String> {
    let items: Vec<&Value> = match (body, at(body, &f.items)) {
        (_, Some(Value::Array(items))) => items.iter().collect(),
        (Value::Array(items), _) => items.iter().collect(),
        (Value::Object(_), None) if at(body, &f.code).is_some() => vec![body],
        _ => {
            return Err(format!(
                "the answer has no list of changes at {:?}",
                f.items
            ));
        }
    };
    let cursor = text(body, &f.cursor);
    Ok((
        items.into_iter().map(|i| parse_item(f, i, tz)).collect(),
        cursor,
    ))
}

/// Applies parsed updates to the hall; returns how many were applied and skipped.
pub fn apply(hall: &Hall, updates: Vec<Result<DossierUpdate, String>>) -> (u64, u64) {
    let (mut applied, mut skipped) = (0, 0);
    for u in updates {
        match u.map(|u| hall.save_dossier(&u, "upstream", Utc::now())) {
            Ok(Ok(_)) => applied += 1,
            Ok(Err(e)) => {
                tracing::warn!("upstream: a change was not applied: {e}");
                skipped += 1;
            }
            Err(e) => {
                tracing::warn!("upstream: an item was refused: {e}");
                skipped += 1;
            }
        }
    }
    (applied, skipped)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Value {
        serde_json::json!({ "cursor": "abd", "server_time": "2026-11-23T09:15:02+07:00", "items": [{
            "ma_ho_so": "000.00.12.H27-261123-0042", "kenh": 1,
            "ma_tthc": "1.001193", "ten_tthc": "Đăng ký khai sinh",
            "chu_ho_so": {"ho_ten": "Nguyễn Thị Hoa", "so_dien_thoai": "0912345678", "dong_y_nhan_tin": true},
            "ngay_tiep_nhan": "2026-11-23T08:41:00+07:00", "ngay_hen_tra": "20261123163000",
            "trang_thai": 9, "trang_thai_text": "Đã xử lý xong",
            "noi_tra_ket_qua": {"quay": "Quầy 8", "ma_quay": "TKQ", "so_quay": 8},
            "xin_loi": null
        }, {
            "ma_ho_so": "H23.45-231123-0001", "trang_thai": "weird_state"
        }, {
            "ma_ho_so": "<b>junk</b>", "trang_thai": 4
        }, {
            "trang_thai": 4
        }]})
    }

    #[test]
    fn the_proposed_shape_is_read_item_by_item() {
        let tz = chrono_tz::Asia::Ho_Chi_Minh;
        let (items, cursor) = parse_page(&UpstreamFields::default(), &sample(), tz).unwrap();
        assert_eq!(cursor.as_deref(), Some("abd"));
        assert_eq!(items.len(), 4);
        let first = items[0].as_ref().unwrap();
        assert_eq!(first.code, "000.00.12.H27-261123-0042");
        assert_eq!(first.status, Some(DossierStatus::ResultReady));
        assert_eq!(first.citizen_name.as_deref(), Some("Nguyễn Thị Hoa"));
        assert_eq!(first.notify_consent, Some(true));
        assert_eq!(first.pickup.as_deref(), Some("Quầy 8"));
        assert_eq!(first.pickup_counter, Some(8));
        // yyyyMMddHHmmss is the hall's local time.
        assert_eq!(
            first.due_at.unwrap().to_rfc3339(),
            "2026-11-23T09:30:00+00:00"
        );
        assert!(first.apology.is_none());
        // An unknown status is kept raw and counts as in progress.
        let second = items[1].as_ref().unwrap();
        assert_eq!(second.status, Some(DossierStatus::InProgress));
        assert_eq!(second.raw_status.as_deref(), Some("weird_state"));
        // Junk and missing codes are refused, one by one.
        assert!(items[2].is_err());
        assert!(items[3].as_ref().unwrap_err().contains("no dossier code"));
    }

    #[test]
    fn a_province_maps_its_own_names() {
        let fields: UpstreamFields = toml::from_str(
            "items = \"data.records\"\ncode = \"MaHoSo\"\nstatus = \"TrangThaiHoSoId\"\n\
             citizen_name = \"ChuHoSo\"\ndue_at = \"NgayHenTra\"",
        )
        .unwrap();
        let body = serde_json::json!({"data": {"records": [
            {"MaHoSo": "h56.14-220921-0099", "TrangThaiHoSoId": "releasing",
             "ChuHoSo": "Lê Văn Tám", "NgayHenTra": "2022-09-30"}
        ]}});
        let (items, cursor) = parse_page(&fields, &body, chrono_tz::Asia::Ho_Chi_Minh).unwrap();
        assert!(cursor.is_none());
        let u = items[0].as_ref().unwrap();
        assert_eq!(u.code, "H56.14-220921-0099");
        assert_eq!(u.status, Some(DossierStatus::ResultReady));
        assert_eq!(u.citizen_name.as_deref(), Some("Lê Văn Tám"));
        assert!(u.due_at.is_some());
    }

    #[test]
    fn garbage_is_an_error_not_a_panic() {
        let tz = chrono_tz::Asia::Ho_Chi_Minh;
        let f = UpstreamFields::default();
        for body in [
            serde_json::json!("hello"),
            serde_json::json!({"items": 5}),
            serde_json::json!({"unexpected": []}),
            serde_json::json!(null),
        ] {
            assert!(parse_page(&f, &body, tz).is_err(), "{body}");
        }
        let bad_date =
            serde_json::json!({"items": [{"ma_ho_so": "H1-261123-0001", "ngay_hen_tra": "soon"}]});
        let (items, _) = parse_page(&f, &bad_date, tz).unwrap();
        assert!(items[0].as_ref().unwrap_err().contains("not a date"));
    }
}
