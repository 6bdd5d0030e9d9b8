//! Who is calling: bearer tokens from the config (and `MOTCUA_ADMIN_TOKEN`), each
//! with a role. Reads of public data need no token; every write needs one.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{StatusCode, header};

use super::AppState;
use super::error::ApiError;
use crate::config::{Role, Token};
use motcua_core::domain::CounterId;

/// The device or person behind a request's token.
#[derive(Clone, Debug)]
pub struct Caller {
    pub role: Role,
    pub name: String,
    pub counter: Option<CounterId>,
    /// For a kiosk: the series of the tickets it gives out on its own.
    pub series: Option<String>,
    /// How many tickets a minute it may take (0: no limit).
    pub tickets_per_minute: u32,
}

impl Caller {
    /// Kiosks, counter staff and admins may take tickets.
    pub fn may_issue(&self) -> Result<(), ApiError> {
        match self.role {
            Role::Admin | Role::Kiosk | Role::Counter => Ok(()),
            Role::Display => Err(forbidden(format!(
                "{} (a display) cannot take tickets",
                self.name
            ))),
        }
    }

    /// Admins act on any counter; counter tokens only on their own.
    pub fn may_act_on(&self, counter: CounterId) -> Result<(), ApiError> {
        match (self.role, self.counter) {
            (Role::Admin, _) => Ok(()),
            (Role::Counter, Some(own)) if own == counter => Ok(()),
            (Role::Counter, Some(own)) => Err(forbidden(format!(
                "this token belongs to counter {own}, not counter {counter}"
            ))),
            _ => Err(forbidden(format!("{} cannot act on counters", self.name))),
        }
    }
}

fn forbidden(message: String) -> ApiError {
    ApiError::new(StatusCode::FORBIDDEN, "forbidden", message)
}

pub fn find<'a>(tokens: &'a [Token], presented: &str) -> Option<&'a Token> {
    tokens.iter().fold(None, |found, t| {
        if crate::hall::same_secret(&t.token, presented) {
            Some(t)
        } else {
            found
        }
    })
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let Some(value) = parts.headers.get(header::AUTHORIZATION) else {
            return Err(ApiError::new(
                StatusCode::UNAUTHORIZED,
                "missing_token",
                "this request changes the queue: send `Authorization: Bearer TOKEN` with a device token",
            ));
        };
        let presented = value
            .to_str()
            .ok()
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(str::trim)
            .unwrap_or("");
        let token = find(&state.hall.config().tokens, presented).ok_or_else(|| {
            ApiError::new(
                StatusCode::UNAUTHORIZED,
                "invalid_token",
                "the bearer token is not one this hall knows",
            )
        })?;
        Ok(Caller {
            role: token.role,
            name: token.name.clone(),
            counter: token.counter,
            series: token.series.clone(),
            tickets_per_minute: token.tickets_per_minute,
        })
    }
}
