//! `/counter`: the staff page, served from the binary. Plain HTML, CSS and JS in
//! `assets/web/`, no build step and nothing from the internet, so it works on any
//! counter PC's stock browser inside a hall without internet.

use axum::http::header;
use axum::response::IntoResponse;

const HTML: &str = include_str!("../../../../assets/web/counter.html");
const CSS: &str = include_str!("../../../../assets/web/counter.css");
const JS: &str = include_str!("../../../../assets/web/counter.js");

/// Browsers check again on every load, so an upgraded service is used at once.
const NO_CACHE: (header::HeaderName, &str) = (header::CACHE_CONTROL, "no-cache");

pub async fn page() -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "text/html; charset=utf-8"), NO_CACHE],
        HTML,
    )
}

pub async fn css() -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "text/css; charset=utf-8"), NO_CACHE],
        CSS,
    )
}

pub async fn js() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            NO_CACHE,
        ],
        JS,
    )
}
