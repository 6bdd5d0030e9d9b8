//! `/t/{id}`: the page a citizen's phone opens from the QR code on a ticket. Plain
//! HTML that refreshes itself, in Vietnamese with English below, large type, no
//! script, no personal data: the number, where it stands, and where to go. With the
//! key printed in the QR, the page also lets the ticket's holder rate the service.

use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};

use axum::Form;
use axum::response::Redirect;
use serde::Deserialize;

use super::AppState;
use super::error::{ApiPath, ApiQuery};
use motcua_api::TicketView;
use motcua_core::domain::{RatingSource, Satisfaction, TicketId, TicketStatus};
use motcua_core::queue::Command;

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

#[derive(Deserialize)]
pub struct FollowQuery {
    /// The key printed in the ticket's QR: lets its holder rate the service.
    k: Option<String>,
}

pub async fn follow(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<TicketId>,
    ApiQuery(query): ApiQuery<FollowQuery>,
) -> Response {
    let key = query.k.filter(|k| state.hall.follow_key_ok(id, k));
    let found = state.hall.read(|q| {
        q.ticket(id).map(|t| {
            let view = TicketView::of(q, t);
            let service = q
                .layout()
                .service(&t.service)
                .map(|s| s.name.vi.clone())
                .unwrap_or_default();
            let counter = t
                .counter
                .and_then(|c| q.layout().counter(c))
                .map(|c| c.name.clone());
            (view, service, counter)
        })
    });
    let hall = state.hall.config().layout.hall.name.clone();
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
            "",
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
    let rating = match (&key, &view.ticket.rating) {
        (_, Some(r)) => {
            let label = r.level.label();
            format!(
                "<p class=\"thanks\">Ông/bà đã đánh giá: <b>{}</b>. Xin cảm ơn!<br><span>Rated: {}. Thank you!</span></p>",
                escape(&label.vi),
                escape(label.en.as_deref().unwrap_or_default())
            )
        }
        (Some(k), None)
            if matches!(
                view.ticket.status,
                TicketStatus::Done | TicketStatus::Serving
            ) =>
        {
            rating_form(id, k)
        }
        _ => String::new(),
    };
    let body = page(
        &hall,
        &view.ticket.number,
        &service,
        (&vi, &en),
        look,
        &rating,
    );
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

/// Four large buttons, one per level; a plain form, so it works without script.
fn rating_form(id: TicketId, key: &str) -> String {
    let buttons: String = Satisfaction::ALL
        .iter()
        .map(|l| {
            let label = l.label();
            format!(
                "<button name=\"level\" value=\"{}\" class=\"{}\">{}<span>{}</span></button>",
                l.as_str(),
                l.as_str(),
                escape(&label.vi),
                escape(label.en.as_deref().unwrap_or_default())
            )
        })
        .collect();
    format!(
        "<form class=\"rate\" method=\"post\" action=\"/t/{id}/rating\">\
         <p>Ông/bà có hài lòng với việc phục vụ?<br><span>How satisfied were you with the service?</span></p>\
         <input type=\"hidden\" name=\"k\" value=\"{}\">{buttons}</form>",
        escape(key)
    )
}

/// "Không hài lòng" on the phone: why? One button per reason the hall offers, and
/// "skip"; the rating is recorded with the answer.
fn why_form(id: TicketId, key: &str, reasons: &[String]) -> String {
    let button = |value: &str, label: &str, class: &str| {
        format!(
            "<button name=\"reason\" value=\"{}\" class=\"{class}\">{}</button>",
            escape(value),
            label
        )
    };
    let buttons: String = reasons
        .iter()
        .map(|r| button(r, &escape(r), "reason"))
        .chain(std::iter::once(button(
            "",
            "Bỏ qua<span>Skip</span>",
            "skip",
        )))
        .collect();
    format!(
        "<form class=\"rate\" method=\"post\" action=\"/t/{id}/rating\">\
         <p>Ông/bà chưa hài lòng vì điều gì?<br><span>What was not right?</span></p>\
         <input type=\"hidden\" name=\"k\" value=\"{}\">\
         <input type=\"hidden\" name=\"level\" value=\"unsatisfied\">{buttons}</form>",
        escape(key)
    )
}

#[derive(Deserialize)]
pub struct PhoneRating {
    k: String,
    level: String,
    /// Only with "unsatisfied": one of the hall's reasons, or empty to skip.
    reason: Option<String>,
}

/// `POST /t/{id}/rating`: the citizen's phone rates the service; the page shows the
/// result (post, then redirect, so a reload does not post again).
pub async fn rate(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<TicketId>,
    form: Result<Form<PhoneRating>, axum::extract::rejection::FormRejection>,
) -> Response {
    let hall = state.hall.config().layout.hall.name.clone();
    let refuse = |status: StatusCode, vi: &str, en: &str| {
        let body = page(&hall, "—", "", (vi, en), Look::Final, "");
        (
            status,
            [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
            body,
        )
            .into_response()
    };
    let Ok(Form(form)) = form else {
        return refuse(
            StatusCode::BAD_REQUEST,
            "Phiếu đánh giá không hợp lệ.",
            "The rating form was not filled in right.",
        );
    };
    if !state.hall.follow_key_ok(id, &form.k) {
        return refuse(
            StatusCode::FORBIDDEN,
            "Chỉ người giữ phiếu số mới đánh giá được (quét mã QR trên phiếu).",
            "Only the ticket's holder can rate: scan the QR code on the ticket.",
        );
    }
    let Some(level) = Satisfaction::parse(&form.level) else {
        return refuse(
            StatusCode::UNPROCESSABLE_ENTITY,
            "Mức đánh giá không hợp lệ.",
            "Not a rating level.",
        );
    };
    let reasons = &state.hall.config().ratings.reasons;
    let reason = match form.reason.as_deref().map(str::trim) {
        // Not satisfied, not yet said why: ask (nothing is recorded until answered).
        None if level == Satisfaction::Unsatisfied && !reasons.is_empty() => {
            let number = state
                .hall
                .read(|q| q.ticket(id).map(|t| t.number.clone()))
                .unwrap_or_default();
            let body = page(
                &hall,
                &number,
                "",
                ("", ""),
                Look::Final,
                &why_form(id, &form.k, reasons),
            );
            return ([(header::CONTENT_TYPE, "text/html; charset=utf-8")], body).into_response();
        }
        Some(r) if !r.is_empty() && level == Satisfaction::Unsatisfied => {
            if !reasons.iter().any(|o| o == r) {
                return refuse(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "Lý do không có trong danh sách.",
                    "Not one of the reasons offered.",
                );
            }
            Some(r.to_owned())
        }
        _ => None,
    };
    let command = Command::Rate {
        ticket: Some(id),
        counter: None,
        level,
        reason,
        source: RatingSource::Phone,
    };
    match super::staff::rated_view(&state, command).await {
        // Already rated (say, a second tap): the page shows the first rating.
        Ok(_) => {}
        Err(e) if e.status == StatusCode::CONFLICT => {}
        Err(e) if e.status == StatusCode::NOT_FOUND => {
            return refuse(
                StatusCode::NOT_FOUND,
                "Không tìm thấy số này (có thể từ ngày trước).",
                "No such ticket today.",
            );
        }
        Err(e) => {
            return refuse(
                e.status,
                "Chưa ghi được đánh giá. Xin thử lại.",
                "The rating could not be saved. Please try again.",
            );
        }
    }
    Redirect::to(&format!("/t/{id}?k={}", form.k)).into_response()
}

fn page(
    hall: &str,
    number: &str,
    service: &str,
    (vi, en): (&str, &str),
    look: Look,
    extra: &str,
) -> String {
    let refresh = if look == Look::Final {
        String::new()
    } else {
        format!("<meta http-equiv=\"refresh\" content=\"{REFRESH_SECS}\">")
    };
    let class = if look == Look::Called { "called" } else { "" };
    // Only a page that refreshes says so.
    let footer = if look == Look::Final {
        ""
    } else {
        "<footer>Trang tự cập nhật. Xin chú ý màn hình và loa gọi số trong sảnh.<br>This page updates itself.</footer>"
    };
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
.rate{{margin:1.5rem 1rem;display:flex;flex-direction:column;gap:.7rem}}
.rate p{{font-size:1.3rem;font-weight:700;margin:0 0 .3rem}}
.rate p span,.rate button span,.thanks span{{display:block;font-size:.95rem;font-weight:400;color:#3f4a56}}
.rate button{{font:inherit;font-size:1.4rem;font-weight:700;padding:.9rem;border-radius:.8rem;border:3px solid #0b4f9c;background:#fff;color:#0b4f9c}}
.rate .very_satisfied{{background:#0b7a3b;border-color:#0b7a3b;color:#fff}}
.rate .skip{{border-color:#9aa5b1;color:#3f4a56}}
.rate .very_satisfied span{{color:#e6f5ec}}
.rate .unsatisfied{{border-color:#b5121b;color:#b5121b}}
.thanks{{font-size:1.3rem;margin:1.5rem 1rem;background:#e6f5ec;padding:1rem;border-radius:1rem}}
</style></head>
<body class="{class}"><header>{hall}</header>
<p class="n">{number}</p><p class="s">{service}</p>
<p class="vi">{vi}</p><p class="en">{en}</p>
{extra}
{footer}
</body></html>
"#,
        hall = escape(hall),
        number = escape(number),
        service = escape(service),
        vi = escape(vi),
        en = escape(en),
    )
}
