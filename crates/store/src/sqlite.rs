//! The SQLite store: one file in the data dir, WAL, `synchronous=FULL`, so a
//! committed ticket survives a kill -9 and a power cut. A lock file keeps a second
//! service from writing the same hall.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use chrono::{DateTime, NaiveDate, Utc};
use rusqlite::{Connection, OptionalExtension, Row, params};

use super::{Store, StoreError, StoredEvent};
use motcua_core::domain::{CounterState, EventId, Ticket, TicketId, TicketStatus};
use motcua_core::dossier::{Dossier, DossierStatus};
use motcua_core::message::{NewMessage, OutboxMessage};
use motcua_core::queue::{Change, EventKind, Snapshot};

impl From<rusqlite::Error> for StoreError {
    fn from(e: rusqlite::Error) -> Self {
        StoreError::Database(e.to_string())
    }
}

/// Schema versions, applied in order; `PRAGMA user_version` says how many ran.
const MIGRATIONS: &[&str] = &[
    r#"
CREATE TABLE events (
    id   INTEGER PRIMARY KEY AUTOINCREMENT,
    at   TEXT NOT NULL,
    kind TEXT NOT NULL,
    data TEXT NOT NULL
);
CREATE TABLE tickets (
    id             INTEGER PRIMARY KEY,
    day            TEXT NOT NULL,
    issued_service TEXT NOT NULL,
    seq            INTEGER NOT NULL,
    number         TEXT NOT NULL,
    service        TEXT NOT NULL,
    priority       TEXT,
    status         TEXT NOT NULL,
    issued_at      TEXT NOT NULL,
    called_at      TEXT,
    last_called_at TEXT,
    started_at     TEXT,
    finished_at    TEXT,
    counter        INTEGER,
    target_counter INTEGER,
    recalls        INTEGER NOT NULL,
    transfers      INTEGER NOT NULL,
    UNIQUE (day, issued_service, seq)
);
CREATE INDEX tickets_by_status ON tickets (status);
CREATE TABLE counters (
    id      INTEGER PRIMARY KEY,
    open    INTEGER NOT NULL,
    current INTEGER
);
CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
"#,
    // Ratings (JSON, no personal data) and date-range reads for statistics.
    r#"
ALTER TABLE tickets ADD COLUMN rating TEXT;
CREATE INDEX tickets_by_day ON tickets (day);
"#,
    // Dossiers (personal data in their own columns, so retention can erase them) and
    // the outbox of messages to citizens.
    r#"
CREATE TABLE dossiers (
    code         TEXT PRIMARY KEY,
    status       TEXT NOT NULL,
    updated_at   TEXT NOT NULL,
    closed_at    TEXT,
    citizen_name TEXT,
    phone        TEXT,
    data         TEXT NOT NULL
);
CREATE INDEX dossiers_by_status ON dossiers (status);
CREATE TABLE outbox (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    key        TEXT NOT NULL UNIQUE,
    dossier    TEXT NOT NULL,
    kind       TEXT NOT NULL,
    phone      TEXT,
    body       TEXT,
    created_at TEXT NOT NULL,
    attempts   INTEGER NOT NULL DEFAULT 0,
    next_at    TEXT NOT NULL,
    sent_at    TEXT,
    last_error TEXT
);
CREATE INDEX outbox_due ON outbox (sent_at, next_at);
"#,
    // Result-return tickets name their dossier.
    r#"
ALTER TABLE tickets ADD COLUMN dossier TEXT;
"#,
    // A dossier's messages are found by it (consent withdrawn, erasure).
    r#"
CREATE INDEX outbox_dossier ON outbox (dossier);
"#,
    // A Zalo template takes the message's fields one by one; staff see which channel
    // carried a message.
    r#"
ALTER TABLE outbox ADD COLUMN fields TEXT;
ALTER TABLE outbox ADD COLUMN channel TEXT;
"#,
    // A kiosk that lost the service numbers tickets in its own series (`A-K1-007`):
    // a line's day may then hold the same count once per kiosk. SQLite cannot change
    // a table's constraint in place, so the table is made again.
    r#"
CREATE TABLE tickets_new (
    id             INTEGER PRIMARY KEY,
    day            TEXT NOT NULL,
    issued_service TEXT NOT NULL,
    seq            INTEGER NOT NULL,
    number         TEXT NOT NULL,
    service        TEXT NOT NULL,
    priority       TEXT,
    status         TEXT NOT NULL,
    issued_at      TEXT NOT NULL,
    called_at      TEXT,
    last_called_at TEXT,
    started_at     TEXT,
    finished_at    TEXT,
    counter        INTEGER,
    target_counter INTEGER,
    recalls        INTEGER NOT NULL,
    transfers      INTEGER NOT NULL,
    rating         TEXT,
    dossier        TEXT,
    offline        TEXT NOT NULL DEFAULT '',
    UNIQUE (day, issued_service, offline, seq)
);
INSERT INTO tickets_new (id, day, issued_service, seq, number, service, priority, status,
    issued_at, called_at, last_called_at, started_at, finished_at, counter, target_counter,
    recalls, transfers, rating, dossier)
SELECT id, day, issued_service, seq, number, service, priority, status,
    issued_at, called_at, last_called_at, started_at, finished_at, counter, target_counter,
    recalls, transfers, rating, dossier FROM tickets;
DROP TABLE tickets;
ALTER TABLE tickets_new RENAME TO tickets;
CREATE INDEX tickets_by_status ON tickets (status);
CREATE INDEX tickets_by_day ON tickets (day);
"#,
];

pub struct SqliteStore {
    writer: Mutex<Connection>,
    reader: Mutex<Connection>,
    path: PathBuf,
    _lock: File,
}

impl SqliteStore {
    /// Opens (creating if needed) the hall database in `dir`.
    pub fn open(dir: &Path) -> Result<Self, StoreError> {
        let unavailable = |what: String| StoreError::Unavailable(what);
        std::fs::create_dir_all(dir)
            .map_err(|e| unavailable(format!("cannot create data dir {}: {e}", dir.display())))?;
        let lock_path = dir.join("motcua.lock");
        let lock = File::create(&lock_path)
            .map_err(|e| unavailable(format!("cannot write in data dir {}: {e}", dir.display())))?;
        lock.try_lock().map_err(|_| {
            unavailable(format!(
                "another motcua service is using data dir {}; stop it or choose another --data",
                dir.display()
            ))
        })?;
        let path = dir.join("motcua.sqlite3");
        // SQLite takes an empty file for a new database: a hall whose file was
        // truncated would start again at A001 and give out numbers citizens hold.
        if std::fs::metadata(&path).is_ok_and(|m| m.len() == 0) {
            return Err(unavailable(format!(
                "the hall database {} is empty (0 bytes): it was truncated or never \
                 written. Restore the latest backup into it; or, to start a new hall whose \
                 numbers begin again at A001, delete it",
                path.display()
            )));
        }
        let existed = std::fs::metadata(&path).is_ok_and(|m| m.len() > 0);
        let writer = (|| -> Result<Connection, StoreError> {
            let writer = Connection::open(&path)?;
            writer.pragma_update(None, "journal_mode", "WAL")?;
            writer.pragma_update(None, "synchronous", "FULL")?;
            // Erased personal data is overwritten in the file, not merely unlinked.
            writer.pragma_update(None, "secure_delete", "ON")?;
            writer.busy_timeout(std::time::Duration::from_secs(5))?;
            // A damaged page found now, not halfway through the day's first ticket.
            let check: String = writer.query_row("PRAGMA quick_check", [], |r| r.get(0))?;
            if check != "ok" {
                return Err(StoreError::Database(check));
            }
            migrate(&writer)?;
            Ok(writer)
        })()
        .map_err(|e| match e {
            StoreError::Database(why) if existed => unavailable(format!(
                "the hall database {} is damaged ({why}). Restore the latest backup: \
                 `motcua restore BACKUP --data {}` keeps the damaged file beside it",
                path.display(),
                dir.display()
            )),
            other => other,
        })?;
        let reader = Connection::open(&path)?;
        reader.busy_timeout(std::time::Duration::from_secs(5))?;
        Ok(SqliteStore {
            writer: Mutex::new(writer),
            reader: Mutex::new(reader),
            path,
            _lock: lock,
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Copies the hall's database in `dir` to the new file `dest`, consistent even
    /// while a service is writing (one read transaction: `VACUUM INTO`), and checks
    /// the copy. Says how many bytes it wrote.
    pub fn backup(dir: &Path, dest: &Path) -> Result<u64, StoreError> {
        let unavailable = |what: String| StoreError::Unavailable(what);
        let src = dir.join("motcua.sqlite3");
        if !std::fs::metadata(&src).is_ok_and(|m| m.len() > 0) {
            return Err(unavailable(format!(
                "there is no hall database at {}",
                src.display()
            )));
        }
        if dest.exists() {
            return Err(unavailable(format!(
                "{} exists already; a backup never overwrites a file",
                dest.display()
            )));
        }
        let conn = Connection::open_with_flags(&src, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)?;
        conn.busy_timeout(std::time::Duration::from_secs(10))?;
        let target = dest
            .to_str()
            .ok_or_else(|| unavailable(format!("{} is not a UTF-8 path", dest.display())))?;
        conn.execute("VACUUM INTO ?1", params![target])?;
        check_copy(dest)?;
        Ok(std::fs::metadata(dest).map(|m| m.len()).unwrap_or(0))
    }

    /// Puts the backup `src` in place of the hall's database in `dir`; refused while a
    /// service uses `dir`. The database it replaces is kept beside it, renamed
    /// `motcua.sqlite3.before-restore-TIME` (with its WAL), never deleted.
    pub fn restore(dir: &Path, src: &Path) -> Result<(), StoreError> {
        let unavailable = |what: String| StoreError::Unavailable(what);
        check_copy(src)?;
        std::fs::create_dir_all(dir)
            .map_err(|e| unavailable(format!("cannot create data dir {}: {e}", dir.display())))?;
        let lock = File::create(dir.join("motcua.lock"))
            .map_err(|e| unavailable(format!("cannot write in data dir {}: {e}", dir.display())))?;
        lock.try_lock().map_err(|_| {
            unavailable(format!(
                "a motcua service is using data dir {}: stop it before restoring",
                dir.display()
            ))
        })?;
        let db = dir.join("motcua.sqlite3");
        let stamp = Utc::now().format("%Y%m%dT%H%M%SZ");
        for suffix in ["", "-wal", "-shm"] {
            let from = dir.join(format!("motcua.sqlite3{suffix}"));
            if from.exists() {
                let aside = dir.join(format!("motcua.sqlite3{suffix}.before-restore-{stamp}"));
                std::fs::rename(&from, &aside).map_err(|e| {
                    unavailable(format!("cannot move {} aside: {e}", from.display()))
                })?;
            }
        }
        let partial = dir.join("motcua.sqlite3.restoring");
        let copied = std::fs::copy(src, &partial)
            .and_then(|_| File::open(&partial)?.sync_all())
            .and_then(|_| std::fs::rename(&partial, &db))
            .and_then(|_| File::open(dir)?.sync_all());
        copied.map_err(|e| unavailable(format!("cannot put {} in place: {e}", src.display())))
    }
}

/// A file a hall can start from: a whole SQLite database of a schema this motcua knows.
fn check_copy(path: &Path) -> Result<(), StoreError> {
    let bad = |why: String| StoreError::Unavailable(format!("{}: {why}", path.display()));
    if !std::fs::metadata(path).is_ok_and(|m| m.len() > 0) {
        return Err(bad("missing or empty".into()));
    }
    let conn = Connection::open_with_flags(path, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
        .map_err(|e| bad(e.to_string()))?;
    let check: String = conn
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .map_err(|e| bad(format!("not a motcua database ({e})")))?;
    if check != "ok" {
        return Err(bad(format!("damaged ({check})")));
    }
    let version: usize = conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
    if version == 0 || version > MIGRATIONS.len() {
        return Err(bad(format!(
            "not a motcua database this version knows (schema {version})"
        )));
    }
    Ok(())
}

fn migrate(conn: &Connection) -> Result<(), StoreError> {
    let done: usize = conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
    if done > MIGRATIONS.len() {
        return Err(StoreError::Unavailable(format!(
            "the database was written by a newer motcua (schema {done}, this one knows {}); \
             upgrade motcua",
            MIGRATIONS.len()
        )));
    }
    for (i, sql) in MIGRATIONS.iter().enumerate().skip(done) {
        let tx = conn.unchecked_transaction()?;
        tx.execute_batch(sql)?;
        tx.pragma_update(None, "user_version", i + 1)?;
        tx.commit()?;
    }
    Ok(())
}

/// Poisoning only means another thread panicked mid-call; SQLite's own transaction
/// keeps the data whole, so the connection is still good to use.
fn lock(m: &Mutex<Connection>) -> std::sync::MutexGuard<'_, Connection> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

const TICKET_COLUMNS: &str = "id, day, issued_service, seq, number, service, priority, status, \
     issued_at, called_at, last_called_at, started_at, finished_at, counter, target_counter, \
     recalls, transfers, rating, dossier, offline";

fn ticket_from_row(r: &Row<'_>) -> rusqlite::Result<Ticket> {
    let status: String = r.get(7)?;
    let status = TicketStatus::parse(&status).ok_or_else(|| {
        rusqlite::Error::FromSqlConversionFailure(
            7,
            rusqlite::types::Type::Text,
            format!("unknown ticket status {status:?}").into(),
        )
    })?;
    Ok(Ticket {
        id: r.get(0)?,
        day: r.get(1)?,
        issued_service: r.get(2)?,
        seq: r.get(3)?,
        number: r.get(4)?,
        service: r.get(5)?,
        priority: r.get(6)?,
        status,
        issued_at: r.get(8)?,
        called_at: r.get(9)?,
        last_called_at: r.get(10)?,
        started_at: r.get(11)?,
        finished_at: r.get(12)?,
        counter: r.get(13)?,
        target_counter: r.get(14)?,
        recalls: r.get(15)?,
        transfers: r.get(16)?,
        rating: match r.get::<_, Option<String>>(17)? {
            None => None,
            Some(json) => Some(serde_json::from_str(&json).map_err(|e| {
                rusqlite::Error::FromSqlConversionFailure(
                    17,
                    rusqlite::types::Type::Text,
                    Box::new(e),
                )
            })?),
        },
        dossier: r.get(18)?,
        offline: Some(r.get::<_, String>(19)?).filter(|s| !s.is_empty()),
    })
}

fn put_ticket(conn: &Connection, t: &Ticket) -> rusqlite::Result<()> {
    conn.prepare_cached(&format!(
        "INSERT INTO tickets ({TICKET_COLUMNS}) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20) \
         ON CONFLICT (id) DO UPDATE SET service = excluded.service, priority = excluded.priority, \
         status = excluded.status, called_at = excluded.called_at, \
         last_called_at = excluded.last_called_at, started_at = excluded.started_at, \
         finished_at = excluded.finished_at, counter = excluded.counter, \
         target_counter = excluded.target_counter, recalls = excluded.recalls, \
         transfers = excluded.transfers, rating = excluded.rating, dossier = excluded.dossier"
    ))?
    .execute(params![
        t.id,
        t.day,
        t.issued_service,
        t.seq,
        t.number,
        t.service,
        t.priority,
        t.status.as_str(),
        t.issued_at,
        t.called_at,
        t.last_called_at,
        t.started_at,
        t.finished_at,
        t.counter,
        t.target_counter,
        t.recalls,
        t.transfers,
        t.rating
            .as_ref()
            .map(|r| serde_json::to_string(r).expect("a rating encodes")),
        t.dossier,
        t.offline.as_deref().unwrap_or(""),
    ])?;
    Ok(())
}

impl Store for SqliteStore {
    fn load(&self) -> Result<Snapshot, StoreError> {
        let conn = lock(&self.reader);
        let meta_day: Option<NaiveDate> = conn
            .query_row("SELECT value FROM meta WHERE key = 'day'", [], |r| r.get(0))
            .optional()?;
        let ticket_day: Option<NaiveDate> =
            conn.query_row("SELECT max(day) FROM tickets", [], |r| r.get(0))?;
        let day = meta_day.max(ticket_day);
        let mut stmt = conn.prepare(&format!(
            "SELECT {TICKET_COLUMNS} FROM tickets \
             WHERE day = ?1 OR status IN ('waiting', 'called', 'serving') ORDER BY id"
        ))?;
        let tickets = stmt
            .query_map(params![day], ticket_from_row)?
            .collect::<Result<Vec<_>, _>>()?;
        let counters = conn
            .prepare("SELECT id, open, current FROM counters ORDER BY id")?
            .query_map([], |r| {
                Ok(CounterState {
                    id: r.get(0)?,
                    open: r.get(1)?,
                    current: r.get(2)?,
                })
            })?
            .collect::<Result<Vec<_>, _>>()?;
        let max_ticket_id: Option<TicketId> =
            conn.query_row("SELECT max(id) FROM tickets", [], |r| r.get(0))?;
        let now = Utc::now();
        let results = conn
            .prepare("SELECT data, citizen_name, phone FROM dossiers WHERE status = ?1")?
            .query_map(
                params![DossierStatus::ResultReady.as_str()],
                dossier_from_row,
            )?
            .map(|row| Ok(row??.public(now)))
            .collect::<Result<Vec<_>, StoreError>>()?;
        Ok(Snapshot {
            day,
            tickets,
            counters,
            max_ticket_id: max_ticket_id.unwrap_or(0),
            results,
        })
    }

    fn commit(&self, changes: &[Change]) -> Result<Vec<EventId>, StoreError> {
        let mut conn = lock(&self.writer);
        let tx = conn.transaction()?;
        let ids = put_changes(&tx, changes)?;
        tx.commit()?;
        Ok(ids)
    }

    fn save_dossier(
        &self,
        d: &Dossier,
        changes: &[Change],
        messages: &[NewMessage],
    ) -> Result<Vec<EventId>, StoreError> {
        let mut conn = lock(&self.writer);
        let tx = conn.transaction()?;
        let mut data = d.clone();
        data.citizen_name = None;
        data.phone = None;
        let json = serde_json::to_string(&data)
            .map_err(|e| StoreError::Corrupt(format!("cannot encode dossier: {e}")))?;
        tx.prepare_cached(
            "INSERT INTO dossiers (code, status, updated_at, closed_at, citizen_name, phone, data) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) \
             ON CONFLICT (code) DO UPDATE SET status = excluded.status, \
             updated_at = excluded.updated_at, closed_at = excluded.closed_at, \
             citizen_name = excluded.citizen_name, phone = excluded.phone, data = excluded.data",
        )?
        .execute(params![
            d.code,
            d.status.as_str(),
            d.updated_at,
            d.closed_at,
            d.citizen_name,
            d.phone,
            json
        ])?;
        if !d.notify_consent {
            // No consent (withdrawn, say): the phone leaves the messages too, and one
            // not sent yet never will be.
            close_messages(
                &tx,
                &d.code,
                "the citizen withdrew consent before it was sent",
            )?;
        }
        put_messages(&tx, messages, d.updated_at)?;
        let ids = put_changes(&tx, changes)?;
        tx.commit()?;
        Ok(ids)
    }

    fn put_messages(
        &self,
        messages: &[NewMessage],
        at: DateTime<Utc>,
    ) -> Result<usize, StoreError> {
        let mut conn = lock(&self.writer);
        let tx = conn.transaction()?;
        let written = put_messages(&tx, messages, at)?;
        tx.commit()?;
        Ok(written)
    }

    fn dossier(&self, code: &str) -> Result<Option<Dossier>, StoreError> {
        let conn = lock(&self.reader);
        let found = conn
            .prepare_cached("SELECT data, citizen_name, phone FROM dossiers WHERE code = ?1")?
            .query_row(params![code], dossier_from_row)
            .optional()?;
        found.transpose()
    }

    fn dossiers(&self, open_only: bool, limit: usize) -> Result<Vec<Dossier>, StoreError> {
        let conn = lock(&self.reader);
        let sql = if open_only {
            "SELECT data, citizen_name, phone FROM dossiers WHERE closed_at IS NULL \
             ORDER BY updated_at DESC LIMIT ?1"
        } else {
            "SELECT data, citizen_name, phone FROM dossiers ORDER BY updated_at DESC LIMIT ?1"
        };
        let rows = conn
            .prepare_cached(sql)?
            .query_map(params![limit as i64], dossier_from_row)?
            .collect::<Result<Vec<_>, _>>()?;
        rows.into_iter().collect()
    }

    fn outbox_due(
        &self,
        now: DateTime<Utc>,
        limit: usize,
    ) -> Result<Vec<OutboxMessage>, StoreError> {
        let conn = lock(&self.reader);
        let rows = conn
            .prepare_cached(&format!(
                "SELECT {OUTBOX_COLUMNS} FROM outbox WHERE sent_at IS NULL AND next_at <= ?1 \
                 ORDER BY next_at, id LIMIT ?2"
            ))?
            .query_map(params![now, limit as i64], outbox_from_row)?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(rows)
    }

    fn outbox(&self, limit: usize) -> Result<Vec<OutboxMessage>, StoreError> {
        let conn = lock(&self.reader);
        let rows = conn
            .prepare_cached(&format!(
                "SELECT {OUTBOX_COLUMNS} FROM outbox \
                 ORDER BY (sent_at IS NOT NULL), id DESC LIMIT ?1"
            ))?
            .query_map(params![limit as i64], outbox_from_row)?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(rows)
    }

    fn outbox_sent(
        &self,
        id: i64,
        at: DateTime<Utc>,
        channel: &str,
        note: Option<&str>,
    ) -> Result<(), StoreError> {
        let conn = lock(&self.writer);
        conn.execute(
            "UPDATE outbox SET sent_at = ?2, attempts = attempts + 1, channel = ?3, last_error = ?4 \
             WHERE id = ?1",
            params![id, at, channel, note],
        )?;
        Ok(())
    }

    fn outbox_failed(
        &self,
        id: i64,
        error: &str,
        retry_at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let conn = lock(&self.writer);
        conn.execute(
            "UPDATE outbox SET attempts = attempts + 1, last_error = ?2, next_at = ?3 WHERE id = ?1",
            params![id, error, retry_at],
        )?;
        Ok(())
    }

    fn erase_personal_data(
        &self,
        closed_before: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<usize, StoreError> {
        let mut conn = lock(&self.writer);
        let tx = conn.transaction()?;
        let codes: Vec<String> = tx
            .prepare(
                "SELECT code FROM dossiers WHERE closed_at IS NOT NULL AND closed_at < ?1 \
                 AND (citizen_name IS NOT NULL OR phone IS NOT NULL)",
            )?
            .query_map(params![closed_before], |r| r.get(0))?
            .collect::<Result<_, _>>()?;
        for code in &codes {
            let data: String = tx.query_row(
                "SELECT data FROM dossiers WHERE code = ?1",
                params![code],
                |r| r.get(0),
            )?;
            let mut d: Dossier = serde_json::from_str(&data)
                .map_err(|e| StoreError::Corrupt(format!("dossier {code}: {e}")))?;
            d.personal_data_erased_at = Some(now);
            d.id_check = None;
            let json = serde_json::to_string(&d)
                .map_err(|e| StoreError::Corrupt(format!("cannot encode dossier: {e}")))?;
            tx.execute(
                "UPDATE dossiers SET citizen_name = NULL, phone = NULL, data = ?2 WHERE code = ?1",
                params![code, json],
            )?;
            close_messages(&tx, code, "personal data erased before it could be sent")?;
        }
        tx.commit()?;
        if !codes.is_empty() {
            // The old pages also sit in the write-ahead log until it is checkpointed.
            conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))?;
        }
        Ok(codes.len())
    }

    fn meta(&self, key: &str) -> Result<Option<String>, StoreError> {
        let conn = lock(&self.reader);
        Ok(conn
            .query_row("SELECT value FROM meta WHERE key = ?1", params![key], |r| {
                r.get(0)
            })
            .optional()?)
    }

    fn set_meta(&self, key: &str, value: &str) -> Result<(), StoreError> {
        let conn = lock(&self.writer);
        conn.execute(
            "INSERT INTO meta (key, value) VALUES (?1, ?2) \
             ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            params![key, value],
        )?;
        Ok(())
    }

    fn events_after(&self, after: EventId, limit: usize) -> Result<Vec<StoredEvent>, StoreError> {
        let conn = lock(&self.reader);
        let mut stmt =
            conn.prepare_cached("SELECT id, data FROM events WHERE id > ?1 ORDER BY id LIMIT ?2")?;
        let rows = stmt.query_map(params![after, limit as i64], |r| {
            Ok((r.get::<_, EventId>(0)?, r.get::<_, String>(1)?))
        })?;
        rows.map(|row| {
            let (id, data) = row?;
            let change = serde_json::from_str(&data)
                .map_err(|e| StoreError::Corrupt(format!("event {id}: {e}")))?;
            Ok(StoredEvent { id, change })
        })
        .collect()
    }

    fn last_event_id(&self) -> Result<EventId, StoreError> {
        let conn = lock(&self.reader);
        let id: Option<EventId> = conn.query_row("SELECT max(id) FROM events", [], |r| r.get(0))?;
        Ok(id.unwrap_or(0))
    }

    fn ticket(&self, id: TicketId) -> Result<Option<Ticket>, StoreError> {
        // SQLite's integers end at 2^63 - 1: a larger id names no ticket (a client's
        // mistake, not a storage failure).
        let Ok(id) = i64::try_from(id) else {
            return Ok(None);
        };
        let conn = lock(&self.reader);
        Ok(conn
            .prepare_cached(&format!(
                "SELECT {TICKET_COLUMNS} FROM tickets WHERE id = ?1"
            ))?
            .query_row(params![id], ticket_from_row)
            .optional()?)
    }

    fn tickets_between(&self, from: NaiveDate, to: NaiveDate) -> Result<Vec<Ticket>, StoreError> {
        let conn = lock(&self.reader);
        let mut stmt = conn.prepare_cached(&format!(
            "SELECT {TICKET_COLUMNS} FROM tickets WHERE day BETWEEN ?1 AND ?2 ORDER BY id"
        ))?;
        let rows = stmt.query_map(params![from, to], ticket_from_row)?;
        Ok(rows.collect::<Result<Vec<_>, _>>()?)
    }

    fn secret(&self) -> Result<[u8; 16], StoreError> {
        let conn = lock(&self.writer);
        let stored: Option<String> = conn
            .query_row("SELECT value FROM meta WHERE key = 'secret'", [], |r| {
                r.get(0)
            })
            .optional()?;
        let hex = match stored {
            Some(hex) => hex,
            None => {
                let mut bytes = [0u8; 16];
                getrandom::fill(&mut bytes).map_err(|e| {
                    StoreError::Unavailable(format!("no randomness for the hall's secret: {e}"))
                })?;
                let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
                conn.execute(
                    "INSERT INTO meta (key, value) VALUES ('secret', ?1) ON CONFLICT (key) DO NOTHING",
                    params![hex],
                )?;
                conn.query_row("SELECT value FROM meta WHERE key = 'secret'", [], |r| {
                    r.get(0)
                })?
            }
        };
        let mut out = [0u8; 16];
        if hex.len() != 32 {
            return Err(StoreError::Corrupt("the hall's secret is damaged".into()));
        }
        for (i, b) in out.iter_mut().enumerate() {
            *b = u8::from_str_radix(&hex[2 * i..2 * i + 2], 16)
                .map_err(|_| StoreError::Corrupt("the hall's secret is damaged".into()))?;
        }
        Ok(out)
    }
}

fn dossier_from_row(r: &Row<'_>) -> rusqlite::Result<Result<Dossier, StoreError>> {
    let data: String = r.get(0)?;
    let name: Option<String> = r.get(1)?;
    let phone: Option<String> = r.get(2)?;
    Ok(serde_json::from_str::<Dossier>(&data)
        .map(|mut d| {
            d.citizen_name = name;
            d.phone = phone;
            d
        })
        .map_err(|e| StoreError::Corrupt(format!("dossier: {e}"))))
}

const OUTBOX_COLUMNS: &str = "id, key, dossier, kind, phone, body, created_at, attempts, next_at, sent_at, last_error, \
     fields, channel";

fn outbox_from_row(r: &Row<'_>) -> rusqlite::Result<OutboxMessage> {
    Ok(OutboxMessage {
        id: r.get(0)?,
        key: r.get(1)?,
        dossier: r.get(2)?,
        kind: r.get(3)?,
        phone: r.get(4)?,
        body: r.get(5)?,
        created_at: r.get(6)?,
        attempts: r.get(7)?,
        next_at: r.get(8)?,
        sent_at: r.get(9)?,
        last_error: r.get(10)?,
        // Unreadable fields are as good as none: the text still goes by SMS.
        fields: r
            .get::<_, Option<String>>(11)?
            .and_then(|f| serde_json::from_str(&f).ok()),
        channel: r.get(12)?,
    })
}

/// Stores events and the tickets, counters and day they leave, in the caller's transaction.
/// Takes the phone and the words out of a dossier's messages (they held personal
/// data); one not sent by now never will be and is closed with `reason`.
fn close_messages(
    tx: &rusqlite::Transaction<'_>,
    dossier: &str,
    reason: &str,
) -> Result<(), StoreError> {
    tx.prepare_cached(
        "UPDATE outbox SET phone = NULL, body = NULL, fields = NULL, \
         last_error = CASE WHEN sent_at IS NULL THEN ?2 ELSE last_error END, \
         next_at = CASE WHEN sent_at IS NULL THEN '9999-12-31T00:00:00.000+00:00' ELSE next_at END \
         WHERE dossier = ?1 AND (phone IS NOT NULL OR body IS NOT NULL)",
    )?
    .execute(params![dossier, reason])?;
    Ok(())
}

/// Adds messages to the outbox, skipping those whose key is there already; says how
/// many were new.
fn put_messages(
    tx: &rusqlite::Transaction<'_>,
    messages: &[NewMessage],
    at: DateTime<Utc>,
) -> Result<usize, StoreError> {
    let mut written = 0;
    for m in messages {
        written += tx
            .prepare_cached(
                "INSERT INTO outbox (key, dossier, kind, phone, body, fields, created_at, next_at) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) ON CONFLICT (key) DO NOTHING",
            )?
            .execute(params![
                m.key,
                m.dossier,
                m.kind,
                m.phone,
                m.body,
                serde_json::to_string(&m.fields).ok(),
                at,
                m.send_at.max(at)
            ])?;
    }
    Ok(written)
}

fn put_changes(
    tx: &rusqlite::Transaction<'_>,
    changes: &[Change],
) -> Result<Vec<EventId>, StoreError> {
    let mut ids = Vec::with_capacity(changes.len());
    for change in changes {
        let data = serde_json::to_string(change)
            .map_err(|e| StoreError::Corrupt(format!("cannot encode event: {e}")))?;
        tx.prepare_cached("INSERT INTO events (at, kind, data) VALUES (?1, ?2, ?3)")?
            .execute(params![change.at, change.kind.name(), data])?;
        ids.push(tx.last_insert_rowid() as EventId);
        if let Some(t) = &change.ticket {
            put_ticket(tx, t)?;
        }
        if let Some(c) = &change.counter {
            tx.prepare_cached(
                    "INSERT INTO counters (id, open, current) VALUES (?1, ?2, ?3) \
                     ON CONFLICT (id) DO UPDATE SET open = excluded.open, current = excluded.current",
                )?
                .execute(params![c.id, c.open, c.current])?;
        }
        if let (EventKind::DayStarted, Some(day)) = (change.kind, change.day) {
            tx.execute(
                "INSERT INTO meta (key, value) VALUES ('day', ?1) \
                     ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                params![day],
            )?;
        }
    }
    Ok(ids)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A new hall in its own directory; opening again is a restart.
    fn new_hall() -> impl Fn() -> Box<dyn Store> {
        let dir = std::sync::Arc::new(tempfile::tempdir().unwrap());
        move || Box::new(SqliteStore::open(dir.path()).unwrap()) as Box<dyn Store>
    }

    crate::conformance_suite!(new_hall);

    #[test]
    fn only_a_whole_motcua_database_is_restored() {
        let dir = tempfile::tempdir().unwrap();
        let junk = dir.path().join("junk.sqlite3");
        std::fs::write(&junk, "Bảng tính tháng 11, không phải cơ sở dữ liệu").unwrap();
        let err = SqliteStore::restore(&dir.path().join("data"), &junk)
            .unwrap_err()
            .to_string();
        assert!(err.contains("not a motcua database"), "{err}");
        let other = dir.path().join("other.sqlite3");
        Connection::open(&other)
            .unwrap()
            .execute_batch("CREATE TABLE t (x)")
            .unwrap();
        let err = SqliteStore::restore(&dir.path().join("data"), &other)
            .unwrap_err()
            .to_string();
        assert!(err.contains("schema 0"), "{err}");
        assert!(!dir.path().join("data/motcua.sqlite3").exists());
    }

    #[test]
    fn a_second_service_on_the_same_data_dir_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let _first = SqliteStore::open(dir.path()).unwrap();
        let err = SqliteStore::open(dir.path()).err().unwrap().to_string();
        assert!(err.contains("another motcua service"), "{err}");
    }
}
