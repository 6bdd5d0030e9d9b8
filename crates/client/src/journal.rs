//! The kiosk's journal of the tickets it gave out on its own, while it could not
//! reach the hall service.
//!
//! One JSON record per line, appended and flushed to the disk (`fsync`) before the
//! ticket is shown or printed: a ticket a citizen holds is always in the journal. A
//! cut in the middle of a write leaves a last line without its end; it is dropped on
//! opening, as that ticket was never shown. When the service is back each ticket is
//! sent (`seq` makes the sending safe to repeat) and its outcome appended. Old days
//! whose tickets are all settled are dropped when the journal is opened.

use std::collections::BTreeMap;
use std::fs::{File, OpenOptions};
use std::io::{self, BufRead, Write};
use std::path::{Path, PathBuf};

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use motcua_core::domain::{TicketId, offline_number};

/// A ticket the kiosk gave out on its own.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OfflineTicket {
    /// The hall's local day it was given out on.
    pub day: NaiveDate,
    /// The kiosk's count of its own tickets that day, from 1.
    pub seq: u32,
    /// What the citizen holds: `A-K1-007`.
    pub number: String,
    pub service: String,
    #[serde(default)]
    pub priority: Option<String>,
    pub issued_at: DateTime<Utc>,
}

/// How a ticket sent to the service ended.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// In the queue, as this ticket.
    Placed(TicketId),
    /// The service would not take it (a day that is over, a line it no longer has):
    /// kept here, with its reason, for the hall's manager.
    Refused(String),
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
enum Record {
    Issued(OfflineTicket),
    Settled {
        day: NaiveDate,
        seq: u32,
        outcome: Outcome,
    },
}

pub struct Journal {
    path: PathBuf,
    file: File,
    /// Every ticket in the file, by day and count, with its outcome once known.
    tickets: BTreeMap<(NaiveDate, u32), (OfflineTicket, Option<Outcome>)>,
}

impl Journal {
    /// Opens the journal at `path`, creating it (and its folder) when there is none.
    pub fn open(path: &Path) -> io::Result<Journal> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|e| with_path(e, path))?;
        }
        let mut file = OpenOptions::new()
            .read(true)
            .append(true)
            .create(true)
            .open(path)
            .map_err(|e| with_path(e, path))?;
        let mut tickets = BTreeMap::new();
        let mut reader = io::BufReader::new(&mut file);
        let (mut kept, mut line) = (0u64, Vec::new());
        loop {
            line.clear();
            let n = reader.read_until(b'\n', &mut line)?;
            if n == 0 {
                break;
            }
            if line.last() != Some(&b'\n') {
                // Cut off mid-write: that ticket was never shown.
                tracing::warn!(
                    "kiosk journal {}: dropping an unfinished last record ({n} bytes)",
                    path.display()
                );
                break;
            }
            kept += n as u64;
            match serde_json::from_slice::<Record>(&line) {
                Ok(record) => apply(&mut tickets, record),
                Err(e) => tracing::warn!(
                    "kiosk journal {}: skipping a damaged record: {e}",
                    path.display()
                ),
            }
        }
        drop(reader);
        if file.metadata()?.len() > kept {
            file.set_len(kept)?;
            file.sync_all()?;
        }
        let mut journal = Journal {
            path: path.to_owned(),
            file,
            tickets,
        };
        journal.compact()?;
        Ok(journal)
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Gives out a ticket: numbered after the kiosk's last of `day`, and on disk when
    /// this returns.
    pub fn issue(
        &mut self,
        day: NaiveDate,
        series: &str,
        prefix: &str,
        service: &str,
        priority: Option<&str>,
        issued_at: DateTime<Utc>,
    ) -> io::Result<OfflineTicket> {
        let seq = self
            .tickets
            .range((day, 0)..=(day, u32::MAX))
            .next_back()
            .map_or(1, |((_, seq), _)| seq + 1);
        let ticket = OfflineTicket {
            day,
            seq,
            number: offline_number(prefix, series, seq),
            service: service.to_owned(),
            priority: priority.map(str::to_owned),
            issued_at,
        };
        self.append(Record::Issued(ticket.clone()))?;
        Ok(ticket)
    }

    /// The tickets not yet placed in the queue or refused, oldest first.
    pub fn pending(&self) -> Vec<OfflineTicket> {
        self.tickets
            .values()
            .filter(|(_, outcome)| outcome.is_none())
            .map(|(t, _)| t.clone())
            .collect()
    }

    /// Records how sending `ticket` ended.
    pub fn settle(&mut self, ticket: &OfflineTicket, outcome: Outcome) -> io::Result<()> {
        self.append(Record::Settled {
            day: ticket.day,
            seq: ticket.seq,
            outcome,
        })
    }

    /// Every ticket of `day` and how it ended (none: not sent yet).
    pub fn day(&self, day: NaiveDate) -> Vec<(OfflineTicket, Option<Outcome>)> {
        self.tickets
            .range((day, 0)..=(day, u32::MAX))
            .map(|(_, v)| v.clone())
            .collect()
    }

    fn append(&mut self, record: Record) -> io::Result<()> {
        let mut line = serde_json::to_vec(&record).map_err(io::Error::other)?;
        line.push(b'\n');
        let before = self
            .file
            .metadata()
            .map_err(|e| with_path(e, &self.path))?
            .len();
        // One write, then to the disk: a ticket is shown only once this returned.
        let written = self
            .file
            .write_all(&line)
            .and_then(|()| self.file.sync_data());
        if let Err(e) = written {
            // Whatever part reached the file (a full disk) is an unfinished record:
            // take it back, so the next record starts on a line of its own.
            let _ = self.file.set_len(before);
            return Err(with_path(e, &self.path));
        }
        apply(&mut self.tickets, record);
        Ok(())
    }

    /// Drops the days before the latest whose tickets are all settled, by writing the
    /// rest to a new file and putting it in the old one's place.
    fn compact(&mut self) -> io::Result<()> {
        let Some(&(latest, _)) = self.tickets.keys().next_back() else {
            return Ok(());
        };
        let done = |day: NaiveDate| {
            day < latest
                && self
                    .tickets
                    .range((day, 0)..=(day, u32::MAX))
                    .all(|(_, (_, o))| o.is_some())
        };
        let old: Vec<NaiveDate> = {
            let mut days: Vec<NaiveDate> = self.tickets.keys().map(|(d, _)| *d).collect();
            days.dedup();
            days.into_iter().filter(|d| done(*d)).collect()
        };
        if old.is_empty() {
            return Ok(());
        }
        self.tickets.retain(|(day, _), _| !old.contains(day));
        let mut text = Vec::new();
        for (ticket, outcome) in self.tickets.values() {
            let issued = Record::Issued(ticket.clone());
            text.extend(serde_json::to_vec(&issued).map_err(io::Error::other)?);
            text.push(b'\n');
            if let Some(outcome) = outcome {
                let settled = Record::Settled {
                    day: ticket.day,
                    seq: ticket.seq,
                    outcome: outcome.clone(),
                };
                text.extend(serde_json::to_vec(&settled).map_err(io::Error::other)?);
                text.push(b'\n');
            }
        }
        let fresh = self.path.with_extension("new");
        {
            let mut f = File::create(&fresh)?;
            f.write_all(&text)?;
            f.sync_all()?;
        }
        std::fs::rename(&fresh, &self.path)?;
        if let Some(dir) = self.path.parent().filter(|d| !d.as_os_str().is_empty()) {
            File::open(dir)?.sync_all()?;
        }
        self.file = OpenOptions::new()
            .read(true)
            .append(true)
            .open(&self.path)?;
        Ok(())
    }
}

fn apply(tickets: &mut BTreeMap<(NaiveDate, u32), (OfflineTicket, Option<Outcome>)>, r: Record) {
    match r {
        Record::Issued(t) => {
            tickets.insert((t.day, t.seq), (t, None));
        }
        Record::Settled { day, seq, outcome } => {
            if let Some((_, o)) = tickets.get_mut(&(day, seq)) {
                *o = Some(outcome);
            }
        }
    }
}

fn with_path(e: io::Error, path: &Path) -> io::Error {
    io::Error::new(e.kind(), format!("kiosk journal {}: {e}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 12, d).unwrap()
    }

    fn issue(j: &mut Journal, d: u32, service: &str) -> OfflineTicket {
        j.issue(day(d), "K1", &service[..1], service, None, Utc::now())
            .unwrap()
    }

    #[test]
    fn numbers_go_on_after_a_restart_and_start_again_each_day() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("k/journal.jsonl");
        let mut j = Journal::open(&path).unwrap();
        assert_eq!(issue(&mut j, 2, "A").number, "A-K1-001");
        assert_eq!(issue(&mut j, 2, "B").number, "B-K1-002");
        drop(j);
        let mut j = Journal::open(&path).unwrap();
        assert_eq!(issue(&mut j, 2, "A").number, "A-K1-003");
        assert_eq!(issue(&mut j, 3, "A").number, "A-K1-001");
        let pending: Vec<_> = j.pending().into_iter().map(|t| t.number).collect();
        assert_eq!(pending, ["A-K1-001", "B-K1-002", "A-K1-003", "A-K1-001"]);
    }

    #[test]
    fn a_settled_ticket_is_not_sent_again_and_old_days_go() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("journal.jsonl");
        let mut j = Journal::open(&path).unwrap();
        let a = issue(&mut j, 1, "A");
        let b = issue(&mut j, 1, "A");
        j.settle(&a, Outcome::Placed(41)).unwrap();
        let c = issue(&mut j, 2, "A");
        drop(j);
        let mut j = Journal::open(&path).unwrap();
        assert_eq!(j.pending(), [b.clone(), c.clone()]);
        j.settle(&b, Outcome::Refused("a day that is over".into()))
            .unwrap();
        drop(j);
        // Day 1 is all settled and day 2 came after: it is dropped on opening, and
        // what is kept reads the same.
        let before = std::fs::metadata(&path).unwrap().len();
        let j = Journal::open(&path).unwrap();
        assert!(std::fs::metadata(&path).unwrap().len() < before);
        assert!(j.day(day(1)).is_empty());
        assert_eq!(j.day(day(2)), [(c.clone(), None)]);
        drop(j);
        assert_eq!(Journal::open(&path).unwrap().pending(), [c]);
    }

    #[test]
    fn a_record_cut_off_mid_write_is_dropped_and_the_next_starts_clean() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("journal.jsonl");
        let mut j = Journal::open(&path).unwrap();
        let a = issue(&mut j, 2, "A");
        drop(j);
        // Power went while the second ticket was being written.
        let mut f = OpenOptions::new().append(true).open(&path).unwrap();
        f.write_all(br#"{"issued":{"day":"2026-12-02","seq":2,"num"#)
            .unwrap();
        drop(f);
        let mut j = Journal::open(&path).unwrap();
        assert_eq!(j.pending(), [a]);
        // Its number was never shown, so it is given again.
        assert_eq!(issue(&mut j, 2, "A").number, "A-K1-002");
        drop(j);
        assert_eq!(Journal::open(&path).unwrap().pending().len(), 2);
    }

    #[test]
    fn a_damaged_line_inside_is_skipped_and_numbers_never_go_back() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("journal.jsonl");
        let mut j = Journal::open(&path).unwrap();
        issue(&mut j, 2, "A");
        issue(&mut j, 2, "A");
        issue(&mut j, 2, "A");
        drop(j);
        let text = std::fs::read_to_string(&path).unwrap();
        let damaged = text.replacen("\"seq\":2", "\"seq\":2\u{0}", 1);
        std::fs::write(&path, damaged).unwrap();
        let mut j = Journal::open(&path).unwrap();
        assert_eq!(j.pending().len(), 2);
        assert_eq!(issue(&mut j, 2, "A").number, "A-K1-004");
    }

    #[test]
    fn a_journal_that_cannot_be_written_says_where() {
        let dir = tempfile::tempdir().unwrap();
        let blocked = dir.path().join("file");
        std::fs::write(&blocked, "").unwrap();
        let err = Journal::open(&blocked.join("journal.jsonl"))
            .err()
            .unwrap()
            .to_string();
        assert!(err.contains("file"), "{err}");
    }
}
