//! Every decision of the rating screen, without a window or a network, so tests can
//! play a counter's morning through it.

use chrono::{DateTime, Duration, Utc};

use motcua_api::StoredEvent;
use motcua_client::ClientError;
use motcua_core::domain::{CounterId, Satisfaction, TicketId, TicketStatus};
use motcua_core::queue::EventKind;

/// How long the screen asks about a finished ticket before it waits again.
pub const ASK_FOR: Duration = Duration::seconds(60);
/// How long thanks or a message stays.
pub const MESSAGE_FOR: Duration = Duration::seconds(5);
/// How long the screen waits for a reason before it sends "not satisfied" without one.
pub const WHY_FOR: Duration = Duration::seconds(20);

/// What the screen shows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Phase {
    /// No ticket known: the buttons still rate whatever the counter served last.
    Waiting,
    /// The counter just finished this ticket: "Số A012, ông/bà hài lòng…?"
    Asking {
        ticket: TicketId,
        number: String,
        since: DateTime<Utc>,
    },
    /// "Not satisfied" was tapped: why? (one of the hall's reasons, or none). The
    /// rating is sent with the answer, or without one when the citizen walks away.
    Why {
        ticket: Option<TicketId>,
        number: String,
        since: DateTime<Utc>,
    },
    /// A tap is on its way to the service.
    Sending,
    /// Thanks (or why not), then back to waiting.
    Message {
        vi: String,
        en: String,
        thanks: bool,
        until: DateTime<Utc>,
    },
}

pub struct RatingScreen {
    counter: CounterId,
    phase: Phase,
    reasons: Vec<String>,
}

/// What the app must do after a tap.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Send {
    pub ticket: Option<TicketId>,
    pub level: Satisfaction,
    pub reason: Option<String>,
}

impl RatingScreen {
    pub fn new(counter: CounterId) -> Self {
        RatingScreen {
            counter,
            phase: Phase::Waiting,
            reasons: Vec::new(),
        }
    }

    pub fn phase(&self) -> &Phase {
        &self.phase
    }

    /// The hall's reasons for "not satisfied"; none = no question asked.
    pub fn set_reasons(&mut self, reasons: Vec<String>) {
        self.reasons = reasons;
    }

    pub fn reasons(&self) -> &[String] {
        &self.reasons
    }

    /// Follows the hall: a ticket finished at this counter is asked about; a rating
    /// that came another way (the pad, the phone) ends the question.
    pub fn on_event(&mut self, e: &StoredEvent, now: DateTime<Utc>) {
        let Some(t) = &e.change.ticket else { return };
        if t.counter != Some(self.counter) {
            return;
        }
        match e.change.kind {
            // A tap on its way keeps its own ticket; the next finish asks anew after.
            EventKind::TicketFinished
                if t.status == TicketStatus::Done
                    && t.rating.is_none()
                    && !matches!(self.phase, Phase::Sending | Phase::Why { .. }) =>
            {
                self.phase = Phase::Asking {
                    ticket: t.id,
                    number: t.number.clone(),
                    since: now,
                };
            }
            EventKind::TicketRated => {
                let asked = match &self.phase {
                    Phase::Asking { ticket, .. } => Some(*ticket),
                    Phase::Why { ticket, .. } => *ticket,
                    _ => None,
                };
                if asked == Some(t.id) {
                    self.phase = thanks(now);
                }
            }
            _ => {}
        }
    }

    /// The citizen taps a level. `None` while a tap is already on its way, or when
    /// "not satisfied" first asks why.
    pub fn tap(&mut self, level: Satisfaction, now: DateTime<Utc>) -> Option<Send> {
        let (ticket, number) = match &self.phase {
            Phase::Sending => return None,
            Phase::Message { thanks: true, .. } => return None,
            Phase::Asking { ticket, number, .. } => (Some(*ticket), number.clone()),
            // Asked why, the citizen taps a face instead: that level, no reason.
            Phase::Why { ticket, .. } => {
                let ticket = *ticket;
                self.phase = Phase::Sending;
                return Some(Send {
                    ticket,
                    level,
                    reason: None,
                });
            }
            Phase::Waiting | Phase::Message { .. } => (None, String::new()),
        };
        if level == Satisfaction::Unsatisfied && !self.reasons.is_empty() {
            self.phase = Phase::Why {
                ticket,
                number,
                since: now,
            };
            return None;
        }
        self.phase = Phase::Sending;
        Some(Send {
            ticket,
            level,
            reason: None,
        })
    }

    /// Asked why, the citizen taps a reason (by its place in the list), or "skip"
    /// (`None`): "not satisfied" goes with it.
    pub fn reason(&mut self, choice: Option<usize>) -> Option<Send> {
        let Phase::Why { ticket, .. } = &self.phase else {
            return None;
        };
        let send = Send {
            ticket: *ticket,
            level: Satisfaction::Unsatisfied,
            reason: choice.and_then(|i| self.reasons.get(i).cloned()),
        };
        self.phase = Phase::Sending;
        Some(send)
    }

    /// The service's answer to a tap.
    pub fn answered(&mut self, result: Result<(), ClientError>, now: DateTime<Utc>) {
        let until = now + MESSAGE_FOR;
        self.phase = match result {
            Ok(()) => thanks(now),
            Err(ClientError::Refused {
                code,
                citizen_message,
                ..
            }) => {
                let (vi, en) = match (code.as_str(), citizen_message) {
                    (_, Some(m)) => (m.vi, m.en.unwrap_or_default()),
                    ("already_rated", None) => (
                        "Lượt phục vụ này đã được đánh giá. Xin cảm ơn!".into(),
                        "This service has been rated already. Thank you!".into(),
                    ),
                    _ => (
                        "Chưa có lượt phục vụ nào để đánh giá.".into(),
                        "There is no service to rate yet.".into(),
                    ),
                };
                Phase::Message {
                    vi,
                    en,
                    thanks: code == "already_rated",
                    until,
                }
            }
            Err(_) => Phase::Message {
                vi: "Chưa gửi được đánh giá. Xin ông/bà thử lại.".into(),
                en: "The rating could not be sent. Please try again.".into(),
                thanks: false,
                until,
            },
        };
    }

    /// The clock: questions and messages do not stay for ever. A "why?" nobody
    /// answers sends the rating without a reason: the tap counts.
    pub fn tick(&mut self, now: DateTime<Utc>) -> Option<Send> {
        let done = match &self.phase {
            Phase::Asking { since, .. } => now - *since >= ASK_FOR,
            Phase::Why { since, .. } if now - *since >= WHY_FOR => return self.reason(None),
            Phase::Why { .. } => false,
            Phase::Message { until, .. } => now >= *until,
            Phase::Waiting | Phase::Sending => false,
        };
        if done {
            self.phase = Phase::Waiting;
        }
        None
    }
}

fn thanks(now: DateTime<Utc>) -> Phase {
    Phase::Message {
        vi: "Cảm ơn ông/bà đã đánh giá!".into(),
        en: "Thank you for your rating!".into(),
        thanks: true,
        until: now + MESSAGE_FOR,
    }
}
