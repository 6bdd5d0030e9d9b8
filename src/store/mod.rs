//! Durable storage of the queue: every change as an event with an increasing id,
//! and the tickets and counters as the events leave them. Behind a trait so a
//! PostgreSQL backend can follow without touching the engine or the API.

mod sqlite;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::domain::{EventId, Ticket, TicketId};
use crate::queue::{Change, Snapshot};

pub use sqlite::SqliteStore;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database error: {0}")]
    Database(#[from] rusqlite::Error),
    #[error("stored data is damaged: {0}")]
    Corrupt(String),
    #[error("{0}")]
    Unavailable(String),
}

/// A change as stored, with its event id.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct StoredEvent {
    pub id: EventId,
    #[serde(flatten)]
    pub change: Change,
}

/// What the hall service needs from storage. Calls block; the service runs them
/// off the async runtime. `commit` is atomic and durable when it returns.
pub trait Store: Send + Sync + 'static {
    /// The current day's tickets, all open tickets, the counters and the highest ticket id.
    fn load(&self) -> Result<Snapshot, StoreError>;
    /// Stores the changes in one transaction and returns their event ids, in order.
    fn commit(&self, changes: &[Change]) -> Result<Vec<EventId>, StoreError>;
    /// Up to `limit` events with an id above `after`, oldest first.
    fn events_after(&self, after: EventId, limit: usize) -> Result<Vec<StoredEvent>, StoreError>;
    /// The highest event id stored (0 when none).
    fn last_event_id(&self) -> Result<EventId, StoreError>;
    /// A ticket by id, from any day.
    fn ticket(&self, id: TicketId) -> Result<Option<Ticket>, StoreError>;
    /// Every ticket issued on the hall-local days `from..=to`, for statistics.
    fn tickets_between(&self, from: NaiveDate, to: NaiveDate) -> Result<Vec<Ticket>, StoreError>;
    /// A random key made once per hall and kept: signs the links printed on tickets.
    fn secret(&self) -> Result<[u8; 16], StoreError>;
}
