//! The API's one error type, and how each failure becomes an HTTP answer:
//! `{"error": {"code", "message", "citizen_message"?}}` with a 4xx for anything the
//! client can fix and a 5xx only for the service's own trouble.

use axum::extract::FromRequest;
use axum::extract::FromRequestParts;
use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::hall::HallError;
pub use motcua_api::{ErrorBody, ErrorDetail};
use motcua_core::domain::Localized;
use motcua_core::queue::QueueError;

#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
    pub citizen_message: Option<Localized>,
    /// Seconds, for `Retry-After`.
    pub retry_after: Option<u64>,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        ApiError {
            status,
            code,
            message: message.into(),
            citizen_message: None,
            retry_after: None,
        }
    }

    pub fn not_found(code: &'static str, message: impl Into<String>) -> Self {
        ApiError::new(StatusCode::NOT_FOUND, code, message)
    }

    pub fn internal(message: impl Into<String>) -> Self {
        let message = message.into();
        tracing::error!("{message}");
        ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal_error", message)
    }

    /// 429 with `Retry-After`: the client asked too often and may ask again after `wait`.
    pub fn too_many(
        code: &'static str,
        message: impl Into<String>,
        wait: std::time::Duration,
    ) -> Self {
        ApiError {
            retry_after: Some(wait.as_secs() + 1),
            ..ApiError::new(StatusCode::TOO_MANY_REQUESTS, code, message)
        }
    }

    pub fn citizen(mut self, vi: String, en: String) -> Self {
        self.citizen_message = Some(Localized { vi, en: Some(en) });
        self
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let unauthorized = self.status == StatusCode::UNAUTHORIZED;
        let retry_after = self.retry_after;
        let body = ErrorBody {
            error: ErrorDetail {
                code: self.code.to_owned(),
                message: self.message,
                citizen_message: self.citizen_message,
            },
        };
        let mut response = (self.status, axum::Json(body)).into_response();
        if unauthorized {
            response
                .headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        if let Some(secs) = retry_after {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        response
    }
}

impl From<HallError> for ApiError {
    fn from(e: HallError) -> Self {
        match e {
            HallError::Queue(q) => q.into(),
            HallError::Invalid(message) => {
                ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_dossier", message)
            }
            HallError::Storage(s) => {
                tracing::error!("storage failed, command refused: {s}");
                ApiError::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "storage_unavailable",
                    format!("the hall service cannot save right now, so nothing was changed; try again ({s})"),
                )
                .citizen(
                    "Hệ thống đang bận, chưa cấp được số. Xin vui lòng thử lại.".into(),
                    "The system is busy and could not give a ticket. Please try again.".into(),
                )
            }
        }
    }
}

impl From<QueueError> for ApiError {
    fn from(e: QueueError) -> Self {
        use StatusCode as S;
        let message = e.to_string();
        match e {
            QueueError::UnknownService(_) => {
                ApiError::new(S::UNPROCESSABLE_ENTITY, "unknown_service", message)
            }
            QueueError::UnknownPriority(_) => {
                ApiError::new(S::UNPROCESSABLE_ENTITY, "unknown_priority_group", message)
            }
            QueueError::ServiceClosed { name, hours, .. } => {
                let en = name.en.clone().unwrap_or_else(|| name.vi.clone());
                ApiError::new(S::CONFLICT, "service_closed", message).citizen(
                    format!(
                        "Lĩnh vực {} hiện chưa nhận số. Giờ nhận số: {}.",
                        name.vi,
                        hours.describe_in(true)
                    ),
                    format!(
                        "{en} is not giving tickets now. Hours: {}.",
                        hours.describe_in(false)
                    ),
                )
            }
            QueueError::DailyLimitReached { name, limit, .. } => {
                let en = name.en.clone().unwrap_or_else(|| name.vi.clone());
                ApiError::new(S::CONFLICT, "daily_limit_reached", message).citizen(
                    format!(
                        "Lĩnh vực {} đã hết số hôm nay ({limit} số). Xin mời ông/bà quay lại vào ngày làm việc tiếp theo.",
                        name.vi
                    ),
                    format!("{en} has given out all {limit} tickets for today. Please come back on the next working day."),
                )
            }
            QueueError::UnknownCounter(_) => {
                ApiError::new(S::NOT_FOUND, "unknown_counter", message)
            }
            QueueError::CounterClosed(_) => ApiError::new(S::CONFLICT, "counter_closed", message),
            QueueError::Stale { .. } => ApiError::new(S::CONFLICT, "stale", message),
            QueueError::NotGuardable => {
                ApiError::new(S::UNPROCESSABLE_ENTITY, "not_guardable", message)
            }
            QueueError::NoCurrentTicket(_) => {
                ApiError::new(S::CONFLICT, "no_current_ticket", message)
            }
            QueueError::WrongStatus { .. } => {
                ApiError::new(S::CONFLICT, "wrong_ticket_status", message)
            }
            QueueError::CounterBusy { .. } => ApiError::new(S::CONFLICT, "counter_busy", message),
            QueueError::InvalidTransfer(_) => {
                ApiError::new(S::UNPROCESSABLE_ENTITY, "invalid_transfer", message)
            }
            QueueError::InvalidRating => {
                ApiError::new(S::UNPROCESSABLE_ENTITY, "invalid_rating", message)
            }
            QueueError::UnknownTicket(_) => ApiError::new(S::NOT_FOUND, "unknown_ticket", message),
            QueueError::NothingToRate(_) => ApiError::new(S::CONFLICT, "nothing_to_rate", message)
                .citizen(
                    "Chưa có lượt phục vụ nào để đánh giá.".into(),
                    "There is no service to rate yet.".into(),
                ),
            QueueError::AlreadyRated { .. } => ApiError::new(S::CONFLICT, "already_rated", message)
                .citizen(
                    "Ông/bà đã đánh giá lượt phục vụ này. Xin cảm ơn!".into(),
                    "You have already rated this service. Thank you!".into(),
                ),
            QueueError::OfflineTooOld { .. } => {
                ApiError::new(S::CONFLICT, "offline_ticket_too_old", message)
            }
            QueueError::NotThisCounter { .. } => {
                ApiError::new(S::CONFLICT, "not_this_counter", message)
            }
        }
    }
}

impl From<JsonRejection> for ApiError {
    fn from(r: JsonRejection) -> Self {
        let (code, message) = match &r {
            JsonRejection::MissingJsonContentType(_) => (
                "unsupported_media_type",
                "send the body as JSON with the header `Content-Type: application/json`"
                    .to_string(),
            ),
            JsonRejection::JsonSyntaxError(_) => (
                "invalid_json",
                format!("the body is not valid JSON: {}", r.body_text()),
            ),
            JsonRejection::JsonDataError(_) => (
                "invalid_request",
                format!("the JSON does not fit this request: {}", r.body_text()),
            ),
            _ if r.status() == StatusCode::PAYLOAD_TOO_LARGE => (
                "payload_too_large",
                "the body is larger than this API accepts (64 KiB)".to_string(),
            ),
            _ => ("invalid_body", r.body_text()),
        };
        ApiError::new(r.status(), code, message)
    }
}

impl From<PathRejection> for ApiError {
    fn from(r: PathRejection) -> Self {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "invalid_path",
            format!("a part of the URL is not valid: {}", r.body_text()),
        )
    }
}

impl From<QueryRejection> for ApiError {
    fn from(r: QueryRejection) -> Self {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "invalid_query",
            format!("the query string is not valid: {}", r.body_text()),
        )
    }
}

/// `axum::Json` whose rejections are `ApiError`s.
#[derive(FromRequest)]
#[from_request(via(axum::Json), rejection(ApiError))]
pub struct ApiJson<T>(pub T);

/// A JSON body that may be left out: no body at all (as clients older than the body
/// send) is `T::default()`; a body is read as `ApiJson` reads it.
pub struct OptionalJson<T>(pub T);

impl<T, S> axum::extract::FromRequest<S> for OptionalJson<T>
where
    T: serde::de::DeserializeOwned + Default,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(req: axum::extract::Request, state: &S) -> Result<Self, ApiError> {
        let headers = req.headers();
        let length = headers.get(axum::http::header::CONTENT_LENGTH);
        let chunked = headers.contains_key(axum::http::header::TRANSFER_ENCODING);
        let empty = length.map_or(!chunked, |l| l == "0");
        if empty {
            return Ok(OptionalJson(T::default()));
        }
        let ApiJson(value) = ApiJson::<T>::from_request(req, state).await?;
        Ok(OptionalJson(value))
    }
}

/// `axum::extract::Path` whose rejections are `ApiError`s.
#[derive(FromRequestParts)]
#[from_request(via(axum::extract::Path), rejection(ApiError))]
pub struct ApiPath<T>(pub T);

/// `axum::extract::Query` whose rejections are `ApiError`s.
#[derive(FromRequestParts)]
#[from_request(via(axum::extract::Query), rejection(ApiError))]
pub struct ApiQuery<T>(pub T);
