//! `GET /api/v1/events`: every change to the queue as Server-Sent Events.
//!
//! A client that sends `Last-Event-ID` (browsers do on reconnect) or `?after=ID`
//! first gets every stored event after that id, then live ones, with no gap and no
//! repeat: the feed subscribes to live events before it reads the backlog and skips
//! what it has already sent. A client that falls too far behind live events is
//! served from the store again. Comments keep idle connections open through proxies.

use std::collections::VecDeque;
use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::sse::{Event, KeepAlive, Sse};
use futures_util::Stream;
use serde::Deserialize;
use tokio::sync::{broadcast, watch};
use utoipa::IntoParams;

use super::AppState;
use super::error::{ApiError, ApiQuery};
use crate::hall::Hall;
use motcua_api::StoredEvent;
use motcua_core::domain::EventId;

/// Events read from the store per round trip while catching up.
const BACKLOG_PAGE: usize = 500;
/// Seconds between keep-alive comments.
pub const KEEP_ALIVE_SECS: u64 = 15;

#[derive(Deserialize, IntoParams)]
pub struct EventsQuery {
    /// Send stored events after this id first (same as the `Last-Event-ID` header).
    after: Option<EventId>,
}

#[utoipa::path(get, path = "/api/v1/events", tag = "display", params(EventsQuery,
        ("Last-Event-ID" = Option<u64>, Header, description = "Resume after this event id")),
    description = "Server-Sent Events. Each event has `id:` (the event id), `event:` (`ticket.issued`, `ticket.called`, \
                   `ticket.recalled`, `ticket.started`, `ticket.finished`, `ticket.no_show`, `ticket.transferred`, \
                   `ticket.expired`, `ticket.rated`, `counter.opened`, `counter.closed`, `day.started`, `device.status`) and `data:` (JSON: the event \
                   with the ticket and counter as the change left them). Without an id the stream starts with what \
                   happens next; take `last_event_id` from `GET /api/v1/board` to follow on from the board. \
                   When the id given is ahead of the service's own (its data was replaced), a `stream.reset` \
                   event says to read the board again.",
    responses((status = 200, description = "The event stream", content_type = "text/event-stream", body = String),
              (status = 400, description = "The resume id is not a number", body = super::error::ErrorBody)))]
pub async fn events(
    State(state): State<AppState>,
    headers: HeaderMap,
    ApiQuery(query): ApiQuery<EventsQuery>,
) -> Result<Sse<impl Stream<Item = Result<Event, Infallible>>>, ApiError> {
    let header = match headers.get("last-event-id") {
        None => None,
        Some(v) => Some(
            v.to_str()
                .ok()
                .and_then(|s| s.trim().parse::<EventId>().ok())
                .ok_or_else(|| {
                    ApiError::new(
                        StatusCode::BAD_REQUEST,
                        "invalid_last_event_id",
                        "Last-Event-ID must be an event id (a whole number)",
                    )
                })?,
        ),
    };
    let live = state.hall.subscribe();
    let current = state.hall.read_at(|_, id| id);
    let resume = header.or(query.after);
    let mut feed = Feed {
        hall: state.hall.clone(),
        live,
        shutdown: state.shutdown.clone(),
        sent: resume.unwrap_or(current),
        backlog: VecDeque::new(),
        caught_up: resume.is_none(),
        pending: None,
    };
    if resume.is_some_and(|r| r > current) {
        feed.sent = current;
        feed.caught_up = true;
        feed.pending = Some(
            Event::default()
                .event("stream.reset")
                .data(format!("{{\"last_event_id\":{current}}}")),
        );
    }
    let stream = futures_util::stream::unfold(feed, |mut feed| async move {
        let event = feed.next().await?;
        Some((Ok(event), feed))
    });
    Ok(Sse::new(stream).keep_alive(
        KeepAlive::new()
            .interval(Duration::from_secs(KEEP_ALIVE_SECS))
            .text("keep-alive"),
    ))
}

struct Feed {
    hall: Arc<Hall>,
    live: broadcast::Receiver<crate::hall::LiveEvent>,
    shutdown: watch::Receiver<bool>,
    /// The id of the last event sent (or the point to start after).
    sent: EventId,
    backlog: VecDeque<StoredEvent>,
    caught_up: bool,
    pending: Option<Event>,
}

impl Feed {
    /// The next event to send; `None` ends the stream (shutdown, or the store failed
    /// and the client should reconnect, which resumes where it was).
    async fn next(&mut self) -> Option<Event> {
        if let Some(e) = self.pending.take() {
            return Some(e);
        }
        loop {
            if let Some(e) = self.backlog.pop_front() {
                if e.id > self.sent {
                    self.sent = e.id;
                    return Some(to_sse(&e));
                }
                continue;
            }
            if !self.caught_up {
                let store = self.hall.store().clone();
                let after = self.sent;
                let page =
                    tokio::task::spawn_blocking(move || store.events_after(after, BACKLOG_PAGE))
                        .await;
                match page {
                    Ok(Ok(page)) => {
                        self.caught_up = page.len() < BACKLOG_PAGE;
                        self.backlog.extend(page);
                        continue;
                    }
                    Ok(Err(e)) => {
                        tracing::warn!("event stream ends: cannot read stored events: {e}");
                        return None;
                    }
                    Err(_) => return None,
                }
            }
            if *self.shutdown.borrow() {
                return None;
            }
            tokio::select! {
                _ = self.shutdown.changed() => return None,
                received = self.live.recv() => match received {
                    Ok(e) if e.event.id > self.sent => {
                        self.sent = e.event.id;
                        return Some(sse(&e.event, &e.json));
                    }
                    Ok(_) => {}
                    Err(broadcast::error::RecvError::Lagged(_)) => self.caught_up = false,
                    Err(broadcast::error::RecvError::Closed) => return None,
                },
            }
        }
    }
}

/// A stored event read back from the store (a reconnecting display's backlog).
fn to_sse(e: &StoredEvent) -> Event {
    sse(e, &serde_json::to_string(e).unwrap_or_else(|_| "{}".into()))
}

fn sse(e: &StoredEvent, json: &str) -> Event {
    Event::default()
        .id(e.id.to_string())
        .event(e.change.kind.name())
        .data(json)
}
