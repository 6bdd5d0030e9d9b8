//! The Slint windows (kiosk, display, rating) and their adapter globals, compiled from
//! the workspace's `ui/main.slint` by `build.rs`.
#![allow(clippy::all, missing_docs, unused_qualifications)]

slint::include_modules!();

/// "Thứ Ba, 24/11/2026" (or "Tuesday, 24/11/2026") for the windows' headers.
pub fn date_text<Tz: chrono::TimeZone>(english: bool, now: &chrono::DateTime<Tz>) -> String {
    use chrono::Datelike;
    const VI: [&str; 7] = [
        "Thứ Hai",
        "Thứ Ba",
        "Thứ Tư",
        "Thứ Năm",
        "Thứ Sáu",
        "Thứ Bảy",
        "Chủ Nhật",
    ];
    const EN: [&str; 7] = [
        "Monday",
        "Tuesday",
        "Wednesday",
        "Thursday",
        "Friday",
        "Saturday",
        "Sunday",
    ];
    let i = now.weekday().num_days_from_monday() as usize;
    let day = if english { EN[i] } else { VI[i] };
    format!("{day}, {:02}/{:02}/{}", now.day(), now.month(), now.year())
}
