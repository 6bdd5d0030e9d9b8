//! Dossiers (hồ sơ): what a citizen handed in, where it stands, and when its result
//! can be collected. The province's one-stop system is the source of truth; staff
//! can register and update dossiers too. Personal data (the citizen's full name and
//! phone) stays inside the hall service: every public surface gets `PublicDossier`,
//! with the name masked ("Nguyễn Thị H.") and no phone at all.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::domain::{CounterId, Localized};

/// The longest dossier code accepted (national codes are about 30 characters).
pub const MAX_CODE_LEN: usize = 40;

/// Where a dossier stands, as motcua groups the national status codes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum DossierStatus {
    Received,
    InProgress,
    NeedsDocuments,
    NeedsPayment,
    ResultReady,
    Returned,
    Cancelled,
}

impl DossierStatus {
    pub const ALL: [DossierStatus; 7] = [
        DossierStatus::Received,
        DossierStatus::InProgress,
        DossierStatus::NeedsDocuments,
        DossierStatus::NeedsPayment,
        DossierStatus::ResultReady,
        DossierStatus::Returned,
        DossierStatus::Cancelled,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            DossierStatus::Received => "received",
            DossierStatus::InProgress => "in_progress",
            DossierStatus::NeedsDocuments => "needs_documents",
            DossierStatus::NeedsPayment => "needs_payment",
            DossierStatus::ResultReady => "result_ready",
            DossierStatus::Returned => "returned",
            DossierStatus::Cancelled => "cancelled",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        DossierStatus::ALL.into_iter().find(|d| d.as_str() == s)
    }

    /// The hall owes the citizen nothing more: returned or cancelled.
    pub fn is_closed(self) -> bool {
        matches!(self, DossierStatus::Returned | DossierStatus::Cancelled)
    }

    /// A status from the national scheme: codes 0–10 or the DVCQG strings. `None`
    /// for a status this hall does not know (kept raw, shown as in progress).
    pub fn from_national(raw: &str) -> Option<Self> {
        Some(match raw.trim().to_ascii_lowercase().as_str() {
            "2" | "new" => DossierStatus::Received,
            "0" | "4" | "processing" | "interoperating" | "posting" => DossierStatus::InProgress,
            "5" | "waiting" => DossierStatus::NeedsDocuments,
            "6" | "paying" => DossierStatus::NeedsPayment,
            "9" | "releasing" => DossierStatus::ResultReady,
            "10" | "done" => DossierStatus::Returned,
            "3" | "7" | "8" | "denied" | "cancelled" | "unresolved" => DossierStatus::Cancelled,
            // Also accept motcua's own names, for staff tools and pushes.
            other => return DossierStatus::parse(other),
        })
    }
}

/// The province's apology letter for a late result: the new date and why.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Apology {
    pub new_due_at: Option<DateTime<Utc>>,
    #[serde(default)]
    pub reason: Option<String>,
}

/// A dossier with everything the hall keeps: for staff and the notification gateway
/// only. The personal fields may have been erased by the retention rule.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Dossier {
    pub code: String,
    #[serde(default)]
    pub procedure_code: Option<String>,
    pub procedure_name: String,
    /// The citizen's full name (personal data).
    #[serde(default)]
    pub citizen_name: Option<String>,
    /// A phone number for notifications, kept only with consent (personal data).
    #[serde(default)]
    pub phone: Option<String>,
    /// The citizen agreed to be told by SMS/Zalo when the result is ready.
    #[serde(default)]
    pub notify_consent: bool,
    /// When that consent was recorded (the proof a controller must keep); gone with
    /// the consent when the citizen withdraws it.
    #[serde(default)]
    pub consent_at: Option<DateTime<Utc>>,
    #[serde(default)]
    pub received_at: Option<DateTime<Utc>>,
    #[serde(default)]
    pub due_at: Option<DateTime<Utc>>,
    pub status: DossierStatus,
    /// The status as the province sent it, when it was not one motcua knows.
    #[serde(default)]
    pub raw_status: Option<String>,
    /// Where to collect the result, in words ("Quầy 8").
    #[serde(default)]
    pub pickup: Option<String>,
    /// The counter that returns the result, when known: a result-return ticket goes there.
    #[serde(default)]
    pub pickup_counter: Option<CounterId>,
    #[serde(default)]
    pub apology: Option<Apology>,
    #[serde(default)]
    pub result_ready_at: Option<DateTime<Utc>>,
    #[serde(default)]
    pub closed_at: Option<DateTime<Utc>>,
    pub updated_at: DateTime<Utc>,
    /// `staff` or `upstream`: who last changed it.
    pub source: String,
    /// When the retention rule erased the name and phone.
    #[serde(default)]
    pub personal_data_erased_at: Option<DateTime<Utc>>,
    /// The public lookup's second factor: a hash, keyed with the hall's secret, of the
    /// last four digits of the citizen's ID card (CCCD). The digits are never kept.
    #[serde(default)]
    pub id_check: Option<String>,
}

impl Dossier {
    /// The date promised now: the apology letter's new date, else the original one.
    pub fn due(&self) -> Option<DateTime<Utc>> {
        self.apology
            .as_ref()
            .and_then(|a| a.new_due_at)
            .or(self.due_at)
    }

    /// Overdue: the due date (or the apology's new one) has passed without a result.
    pub fn is_overdue(&self, now: DateTime<Utc>) -> bool {
        self.due().is_some_and(|d| d < now)
            && !matches!(
                self.status,
                DossierStatus::ResultReady | DossierStatus::Returned | DossierStatus::Cancelled
            )
    }

    pub fn public(&self, now: DateTime<Utc>) -> PublicDossier {
        PublicDossier {
            code: self.code.clone(),
            masked_name: self.citizen_name.as_deref().map(mask_name),
            procedure_name: self.procedure_name.clone(),
            status: self.status,
            status_text: status_text(self),
            received_at: self.received_at,
            due_at: self.due(),
            overdue: self.is_overdue(now),
            pickup: self.pickup.clone(),
            pickup_counter: self.pickup_counter,
            result_ready_at: self.result_ready_at,
            updated_at: self.updated_at,
        }
    }
}

impl PublicDossier {
    /// What the board and the event stream carry: only what the waiting-room display
    /// needs. A result waiting for pickup keeps its masked name and where to go; any
    /// other dossier is only its code and status (so the display can drop it), and no
    /// procedure or dates for anyone: those need the code and the ID digits.
    pub fn on_board(self) -> PublicDossier {
        let ready = self.status == DossierStatus::ResultReady;
        PublicDossier {
            masked_name: self.masked_name.filter(|_| ready),
            procedure_name: String::new(),
            received_at: None,
            due_at: None,
            overdue: false,
            pickup: self.pickup.filter(|_| ready),
            pickup_counter: self.pickup_counter.filter(|_| ready),
            ..self
        }
    }
}

/// The last four digits of an ID number: a 12-digit CCCD, a 9-digit CMND, or the four
/// digits alone (spaces and dots allowed).
pub fn id_last4(raw: &str) -> Result<String, String> {
    let digits: String = raw.chars().filter(|c| !matches!(c, ' ' | '.')).collect();
    if !digits.chars().all(|c| c.is_ascii_digit()) || ![4, 9, 12].contains(&digits.len()) {
        return Err("id_number: a 12-digit CCCD, a 9-digit CMND or its last 4 digits".into());
    }
    Ok(digits[digits.len() - 4..].to_owned())
}

/// A change to a dossier from staff, the upstream pull or a push: fields left out
/// stay as they are.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct DossierUpdate {
    #[serde(default)]
    pub code: String,
    #[serde(default)]
    pub procedure_code: Option<String>,
    #[serde(default)]
    pub procedure_name: Option<String>,
    #[serde(default)]
    pub citizen_name: Option<String>,
    /// Kept only with `notify_consent`.
    #[serde(default)]
    pub phone: Option<String>,
    #[serde(default)]
    pub notify_consent: Option<bool>,
    #[serde(default)]
    pub received_at: Option<DateTime<Utc>>,
    #[serde(default)]
    pub due_at: Option<DateTime<Utc>>,
    #[serde(default)]
    pub status: Option<DossierStatus>,
    /// The province's own status when it is not one motcua knows.
    #[serde(default)]
    pub raw_status: Option<String>,
    #[serde(default)]
    pub pickup: Option<String>,
    #[serde(default)]
    pub pickup_counter: Option<CounterId>,
    #[serde(default)]
    pub apology: Option<Apology>,
    /// The citizen's ID number (CCCD, CMND) or its last 4 digits, for the public
    /// lookup's second factor. Write-only: only a keyed hash of the last 4 is kept.
    #[serde(default)]
    pub id_number: Option<String>,
}

/// The longest name, procedure or place text kept.
const MAX_TEXT: usize = 200;

fn clean_text(s: &str, what: &str) -> Result<String, String> {
    let s = s.split_whitespace().collect::<Vec<_>>().join(" ");
    if s.chars().count() > MAX_TEXT || s.chars().any(char::is_control) {
        return Err(format!(
            "{what} must be one line of at most {MAX_TEXT} characters"
        ));
    }
    Ok(s)
}

/// A dossier's dates lie in this century: year 0000 or 9999 is a typing or mapping
/// mistake that would make a dossier overdue for ever, or never.
fn plausible(what: &str, at: Option<DateTime<Utc>>) -> Result<(), String> {
    use chrono::Datelike;
    match at {
        Some(t) if !(2000..=2100).contains(&t.year()) => Err(format!(
            "{what} {} is not a plausible date (years 2000 to 2100)",
            t.format("%Y-%m-%d")
        )),
        _ => Ok(()),
    }
}

impl Dossier {
    /// The dossier after `u`, from `existing` (none: a new dossier). Checks the code,
    /// the phone and the texts; drops the phone when there is no consent.
    pub fn merged(
        existing: Option<&Dossier>,
        u: &DossierUpdate,
        source: &str,
        now: DateTime<Utc>,
    ) -> Result<Dossier, String> {
        let code = normalize_code(&u.code)?;
        let mut d = match existing {
            Some(d) => d.clone(),
            None => Dossier {
                code: code.clone(),
                procedure_code: None,
                procedure_name: String::new(),
                citizen_name: None,
                phone: None,
                notify_consent: false,
                consent_at: None,
                received_at: Some(now),
                due_at: None,
                status: DossierStatus::Received,
                raw_status: None,
                pickup: None,
                pickup_counter: None,
                apology: None,
                result_ready_at: None,
                closed_at: None,
                updated_at: now,
                source: source.to_owned(),
                personal_data_erased_at: None,
                id_check: None,
            },
        };
        if let Some(v) = &u.procedure_code {
            d.procedure_code = Some(clean_text(v, "procedure_code")?).filter(|s| !s.is_empty());
        }
        if let Some(v) = &u.procedure_name {
            d.procedure_name = clean_text(v, "procedure_name")?;
        }
        if let Some(v) = &u.citizen_name {
            d.citizen_name = Some(clean_text(v, "citizen_name")?).filter(|s| !s.is_empty());
        }
        if let Some(c) = u.notify_consent {
            d.consent_at = match (c, d.notify_consent) {
                (true, true) => d.consent_at,
                (true, false) => Some(now),
                (false, _) => None,
            };
            d.notify_consent = c;
        }
        if let Some(p) = &u.phone {
            d.phone = if p.trim().is_empty() {
                None
            } else {
                Some(normalize_phone(p)?)
            };
        }
        if !d.notify_consent {
            // A phone is kept for one purpose only, and only when the citizen agreed.
            d.phone = None;
        }
        for (what, at) in [
            ("received_at", u.received_at),
            ("due_at", u.due_at),
            (
                "apology.new_due_at",
                u.apology.as_ref().and_then(|a| a.new_due_at),
            ),
        ] {
            plausible(what, at)?;
        }
        if u.received_at.is_some() {
            d.received_at = u.received_at;
        }
        if u.due_at.is_some() {
            d.due_at = u.due_at;
        }
        if let Some(v) = &u.pickup {
            d.pickup = Some(clean_text(v, "pickup")?).filter(|s| !s.is_empty());
        }
        if u.pickup_counter.is_some() {
            d.pickup_counter = u.pickup_counter;
        }
        if let Some(a) = &u.apology {
            let reason = match &a.reason {
                Some(r) => Some(clean_text(r, "apology.reason")?),
                None => None,
            };
            d.apology = Some(Apology {
                new_due_at: a.new_due_at,
                reason,
            });
        }
        if let Some(raw) = &u.raw_status {
            d.raw_status = Some(clean_text(raw, "raw_status")?);
        }
        if let Some(status) = u.status {
            if status == DossierStatus::ResultReady && d.status != DossierStatus::ResultReady {
                d.result_ready_at = Some(now);
            }
            d.closed_at = if status.is_closed() {
                d.closed_at.or(Some(now))
            } else {
                None
            };
            d.status = status;
            if u.raw_status.is_none() {
                d.raw_status = None;
            }
        }
        if d.procedure_name.is_empty() {
            d.procedure_name = "Hồ sơ hành chính".into();
        }
        d.source = source.to_owned();
        d.updated_at = now;
        Ok(d)
    }

    /// The same dossier, ignoring when and by whom it was last written.
    pub fn same_as(&self, other: &Dossier) -> bool {
        let strip = |d: &Dossier| Dossier {
            updated_at: DateTime::<Utc>::MIN_UTC,
            source: String::new(),
            ..d.clone()
        };
        strip(self) == strip(other)
    }
}

/// What anyone may see of a dossier: on the display, at the kiosk, in the event
/// stream. No phone, no full name.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PublicDossier {
    pub code: String,
    /// "Nguyễn Thị H."
    #[serde(default)]
    pub masked_name: Option<String>,
    pub procedure_name: String,
    pub status: DossierStatus,
    /// The status in plain words for a citizen.
    pub status_text: Localized,
    #[serde(default)]
    pub received_at: Option<DateTime<Utc>>,
    /// The date promised (moved by an apology letter when there is one).
    #[serde(default)]
    pub due_at: Option<DateTime<Utc>>,
    pub overdue: bool,
    #[serde(default)]
    pub pickup: Option<String>,
    #[serde(default)]
    pub pickup_counter: Option<CounterId>,
    #[serde(default)]
    pub result_ready_at: Option<DateTime<Utc>>,
    pub updated_at: DateTime<Utc>,
}

/// "Nguyễn Thị Hoa" → "Nguyễn Thị H.": family and middle names stay, the given name
/// (last, in Vietnamese order) becomes its initial. One word → its initial.
pub fn mask_name(full: &str) -> String {
    let words: Vec<&str> = full.split_whitespace().collect();
    let Some((given, rest)) = words.split_last() else {
        return String::new();
    };
    let initial: String = given.chars().take(1).flat_map(char::to_uppercase).collect();
    if rest.is_empty() {
        format!("{initial}.")
    } else {
        format!("{} {initial}.", rest.join(" "))
    }
}

/// A dossier code as the province writes it (`000.00.12.H27-261123-0042`,
/// `H23.45-231123-0001`): letters, digits, dots, dashes, slashes and underscores, with
/// at least one digit, at most 40 characters. Upper-cased; anything else is junk.
pub fn normalize_code(raw: &str) -> Result<String, String> {
    let code = raw.trim().to_ascii_uppercase();
    if code.is_empty() || code.chars().count() > MAX_CODE_LEN {
        return Err(format!("a dossier code has 1 to {MAX_CODE_LEN} characters"));
    }
    if !code
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '/' | '_'))
    {
        return Err(format!(
            "{raw:?} is not a dossier code: only letters, digits, '.', '-', '/' and '_'"
        ));
    }
    if !code.chars().any(|c| c.is_ascii_digit()) {
        return Err(format!("{raw:?} is not a dossier code: it has no digits"));
    }
    Ok(code)
}

/// A Vietnamese phone number for SMS: `0912345678` or `+84912345678` (spaces, dots
/// and dashes allowed) → `0912345678`.
pub fn normalize_phone(raw: &str) -> Result<String, String> {
    let digits: String = raw
        .chars()
        .filter(|c| !matches!(c, ' ' | '.' | '-' | '(' | ')'))
        .collect();
    let local = if let Some(rest) = digits.strip_prefix("+84") {
        format!("0{rest}")
    } else if let Some(rest) = digits.strip_prefix("84").filter(|r| r.len() == 9) {
        format!("0{rest}")
    } else {
        digits
    };
    if local.len() == 10 && local.starts_with('0') && local.chars().all(|c| c.is_ascii_digit()) {
        Ok(local)
    } else {
        Err("a phone number has 10 digits starting with 0 (or +84)".into())
    }
}

/// The status in words a citizen of seventy understands.
pub fn status_text(d: &Dossier) -> Localized {
    let place = d.pickup.as_deref().unwrap_or("quầy trả kết quả");
    let place_en = d.pickup.as_deref().unwrap_or("the result-return counter");
    let due = d.due().map(|t| {
        t.with_timezone(&chrono_tz::Asia::Ho_Chi_Minh)
            .format("%d/%m/%Y")
            .to_string()
    });
    let (vi, en) = match d.status {
        DossierStatus::ResultReady => (
            format!(
                "Hồ sơ đã có kết quả. Mời ông/bà đến {place} nhận kết quả, mang theo giấy hẹn."
            ),
            format!("The result is ready. Please collect it at {place_en}; bring your receipt."),
        ),
        DossierStatus::Returned => (
            "Hồ sơ đã trả kết quả.".to_owned(),
            "The result has been collected.".to_owned(),
        ),
        DossierStatus::Cancelled => (
            "Hồ sơ đã dừng xử lý. Xin hỏi cán bộ tại quầy để biết lý do.".to_owned(),
            "The dossier is no longer being handled. Please ask at a counter why.".to_owned(),
        ),
        DossierStatus::NeedsDocuments => (
            "Hồ sơ cần bổ sung giấy tờ. Xin mời ông/bà đến quầy để được hướng dẫn.".to_owned(),
            "More documents are needed. Please come to a counter for guidance.".to_owned(),
        ),
        DossierStatus::NeedsPayment => (
            "Hồ sơ chờ ông/bà nộp phí, lệ phí hoặc nghĩa vụ tài chính.".to_owned(),
            "The dossier is waiting for a fee or tax payment.".to_owned(),
        ),
        DossierStatus::Received | DossierStatus::InProgress => match &due {
            Some(date) if d.is_overdue(Utc::now()) => (
                format!(
                    "Hồ sơ đang được xử lý, đã quá hẹn ngày {date}. Cơ quan sẽ gửi thư xin lỗi và hẹn lại."
                ),
                format!(
                    "The dossier is being handled and is late (due {date}); the office will apologise and set a new date."
                ),
            ),
            Some(date) => (
                format!("Hồ sơ đang được xử lý. Ngày hẹn trả kết quả: {date}."),
                format!("The dossier is being handled. Result due: {date}."),
            ),
            None => (
                "Hồ sơ đang được xử lý.".to_owned(),
                "The dossier is being handled.".to_owned(),
            ),
        },
    };
    Localized { vi, en: Some(en) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_id_number_gives_its_last_four_digits_and_nothing_else_passes() {
        assert_eq!(id_last4("001 090 001 234").unwrap(), "1234");
        assert_eq!(id_last4("001.090.001.234").unwrap(), "1234");
        assert_eq!(
            id_last4("123456789").unwrap(),
            "6789",
            "an old 9-digit CMND"
        );
        assert_eq!(id_last4("0042").unwrap(), "0042");
        for bad in ["12345", "", "abcd", "00109000123x", "1234567890123"] {
            assert!(id_last4(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn names_are_masked_as_halls_show_them() {
        assert_eq!(mask_name("Nguyễn Thị Hoa"), "Nguyễn Thị H.");
        assert_eq!(mask_name("  Trần   Văn  Ánh "), "Trần Văn Á.");
        assert_eq!(mask_name("Lò Văn Đức"), "Lò Văn Đ.");
        assert_eq!(mask_name("hoa"), "H.");
        assert_eq!(mask_name(""), "");
    }

    #[test]
    fn codes_the_provinces_use_are_accepted_and_junk_is_not() {
        for ok in [
            "000.00.12.H27-261123-0042",
            "H23.45-231123-0001",
            "h56.14-220921-0099",
            "000.00.53.H48-220921-0099",
            "G22.39-240101-1234567",
        ] {
            assert!(normalize_code(ok).is_ok(), "{ok}");
        }
        assert_eq!(
            normalize_code(" h23.45-231123-0001 ").unwrap(),
            "H23.45-231123-0001"
        );
        for junk in [
            "",
            "<script>",
            "ABC-DEF",
            "1; DROP TABLE",
            "Hồ sơ 1",
            &"1".repeat(41),
        ] {
            assert!(normalize_code(junk).is_err(), "{junk}");
        }
    }

    #[test]
    fn phone_numbers_are_normalised() {
        assert_eq!(normalize_phone("0912 345 678").unwrap(), "0912345678");
        assert_eq!(normalize_phone("+84 912.345.678").unwrap(), "0912345678");
        assert_eq!(normalize_phone("84912345678").unwrap(), "0912345678");
        assert!(normalize_phone("12345").is_err());
        assert!(normalize_phone("09123456789").is_err());
        assert!(normalize_phone("09a2345678").is_err());
    }

    #[test]
    fn national_statuses_map_to_motcua_s() {
        assert_eq!(
            DossierStatus::from_national("9"),
            Some(DossierStatus::ResultReady)
        );
        assert_eq!(
            DossierStatus::from_national("releasing"),
            Some(DossierStatus::ResultReady)
        );
        assert_eq!(
            DossierStatus::from_national("5"),
            Some(DossierStatus::NeedsDocuments)
        );
        assert_eq!(
            DossierStatus::from_national("DONE"),
            Some(DossierStatus::Returned)
        );
        assert_eq!(
            DossierStatus::from_national("denied"),
            Some(DossierStatus::Cancelled)
        );
        assert_eq!(DossierStatus::from_national("42"), None);
        assert_eq!(DossierStatus::from_national("1"), None);
    }
}
