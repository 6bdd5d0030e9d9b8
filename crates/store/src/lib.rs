//! Durable storage of a hall: every change as an event with an increasing id, the
//! tickets and counters as the events leave them, dossiers and the outbox of messages.
//!
//! The `Store` trait is what the hall service needs; `SqliteStore` is the embedded
//! backend. Every backend passes the same `conformance` suite. Depends on the core
//! only: no HTTP, no tokio; calls block, and the service runs them off its runtime.

pub mod conformance;
mod sqlite;

use chrono::{DateTime, NaiveDate, Utc};

use motcua_core::domain::{EventId, Ticket, TicketId};
use motcua_core::dossier::Dossier;
use motcua_core::message::{NewMessage, OutboxMessage};
use motcua_core::queue::{Change, Snapshot};

pub use motcua_core::queue::StoredEvent;
pub use sqlite::SqliteStore;

/// What went wrong in storage, whatever the backend: the service answers 503 for
/// each, and nothing of the failed call was kept.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database refused or failed (the backend's own words).
    #[error("database error: {0}")]
    Database(String),
    #[error("stored data is damaged: {0}")]
    Corrupt(String),
    #[error("{0}")]
    Unavailable(String),
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

    /// Stores a dossier, the events its change causes and the messages to send, in
    /// one transaction. A message whose key is already in the outbox is not added.
    fn save_dossier(
        &self,
        dossier: &Dossier,
        changes: &[Change],
        messages: &[NewMessage],
    ) -> Result<Vec<EventId>, StoreError>;
    /// Adds messages not caused by a change (reminders); a key already in the outbox
    /// is skipped. Says how many were new.
    fn put_messages(&self, messages: &[NewMessage], at: DateTime<Utc>)
    -> Result<usize, StoreError>;
    fn dossier(&self, code: &str) -> Result<Option<Dossier>, StoreError>;
    /// The latest-changed dossiers (only those not yet returned or cancelled).
    fn dossiers(&self, open_only: bool, limit: usize) -> Result<Vec<Dossier>, StoreError>;
    /// Unsent messages whose time has come, oldest first.
    fn outbox_due(
        &self,
        now: DateTime<Utc>,
        limit: usize,
    ) -> Result<Vec<OutboxMessage>, StoreError>;
    /// Unsent messages first, then the latest sent ones.
    fn outbox(&self, limit: usize) -> Result<Vec<OutboxMessage>, StoreError>;
    /// Marks a message sent through `channel` (`webhook`, `zalo`, `sms`); `note` says
    /// why not the first channel (Zalo's refusal before the SMS went), if so.
    fn outbox_sent(
        &self,
        id: i64,
        at: DateTime<Utc>,
        channel: &str,
        note: Option<&str>,
    ) -> Result<(), StoreError>;
    fn outbox_failed(
        &self,
        id: i64,
        error: &str,
        retry_at: DateTime<Utc>,
    ) -> Result<(), StoreError>;
    /// Erases the citizen's name and phone from dossiers closed before the cutoff, and
    /// from the messages about them. Returns how many dossiers were erased.
    fn erase_personal_data(
        &self,
        closed_before: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<usize, StoreError>;
    fn meta(&self, key: &str) -> Result<Option<String>, StoreError>;
    fn set_meta(&self, key: &str, value: &str) -> Result<(), StoreError>;
}
