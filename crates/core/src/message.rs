//! Messages to citizens ("your result is ready"): which change or moment causes one,
//! its words from the hall's templates, and when it may go. The hall service writes
//! them into its outbox in the same transaction as the change that causes them and
//! sends them through the gateway (`motcua-service`'s outbox job); nothing here sends.

use std::collections::BTreeMap;

use chrono::{DateTime, Timelike, Utc};
use serde::{Deserialize, Serialize};

use crate::dossier::{Dossier, DossierStatus};
use crate::layout::HallInfo;

/// What the hall says to citizens, and when (`[notify]` but the gateway).
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Messages {
    /// The message; `{code}`, `{place}`, `{hall}` and `{procedure}` are filled in.
    /// Without diacritics by default: one SMS holds 160 such characters, 70 with them.
    #[serde(default = "default_template")]
    pub template: String,
    /// Take the diacritics off the filled-in words too (default true, for SMS).
    #[serde(default = "yes")]
    pub plain_ascii: bool,
    /// Messages for other statuses a dossier reaches, by status name
    /// (`needs_documents`, `needs_payment`, `returned`, `cancelled`…), same fields;
    /// also `due_soon` (a reminder before the promised time, `{due}`) and
    /// `overdue_apology` (when a late dossier gets a new date, `{new_due}`).
    #[serde(default)]
    pub templates: BTreeMap<String, String>,
    /// `due_soon` goes this many hours before the promised time (default 3).
    #[serde(default = "default_due_soon_hours")]
    pub due_soon_hours: u32,
    /// Messages go only from the first hour until before the second, local time
    /// (default `[7, 21]`; `[0, 24]` = any time): one written at night waits for the
    /// morning, and a reminder whose window falls in the night is not sent.
    #[serde(default = "default_send_hours")]
    pub send_hours: [u32; 2],
}

impl Default for Messages {
    fn default() -> Self {
        toml::from_str("").expect("every field has a default")
    }
}

fn default_template() -> String {
    "Ho so {code} da co ket qua. Moi ong/ba den {place} nhan, mang theo giay hen. {hall}".into()
}

fn yes() -> bool {
    true
}

fn default_due_soon_hours() -> u32 {
    3
}

fn default_send_hours() -> [u32; 2] {
    [7, 21]
}

impl Messages {
    /// Checks the hall's message settings; `at` names the section in what it says.
    pub fn check(&self, at: &str) -> Result<(), String> {
        if self.template.trim().is_empty() {
            return Err(format!("{at}.template is empty"));
        }
        let fields_of = |name: &str, template: &str| match unknown_fields(template).first() {
            Some(f) => Err(format!(
                "{name}: {{{f}}} is not a field; a template may use {}",
                FIELDS.map(|f| format!("{{{f}}}")).join(" ")
            )),
            None => Ok(()),
        };
        fields_of(&format!("{at}.template"), &self.template)?;
        if !(1..=72).contains(&self.due_soon_hours) {
            return Err(format!("{at}.due_soon_hours must be 1 to 72"));
        }
        if !(self.send_hours[0] < self.send_hours[1] && self.send_hours[1] <= 24) {
            return Err(format!(
                "{at}.send_hours must be [from, until] hours with from < until ≤ 24, \
                 e.g. [7, 21]"
            ));
        }
        for (status, template) in &self.templates {
            let event = [DUE_SOON, OVERDUE_APOLOGY].contains(&status.as_str());
            if DossierStatus::parse(status).is_none() && !event {
                return Err(format!(
                    "{at}.templates.{status}: not a dossier status (received, in_progress, \
                     needs_documents, needs_payment, result_ready, returned, cancelled) \
                     nor due_soon or overdue_apology"
                ));
            }
            if template.trim().is_empty() {
                return Err(format!("{at}.templates.{status} is empty"));
            }
            fields_of(&format!("{at}.templates.{status}"), template)?;
        }
        Ok(())
    }
}

/// A message to be sent, as the change that causes it writes it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewMessage {
    /// Unique per message: the same event never makes two messages.
    pub key: String,
    /// Not before this (the hall's sending hours).
    pub send_at: DateTime<Utc>,
    pub dossier: String,
    /// `result_ready`.
    pub kind: String,
    pub phone: String,
    /// The words as one text (SMS, webhook, and what staff read).
    pub body: String,
    /// The template's fields as filled in, with their diacritics (`code`, `place`,
    /// `hall`, `procedure`, `due`, `new_due`): a Zalo template takes them one by one.
    pub fields: BTreeMap<String, String>,
}

/// A message in the outbox, for the worker and for staff.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OutboxMessage {
    pub id: i64,
    pub key: String,
    pub dossier: String,
    pub kind: String,
    /// Shown to staff as `09xx xxx 678`; erased with the dossier's personal data.
    #[serde(default)]
    pub phone: Option<String>,
    #[serde(default)]
    pub body: Option<String>,
    /// The template's fields (erased with the body).
    #[serde(default)]
    pub fields: Option<BTreeMap<String, String>>,
    pub created_at: DateTime<Utc>,
    pub attempts: u32,
    pub next_at: DateTime<Utc>,
    #[serde(default)]
    pub sent_at: Option<DateTime<Utc>>,
    #[serde(default)]
    pub last_error: Option<String>,
    /// How it went once sent: `webhook`, `zalo` or `sms`.
    #[serde(default)]
    pub channel: Option<String>,
}

/// Retries wait `base`, twice that, four times … up to an hour.
pub fn backoff(base_secs: u64, attempts: u32) -> chrono::Duration {
    let base = i64::try_from(base_secs).unwrap_or(3600);
    let secs = base.saturating_mul(1i64 << attempts.saturating_sub(1).min(12));
    chrono::Duration::seconds(secs.min(3600))
}

/// "0912345678" → "0912 xxx 678": enough for staff to recognise, not to dial.
pub fn mask_phone(phone: &str) -> String {
    if phone.len() < 7 {
        return "xxx".into();
    }
    format!("{} xxx {}", &phone[..4], &phone[phone.len() - 3..])
}

/// Vietnamese without diacritics, for SMS: "Quầy 8" → "Quay 8", "đ" → "d".
pub fn plain_ascii(s: &str) -> String {
    use unicode_normalization::UnicodeNormalization;
    s.nfd()
        .filter(|c| !unicode_normalization::char::is_combining_mark(*c))
        .map(|c| match c {
            'đ' => 'd',
            'Đ' => 'D',
            c => c,
        })
        .collect()
}

/// The reminder sent some hours before the promised time while there is no result.
pub const DUE_SOON: &str = "due_soon";
/// The apology for a late result, with the new date the hall promises.
pub const OVERDUE_APOLOGY: &str = "overdue_apology";

/// The template for `kind`: `[notify.templates]`, or `template` for a ready result.
fn template_for<'a>(config: &'a Messages, kind: &str) -> Option<&'a str> {
    match config.templates.get(kind) {
        Some(t) => Some(t),
        None if kind == DossierStatus::ResultReady.as_str() => Some(&config.template),
        None => None,
    }
}

/// When a message written at `now` may go: now within the hall's sending hours,
/// else the next time they begin (07:00 by default), so nobody is texted at night.
pub fn send_time(config: &Messages, hall: &HallInfo, now: DateTime<Utc>) -> DateTime<Utc> {
    use chrono::TimeZone;
    let local = now.with_timezone(&hall.time_zone);
    let [from, until] = config.send_hours;
    if (from..until).contains(&local.hour()) {
        return now;
    }
    let day = if local.hour() < from {
        local.date_naive()
    } else {
        local.date_naive() + chrono::Days::new(1)
    };
    day.and_hms_opt(from, 0, 0)
        .and_then(|t| hall.time_zone.from_local_datetime(&t).earliest())
        .map_or(now, |t| t.with_timezone(&Utc))
}

/// "17:00 25/11/2026" in the hall's time zone.
fn local_time(hall: &HallInfo, at: DateTime<Utc>) -> String {
    at.with_timezone(&hall.time_zone)
        .format("%H:%M %d/%m/%Y")
        .to_string()
}

/// The message of `kind` for `d` with its fields filled in, if the hall has a
/// template for it and the citizen agreed and gave a phone.
fn message(
    config: &Messages,
    hall: &HallInfo,
    d: &Dossier,
    kind: &str,
    key: String,
    now: DateTime<Utc>,
) -> Option<NewMessage> {
    if !d.notify_consent {
        return None;
    }
    let template = template_for(config, kind)?;
    let phone = d.phone.clone()?;
    let when = |at: Option<DateTime<Utc>>| at.map(|t| local_time(hall, t)).unwrap_or_default();
    let fields: BTreeMap<String, String> = [
        ("code", d.code.clone()),
        (
            "place",
            d.pickup.as_deref().unwrap_or("quầy trả kết quả").to_owned(),
        ),
        ("hall", hall.name.clone()),
        ("procedure", d.procedure_name.clone()),
        ("due", when(d.due())),
        (
            "new_due",
            when(d.apology.as_ref().and_then(|a| a.new_due_at)),
        ),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect();
    let body = fill(template, &fields, config.plain_ascii);
    Some(NewMessage {
        key,
        send_at: send_time(config, hall, now),
        dossier: d.code.clone(),
        kind: kind.into(),
        phone,
        body,
        fields,
    })
}

/// The names a template may use, each in braces: `{code}`.
pub const FIELDS: [&str; 6] = ["code", "place", "hall", "procedure", "due", "new_due"];

/// `template` with each `{field}` filled in; without diacritics when `ascii` (the
/// dossier code and times have none anyway).
pub fn fill(template: &str, fields: &BTreeMap<String, String>, ascii: bool) -> String {
    let mut out = template.to_owned();
    for (name, value) in fields {
        let value = if ascii {
            plain_ascii(value)
        } else {
            value.clone()
        };
        out = out.replace(&format!("{{{name}}}"), &value);
    }
    out
}

/// The `{names}` in `template` that are not fields, for the config check.
pub fn unknown_fields(template: &str) -> Vec<String> {
    let mut unknown = Vec::new();
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        rest = &rest[open + 1..];
        let Some(close) = rest.find('}') else { break };
        let name = &rest[..close];
        if !FIELDS.contains(&name) {
            unknown.push(name.to_owned());
        }
        rest = &rest[close + 1..];
    }
    unknown
}

/// The messages a saved change causes: the status just reached (result ready by
/// default; other statuses when `[notify.templates]` names them), and — when the hall
/// records a new date for a late result and has an `overdue_apology` template — the
/// apology with that date, once per date.
pub fn change_messages(
    config: &Messages,
    hall: &HallInfo,
    before: Option<&Dossier>,
    d: &Dossier,
    at: DateTime<Utc>,
) -> Vec<NewMessage> {
    let mut out = Vec::new();
    if before.is_none_or(|b| b.status != d.status) {
        let kind = d.status.as_str();
        let key = format!("{}/{kind}/{}", d.code, at.format("%Y%m%dT%H%M%S%.3fZ"));
        out.extend(message(config, hall, d, kind, key, at));
    }
    let new_date = |x: &Dossier| x.apology.as_ref().and_then(|a| a.new_due_at);
    if let Some(date) = new_date(d)
        && before.and_then(new_date) != Some(date)
        && !d.status.is_closed()
        && d.status != DossierStatus::ResultReady
    {
        let key = format!(
            "{}/{OVERDUE_APOLOGY}/{}",
            d.code,
            date.format("%Y%m%dT%H%M%SZ")
        );
        out.extend(message(config, hall, d, OVERDUE_APOLOGY, key, at));
    }
    out
}

/// Reminders due at `now`: with a `due_soon` template, a dossier still without a
/// result gets one message from `due_soon_hours` before its promised time until that
/// time, once per promised time, and only in the hall's reminder hours (no SMS at
/// dawn; a reminder whose window starts at night goes when the hours begin).
pub fn reminders(
    config: &Messages,
    hall: &HallInfo,
    dossiers: &[Dossier],
    now: DateTime<Utc>,
) -> Vec<NewMessage> {
    if template_for(config, DUE_SOON).is_none() {
        return Vec::new();
    }
    let hour = now.with_timezone(&hall.time_zone).hour();
    if !(config.send_hours[0]..config.send_hours[1]).contains(&hour) {
        return Vec::new();
    }
    let lead = chrono::Duration::hours(i64::from(config.due_soon_hours));
    dossiers
        .iter()
        .filter(|d| {
            !d.status.is_closed()
                && d.status != DossierStatus::ResultReady
                && d.due().is_some_and(|due| due - lead <= now && now < due)
        })
        .filter_map(|d| {
            let due = d.due()?;
            let key = format!("{}/{DUE_SOON}/{}", d.code, due.format("%Y%m%dT%H%M%SZ"));
            message(config, hall, d, DUE_SOON, key, now)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::dossier::{Apology, DossierUpdate};
    use chrono::TimeZone;

    fn hall() -> HallInfo {
        HallInfo {
            name: "TT PVHCC phường Hòa Bình".into(),
            time_zone: chrono_tz::Asia::Ho_Chi_Minh,
            max_recalls: 2,
            notice: String::new(),
        }
    }

    fn dossier(status: DossierStatus, consent: bool, at: DateTime<Utc>) -> Dossier {
        let u = DossierUpdate {
            code: "H27-261123-0042".into(),
            phone: Some("0912345678".into()),
            notify_consent: Some(consent),
            status: Some(status),
            pickup: Some("Quầy 8".into()),
            ..DossierUpdate::default()
        };
        Dossier::merged(None, &u, "test", at).unwrap()
    }

    /// 25/11/2026 at `h:m`, Vietnam time.
    fn vn(h: u32, m: u32) -> DateTime<Utc> {
        chrono_tz::Asia::Ho_Chi_Minh
            .with_ymd_and_hms(2026, 11, 25, h, m, 0)
            .unwrap()
            .with_timezone(&Utc)
    }

    #[test]
    fn each_status_speaks_only_with_a_template_and_consent() {
        let mut config: Messages = toml::from_str(
            "[templates]\nneeds_documents = \"Ho so {code} can bo sung giay to tai {hall}\"",
        )
        .unwrap();
        let at = Utc::now();
        let reached = |config: &Messages, status, consent| {
            let mut m = change_messages(config, &hall(), None, &dossier(status, consent, at), at);
            assert!(m.len() <= 1, "{m:?}");
            m.pop()
        };
        let ready = reached(&config, DossierStatus::ResultReady, true).unwrap();
        assert_eq!(ready.kind, "result_ready");
        assert!(ready.body.contains("Quay 8") && ready.body.contains("phuong Hoa Binh"));
        let docs = reached(&config, DossierStatus::NeedsDocuments, true).unwrap();
        assert_eq!(
            docs.body,
            "Ho so H27-261123-0042 can bo sung giay to tai TT PVHCC phuong Hoa Binh"
        );
        assert_ne!(docs.key, ready.key);
        assert!(reached(&config, DossierStatus::InProgress, true).is_none());
        assert!(reached(&config, DossierStatus::ResultReady, false).is_none());
        // The same status saved again (a new pickup place, say) says nothing.
        let d = dossier(DossierStatus::ResultReady, true, at);
        assert!(change_messages(&config, &hall(), Some(&d), &d, at).is_empty());
        config.plain_ascii = false;
        let ready = reached(&config, DossierStatus::ResultReady, true).unwrap();
        assert!(ready.body.contains("Quầy 8"));
    }

    #[test]
    fn a_reminder_goes_once_in_the_hours_before_the_promised_time_and_not_at_night() {
        let mut config: Messages =
            toml::from_str("[templates]\ndue_soon = \"Ho so {code} hen tra {due}\"").unwrap();
        let mut d = dossier(DossierStatus::InProgress, true, vn(8, 0));
        d.due_at = Some(vn(16, 30));
        let at = |config: &Messages, d: &Dossier, now| {
            reminders(config, &hall(), std::slice::from_ref(d), now)
        };
        assert!(
            at(&config, &d, vn(13, 29)).is_empty(),
            "more than 3 h before"
        );
        let first = at(&config, &d, vn(13, 30));
        assert_eq!(first.len(), 1);
        assert_eq!(first[0].kind, DUE_SOON);
        assert_eq!(
            first[0].body,
            "Ho so H27-261123-0042 hen tra 16:30 25/11/2026"
        );
        assert_eq!(
            at(&config, &d, vn(16, 0))[0].key,
            first[0].key,
            "the same key: the outbox keeps one"
        );
        assert!(
            at(&config, &d, vn(16, 30)).is_empty(),
            "the time has passed: too late to remind"
        );
        // Not for a result that is ready, nor without consent.
        d.status = DossierStatus::ResultReady;
        assert!(at(&config, &d, vn(14, 0)).is_empty());
        d.status = DossierStatus::NeedsDocuments;
        d.notify_consent = false;
        assert!(at(&config, &d, vn(14, 0)).is_empty());
        d.notify_consent = true;
        // Due at 08:00: the window opens at 05:00, the message waits for 07:00.
        d.due_at = Some(vn(8, 0));
        assert!(at(&config, &d, vn(5, 0)).is_empty() && at(&config, &d, vn(6, 59)).is_empty());
        assert_eq!(at(&config, &d, vn(7, 0)).len(), 1);
        config.send_hours = [0, 24];
        assert_eq!(at(&config, &d, vn(5, 0)).len(), 1);
        // Without a due_soon template there are no reminders.
        config.templates.clear();
        assert!(at(&config, &d, vn(7, 30)).is_empty());
    }

    #[test]
    fn messages_written_at_night_wait_for_the_morning() {
        let mut config: Messages = toml::from_str("").unwrap();
        let hall = hall();
        assert_eq!(send_time(&config, &hall, vn(10, 0)), vn(10, 0));
        assert_eq!(send_time(&config, &hall, vn(20, 59)), vn(20, 59));
        assert_eq!(send_time(&config, &hall, vn(5, 30)), vn(7, 0));
        assert_eq!(
            send_time(&config, &hall, vn(22, 15)),
            vn(7, 0) + chrono::Duration::days(1),
            "after 21:00: tomorrow at 7"
        );
        // A result ready at 22:15 is written now and goes at 07:00.
        let ready = change_messages(
            &config,
            &hall,
            None,
            &dossier(DossierStatus::ResultReady, true, vn(22, 15)),
            vn(22, 15),
        );
        assert_eq!(ready[0].send_at, vn(7, 0) + chrono::Duration::days(1));
        config.send_hours = [0, 24];
        assert_eq!(send_time(&config, &hall, vn(23, 59)), vn(23, 59));
    }

    #[test]
    fn a_new_date_for_a_late_result_brings_one_apology_per_date() {
        let config: Messages = toml::from_str(
            "[templates]\noverdue_apology = \"Xin loi: ho so {code} tre hen, hen moi {new_due}\"",
        )
        .unwrap();
        let late = {
            let mut d = dossier(DossierStatus::InProgress, true, vn(8, 0));
            d.due_at = Some(vn(9, 0));
            d
        };
        let mut apologised = late.clone();
        apologised.apology = Some(Apology {
            new_due_at: Some(vn(9, 0) + chrono::Duration::days(3)),
            reason: Some("Chờ xác minh".into()),
        });
        let m = change_messages(&config, &hall(), Some(&late), &apologised, vn(10, 0));
        assert_eq!(m.len(), 1);
        assert_eq!(m[0].kind, OVERDUE_APOLOGY);
        assert_eq!(
            m[0].body,
            "Xin loi: ho so H27-261123-0042 tre hen, hen moi 09:00 28/11/2026"
        );
        // Saved again with the same date: nothing new. A later date: a new apology.
        assert!(
            change_messages(&config, &hall(), Some(&apologised), &apologised, vn(11, 0)).is_empty()
        );
        let mut later = apologised.clone();
        later.apology.as_mut().unwrap().new_due_at = Some(vn(9, 0) + chrono::Duration::days(5));
        let again = change_messages(&config, &hall(), Some(&apologised), &later, vn(12, 0));
        assert_eq!(again.len(), 1);
        assert_ne!(again[0].key, m[0].key);
        // A result that is ready needs no apology.
        let mut ready = later.clone();
        ready.status = DossierStatus::ResultReady;
        ready.apology.as_mut().unwrap().new_due_at = Some(vn(9, 0) + chrono::Duration::days(6));
        assert!(
            change_messages(&config, &hall(), Some(&later), &ready, vn(13, 0))
                .iter()
                .all(|m| m.kind != OVERDUE_APOLOGY)
        );
    }

    #[test]
    fn a_template_names_only_known_fields_and_zalo_gets_them_with_diacritics() {
        assert_eq!(
            unknown_fields("Ho so {code} tai {place}"),
            Vec::<String>::new()
        );
        assert_eq!(unknown_fields("{ma_ho_so} {code} {"), vec!["ma_ho_so"]);
        let bad: Result<Messages, _> = toml::from_str("template = \"Ho so {ma_ho_so}\"");
        let err = bad.unwrap().check("notify").unwrap_err();
        assert!(
            err.contains("{ma_ho_so} is not a field") && err.contains("{place}"),
            "{err}"
        );
        let config = Messages::default();
        let at = Utc::now();
        let d = dossier(DossierStatus::ResultReady, true, at);
        let m = change_messages(&config, &hall(), None, &d, at)
            .pop()
            .unwrap();
        assert_eq!(m.fields["place"], "Quầy 8");
        assert_eq!(m.fields["hall"], "TT PVHCC phường Hòa Bình");
        assert!(m.body.contains("Quay 8"), "the SMS text stays plain");
    }

    #[test]
    fn sms_text_is_plain_and_short() {
        assert_eq!(
            plain_ascii("Quầy 8 – Trả kết quả, Đức"),
            "Quay 8 – Tra ket qua, Duc"
        );
        assert_eq!(mask_phone("0912345678"), "0912 xxx 678");
        assert_eq!(backoff(10, 1), chrono::Duration::seconds(10));
        assert_eq!(backoff(10, 3), chrono::Duration::seconds(40));
        assert_eq!(backoff(10, 30), chrono::Duration::seconds(3600));
    }
}
