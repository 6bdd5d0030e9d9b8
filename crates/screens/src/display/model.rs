//! What the waiting-room display shows, kept current from the event stream: the
//! board as last read, with each later event applied exactly as the service applied
//! it, the newest call in the spotlight, and whether the picture may be stale.

use chrono::{DateTime, Utc};

use motcua_api::StoredEvent;
use motcua_api::{Board, TicketView};
use motcua_core::domain::{EventId, TicketStatus};
use motcua_core::queue::{EventKind, RecentCall};

/// How many calls the display lists.
pub const CALLS_SHOWN: usize = 8;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Applied {
    /// The board now includes the event.
    Updated,
    /// Already in the board (an event from before it was read, or seen twice).
    Known,
    /// The event cannot be applied (a new day, a counter the board does not list):
    /// read the board again.
    NeedBoard,
}

#[derive(Clone, Debug)]
pub struct DisplayModel {
    pub board: Board,
    /// The latest call or recall, shown large for a while.
    pub spotlight: Option<RecentCall>,
    /// True while the stream is down: the display keeps the picture but marks it.
    pub stale: bool,
}

impl DisplayModel {
    pub fn new(board: Board) -> Self {
        DisplayModel {
            board,
            spotlight: None,
            stale: false,
        }
    }

    /// A freshly read board replaces the picture (after a reconnect or a new day).
    pub fn reload(&mut self, board: Board) {
        self.board = board;
        self.stale = false;
    }

    pub fn last_event_id(&self) -> EventId {
        self.board.last_event_id
    }

    /// Applies one event from the stream.
    pub fn apply(&mut self, e: &StoredEvent) -> Applied {
        if e.id <= self.board.last_event_id {
            return Applied::Known;
        }
        let c = &e.change;
        let applied = match c.kind {
            EventKind::DayStarted => return Applied::NeedBoard,
            EventKind::TicketIssued => c
                .ticket
                .as_ref()
                .is_some_and(|t| self.waiting(&t.service, 1)),
            EventKind::TicketCalled | EventKind::TicketRecalled => match &c.ticket {
                Some(t) => {
                    if c.kind == EventKind::TicketCalled {
                        // A call only ever takes a waiting ticket of its line.
                        self.waiting(&t.service, -1);
                    }
                    let call = RecentCall {
                        ticket: t.id,
                        number: t.number.clone(),
                        service: t.service.clone(),
                        counter: t.counter.unwrap_or_default(),
                        at: t.last_called_at.unwrap_or(c.at),
                        status: t.status,
                        priority: t.priority.clone(),
                    };
                    self.board.latest_calls.retain(|r| r.ticket != t.id);
                    self.board.latest_calls.insert(0, call.clone());
                    self.board.latest_calls.truncate(CALLS_SHOWN);
                    self.spotlight = Some(call);
                    true
                }
                None => false,
            },
            EventKind::TicketTransferred => c
                .ticket
                .as_ref()
                .is_some_and(|t| self.waiting(&t.service, 1)),
            EventKind::TicketExpired => match &c.ticket {
                // An expired ticket that was at a counter comes with that counter.
                Some(t) if c.counter.is_none() => self.waiting(&t.service, -1),
                Some(_) => true,
                None => false,
            },
            EventKind::TicketStarted
            | EventKind::TicketFinished
            | EventKind::TicketNoShow
            | EventKind::TicketRated
            | EventKind::CounterOpened
            | EventKind::CounterClosed => true,
            EventKind::DossierUpdated => match &c.dossier {
                Some(d) => {
                    // As the service lists them: waiting for pickup, longest first.
                    let results = &mut self.board.results;
                    results.retain(|r| r.code != d.code);
                    if d.status == motcua_core::dossier::DossierStatus::ResultReady {
                        results.push(d.clone());
                        results.sort_by_key(|r| (r.result_ready_at, r.code.clone()));
                        results.truncate(motcua_api::views::BOARD_RESULTS);
                    }
                    true
                }
                None => false,
            },
            EventKind::DeviceStatus => match &c.device {
                Some(d) => {
                    self.board.devices.retain(|x| x.name != d.name);
                    self.board.devices.push(d.clone());
                    true
                }
                None => false,
            },
        };
        if !applied || !self.apply_counter(e) {
            return Applied::NeedBoard;
        }
        if let Some(t) = &c.ticket {
            // As the service lists calls: a ticket sent back to waiting leaves the list.
            if t.counter.is_none() {
                self.board.latest_calls.retain(|r| r.ticket != t.id);
            }
            for r in self
                .board
                .latest_calls
                .iter_mut()
                .filter(|r| r.ticket == t.id)
            {
                r.status = t.status;
            }
        }
        self.board.last_event_id = e.id;
        self.board.generated_at = e.change.at;
        Applied::Updated
    }

    /// Updates the line's waiting count; false when the board does not know the line.
    fn waiting(&mut self, service: &str, delta: i64) -> bool {
        match self.board.waiting.iter_mut().find(|l| l.service == service) {
            Some(line) => {
                line.waiting = (i64::from(line.waiting) + delta).max(0) as u32;
                true
            }
            None => false,
        }
    }

    /// Puts the event's counter state (and the ticket at it) on the board.
    fn apply_counter(&mut self, e: &StoredEvent) -> bool {
        let c = &e.change;
        let Some(state) = &c.counter else {
            // A ticket event without a counter: refresh the ticket where a counter shows it.
            if let Some(t) = &c.ticket {
                for counter in &mut self.board.counters {
                    if let Some(cur) = &mut counter.current
                        && cur.ticket.id == t.id
                    {
                        cur.ticket = t.clone();
                    }
                }
            }
            return true;
        };
        let Some(view) = self.board.counters.iter_mut().find(|v| v.id == state.id) else {
            return false;
        };
        view.open = state.open;
        view.current = match (state.current, &c.ticket) {
            (None, _) => None,
            (Some(id), Some(t)) if t.id == id => Some(TicketView {
                ticket: t.clone(),
                waiting_ahead: None,
                estimated_wait_s: None,
                follow_path: None,
            }),
            (Some(_), _) => view.current.clone(),
        };
        true
    }

    /// Whether the spotlight call is recent enough to keep showing large.
    pub fn spotlight_at(&self, now: DateTime<Utc>, seconds: i64) -> Option<&RecentCall> {
        self.spotlight
            .as_ref()
            .filter(|s| (now - s.at).num_seconds() < seconds)
    }

    /// How many wait in a line, for tests and the screen.
    pub fn waiting_in(&self, service: &str) -> u32 {
        self.board
            .waiting
            .iter()
            .find(|l| l.service == service)
            .map_or(0, |l| l.waiting)
    }

    /// The ticket a counter shows now.
    pub fn at_counter(&self, id: u32) -> Option<(&str, TicketStatus)> {
        self.board
            .counters
            .iter()
            .find(|c| c.id == id)?
            .current
            .as_ref()
            .map(|t| (t.ticket.number.as_str(), t.ticket.status))
    }
}
