//! The words of the hall: services (lines), counters, tickets and their lifecycle.
//! Plain data shared by the queue engine, storage and the HTTP API.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

pub type TicketId = u64;
pub type CounterId = u32;
/// Id of a stored event: increases by one or more with every change, never reused.
pub type EventId = u64;

/// Text in the hall's languages. Vietnamese is the source; English is optional.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Localized {
    pub vi: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub en: Option<String>,
}

impl Localized {
    pub fn new(vi: &str, en: &str) -> Self {
        Localized {
            vi: vi.to_owned(),
            en: Some(en.to_owned()),
        }
    }
}

/// Where a ticket is in its life.
///
/// `waiting → called → serving → done`, or `called → no_show`. A transfer puts a
/// called or serving ticket back to `waiting` in another line (or for one counter),
/// keeping its number and its place by original issue time. Tickets still open when
/// the hall's day ends become `expired`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum TicketStatus {
    Waiting,
    Called,
    Serving,
    Done,
    NoShow,
    Expired,
}

impl TicketStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            TicketStatus::Waiting => "waiting",
            TicketStatus::Called => "called",
            TicketStatus::Serving => "serving",
            TicketStatus::Done => "done",
            TicketStatus::NoShow => "no_show",
            TicketStatus::Expired => "expired",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "waiting" => TicketStatus::Waiting,
            "called" => TicketStatus::Called,
            "serving" => TicketStatus::Serving,
            "done" => TicketStatus::Done,
            "no_show" => TicketStatus::NoShow,
            "expired" => TicketStatus::Expired,
            _ => return None,
        })
    }

    /// Still in the hall's hands: waiting, or at a counter.
    pub fn is_open(self) -> bool {
        matches!(
            self,
            TicketStatus::Waiting | TicketStatus::Called | TicketStatus::Serving
        )
    }

    /// At a counter right now.
    pub fn is_at_counter(self) -> bool {
        matches!(self, TicketStatus::Called | TicketStatus::Serving)
    }
}

/// A queue ticket. Holds no personal data: a number, a line and times.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Ticket {
    pub id: TicketId,
    /// What the citizen holds and the display shows: line prefix and daily sequence, e.g. `A023`.
    pub number: String,
    /// The line (service code) the ticket waits in now; changes on transfer.
    pub service: String,
    /// The line the ticket was issued for; its number belongs to that line's sequence.
    pub issued_service: String,
    /// The hall-local day of issue; numbers restart every day.
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = Date, example = "2026-11-24"))]
    pub day: NaiveDate,
    pub seq: u32,
    /// Priority group code (e.g. `elderly`), when the ticket is a priority ticket.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub priority: Option<String>,
    pub status: TicketStatus,
    pub issued_at: DateTime<Utc>,
    /// First call.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub called_at: Option<DateTime<Utc>>,
    /// Latest call or recall.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_called_at: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub started_at: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub finished_at: Option<DateTime<Utc>>,
    /// The counter that called the ticket (while called or serving, and after).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub counter: Option<CounterId>,
    /// Set when a ticket was transferred to one counter: only that counter calls it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target_counter: Option<CounterId>,
    pub recalls: u32,
    pub transfers: u32,
    /// The citizen's rating of the service, once given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rating: Option<Rating>,
    /// For a result-return ticket: the dossier whose result is collected.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dossier: Option<String>,
    /// For a ticket a kiosk issued while it could not reach the service: that kiosk's
    /// series (`K1`). Its number (`A-K1-007`) and `seq` are the kiosk's own for the
    /// day, not the line's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub offline: Option<String>,
}

impl Ticket {
    /// A ticket just given out: waiting in `service`'s line, called by none yet.
    pub fn waiting(
        id: TicketId,
        number: String,
        service: &str,
        day: NaiveDate,
        seq: u32,
        issued_at: DateTime<Utc>,
    ) -> Ticket {
        Ticket {
            id,
            number,
            service: service.to_owned(),
            issued_service: service.to_owned(),
            day,
            seq,
            priority: None,
            status: TicketStatus::Waiting,
            issued_at,
            called_at: None,
            last_called_at: None,
            started_at: None,
            finished_at: None,
            counter: None,
            target_counter: None,
            recalls: 0,
            transfers: 0,
            rating: None,
            dossier: None,
            offline: None,
        }
    }
}

/// How satisfied a citizen was, on the four-button pad's scale. Halls report the
/// shares per level (Decision 766's satisfaction index).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Satisfaction {
    VerySatisfied,
    Satisfied,
    Neutral,
    Unsatisfied,
}

impl Satisfaction {
    pub const ALL: [Satisfaction; 4] = [
        Satisfaction::VerySatisfied,
        Satisfaction::Satisfied,
        Satisfaction::Neutral,
        Satisfaction::Unsatisfied,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Satisfaction::VerySatisfied => "very_satisfied",
            Satisfaction::Satisfied => "satisfied",
            Satisfaction::Neutral => "neutral",
            Satisfaction::Unsatisfied => "unsatisfied",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Satisfaction::ALL.into_iter().find(|l| l.as_str() == s)
    }

    /// What the pad's button and the rating screen say.
    pub fn label(self) -> Localized {
        match self {
            Satisfaction::VerySatisfied => Localized::new("Rất hài lòng", "Very satisfied"),
            Satisfaction::Satisfied => Localized::new("Hài lòng", "Satisfied"),
            Satisfaction::Neutral => Localized::new("Bình thường", "Neutral"),
            Satisfaction::Unsatisfied => Localized::new("Không hài lòng", "Not satisfied"),
        }
    }
}

/// Where a rating came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum RatingSource {
    /// The button pad at the counter.
    Pad,
    /// The small touchscreen facing the citizen.
    Screen,
    /// The ticket's QR page on the citizen's phone.
    Phone,
    /// Entered by staff on the counter page (the citizen answered aloud).
    Counter,
}

/// A citizen's rating of one served ticket. Holds no personal data.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Rating {
    pub level: Satisfaction,
    /// Why, when the citizen said (a short chip such as "Chờ lâu").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    pub source: RatingSource,
    pub at: DateTime<Utc>,
}

/// The part of a counter that changes during the day.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CounterState {
    pub id: CounterId,
    pub open: bool,
    /// The ticket called to or served at this counter now.
    #[serde(default)]
    pub current: Option<TicketId>,
}

/// What a device (a kiosk, a display) last said about its hardware, for staff.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DeviceStatus {
    /// The device's name, from its token ("Kiosk sảnh chính").
    pub name: String,
    /// The printer's condition: `ready`, `paper_low`, `paper_out`, `cover_open`,
    /// `cutter_error`, `offline`, `unreachable` or `unknown`.
    pub printer: String,
    pub at: DateTime<Utc>,
}

/// Formats a ticket number: prefix and at least three digits (`A007`, `A1000`).
pub fn ticket_number(prefix: &str, seq: u32) -> String {
    format!("{prefix}{seq:03}")
}

/// The number of a ticket a kiosk issued on its own: the line's prefix, the kiosk's
/// series and the kiosk's count for the day (`A-K1-007`). No number the service gives
/// has a dash, and no two kiosks share a series, so it is nobody else's.
pub fn offline_number(prefix: &str, series: &str, seq: u32) -> String {
    format!("{prefix}-{series}-{seq:03}")
}

/// Whether `series` can name a kiosk in numbers: 1–3 capital letters and digits,
/// starting with a letter (`K1`, `B`, `KX2`).
pub fn valid_series(series: &str) -> bool {
    (1..=3).contains(&series.len())
        && series.starts_with(|c: char| c.is_ascii_uppercase())
        && series
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_have_three_digits_then_grow() {
        assert_eq!(ticket_number("A", 7), "A007");
        assert_eq!(ticket_number("K", 999), "K999");
        assert_eq!(ticket_number("B", 1000), "B1000");
    }

    #[test]
    fn status_names_round_trip() {
        for s in [
            TicketStatus::Waiting,
            TicketStatus::Called,
            TicketStatus::Serving,
            TicketStatus::Done,
            TicketStatus::NoShow,
            TicketStatus::Expired,
        ] {
            assert_eq!(TicketStatus::parse(s.as_str()), Some(s));
            let json = serde_json::to_string(&s).unwrap();
            assert_eq!(json, format!("\"{}\"", s.as_str()));
        }
    }
}
