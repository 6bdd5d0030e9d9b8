//! What the service answers about the queue — a ticket and where it stands, the
//! lines, the counters, the hall, the waiting-room board — and how each is built from
//! the queue in one read, so the answers agree.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use motcua_core::domain::{CounterId, DeviceStatus, EventId, Localized, Ticket};
use motcua_core::dossier::PublicDossier;
use motcua_core::layout::PriorityGroup;
use motcua_core::queue::{Queue, RecentCall, ServiceLoad};

/// How many calls the board lists.
pub const BOARD_CALLS: usize = 8;
/// How many results waiting for pickup the board lists.
pub const BOARD_RESULTS: usize = 30;

/// A ticket with where it stands now.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
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

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ServiceView {
    pub code: String,
    pub prefix: String,
    pub name: Localized,
    /// Issuing tickets right now.
    pub open: bool,
    /// Ticket windows, local time ("07:30–11:30"); empty means all hours.
    pub sessions: Vec<String>,
    /// The days the sessions hold (`mon` … `sun`); empty means every day.
    #[serde(default)]
    pub days: Vec<String>,
    /// Opening hours as a citizen reads them.
    pub hours: Localized,
    pub daily_limit: Option<u32>,
    #[serde(flatten)]
    pub load: ServiceLoad,
    /// Likely wait in seconds for a ticket taken now; null when no counter for it is open.
    pub estimated_wait_s: Option<u64>,
}

impl ServiceView {
    /// Whether the line gives tickets at `local` (the hall's local time) by its
    /// sessions and days: what a kiosk that cannot ask the service goes by. A session
    /// it cannot read counts as open, so a citizen is not turned away by a typo.
    pub fn open_at(&self, local: chrono::NaiveDateTime) -> bool {
        use chrono::{Datelike, NaiveTime};
        if self.sessions.is_empty() {
            return true;
        }
        let today = local.weekday().to_string().to_lowercase();
        if !self.days.is_empty() && !self.days.contains(&today) {
            return false;
        }
        let time = local.time();
        self.sessions.iter().any(|s| {
            let mut ends = s
                .split(['–', '-'])
                .map(|t| NaiveTime::parse_from_str(t.trim(), "%H:%M"));
            match (ends.next(), ends.next()) {
                (Some(Ok(from)), Some(Ok(to))) => from <= time && time < to,
                _ => true,
            }
        })
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CounterView {
    pub id: CounterId,
    pub name: String,
    pub services: Vec<String>,
    pub open: bool,
    /// The ticket called to or served at this counter now.
    pub current: Option<TicketView>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct HallView {
    pub name: String,
    pub time_zone: String,
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = Date))]
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
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BoardLine {
    pub service: String,
    pub prefix: String,
    pub name: Localized,
    pub waiting: u32,
}

/// Everything a waiting-room display shows.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Board {
    pub hall: String,
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = Date))]
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

/// The answer to a counter action.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CounterResult {
    /// The ticket the action was about (for `call`: the ticket called).
    pub ticket: Option<TicketView>,
    /// For `call`: the ticket the counter finished before calling the next.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub finished: Option<Ticket>,
    pub counter: CounterView,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Health {
    pub status: String,
    pub last_event_id: EventId,
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = Date))]
    pub day: NaiveDate,
}

/// A device of the hall as staff see it: what it last reported, and whether it is
/// still heard from.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DeviceView {
    /// From its token ("Kiosk sảnh chính").
    pub name: String,
    /// `kiosk`, `display`, `rating`, `pad`; for a token never heard from, its role.
    pub role: Option<String>,
    pub version: Option<String>,
    /// The printer's condition, for a device with one.
    pub printer: Option<String>,
    pub uptime_seconds: Option<u64>,
    pub last_error: Option<String>,
    /// A kiosk's tickets given out while the service was away, not yet in the queue.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub journal_waiting: Option<u32>,
    /// A kiosk's series: the tickets it gave out on its own are numbered `A-K1-007`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub series: Option<String>,
    /// None: not heard from since the service started.
    pub last_seen: Option<DateTime<Utc>>,
    /// Heard from within the last three report intervals (3 minutes).
    pub online: bool,
    /// Runs another version than the service's.
    pub version_differs: bool,
}

pub fn service_views(q: &Queue, now: DateTime<Utc>) -> Vec<ServiceView> {
    let config = q.layout();
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
                days: s
                    .hours
                    .days
                    .iter()
                    .map(|d| d.to_string().to_lowercase())
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
    let config = q.layout().counter(id)?;
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

pub fn counter_views(q: &Queue) -> Vec<CounterView> {
    q.layout()
        .counters
        .iter()
        .filter_map(|c| counter_view(q, c.id))
        .collect()
}

pub fn board(q: &Queue, last_event_id: EventId) -> Board {
    let config = q.layout();
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

/// Who the presented token is.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Me {
    /// `admin`, `kiosk`, `counter` or `display`.
    pub role: String,
    pub name: String,
    /// For a counter token: its counter.
    pub counter: Option<CounterId>,
    /// For a kiosk token: the series its own tickets carry when it cannot reach the
    /// service (`K1` numbers them `A-K1-001`, …).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub series: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_kiosk_on_its_own_knows_when_a_line_gives_tickets() {
        let mut line = ServiceView {
            code: "DD".into(),
            prefix: "D".into(),
            name: Localized::new("Đất đai", "Land"),
            open: false,
            sessions: vec!["07:30–11:30".into(), "13:30–17:00".into()],
            days: vec!["mon".into(), "fri".into()],
            hours: Localized::new("", ""),
            daily_limit: None,
            load: ServiceLoad::default(),
            estimated_wait_s: None,
        };
        // Wednesday 2 December 2026 and Friday the 4th.
        let at = |d: u32, hm: &str| {
            chrono::NaiveDate::from_ymd_opt(2026, 12, d)
                .unwrap()
                .and_time(chrono::NaiveTime::parse_from_str(hm, "%H:%M").unwrap())
        };
        assert!(!line.open_at(at(2, "08:00")), "not on a Wednesday");
        assert!(line.open_at(at(4, "08:00")));
        assert!(!line.open_at(at(4, "12:00")), "the lunch break");
        assert!(line.open_at(at(4, "13:30")));
        assert!(!line.open_at(at(4, "17:00")));
        line.days.clear();
        assert!(line.open_at(at(2, "08:00")), "no days: every day");
        line.sessions = vec!["sáng".into()];
        assert!(
            line.open_at(at(2, "20:00")),
            "an unreadable session turns nobody away"
        );
    }
}
