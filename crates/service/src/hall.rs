//! The hall: the queue engine, its store and the live event feed, together.
//!
//! Commands are committed in groups. A command joins the hall's pending list and
//! waits for the writer's turn; whoever gets the turn runs every command pending at
//! that moment, in order: each is decided against the queue as the ones before it
//! left it and applied, then all their events are stored in one transaction with one
//! fsync, and only then is each command answered and are the events published. If
//! the store fails, the batch is taken back (`Queue::undo`) and every command in it
//! fails with nothing changed. A command whose turn finds its work already done by
//! another simply returns the answer. Readers take the queue's read lock; while a
//! batch is decided and stored they wait for it (one fsync), so nobody ever sees a
//! change that is not durable.

use std::sync::{Arc, Mutex, RwLock};

use chrono::{DateTime, SubsecRound, Utc};
use tokio::sync::broadcast;

use crate::config::Config;
use motcua_core::domain::{EventId, TicketId};
use motcua_core::dossier::{Dossier, DossierUpdate};
use motcua_core::queue::{Change, Command, EventKind, Queue, QueueError};
use motcua_store::{Store, StoreError, StoredEvent};

/// How many events a slow live subscriber may fall behind before it re-reads them
/// from the store.
const LIVE_BUFFER: usize = 1024;

#[derive(Debug, thiserror::Error)]
pub enum HallError {
    #[error(transparent)]
    Queue(#[from] QueueError),
    #[error("storage failed: {0}")]
    Storage(#[from] StoreError),
    /// The request is malformed (a dossier code, a phone number…).
    #[error("{0}")]
    Invalid(String),
}

/// The queue and the id of the last event folded into it.
struct Applied {
    queue: Queue,
    last_event: EventId,
}

/// What a command's caller gets once its batch is stored: its answer, made from the
/// queue as the command left it, and its events; or why it failed.
type Outcome<R> = Result<(R, Vec<Arc<StoredEvent>>), HallError>;

/// Hands the stored events (or the batch's failure) to a command's caller.
type Deliver = Box<dyn FnOnce(Result<Vec<Arc<StoredEvent>>, HallError>) + Send>;

/// A command's decision: the queue as it left it and its changes, or the refusal.
type Decided<'a> = Result<(&'a Queue, &'a [Change]), QueueError>;

/// A command waiting for the writer's turn. `answer` runs on the queue as the
/// command left it (or with the engine's refusal) and returns how to deliver.
struct Job {
    command: Command,
    now: DateTime<Utc>,
    answer: Box<dyn FnOnce(Decided<'_>) -> Deliver + Send>,
}

/// An event as live subscribers get it, with its JSON made once for all of them.
#[derive(Clone, Debug)]
pub struct LiveEvent {
    pub event: Arc<StoredEvent>,
    pub json: Arc<str>,
}

pub struct Hall {
    config: Arc<Config>,
    store: Arc<dyn Store>,
    queue: RwLock<Applied>,
    writer: Mutex<()>,
    /// Commands waiting for the writer's turn, in the order they came.
    pending: Mutex<Vec<Job>>,
    live: broadcast::Sender<LiveEvent>,
    /// Signs the links printed on tickets (see `follow_key`).
    secret: [u8; 16],
    /// Wakes the outbox worker when a message is written.
    outbox: tokio::sync::Notify,
}

impl Hall {
    /// Rebuilds the hall's queue from its store.
    pub fn open(config: Arc<Config>, store: Arc<dyn Store>) -> Result<Hall, StoreError> {
        let snapshot = store.load()?;
        let queue = Queue::restore(config.layout.clone(), snapshot, Utc::now());
        let last_event = store.last_event_id()?;
        let (live, _) = broadcast::channel(LIVE_BUFFER);
        let secret = store.secret()?;
        Ok(Hall {
            config,
            store,
            queue: RwLock::new(Applied { queue, last_event }),
            writer: Mutex::new(()),
            pending: Mutex::new(Vec::new()),
            live,
            secret,
            outbox: tokio::sync::Notify::new(),
        })
    }

    /// The key in a ticket's printed link (`/t/ID?k=KEY`). Only the holder of the
    /// paper has it, so only they can rate the service from their phone; ticket ids
    /// alone are easy to guess.
    pub fn follow_key(&self, ticket: TicketId) -> String {
        use std::hash::Hasher;
        let mut h = siphasher::sip::SipHasher13::new_with_key(&self.secret);
        h.write_u64(ticket);
        format!("{:016x}", h.finish())
    }

    /// The keyed hash of a dossier's ID digits: the public lookup's second factor.
    /// Keyed with the hall's secret, so 10,000 possible digits cannot be tried offline.
    pub fn id_check(&self, code: &str, last4: &str) -> String {
        use std::hash::Hasher;
        let mut h = siphasher::sip::SipHasher13::new_with_key(&self.secret);
        h.write(b"id-check\0");
        h.write(code.as_bytes());
        h.write(b"\0");
        h.write(last4.as_bytes());
        format!("{:016x}", h.finish())
    }

    /// Whether `raw` (an ID number or its last 4 digits) matches the dossier's check.
    pub fn id_check_ok(&self, d: &motcua_core::dossier::Dossier, raw: &str) -> bool {
        match (&d.id_check, motcua_core::dossier::id_last4(raw)) {
            (Some(check), Ok(last4)) => same_secret(check, &self.id_check(&d.code, &last4)),
            _ => false,
        }
    }

    /// Whether `key` is the ticket's key, compared in constant time.
    pub fn follow_key_ok(&self, ticket: TicketId, key: &str) -> bool {
        same_secret(&self.follow_key(ticket), key)
    }

    pub fn config(&self) -> &Arc<Config> {
        &self.config
    }

    pub fn store(&self) -> &Arc<dyn Store> {
        &self.store
    }

    /// Reads the queue. Keep `f` short: writers wait for it.
    pub fn read<R>(&self, f: impl FnOnce(&Queue) -> R) -> R {
        self.read_at(|q, _| f(q))
    }

    /// Reads the queue with the id of the last event it reflects: a client that
    /// follows the event stream from that id misses nothing and sees nothing twice.
    pub fn read_at<R>(&self, f: impl FnOnce(&Queue, EventId) -> R) -> R {
        let applied = self.queue.read().unwrap_or_else(|e| e.into_inner());
        f(&applied.queue, applied.last_event)
    }

    /// New events as they are stored. Subscribe before reading the backlog.
    pub fn subscribe(&self) -> broadcast::Receiver<LiveEvent> {
        self.live.subscribe()
    }

    /// Runs a command now. Blocks on the disk: call it off the async runtime.
    pub fn execute(&self, command: &Command) -> Result<Vec<Arc<StoredEvent>>, HallError> {
        self.execute_then(command.clone(), Utc::now(), |_, _| ())
            .map(|((), events)| events)
    }

    /// Runs a command at `now` in the next group commit; `then` looks at the queue as
    /// the command left it (before any command after it) and at its changes. Returns
    /// `then`'s answer and the stored events once they are durable. Blocks on the
    /// disk: call it off the async runtime.
    pub fn execute_then<R: Send + 'static>(
        &self,
        command: Command,
        now: DateTime<Utc>,
        then: impl FnOnce(&Queue, &[Change]) -> R + Send + 'static,
    ) -> Outcome<R> {
        let slot: Arc<Mutex<Option<Outcome<R>>>> = Arc::new(Mutex::new(None));
        let filled = slot.clone();
        let answer = Box::new(move |decided: Decided<'_>| -> Deliver {
            match decided {
                Err(refused) => Box::new(move |_| {
                    *lock(&filled) = Some(Err(refused.into()));
                }),
                Ok((queue, changes)) => {
                    let r = then(queue, changes);
                    Box::new(move |stored| {
                        *lock(&filled) = Some(stored.map(|events| (r, events)));
                    })
                }
            }
        });
        lock(&self.pending).push(Job {
            command,
            now,
            answer,
        });
        let _turn = lock(&self.writer);
        if let Some(done) = lock(&slot).take() {
            // Another command's turn ran this one in its batch.
            return done;
        }
        self.run_pending();
        lock(&slot).take().unwrap_or_else(|| {
            // Only if a batch broke off midway (a bug): not the client's doing.
            Err(HallError::Storage(StoreError::Unavailable(
                "the command was not run".into(),
            )))
        })
    }

    /// Runs every pending command as one batch. The caller holds the writer's turn.
    fn run_pending(&self) {
        let jobs = std::mem::take(&mut *lock(&self.pending));
        if jobs.is_empty() {
            return;
        }
        let mut applied = self.queue.write().unwrap_or_else(|e| e.into_inner());
        let mut undo = Vec::new();
        let mut changes = Vec::new();
        // Each command's delivery and how many of the batch's changes are its own.
        let mut deliveries: Vec<(Deliver, usize)> = Vec::with_capacity(jobs.len());
        for job in jobs {
            // Milliseconds are plenty for a queue and keep stored and sent times short.
            let now = job.now.trunc_subsecs(3);
            match applied.queue.decide(&job.command, now) {
                Err(refused) => deliveries.push(((job.answer)(Err(refused)), 0)),
                Ok(own) => {
                    for c in &own {
                        undo.push(applied.queue.apply_undoable(c));
                    }
                    let deliver = (job.answer)(Ok((&applied.queue, &own)));
                    deliveries.push((deliver, own.len()));
                    changes.extend(own);
                }
            }
        }
        let ids = if changes.is_empty() {
            Ok(Vec::new())
        } else {
            self.store.commit(&changes)
        };
        let ids = match ids {
            Ok(ids) => ids,
            Err(e) => {
                for u in undo.into_iter().rev() {
                    applied.queue.undo(u);
                }
                drop(applied);
                tracing::warn!(
                    "a batch of {} commands was not stored: {e}",
                    deliveries.len()
                );
                let said = e.to_string();
                for (deliver, _) in deliveries {
                    deliver(Err(HallError::Storage(StoreError::Unavailable(
                        said.clone(),
                    ))));
                }
                return;
            }
        };
        let events = self.publish(&mut applied, ids, changes);
        drop(applied);
        let mut rest = events.as_slice();
        for (deliver, n) in deliveries {
            let (own, after) = rest.split_at(n.min(rest.len()));
            rest = after;
            deliver(Ok(own.to_vec()));
        }
        self.read(|q| {
            for e in &events {
                tracing::info!(event = e.id, "{}", describe(q, &e.change));
            }
        });
    }

    /// Marks stored events as applied (the queue already holds their changes) and
    /// sends them to live subscribers, under the queue's write lock so that a reader's
    /// `read_at` position and the stream agree.
    fn publish(
        &self,
        applied: &mut Applied,
        ids: Vec<EventId>,
        changes: Vec<Change>,
    ) -> Vec<Arc<StoredEvent>> {
        let events: Vec<Arc<StoredEvent>> = ids
            .into_iter()
            .zip(changes)
            .map(|(id, change)| Arc::new(StoredEvent { id, change }))
            .collect();
        if let Some(last) = events.last() {
            applied.last_event = last.id;
        }
        // Each event's JSON is made once here, not once per display following; with
        // nobody following, not at all (one who subscribes after this reads the event
        // from the store, where it already is).
        if self.live.receiver_count() > 0 {
            for e in &events {
                let json = serde_json::to_string(&**e).unwrap_or_else(|_| "{}".into());
                // A subscriber gone since is fine: nobody is watching.
                let _ = self.live.send(LiveEvent {
                    json: json.into(),
                    event: e.clone(),
                });
            }
        }
        events
    }

    /// Folds stored events into the queue and sends them to live subscribers. The
    /// caller holds the writer's turn.
    fn apply_and_publish(&self, ids: Vec<EventId>, changes: Vec<Change>) {
        let mut applied = self.queue.write().unwrap_or_else(|e| e.into_inner());
        for c in &changes {
            applied.queue.apply(c);
        }
        let events = self.publish(&mut applied, ids, changes);
        let queue = &applied.queue;
        for e in &events {
            tracing::info!(event = e.id, "{}", describe(queue, &e.change));
        }
    }

    /// Registers or updates a dossier. Stores it, the public event (when what the
    /// public sees changed) and the message for a status it just reached ("result
    /// ready", or any status with a template; only when the citizen agreed) in one
    /// transaction, then publishes the event.
    /// Returns the dossier as stored and whether anything changed.
    pub fn save_dossier(
        &self,
        update: &DossierUpdate,
        source: &str,
        now: DateTime<Utc>,
    ) -> Result<(Dossier, bool), HallError> {
        let _turn = self.writer.lock().unwrap_or_else(|e| e.into_inner());
        let now = now.trunc_subsecs(3);
        let code =
            motcua_core::dossier::normalize_code(&update.code).map_err(HallError::Invalid)?;
        let existing = self.store.dossier(&code)?;
        let mut dossier =
            Dossier::merged(existing.as_ref(), update, source, now).map_err(HallError::Invalid)?;
        if let Some(c) = update.pickup_counter
            && !self.config.layout.counters.iter().any(|k| k.id == c)
        {
            let said = format!("pickup_counter {c} is not a counter of this hall");
            if source.starts_with("staff:") {
                return Err(HallError::Invalid(said));
            }
            // The province numbers its counters its own way: its news (a result
            // ready) still counts, with the place in words and no return line there.
            tracing::warn!("dossier {code}: {said}; the place is kept in words only");
            dossier.pickup_counter = existing.as_ref().and_then(|e| e.pickup_counter);
        }
        if let Some(raw) = &update.id_number {
            dossier.id_check = if raw.trim().is_empty() {
                None
            } else {
                let last4 = motcua_core::dossier::id_last4(raw).map_err(HallError::Invalid)?;
                Some(self.id_check(&code, &last4))
            };
        }
        if existing.as_ref().is_some_and(|e| e.same_as(&dossier)) {
            return Ok((existing.expect("checked"), false));
        }
        // The event carries only what the board shows; a change that does not alter
        // that makes no event.
        let public = dossier.public(now).on_board();
        let mut changes = Vec::new();
        if existing.as_ref().map(|e| {
            let mut p = e.public(now).on_board();
            p.updated_at = public.updated_at;
            p
        }) != Some(public.clone())
        {
            changes.push(Queue::dossier_change(public, now));
        }
        // A status just reached may have a message (result ready, by default), so may
        // a new date for a late result; a dossier saved inside its reminder window
        // gets its reminder now rather than at the next round.
        let messages: Vec<_> = match &self.config.notify {
            Some(notify) => {
                let mut m = motcua_core::message::change_messages(
                    &notify.messages,
                    &self.config.layout.hall,
                    existing.as_ref(),
                    &dossier,
                    now,
                );
                m.extend(motcua_core::message::reminders(
                    &notify.messages,
                    &self.config.layout.hall,
                    std::slice::from_ref(&dossier),
                    now,
                ));
                m
            }
            None => Vec::new(),
        };
        let ids = self.store.save_dossier(&dossier, &changes, &messages)?;
        self.apply_and_publish(ids, changes);
        if !messages.is_empty() {
            self.outbox.notify_one();
        }
        Ok((dossier, true))
    }

    /// Writes the reminders due at `now` for all open dossiers (each once: a reminder
    /// already in the outbox is not written again) and says how many were new.
    pub fn send_reminders(&self, now: DateTime<Utc>) -> Result<usize, HallError> {
        let Some(notify) = &self.config.notify else {
            return Ok(0);
        };
        if !notify
            .messages
            .templates
            .contains_key(motcua_core::message::DUE_SOON)
        {
            return Ok(0);
        }
        let open = self.store.dossiers(true, usize::MAX >> 1)?;
        let messages =
            motcua_core::message::reminders(&notify.messages, &self.config.layout.hall, &open, now);
        if messages.is_empty() {
            return Ok(0);
        }
        let written = self.store.put_messages(&messages, now.trunc_subsecs(3))?;
        if written > 0 {
            self.outbox.notify_one();
        }
        Ok(written)
    }

    /// Waits until a message is written or `timeout` passes (the outbox worker's sleep).
    pub async fn outbox_wait(&self, timeout: std::time::Duration) {
        let _ = tokio::time::timeout(timeout, self.outbox.notified()).await;
    }
}

/// Locks a mutex; a panic elsewhere while it was held leaves data that is still whole.
fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// Compares secrets without stopping at the first differing byte, so response times
/// do not tell how much of a guess was right.
pub fn same_secret(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

/// One line for the journal that a hall manager can read.
fn describe(q: &Queue, c: &Change) -> String {
    let number = c.ticket.as_ref().map_or("?", |t| t.number.as_str());
    let counter = c
        .ticket
        .as_ref()
        .and_then(|t| t.counter)
        .or(c.counter.as_ref().map(|k| k.id))
        .map_or_else(|| "?".to_string(), |id| id.to_string());
    match c.kind {
        EventKind::DayStarted => format!(
            "new day {}: ticket numbers restart",
            c.day.map(|d| d.to_string()).unwrap_or_default()
        ),
        EventKind::TicketIssued => {
            let t = c.ticket.as_ref().expect("issued events carry the ticket");
            let name = q
                .layout()
                .service(&t.service)
                .map_or("", |s| s.name.vi.as_str());
            let priority = t
                .priority
                .as_deref()
                .map(|p| format!(", priority {p}"))
                .unwrap_or_default();
            format!(
                "ticket {number} issued for {name}{priority}; {} waiting",
                q.service_load(&t.service).waiting
            )
        }
        EventKind::TicketCalled => format!("counter {counter} called {number}"),
        EventKind::TicketRecalled => format!(
            "counter {counter} recalled {number} (recall {})",
            c.ticket.as_ref().map_or(0, |t| t.recalls)
        ),
        EventKind::TicketStarted => format!("counter {counter} started serving {number}"),
        EventKind::DossierUpdated => match &c.dossier {
            Some(d) => format!("dossier {} is now {}", d.code, d.status.as_str()),
            None => "dossier updated".into(),
        },
        EventKind::TicketRated => format!(
            "{number} rated {} at counter {counter}",
            c.ticket
                .as_ref()
                .and_then(|t| t.rating.as_ref())
                .map_or("?", |r| r.level.as_str())
        ),
        EventKind::TicketFinished => {
            let minutes = c.ticket.as_ref().and_then(|t| {
                Some((t.finished_at? - t.started_at.or(t.called_at)?).num_seconds() as f64 / 60.0)
            });
            match minutes {
                Some(m) => format!("counter {counter} finished {number} after {m:.1} min"),
                None => format!("counter {counter} finished {number}"),
            }
        }
        EventKind::TicketNoShow => format!("{number} did not come to counter {counter}: no-show"),
        EventKind::TicketTransferred => {
            let from = c.counter.as_ref().map_or(0, |k| k.id);
            let t = c.ticket.as_ref().expect("transfer events carry the ticket");
            match t.target_counter {
                Some(to) => format!("counter {from} transferred {number} to counter {to}"),
                None => format!("counter {from} transferred {number} to line {}", t.service),
            }
        }
        EventKind::TicketExpired => format!("{number} expired unserved at the end of its day"),
        EventKind::CounterOpened => format!("counter {counter} opened"),
        EventKind::CounterClosed => format!("counter {counter} closed"),
        EventKind::DeviceStatus => match &c.device {
            Some(d) => format!("{}: printer {}", d.name, d.printer),
            None => "a device reported".into(),
        },
    }
}
