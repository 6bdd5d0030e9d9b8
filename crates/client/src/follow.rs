//! The display's link to the hall service: read the board, follow the event stream
//! from the board's `last_event_id`, and when the link drops keep the picture, mark it
//! stale after a few seconds, reconnect with backoff and read the board again — so a
//! display never shows a wrong state for long and never needs someone to press F5.

use std::time::{Duration, Instant};

use crate::{HallClient, SseParser};
use motcua_api::{Board, StoredEvent};

/// A dropped link is shown as stale after this long without a new connection.
pub const STALE_AFTER: Duration = Duration::from_secs(3);
const BACKOFF_START: Duration = Duration::from_millis(500);
const BACKOFF_MAX: Duration = Duration::from_secs(10);

/// What the follower tells the display.
#[derive(Clone, Debug)]
pub enum Update {
    /// The board as just read: replaces the picture.
    Board(Board),
    /// One event after the board.
    Event(Box<StoredEvent>),
    /// The link has been down for `STALE_AFTER`: mark the picture as possibly old.
    Stale,
}

/// Follows the service until the task is dropped. `on` gets every update and
/// returns true when it needs the board read again (an event it could not apply).
pub async fn follow(client: HallClient, mut on: impl FnMut(Update) -> bool + Send) {
    let mut backoff = BACKOFF_START;
    let mut down_since: Option<Instant> = None;
    let mut stale_told = false;
    loop {
        if let Ok(board) = client.board().await {
            let after = board.last_event_id;
            down_since = None;
            stale_told = false;
            backoff = BACKOFF_START;
            if !on(Update::Board(board)) {
                stream(&client, after, &mut on).await;
            }
        }
        let down = *down_since.get_or_insert_with(Instant::now);
        let mut wait = backoff;
        while !wait.is_zero() {
            let step = if stale_told {
                wait
            } else {
                wait.min((down + STALE_AFTER).saturating_duration_since(Instant::now()))
            };
            tokio::time::sleep(step.max(Duration::from_millis(10))).await;
            wait = wait.saturating_sub(step.max(Duration::from_millis(10)));
            if !stale_told && down.elapsed() >= STALE_AFTER {
                stale_told = true;
                on(Update::Stale);
            }
        }
        backoff = (backoff * 2).min(BACKOFF_MAX);
    }
}

/// Passes on events until the stream ends, fails, or the board must be read again.
async fn stream(client: &HallClient, after: u64, on: &mut impl FnMut(Update) -> bool) {
    let Ok(mut res) = client.events(after).await else {
        return;
    };
    let mut parser = SseParser::default();
    while let Ok(Some(chunk)) = res.chunk().await {
        for e in parser.push(&chunk) {
            if e.event == "stream.reset" {
                return;
            }
            let Ok(event) = serde_json::from_str::<StoredEvent>(&e.data) else {
                tracing::warn!("display: an event that is not one: {}", e.data);
                return;
            };
            if on(Update::Event(Box::new(event))) {
                return;
            }
        }
    }
}
