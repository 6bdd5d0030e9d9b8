//! The hall service's background jobs, all started here, all stopped together:
//! the day's turnover, personal-data retention, reminders, the outbox that sends
//! messages to citizens, and the poller of the province's one-stop system.

mod day;
mod outbox;
mod reminders;
mod retention;
pub mod upstream;

use std::sync::Arc;

use tokio::task::JoinHandle;

use crate::hall::Hall;
use crate::upstream::SharedStatus;

/// The running jobs; dropping this stops them.
pub struct Jobs(Vec<JoinHandle<()>>);

impl Drop for Jobs {
    fn drop(&mut self) {
        for job in &self.0 {
            job.abort();
        }
    }
}

/// Starts every job the hall's configuration asks for, on the current runtime.
pub fn start(hall: &Arc<Hall>, upstream: &SharedStatus) -> Jobs {
    let mut jobs = vec![
        tokio::spawn(day::run(hall.clone())),
        tokio::spawn(retention::run(hall.clone())),
    ];
    if let Some(config) = hall.config().upstream.clone() {
        jobs.push(tokio::spawn(upstream::run(
            hall.clone(),
            config,
            upstream.clone(),
        )));
    }
    if let Some(config) = hall.config().notify.clone() {
        jobs.push(tokio::spawn(outbox::run(hall.clone(), config)));
        jobs.push(tokio::spawn(reminders::run(hall.clone())));
    }
    Jobs(jobs)
}
