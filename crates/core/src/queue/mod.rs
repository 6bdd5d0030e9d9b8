//! The queue engine: plain Rust, no I/O, no clock of its own.
//!
//! `Queue::decide` turns a command into the events it causes, against the current
//! state and without changing it; `Queue::apply` folds one event into the state.
//! The hall service stores the events first and applies them after, so the state in
//! memory is always what is on disk, and replaying the stored events rebuilds it.

mod view;

#[cfg(test)]
mod proptests;

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::domain::{
    CounterId, CounterState, DeviceStatus, EventId, Localized, Rating, RatingSource, Satisfaction,
    Ticket, TicketId, TicketStatus, ticket_number,
};
use crate::dossier::{DossierStatus, PublicDossier};
use crate::layout::{Hours, Layout};

pub use view::{RecentCall, ServiceLoad};

/// Something a kiosk, a counter or the clock asks of the queue.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Command {
    Issue {
        service: String,
        priority: Option<String>,
    },
    /// A result-return ticket for a dossier whose result is ready: in the hall's
    /// return line, for the counter that holds the result when there is one.
    IssueReturn {
        service: String,
        dossier: String,
        counter: Option<CounterId>,
    },
    /// A ticket a kiosk issued on its own while it could not reach the service, now
    /// placed in the queue by the time it was issued. Once only: the same kiosk's
    /// series and count again change nothing.
    IssueOffline {
        service: String,
        priority: Option<String>,
        /// The kiosk's series (`K1`) and its count for the day.
        series: String,
        seq: u32,
        issued_at: DateTime<Utc>,
    },
    /// Finish the counter's current ticket, if any, and call the next one.
    Call {
        counter: CounterId,
    },
    Recall {
        counter: CounterId,
    },
    Start {
        counter: CounterId,
    },
    Finish {
        counter: CounterId,
    },
    NoShow {
        counter: CounterId,
    },
    /// Send the counter's current ticket to another line and/or another counter.
    Transfer {
        counter: CounterId,
        service: Option<String>,
        to_counter: Option<CounterId>,
    },
    Open {
        counter: CounterId,
    },
    Close {
        counter: CounterId,
    },
    /// Nothing but the clock: starts a new day when the hall's local date moved on.
    Tick,
    /// A device reports its printer's condition (recorded when it changed).
    ReportDevice {
        device: String,
        printer: String,
    },
    /// A counter's action (call, recall, start, finish, no-show, transfer) only if
    /// the counter's current ticket is still `current` — the one the clerk saw when
    /// they pressed. A double press then finds the ticket changed and does nothing.
    Guarded {
        current: Option<TicketId>,
        command: Box<Command>,
    },
    /// A citizen rates a served ticket: the one named, or, with only a counter, the
    /// ticket that counter is serving now or finished last (within `RATING_WINDOW`).
    Rate {
        ticket: Option<TicketId>,
        counter: Option<CounterId>,
        level: Satisfaction,
        reason: Option<String>,
        source: RatingSource,
    },
}

/// How long after a ticket is finished its counter's pad or screen may still rate it.
pub const RATING_WINDOW: chrono::Duration = chrono::Duration::minutes(10);

/// What kind of change an event records. Names as in the SSE stream.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum EventKind {
    #[serde(rename = "day.started")]
    DayStarted,
    #[serde(rename = "ticket.issued")]
    TicketIssued,
    #[serde(rename = "ticket.called")]
    TicketCalled,
    #[serde(rename = "ticket.recalled")]
    TicketRecalled,
    #[serde(rename = "ticket.started")]
    TicketStarted,
    #[serde(rename = "ticket.finished")]
    TicketFinished,
    #[serde(rename = "ticket.no_show")]
    TicketNoShow,
    #[serde(rename = "ticket.transferred")]
    TicketTransferred,
    #[serde(rename = "ticket.expired")]
    TicketExpired,
    #[serde(rename = "counter.opened")]
    CounterOpened,
    #[serde(rename = "counter.closed")]
    CounterClosed,
    #[serde(rename = "device.status")]
    DeviceStatus,
    #[serde(rename = "ticket.rated")]
    TicketRated,
    #[serde(rename = "dossier.updated")]
    DossierUpdated,
}

impl EventKind {
    pub const ALL: [EventKind; 14] = [
        EventKind::DayStarted,
        EventKind::TicketIssued,
        EventKind::TicketCalled,
        EventKind::TicketRecalled,
        EventKind::TicketStarted,
        EventKind::TicketFinished,
        EventKind::TicketNoShow,
        EventKind::TicketTransferred,
        EventKind::TicketExpired,
        EventKind::CounterOpened,
        EventKind::CounterClosed,
        EventKind::DeviceStatus,
        EventKind::TicketRated,
        EventKind::DossierUpdated,
    ];

    pub fn name(self) -> &'static str {
        match self {
            EventKind::DayStarted => "day.started",
            EventKind::TicketIssued => "ticket.issued",
            EventKind::TicketCalled => "ticket.called",
            EventKind::TicketRecalled => "ticket.recalled",
            EventKind::TicketStarted => "ticket.started",
            EventKind::TicketFinished => "ticket.finished",
            EventKind::TicketNoShow => "ticket.no_show",
            EventKind::TicketTransferred => "ticket.transferred",
            EventKind::TicketExpired => "ticket.expired",
            EventKind::CounterOpened => "counter.opened",
            EventKind::CounterClosed => "counter.closed",
            EventKind::DeviceStatus => "device.status",
            EventKind::TicketRated => "ticket.rated",
            EventKind::DossierUpdated => "dossier.updated",
        }
    }

    pub fn from_name(name: &str) -> Option<Self> {
        EventKind::ALL.into_iter().find(|k| k.name() == name)
    }
}

/// One change to the queue. Carries the whole ticket and counter as they are after
/// the change, so applying it needs no other knowledge and a display can show it as is.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Change {
    #[serde(rename = "event")]
    pub kind: EventKind,
    pub at: DateTime<Utc>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ticket: Option<Ticket>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub counter: Option<CounterState>,
    /// For `day.started`: the hall-local day that began.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = Date))]
    pub day: Option<NaiveDate>,
    /// For `device.status`: what the device said.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub device: Option<DeviceStatus>,
    /// For `dossier.updated`: the dossier as anyone may see it (masked, no phone).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dossier: Option<PublicDossier>,
}

/// A change with its event id, as stored and as streamed to displays.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct StoredEvent {
    pub id: EventId,
    #[serde(flatten)]
    pub change: Change,
}

impl Change {
    fn ticket(kind: EventKind, at: DateTime<Utc>, ticket: Ticket) -> Self {
        Change {
            kind,
            at,
            ticket: Some(ticket),
            counter: None,
            day: None,
            device: None,
            dossier: None,
        }
    }

    fn with_counter(mut self, counter: CounterState) -> Self {
        self.counter = Some(counter);
        self
    }
}

/// Why the queue refused a command. Each is the client's or the situation's doing.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum QueueError {
    #[error("there is no service with code {0:?}")]
    UnknownService(String),
    #[error("there is no priority group {0:?}")]
    UnknownPriority(String),
    #[error("service {service} does not issue tickets now (hours: {})", hours.describe_in(false))]
    ServiceClosed {
        service: String,
        name: Localized,
        hours: Hours,
    },
    #[error("service {service} has issued its {limit} tickets for today")]
    DailyLimitReached {
        service: String,
        name: Localized,
        limit: u32,
    },
    #[error("there is no counter {0}")]
    UnknownCounter(CounterId),
    #[error("counter {0} is closed; open it first")]
    CounterClosed(CounterId),
    #[error(
        "counter {counter}'s ticket changed since this was asked (it is now {}); \
         nothing was done: look again, then act",
        now.as_deref().unwrap_or("none")
    )]
    Stale {
        counter: CounterId,
        /// The ticket at the counter now, by number.
        now: Option<String>,
    },
    #[error("only a counter's call, recall, start, finish, no-show or transfer can be guarded")]
    NotGuardable,
    #[error("counter {0} has no ticket called or being served")]
    NoCurrentTicket(CounterId),
    #[error("ticket {number} is {status}; it cannot be {action}", status = status.as_str())]
    WrongStatus {
        number: String,
        status: TicketStatus,
        action: &'static str,
    },
    #[error(
        "counter {counter} still has ticket {number}; finish, transfer or mark it no-show first"
    )]
    CounterBusy { counter: CounterId, number: String },
    #[error("cannot transfer: {0}")]
    InvalidTransfer(String),
    #[error("say which ticket to rate, or at which counter")]
    InvalidRating,
    #[error("there is no ticket {0} today")]
    UnknownTicket(TicketId),
    #[error("counter {0} has nobody to rate: no ticket is being served there or was finished in the last {minutes} minutes", minutes = RATING_WINDOW.num_minutes())]
    NothingToRate(CounterId),
    #[error("ticket {number} has been rated already")]
    AlreadyRated { number: String },
    #[error(
        "ticket {number} was issued on {day}, a day that is over; it cannot join today's queue"
    )]
    OfflineTooOld { number: String, day: NaiveDate },
    #[error("ticket {number} was served at counter {served_at:?}, not counter {counter}")]
    NotThisCounter {
        number: String,
        counter: CounterId,
        served_at: Option<CounterId>,
    },
}

/// The queue of one hall for its current day.
#[derive(Clone, Debug)]
pub struct Queue {
    layout: Arc<Layout>,
    day: NaiveDate,
    /// The current day's tickets, and any older ones still open.
    tickets: BTreeMap<TicketId, Ticket>,
    counters: BTreeMap<CounterId, CounterState>,
    next_id: TicketId,
    /// Last sequence number issued today, per issuing service.
    seq: HashMap<String, u32>,
    /// What each device last reported, by device name.
    devices: BTreeMap<String, DeviceStatus>,
    /// Dossiers whose result waits for pickup, by code.
    results: BTreeMap<String, PublicDossier>,
}

/// What applying one change replaced (see `Queue::apply_undoable`).
#[derive(Debug)]
pub enum Undo {
    Parts(Box<UndoParts>),
    Whole(Box<Queue>),
}

/// The entries one change replaced (None inside: there was none).
#[derive(Debug)]
pub struct UndoParts {
    ticket: Option<TicketBefore>,
    next_id: TicketId,
    counter: Option<(CounterId, Option<CounterState>)>,
    device: Option<(String, Option<DeviceStatus>)>,
    result: Option<(String, Option<PublicDossier>)>,
}

/// A ticket as it was, and its line's last number today.
#[derive(Debug)]
struct TicketBefore {
    id: TicketId,
    ticket: Option<Ticket>,
    seq: Option<(String, Option<u32>)>,
}

/// What storage hands back to rebuild the queue after a start.
#[derive(Clone, Debug, Default)]
pub struct Snapshot {
    pub day: Option<NaiveDate>,
    /// The snapshot day's tickets and every still-open ticket.
    pub tickets: Vec<Ticket>,
    pub counters: Vec<CounterState>,
    /// The highest ticket id ever stored (0 for none).
    pub max_ticket_id: TicketId,
    /// Dossiers whose result waits for pickup.
    pub results: Vec<PublicDossier>,
}

impl Queue {
    /// An empty queue for a hall that has never run.
    pub fn new(layout: Arc<Layout>, now: DateTime<Utc>) -> Self {
        Queue::restore(layout, Snapshot::default(), now)
    }

    /// The queue as storage last saw it. Counters new in the config start in their
    /// configured state; counters no longer in the config are dropped.
    pub fn restore(layout: Arc<Layout>, snapshot: Snapshot, now: DateTime<Utc>) -> Self {
        let day = snapshot.day.unwrap_or_else(|| local_day(&layout, now));
        let mut counters: BTreeMap<CounterId, CounterState> = layout
            .counters
            .iter()
            .map(|c| {
                let state = CounterState {
                    id: c.id,
                    open: c.initially_open,
                    current: None,
                };
                (c.id, state)
            })
            .collect();
        for c in snapshot.counters {
            if let Some(slot) = counters.get_mut(&c.id) {
                *slot = c;
            }
        }
        let mut queue = Queue {
            layout,
            day,
            tickets: BTreeMap::new(),
            counters,
            next_id: snapshot.max_ticket_id + 1,
            seq: HashMap::new(),
            devices: BTreeMap::new(),
            results: snapshot
                .results
                .into_iter()
                .map(|d| (d.code.clone(), d))
                .collect(),
        };
        for t in snapshot.tickets {
            queue.put_ticket(t);
        }
        queue
    }

    pub fn layout(&self) -> &Arc<Layout> {
        &self.layout
    }

    pub fn day(&self) -> NaiveDate {
        self.day
    }

    pub fn ticket(&self, id: TicketId) -> Option<&Ticket> {
        self.tickets.get(&id)
    }

    pub fn tickets(&self) -> impl Iterator<Item = &Ticket> {
        self.tickets.values()
    }

    pub fn counter(&self, id: CounterId) -> Option<&CounterState> {
        self.counters.get(&id)
    }

    pub fn counters(&self) -> impl Iterator<Item = &CounterState> {
        self.counters.values()
    }

    /// What each device last reported, by name.
    pub fn devices(&self) -> impl Iterator<Item = &DeviceStatus> {
        self.devices.values()
    }

    /// Dossiers whose result waits for pickup, the longest waiting first.
    pub fn results(&self) -> Vec<&PublicDossier> {
        let mut r: Vec<_> = self.results.values().collect();
        r.sort_by_key(|d| (d.result_ready_at, d.code.clone()));
        r
    }

    /// The event that records a dossier's public view.
    pub fn dossier_change(d: PublicDossier, now: DateTime<Utc>) -> Change {
        Change {
            kind: EventKind::DossierUpdated,
            at: now,
            ticket: None,
            counter: None,
            day: None,
            device: None,
            dossier: Some(d),
        }
    }

    /// Decides and applies in one step, for callers that need no storage (tests, tools).
    pub fn execute(
        &mut self,
        command: &Command,
        now: DateTime<Utc>,
    ) -> Result<Vec<Change>, QueueError> {
        let changes = self.decide(command, now)?;
        for c in &changes {
            self.apply(c);
        }
        Ok(changes)
    }

    /// The events `command` causes at `now`. Does not change the queue.
    ///
    /// When the hall's local date has moved on, the events start with the day's
    /// rollover (open tickets expire, numbering restarts), so a command is always
    /// decided against the right day.
    pub fn decide(&self, command: &Command, now: DateTime<Utc>) -> Result<Vec<Change>, QueueError> {
        let rollover = self.rollover(now);
        if rollover.is_empty() {
            return self.decide_today(command, now);
        }
        let mut rolled = self.clone();
        for c in &rollover {
            rolled.apply(c);
        }
        let mut changes = rollover;
        changes.extend(rolled.decide_today(command, now)?);
        Ok(changes)
    }

    /// Folds one event into the state.
    pub fn apply(&mut self, change: &Change) {
        if let Some(t) = &change.ticket {
            self.put_ticket(t.clone());
        }
        if let Some(c) = &change.counter {
            self.counters.insert(c.id, c.clone());
        }
        if let Some(d) = &change.device {
            self.devices.insert(d.name.clone(), d.clone());
        }
        if let Some(d) = &change.dossier {
            if d.status == DossierStatus::ResultReady {
                self.results.insert(d.code.clone(), d.clone());
            } else {
                self.results.remove(&d.code);
            }
        }
        if let (EventKind::DayStarted, Some(day)) = (change.kind, change.day) {
            self.day = day;
            self.seq.clear();
            self.tickets
                .retain(|_, t| t.day >= day || t.status.is_open());
        }
    }

    /// Applies a change and returns what it replaced, so that `undo` can put the queue
    /// back as it was: the hall applies a batch of commands before storing them in one
    /// transaction, and takes them back if the store fails.
    pub fn apply_undoable(&mut self, change: &Change) -> Undo {
        if change.kind == EventKind::DayStarted {
            // Once a day, and it drops old tickets: the whole queue is kept.
            let whole = Box::new(self.clone());
            self.apply(change);
            return Undo::Whole(whole);
        }
        let undo = Undo::Parts(Box::new(UndoParts {
            ticket: change.ticket.as_ref().map(|t| TicketBefore {
                id: t.id,
                ticket: self.tickets.get(&t.id).cloned(),
                seq: (t.day == self.day).then(|| {
                    (
                        t.issued_service.clone(),
                        self.seq.get(&t.issued_service).copied(),
                    )
                }),
            }),
            next_id: self.next_id,
            counter: change
                .counter
                .as_ref()
                .map(|c| (c.id, self.counters.get(&c.id).cloned())),
            device: change
                .device
                .as_ref()
                .map(|d| (d.name.clone(), self.devices.get(&d.name).cloned())),
            result: change
                .dossier
                .as_ref()
                .map(|d| (d.code.clone(), self.results.get(&d.code).cloned())),
        }));
        self.apply(change);
        undo
    }

    /// Takes back one applied change. Undo changes in the reverse order of applying.
    pub fn undo(&mut self, undo: Undo) {
        fn put_back<K: Ord, V>(map: &mut BTreeMap<K, V>, key: K, old: Option<V>) {
            match old {
                Some(v) => map.insert(key, v),
                None => map.remove(&key),
            };
        }
        match undo {
            Undo::Whole(queue) => *self = *queue,
            Undo::Parts(parts) => {
                let UndoParts {
                    ticket,
                    next_id,
                    counter,
                    device,
                    result,
                } = *parts;
                if let Some(TicketBefore { id, ticket, seq }) = ticket {
                    put_back(&mut self.tickets, id, ticket);
                    match seq {
                        Some((service, Some(n))) => {
                            self.seq.insert(service, n);
                        }
                        Some((service, None)) => {
                            self.seq.remove(&service);
                        }
                        None => {}
                    }
                }
                self.next_id = next_id;
                if let Some((id, old)) = counter {
                    put_back(&mut self.counters, id, old);
                }
                if let Some((name, old)) = device {
                    put_back(&mut self.devices, name, old);
                }
                if let Some((code, old)) = result {
                    put_back(&mut self.results, code, old);
                }
            }
        }
    }

    fn put_ticket(&mut self, t: Ticket) {
        // A kiosk's own count is not the line's.
        if t.day == self.day && t.offline.is_none() {
            let last = self.seq.entry(t.issued_service.clone()).or_default();
            *last = (*last).max(t.seq);
        }
        self.next_id = self.next_id.max(t.id + 1);
        self.tickets.insert(t.id, t);
    }

    fn rollover(&self, now: DateTime<Utc>) -> Vec<Change> {
        let today = local_day(&self.layout, now);
        if today <= self.day {
            return Vec::new();
        }
        let mut changes = Vec::new();
        for t in self.tickets.values().filter(|t| t.status.is_open()) {
            let mut expired = t.clone();
            expired.status = TicketStatus::Expired;
            expired.finished_at = Some(now);
            let mut change = Change::ticket(EventKind::TicketExpired, now, expired);
            if let Some(c) = self.counters.values().find(|c| c.current == Some(t.id)) {
                change = change.with_counter(CounterState {
                    current: None,
                    ..c.clone()
                });
            }
            changes.push(change);
        }
        changes.push(Change {
            kind: EventKind::DayStarted,
            at: now,
            ticket: None,
            counter: None,
            day: Some(today),
            device: None,
            dossier: None,
        });
        changes
    }

    fn decide_today(
        &self,
        command: &Command,
        now: DateTime<Utc>,
    ) -> Result<Vec<Change>, QueueError> {
        match command {
            Command::Issue { service, priority } => self.issue(service, priority.as_deref(), now),
            Command::IssueReturn {
                service,
                dossier,
                counter,
            } => {
                let mut changes = self.issue(service, None, now)?;
                if let Some(t) = changes.last_mut().and_then(|c| c.ticket.as_mut()) {
                    t.dossier = Some(dossier.clone());
                    // Only a counter that serves the return line may be named, so
                    // the ticket cannot wait for a counter that never calls it.
                    t.target_counter = counter.filter(|c| {
                        self.layout
                            .counter(*c)
                            .is_some_and(|k| k.services.contains(service))
                    });
                }
                Ok(changes)
            }
            Command::IssueOffline {
                service,
                priority,
                series,
                seq,
                issued_at,
            } => self.issue_offline(service, priority.as_deref(), series, *seq, *issued_at, now),
            Command::Call { counter } => self.call(*counter, now),
            Command::Recall { counter } => self.recall(*counter, now),
            Command::Start { counter } => self.start(*counter, now),
            Command::Finish { counter } => self.finish(*counter, now),
            Command::NoShow { counter } => self.no_show(*counter, now),
            Command::Transfer {
                counter,
                service,
                to_counter,
            } => self.transfer(*counter, service.as_deref(), *to_counter, now),
            Command::Guarded { current, command } => {
                let counter = match **command {
                    Command::Call { counter }
                    | Command::Recall { counter }
                    | Command::Start { counter }
                    | Command::Finish { counter }
                    | Command::NoShow { counter }
                    | Command::Transfer { counter, .. } => counter,
                    _ => return Err(QueueError::NotGuardable),
                };
                let at_desk = self.counters.get(&counter).and_then(|c| c.current);
                if at_desk != *current {
                    return Err(QueueError::Stale {
                        counter,
                        now: at_desk
                            .and_then(|t| self.ticket(t))
                            .map(|t| t.number.clone()),
                    });
                }
                self.decide_today(command, now)
            }
            Command::Open { counter } => self.set_open(*counter, true, now),
            Command::Close { counter } => self.set_open(*counter, false, now),
            Command::Tick => Ok(Vec::new()),
            Command::ReportDevice { device, printer } => {
                Ok(self.report_device(device, printer, now))
            }
            Command::Rate {
                ticket,
                counter,
                level,
                reason,
                source,
            } => {
                let rating = Rating {
                    level: *level,
                    reason: reason.clone(),
                    source: *source,
                    at: now,
                };
                self.rate(*ticket, *counter, rating, now)
            }
        }
    }

    fn issue(
        &self,
        code: &str,
        priority: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<Vec<Change>, QueueError> {
        let service = self
            .layout
            .service(code)
            .ok_or_else(|| QueueError::UnknownService(code.to_owned()))?;
        if let Some(p) = priority {
            self.layout
                .priority_group(p)
                .ok_or_else(|| QueueError::UnknownPriority(p.to_owned()))?;
        }
        if !service.hours.is_open(now, self.layout.hall.time_zone) {
            return Err(QueueError::ServiceClosed {
                service: code.to_owned(),
                name: service.name.clone(),
                hours: service.hours.clone(),
            });
        }
        let last = self.seq.get(code).copied().unwrap_or(0);
        if let Some(limit) = service.daily_limit
            && last >= limit
        {
            return Err(QueueError::DailyLimitReached {
                service: code.to_owned(),
                name: service.name.clone(),
                limit,
            });
        }
        let seq = last + 1;
        let ticket = Ticket {
            priority: priority.map(str::to_owned),
            ..Ticket::waiting(
                self.next_id,
                ticket_number(&service.prefix, seq),
                code,
                self.day,
                seq,
                now,
            )
        };
        Ok(vec![Change::ticket(EventKind::TicketIssued, now, ticket)])
    }

    /// Today's ticket that kiosk `series` issued as its `seq`-th while offline.
    pub fn offline_ticket(&self, series: &str, seq: u32) -> Option<&Ticket> {
        self.tickets
            .values()
            .find(|t| t.day == self.day && t.seq == seq && t.offline.as_deref() == Some(series))
    }

    /// A kiosk's own ticket joins the queue at the time it was issued, so it is called
    /// in its turn. The line's hours and limit are not asked: the citizen already
    /// holds the paper. A priority group the hall no longer has is dropped, not the
    /// ticket.
    fn issue_offline(
        &self,
        code: &str,
        priority: Option<&str>,
        series: &str,
        seq: u32,
        issued_at: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<Vec<Change>, QueueError> {
        if self.offline_ticket(series, seq).is_some() {
            return Ok(Vec::new());
        }
        let service = self
            .layout
            .service(code)
            .ok_or_else(|| QueueError::UnknownService(code.to_owned()))?;
        let number = crate::domain::offline_number(&service.prefix, series, seq);
        // A kiosk's clock ahead of the service's cannot put a ticket in the future.
        let issued_at = issued_at.min(now);
        let day = local_day(&self.layout, issued_at);
        if day != self.day {
            return Err(QueueError::OfflineTooOld { number, day });
        }
        let ticket = Ticket {
            priority: priority
                .filter(|p| self.layout.priority_group(p).is_some())
                .map(str::to_owned),
            offline: Some(series.to_owned()),
            ..Ticket::waiting(self.next_id, number, code, day, seq, issued_at)
        };
        Ok(vec![Change::ticket(EventKind::TicketIssued, now, ticket)])
    }

    fn counter_state(&self, id: CounterId) -> Result<&CounterState, QueueError> {
        self.counters.get(&id).ok_or(QueueError::UnknownCounter(id))
    }

    /// The counter's ticket that is called or being served now.
    fn current(&self, id: CounterId) -> Result<(&CounterState, &Ticket), QueueError> {
        let counter = self.counter_state(id)?;
        counter
            .current
            .and_then(|t| self.tickets.get(&t))
            .filter(|t| t.status.is_at_counter())
            .map(|t| (counter, t))
            .ok_or(QueueError::NoCurrentTicket(id))
    }

    /// The ticket this counter would call next: priority first, then the oldest.
    pub fn next_for(&self, id: CounterId) -> Option<&Ticket> {
        let services = &self.layout.counter(id)?.services;
        self.tickets
            .values()
            .filter(|t| t.status == TicketStatus::Waiting)
            .filter(|t| match t.target_counter {
                Some(c) => c == id,
                None => services.contains(&t.service),
            })
            .min_by_key(|t| call_order(t))
    }

    fn call(&self, id: CounterId, now: DateTime<Utc>) -> Result<Vec<Change>, QueueError> {
        let counter = self.counter_state(id)?;
        if !counter.open {
            return Err(QueueError::CounterClosed(id));
        }
        let mut state = counter.clone();
        let mut changes = Vec::new();
        if let Ok((_, current)) = self.current(id) {
            state.current = None;
            changes.push(self.finished(current, now).with_counter(state.clone()));
        }
        if let Some(next) = self.next_for(id) {
            let mut t = next.clone();
            t.status = TicketStatus::Called;
            t.called_at = t.called_at.or(Some(now));
            t.last_called_at = Some(now);
            t.counter = Some(id);
            t.target_counter = None;
            state.current = Some(t.id);
            changes.push(Change::ticket(EventKind::TicketCalled, now, t).with_counter(state));
        }
        Ok(changes)
    }

    fn finished(&self, ticket: &Ticket, now: DateTime<Utc>) -> Change {
        let mut t = ticket.clone();
        t.status = TicketStatus::Done;
        t.finished_at = Some(now);
        Change::ticket(EventKind::TicketFinished, now, t)
    }

    fn recall(&self, id: CounterId, now: DateTime<Utc>) -> Result<Vec<Change>, QueueError> {
        let (counter, current) = self.current(id)?;
        expect_status(current, TicketStatus::Called, "recalled")?;
        let mut t = current.clone();
        if t.recalls >= self.layout.hall.max_recalls {
            t.status = TicketStatus::NoShow;
            t.finished_at = Some(now);
            let state = CounterState {
                current: None,
                ..counter.clone()
            };
            return Ok(vec![
                Change::ticket(EventKind::TicketNoShow, now, t).with_counter(state),
            ]);
        }
        t.recalls += 1;
        t.last_called_at = Some(now);
        Ok(vec![Change::ticket(EventKind::TicketRecalled, now, t)])
    }

    fn start(&self, id: CounterId, now: DateTime<Utc>) -> Result<Vec<Change>, QueueError> {
        let (_, current) = self.current(id)?;
        expect_status(current, TicketStatus::Called, "started")?;
        let mut t = current.clone();
        t.status = TicketStatus::Serving;
        t.started_at = Some(now);
        Ok(vec![Change::ticket(EventKind::TicketStarted, now, t)])
    }

    fn finish(&self, id: CounterId, now: DateTime<Utc>) -> Result<Vec<Change>, QueueError> {
        let (counter, current) = self.current(id)?;
        let state = CounterState {
            current: None,
            ..counter.clone()
        };
        Ok(vec![self.finished(current, now).with_counter(state)])
    }

    fn no_show(&self, id: CounterId, now: DateTime<Utc>) -> Result<Vec<Change>, QueueError> {
        let (counter, current) = self.current(id)?;
        expect_status(
            current,
            TicketStatus::Called,
            "marked no-show (it is being served)",
        )?;
        let mut t = current.clone();
        t.status = TicketStatus::NoShow;
        t.finished_at = Some(now);
        let state = CounterState {
            current: None,
            ..counter.clone()
        };
        Ok(vec![
            Change::ticket(EventKind::TicketNoShow, now, t).with_counter(state),
        ])
    }

    fn transfer(
        &self,
        id: CounterId,
        service: Option<&str>,
        to_counter: Option<CounterId>,
        now: DateTime<Utc>,
    ) -> Result<Vec<Change>, QueueError> {
        let (counter, current) = self.current(id)?;
        if service.is_none() && to_counter.is_none() {
            return Err(QueueError::InvalidTransfer(
                "say where to: a `service`, a `counter`, or both".into(),
            ));
        }
        if let Some(code) = service {
            self.layout
                .service(code)
                .ok_or_else(|| QueueError::UnknownService(code.to_owned()))?;
            if code == current.service && to_counter.is_none() {
                return Err(QueueError::InvalidTransfer(format!(
                    "ticket {} is already in line {code}",
                    current.number
                )));
            }
        }
        if let Some(to) = to_counter {
            if to == id {
                return Err(QueueError::InvalidTransfer(format!(
                    "ticket {} is already at counter {id}",
                    current.number
                )));
            }
            self.counter_state(to)?;
        }
        let mut t = current.clone();
        t.status = TicketStatus::Waiting;
        if let Some(code) = service {
            t.service = code.to_owned();
        }
        t.target_counter = to_counter;
        t.counter = None;
        t.started_at = None;
        t.recalls = 0;
        t.transfers += 1;
        let state = CounterState {
            current: None,
            ..counter.clone()
        };
        Ok(vec![
            Change::ticket(EventKind::TicketTransferred, now, t).with_counter(state),
        ])
    }

    fn set_open(
        &self,
        id: CounterId,
        open: bool,
        now: DateTime<Utc>,
    ) -> Result<Vec<Change>, QueueError> {
        let counter = self.counter_state(id)?;
        if counter.open == open {
            return Ok(Vec::new());
        }
        if !open && let Ok((_, t)) = self.current(id) {
            return Err(QueueError::CounterBusy {
                counter: id,
                number: t.number.clone(),
            });
        }
        let state = CounterState {
            open,
            ..counter.clone()
        };
        let kind = if open {
            EventKind::CounterOpened
        } else {
            EventKind::CounterClosed
        };
        Ok(vec![Change {
            kind,
            at: now,
            ticket: None,
            counter: Some(state),
            day: None,
            device: None,
            dossier: None,
        }])
    }

    /// The ticket a counter's pad or screen rates: the one being served there now,
    /// else the one it finished last, if that was recent.
    pub fn to_rate_at(&self, id: CounterId, now: DateTime<Utc>) -> Option<&Ticket> {
        let counter = self.counters.get(&id)?;
        if let Some(t) = counter.current.and_then(|t| self.tickets.get(&t))
            && t.status == TicketStatus::Serving
        {
            return Some(t);
        }
        self.tickets
            .values()
            .filter(|t| t.status == TicketStatus::Done && t.counter == Some(id))
            .filter_map(|t| Some((t.finished_at?, t)))
            .filter(|(at, _)| now - *at <= RATING_WINDOW)
            .max_by_key(|(at, t)| (*at, t.id))
            .map(|(_, t)| t)
    }

    fn rate(
        &self,
        ticket: Option<TicketId>,
        counter: Option<CounterId>,
        rating: Rating,
        now: DateTime<Utc>,
    ) -> Result<Vec<Change>, QueueError> {
        let t = match (ticket, counter) {
            (Some(id), _) => self.tickets.get(&id).ok_or(QueueError::UnknownTicket(id))?,
            (None, Some(c)) => {
                self.counter_state(c)?;
                self.to_rate_at(c, now)
                    .ok_or(QueueError::NothingToRate(c))?
            }
            (None, None) => return Err(QueueError::InvalidRating),
        };
        if let Some(c) = counter
            && t.counter != Some(c)
        {
            return Err(QueueError::NotThisCounter {
                number: t.number.clone(),
                counter: c,
                served_at: t.counter,
            });
        }
        if !matches!(t.status, TicketStatus::Done | TicketStatus::Serving) {
            return Err(QueueError::WrongStatus {
                number: t.number.clone(),
                status: t.status,
                action: "rated (it has not been served)",
            });
        }
        if t.rating.is_some() {
            return Err(QueueError::AlreadyRated {
                number: t.number.clone(),
            });
        }
        let mut rated = t.clone();
        rated.rating = Some(rating);
        Ok(vec![Change::ticket(EventKind::TicketRated, now, rated)])
    }

    fn report_device(&self, device: &str, printer: &str, now: DateTime<Utc>) -> Vec<Change> {
        if self
            .devices
            .get(device)
            .is_some_and(|d| d.printer == printer)
        {
            return Vec::new();
        }
        vec![Change {
            kind: EventKind::DeviceStatus,
            at: now,
            ticket: None,
            counter: None,
            day: None,
            device: Some(DeviceStatus {
                name: device.to_owned(),
                printer: printer.to_owned(),
                at: now,
            }),
            dossier: None,
        }]
    }
}

/// Order of calling within what a counter may call: priority tickets first, then by
/// original issue time (a transferred ticket keeps its place), then by id.
pub fn call_order(t: &Ticket) -> (bool, DateTime<Utc>, TicketId) {
    (t.priority.is_none(), t.issued_at, t.id)
}

fn expect_status(t: &Ticket, want: TicketStatus, action: &'static str) -> Result<(), QueueError> {
    if t.status == want {
        Ok(())
    } else {
        Err(QueueError::WrongStatus {
            number: t.number.clone(),
            status: t.status,
            action,
        })
    }
}

/// The hall-local calendar day at `now`.
pub fn local_day(layout: &Layout, now: DateTime<Utc>) -> NaiveDate {
    now.with_timezone(&layout.hall.time_zone).date_naive()
}

#[cfg(test)]
mod tests;
