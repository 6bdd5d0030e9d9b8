//! Every decision of the rating screen, without a window or a network, so tests can
//! play a counter's morning through it.

use chrono::{DateTime, Duration, Utc};

use crate::client::ClientError;
use crate::domain::{CounterId, Satisfaction, TicketId, TicketStatus};
use crate::queue::EventKind;
use crate::store::StoredEvent;

/// How long the screen asks about a finished ticket before it waits again.
pub const ASK_FOR: Duration = Duration::seconds(60);
/// How long thanks or a message stays.
pub const MESSAGE_FOR: Duration = Duration::seconds(5);

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
}

/// What the app must do after a tap.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Send {
    pub ticket: Option<TicketId>,
    pub level: Satisfaction,
}

impl RatingScreen {
    pub fn new(counter: CounterId) -> Self {
        RatingScreen {
            counter,
            phase: Phase::Waiting,
        }
    }

    pub fn phase(&self) -> &Phase {
        &self.phase
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
                    && self.phase != Phase::Sending =>
            {
                self.phase = Phase::Asking {
                    ticket: t.id,
                    number: t.number.clone(),
                    since: now,
                };
            }
            EventKind::TicketRated => {
                if matches!(&self.phase, Phase::Asking { ticket, .. } if *ticket == t.id) {
                    self.phase = thanks(now);
                }
            }
            _ => {}
        }
    }

    /// The citizen taps a level. `None` while a tap is already on its way.
    pub fn tap(&mut self, level: Satisfaction) -> Option<Send> {
        let ticket = match &self.phase {
            Phase::Sending => return None,
            Phase::Message { thanks: true, .. } => return None,
            Phase::Asking { ticket, .. } => Some(*ticket),
            Phase::Waiting | Phase::Message { .. } => None,
        };
        self.phase = Phase::Sending;
        Some(Send { ticket, level })
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

    /// The clock: questions and messages do not stay for ever.
    pub fn tick(&mut self, now: DateTime<Utc>) {
        let done = match &self.phase {
            Phase::Asking { since, .. } => now - *since >= ASK_FOR,
            Phase::Message { until, .. } => now >= *until,
            Phase::Waiting | Phase::Sending => false,
        };
        if done {
            self.phase = Phase::Waiting;
        }
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
