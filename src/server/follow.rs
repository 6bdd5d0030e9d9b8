//! `/t/{id}`: the page a citizen's phone opens from the QR code on a ticket. Plain
//! HTML that refreshes itself, in Vietnamese with English below, large type, no
//! script, no personal data: the number, where it stands, and where to go.

use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::AppState;
use super::api::TicketView;
use super::error::ApiPath;
use crate::domain::{TicketId, TicketStatus};

/// Seconds between refreshes: often enough not to miss a call walking back in.
const REFRESH_SECS: u32 = 15;

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// What the ticket's holder should know now, in Vietnamese and English.
fn situation(v: &TicketView, counter_name: Option<&str>) -> (String, String) {
    let counter = counter_name.unwrap_or("quầy");
    match v.ticket.status {
        TicketStatus::Waiting => match (v.waiting_ahead, v.estimated_wait_s) {
            (Some(0), _) => ("Ông/bà là người tiếp theo.".into(), "You are next.".into()),
            (Some(n), Some(s)) if s > 0 => (
                format!(
                    "Còn {n} người trước ông/bà, khoảng {} phút.",
                    s.div_ceil(60)
                ),
                format!("{n} ahead of you, about {} min.", s.div_ceil(60)),
            ),
            (Some(n), _) => (
                format!("Còn {n} người trước ông/bà."),
                format!("{n} ahead of you."),
            ),
            (None, _) => ("Đang chờ gọi số.".into(), "Waiting to be called.".into()),
        },
        TicketStatus::Called => (
            format!("Đến lượt! Xin mời đến {counter}."),
            format!("It is your turn! Please go to {counter}."),
        ),
        TicketStatus::Serving => (
            format!("Đang được phục vụ tại {counter}."),
            "Being served.".into(),
        ),
        TicketStatus::Done => (
            "Đã phục vụ xong. Cảm ơn ông/bà.".into(),
            "Served. Thank you.".into(),
        ),
        TicketStatus::NoShow => (
            "Số đã bị bỏ qua vì không có mặt khi được gọi. Xin lấy số mới.".into(),
            "This number was skipped: nobody came when called. Please take a new ticket.".into(),
        ),
        TicketStatus::Expired => (
            "Số đã hết hạn. Xin lấy số mới.".into(),
            "This ticket has expired. Please take a new one.".into(),
        ),
    }
}

pub async fn follow(State(state): State<AppState>, ApiPath(id): ApiPath<TicketId>) -> Response {
    let found = state.hall.read(|q| {
        q.ticket(id).map(|t| {
            let view = TicketView::of(q, t);
            let service = q
                .config()
                .service(&t.service)
                .map(|s| s.name.vi.clone())
                .unwrap_or_default();
            let counter = t
                .counter
                .and_then(|c| q.config().counter(c))
                .map(|c| c.name.clone());
            (view, service, counter)
        })
    });
    let hall = state.hall.config().hall.name.clone();
    let Some((view, service, counter)) = found else {
        let body = page(
            &hall,
            "—",
            "",
            (
                "Không tìm thấy số này (có thể từ ngày trước).",
                "No such ticket today.",
            ),
            Look::Final,
        );
        return (
            StatusCode::NOT_FOUND,
            [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
            body,
        )
            .into_response();
    };
    let (vi, en) = situation(&view, counter.as_deref());
    let look = match view.ticket.status {
        TicketStatus::Called => Look::Called,
        s if s.is_open() => Look::Waiting,
        _ => Look::Final,
    };
    let body = page(&hall, &view.ticket.number, &service, (&vi, &en), look);
    (
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (header::CACHE_CONTROL, "no-store"),
        ],
        body,
    )
        .into_response()
}

/// How the page looks, and whether it keeps refreshing.
#[derive(PartialEq)]
enum Look {
    Waiting,
    Called,
    Final,
}

fn page(hall: &str, number: &str, service: &str, (vi, en): (&str, &str), look: Look) -> String {
    let refresh = if look == Look::Final {
        String::new()
    } else {
        format!("<meta http-equiv=\"refresh\" content=\"{REFRESH_SECS}\">")
    };
    let class = if look == Look::Called { "called" } else { "" };
    format!(
        r#"<!doctype html>
<html lang="vi"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
{refresh}<title>Số {number} – {hall}</title>
<style>
body{{font-family:"Noto Sans",system-ui,sans-serif;margin:0;background:#eef2f6;color:#121820;text-align:center}}
header{{background:#0b4f9c;color:#fff;padding:1rem;font-weight:700;font-size:1.1rem}}
.n{{font-size:5.5rem;font-weight:800;color:#b5121b;margin:1rem 0 0}}
.s{{font-size:1.5rem;font-weight:700;color:#0b4f9c}}
.vi{{font-size:1.6rem;font-weight:700;margin:1.5rem 1rem .5rem}}
.called .vi{{background:#fff1c2;padding:1rem;border-radius:1rem}}
.en{{font-size:1.1rem;color:#3f4a56;margin:0 1rem}}
footer{{margin:2rem 1rem;color:#3f4a56;font-size:.95rem}}
</style></head>
<body class="{class}"><header>{hall}</header>
<p class="n">{number}</p><p class="s">{service}</p>
<p class="vi">{vi}</p><p class="en">{en}</p>
<footer>Trang tự cập nhật. Xin chú ý màn hình và loa gọi số trong sảnh.<br>This page updates itself.</footer>
</body></html>
"#,
        hall = escape(hall),
        number = escape(number),
        service = escape(service),
        vi = escape(vi),
        en = escape(en),
    )
}
