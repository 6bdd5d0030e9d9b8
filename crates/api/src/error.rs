//! The body of every error answer, as the service writes it and clients read it.

use serde::{Deserialize, Serialize};

use motcua_core::domain::Localized;

/// The body of every error answer.
#[derive(Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ErrorDetail {
    /// Stable, machine-readable: `service_closed`, `unknown_counter`, `invalid_json`, …
    pub code: String,
    /// What went wrong, for the developer or operator reading it.
    pub message: String,
    /// For refusals a kiosk shows a citizen as is (closed line, no tickets left).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub citizen_message: Option<Localized>,
}
