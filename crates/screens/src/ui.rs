//! The Slint windows of this build's apps (kiosk, display, rating) and their adapter
//! globals, compiled from the workspace's `ui/<role>/<role>.slint` by `build.rs`.
#![allow(clippy::all, missing_docs, unused_qualifications)]

slint::include_modules!();

/// "Thứ Ba, 24/11/2026" for the display's header: the waiting room's screen speaks
/// Vietnamese, whatever language a citizen chose at the kiosk.
pub fn vietnamese_date<Tz: chrono::TimeZone>(now: &chrono::DateTime<Tz>) -> String {
    use chrono::Datelike;
    const DAYS: [&str; 7] = [
        "Thứ Hai",
        "Thứ Ba",
        "Thứ Tư",
        "Thứ Năm",
        "Thứ Sáu",
        "Thứ Bảy",
        "Chủ Nhật",
    ];
    let day = DAYS[now.weekday().num_days_from_monday() as usize];
    format!("{day}, {:02}/{:02}/{}", now.day(), now.month(), now.year())
}
