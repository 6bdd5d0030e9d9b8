//! Read-only questions to the queue: how many are ahead of a ticket, how long the
//! wait is likely to be, how loaded each line is, which calls were made last.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::{Queue, call_order};
use crate::domain::{CounterId, Ticket, TicketId, TicketStatus};

/// Service times from this many of the day's latest finished tickets feed the estimate.
const RECENT_SERVICE_TIMES: usize = 10;
/// A service time outside this range (seconds) is a mistake at the counter, not data.
const PLAUSIBLE_SERVICE_SECS: std::ops::RangeInclusive<i64> = 20..=4 * 3600;

/// How a line stands now.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ServiceLoad {
    pub waiting: u32,
    pub issued_today: u32,
    /// Counters open now that call from this line.
    pub open_counters: u32,
    /// Average service time the estimates use, in seconds.
    pub service_time_s: u32,
}

/// A call (or recall) the display shows in its list of latest calls.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RecentCall {
    pub ticket: TicketId,
    pub number: String,
    pub service: String,
    pub counter: CounterId,
    pub at: DateTime<Utc>,
    pub status: TicketStatus,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub priority: Option<String>,
}

impl Queue {
    /// People who will be called before this ticket in its line; `None` unless waiting.
    pub fn waiting_ahead(&self, ticket: &Ticket) -> Option<u32> {
        if ticket.status != TicketStatus::Waiting {
            return None;
        }
        let key = call_order(ticket);
        let ahead = self
            .tickets
            .values()
            .filter(|u| u.status == TicketStatus::Waiting && u.id != ticket.id)
            .filter(|u| u.target_counter == ticket.target_counter)
            .filter(|u| ticket.target_counter.is_some() || u.service == ticket.service)
            .filter(|u| call_order(u) < key)
            .count();
        Some(ahead as u32)
    }

    /// Seconds until the ticket is likely called: the people ahead shared among the
    /// open counters that call from its line, times the line's recent service time.
    /// `None` when not waiting or when no counter that could call it is open.
    pub fn estimated_wait_secs(&self, ticket: &Ticket) -> Option<u64> {
        let ahead = self.waiting_ahead(ticket)?;
        let servers = match ticket.target_counter {
            Some(c) => u32::from(self.counters.get(&c).is_some_and(|s| s.open)),
            None => self.open_counters_for(&ticket.service),
        };
        if servers == 0 {
            return None;
        }
        let per_ticket = f64::from(self.service_time_secs(&ticket.service));
        Some((f64::from(ahead) / f64::from(servers) * per_ticket).round() as u64)
    }

    pub fn open_counters_for(&self, service: &str) -> u32 {
        self.layout
            .counters
            .iter()
            .filter(|c| c.services.iter().any(|s| s == service))
            .filter(|c| self.counters.get(&c.id).is_some_and(|s| s.open))
            .count() as u32
    }

    /// Mean of the day's latest service times in this line, or the configured guess.
    pub fn service_time_secs(&self, service: &str) -> u32 {
        let mut recent: Vec<(DateTime<Utc>, i64)> = self
            .tickets
            .values()
            .filter(|t| t.status == TicketStatus::Done && t.service == service && t.day == self.day)
            .filter_map(|t| {
                let end = t.finished_at?;
                let begin = t.started_at.or(t.called_at)?;
                Some((end, (end - begin).num_seconds()))
            })
            .filter(|(_, secs)| PLAUSIBLE_SERVICE_SECS.contains(secs))
            .collect();
        if recent.is_empty() {
            return self
                .layout
                .service(service)
                .map_or(300, |s| s.avg_service_secs);
        }
        recent.sort_unstable_by_key(|r| std::cmp::Reverse(r.0));
        recent.truncate(RECENT_SERVICE_TIMES);
        let sum: i64 = recent.iter().map(|(_, s)| s).sum();
        (sum / recent.len() as i64) as u32
    }

    pub fn service_load(&self, service: &str) -> ServiceLoad {
        let waiting = self
            .tickets
            .values()
            .filter(|t| t.status == TicketStatus::Waiting && t.service == service)
            .count() as u32;
        ServiceLoad {
            waiting,
            issued_today: self.seq.get(service).copied().unwrap_or(0),
            open_counters: self.open_counters_for(service),
            service_time_s: self.service_time_secs(service),
        }
    }

    /// The day's latest calls and recalls, newest first.
    pub fn recent_calls(&self, limit: usize) -> Vec<RecentCall> {
        let mut calls: Vec<RecentCall> = self
            .tickets
            .values()
            .filter(|t| t.day == self.day)
            .filter_map(|t| {
                Some(RecentCall {
                    ticket: t.id,
                    number: t.number.clone(),
                    service: t.service.clone(),
                    counter: t.counter?,
                    at: t.last_called_at?,
                    status: t.status,
                    priority: t.priority.clone(),
                })
            })
            .collect();
        calls.sort_unstable_by(|a, b| b.at.cmp(&a.at).then(b.ticket.cmp(&a.ticket)));
        calls.truncate(limit);
        calls
    }
}
