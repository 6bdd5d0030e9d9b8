//! Asks the province's one-stop system for dossier changes on a schedule: one request
//! at a time, paged, continuing from the cursor kept across restarts. When it is away
//! the hall keeps working from what it has, backs off, and says when it last heard.

use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use chrono_tz::Tz;
use serde_json::Value;

use crate::config::Upstream;
use crate::hall::Hall;
use crate::upstream::{Page, SharedStatus, apply, lock, parse_page};

/// Pages read one after another in one round before the poller rests.
const MAX_PAGES_PER_ROUND: u32 = 20;
/// The longest the poller waits after failures.
const MAX_BACKOFF: Duration = Duration::from_secs(600);
/// Where the cursor is kept between restarts.
const CURSOR_KEY: &str = "upstream.cursor";
const HEARD_KEY: &str = "upstream.last_success_at";

/// Asks for changes until the task is dropped.
pub async fn run(hall: Arc<Hall>, config: Upstream, status: SharedStatus) {
    let http = match motcua_net::client(&motcua_net::Options {
        ca_file: config.ca_file.clone(),
        connect_timeout: Some(Duration::from_secs(5)),
        timeout: Some(Duration::from_secs(config.timeout_seconds)),
        read_timeout: None,
    }) {
        Ok(http) => http,
        Err(e) => {
            // The config was checked at start; a CA file gone since is said and waited out.
            tracing::error!("upstream: {e}; not polling the province's system");
            let mut s = lock(&status);
            s.configured = true;
            s.last_error = Some(e.to_string());
            return;
        }
    };
    let auth = config
        .auth_env
        .as_deref()
        .and_then(|v| std::env::var(v).ok());
    let interval = Duration::from_secs(config.interval_seconds);
    let tz = hall.config().layout.hall.time_zone;
    let store = hall.store().clone();
    let (cursor, heard) = tokio::task::spawn_blocking(move || {
        (
            store.meta(CURSOR_KEY).ok().flatten(),
            store.meta(HEARD_KEY).ok().flatten(),
        )
    })
    .await
    .unwrap_or_default();
    {
        let mut s = lock(&status);
        s.configured = true;
        s.cursor = cursor;
        s.last_success_at = heard.and_then(|h| h.parse().ok());
    }
    let mut failures = 0u32;
    loop {
        let mut pages = 0;
        let outcome = loop {
            pages += 1;
            match fetch_page(&http, &config, auth.as_deref(), &status, tz).await {
                Ok((updates, cursor)) => {
                    let full = updates.len() >= config.page_size as usize;
                    let hall2 = hall.clone();
                    let (applied, skipped) =
                        tokio::task::spawn_blocking(move || apply(&hall2, updates))
                            .await
                            .unwrap_or((0, 0));
                    let now = Utc::now();
                    let store = hall.store().clone();
                    let saved = cursor.clone();
                    let _ = tokio::task::spawn_blocking(move || {
                        if let Some(c) = &saved {
                            store.set_meta(CURSOR_KEY, c)?;
                        }
                        store.set_meta(HEARD_KEY, &now.to_rfc3339())
                    })
                    .await;
                    let mut s = lock(&status);
                    s.last_success_at = Some(now);
                    s.last_error = None;
                    s.applied += applied;
                    s.skipped += skipped;
                    if cursor.is_some() {
                        s.cursor = cursor;
                    }
                    if !full || pages >= MAX_PAGES_PER_ROUND {
                        break Ok(());
                    }
                }
                Err(e) => break Err(e),
            }
        };
        let wait = match outcome {
            Ok(()) => {
                failures = 0;
                interval
            }
            Err(e) => {
                failures += 1;
                tracing::warn!("upstream: {e} (attempt {failures}); working from local data");
                lock(&status).last_error = Some(e);
                (interval * 2u32.saturating_pow(failures.min(10) - 1))
                    .min(MAX_BACKOFF.max(interval))
            }
        };
        tokio::time::sleep(wait).await;
    }
}

async fn fetch_page(
    http: &reqwest::Client,
    config: &Upstream,
    auth: Option<&str>,
    status: &SharedStatus,
    tz: Tz,
) -> Result<Page, String> {
    let (cursor, since) = {
        let mut s = lock(status);
        s.last_attempt_at = Some(Utc::now());
        (s.cursor.clone(), s.last_success_at)
    };
    let url = format!(
        "{}{}",
        config.base_url.trim_end_matches('/'),
        config.changes_path
    );
    let mut query: Vec<(&str, String)> = vec![("limit", config.page_size.to_string())];
    if let Some(c) = cursor {
        query.push(("cursor", c));
    } else if let Some(t) = since {
        query.push(("since", t.to_rfc3339()));
    }
    let mut req = http.get(&url).query(&query);
    if let (Some(h), Some(v)) = (config.auth_header.as_deref(), auth) {
        req = req.header(h, v);
    }
    let res = req.send().await.map_err(|e| {
        if e.is_timeout() {
            "the province's system did not answer in time".to_owned()
        } else {
            format!(
                "the province's system cannot be reached: {}",
                motcua_net::describe(&e)
            )
        }
    })?;
    let code = res.status();
    if !code.is_success() {
        return Err(format!("the province's system answered HTTP {code}"));
    }
    let body = res
        .bytes()
        .await
        .map_err(|e| format!("the answer broke off: {e}"))?;
    let json: Value = serde_json::from_slice(&body)
        .map_err(|e| format!("the province's system answered something that is not JSON: {e}"))?;
    parse_page(&config.fields, &json, tz)
}
