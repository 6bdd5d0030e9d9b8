//! What clients send: a ticket to issue, a transfer, a device's report.

use serde::{Deserialize, Serialize};

use motcua_core::domain::{CounterId, TicketId};

#[derive(Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct IssueRequest {
    /// Service code, e.g. "HT". With `dossier`, the hall's return line by default.
    #[serde(default)]
    pub service: String,
    /// A dossier whose result is ready: gives a result-return ticket for it.
    #[serde(default)]
    pub dossier: Option<String>,
    /// Priority group code, e.g. "elderly"; see `GET /api/v1/hall`.
    #[serde(default)]
    pub priority: Option<String>,
}

/// A ticket a kiosk gave out on its own while it could not reach the service, sent
/// when it can again. The kiosk is the token's; its series and `seq` make the number
/// (`A-K1-007`), and sending the same `seq` again is answered with the same ticket.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct OfflineTicketRequest {
    /// Service code, e.g. "HT".
    pub service: String,
    #[serde(default)]
    pub priority: Option<String>,
    /// The kiosk's count of its own tickets that day, from 1.
    pub seq: u32,
    /// When the kiosk gave the ticket out; it is called in its turn from then.
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub issued_at: chrono::DateTime<chrono::Utc>,
}

/// A counter's action, optionally guarded: `current` is the ticket the clerk saw at
/// the desk (`null`: none). When it is given and the desk has another ticket by now,
/// the answer is 409 `stale` and nothing is done — a double press acts once.
#[derive(Debug, Default, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct CounterAction {
    #[serde(default, deserialize_with = "present")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<u64>))]
    pub current: Option<Option<TicketId>>,
}

/// A field that is there, even as `null`, is `Some`; one left out stays `None`.
fn present<'de, D, T>(d: D) -> Result<Option<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de>,
{
    T::deserialize(d).map(Some)
}

#[derive(Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct TransferRequest {
    /// Line to move the ticket to.
    #[serde(default)]
    pub service: Option<String>,
    /// Counter that alone may call the ticket next.
    #[serde(default)]
    pub counter: Option<CounterId>,
    /// The ticket the clerk saw at the desk, as in `CounterAction`.
    #[serde(default, deserialize_with = "present")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<u64>))]
    pub current: Option<Option<TicketId>>,
}

/// A device's report about itself: sent every minute (so staff see it is alive) and
/// whenever its printer changes.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct DeviceReport {
    /// `ready`, `paper_low`, `paper_out`, `cover_open`, `cutter_error`, `offline`,
    /// `unreachable` or `unknown`; none for a device without a printer.
    #[serde(default)]
    pub printer: Option<String>,
    /// `kiosk`, `display`, `rating` or `pad`.
    #[serde(default)]
    pub role: Option<String>,
    /// The program's version (`0.1.0`).
    #[serde(default)]
    pub version: Option<String>,
    /// Seconds since the program started.
    #[serde(default)]
    pub uptime_seconds: Option<u64>,
    /// The last thing that went wrong on the device, in words, if anything did.
    #[serde(default)]
    pub last_error: Option<String>,
    /// A kiosk: tickets it gave out on its own while the service was away and has
    /// not yet placed in the queue.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub journal_waiting: Option<u32>,
}

/// The printer conditions a device may report.
pub const PRINTER_CONDITIONS: [&str; 8] = [
    "ready",
    "paper_low",
    "paper_out",
    "cover_open",
    "cutter_error",
    "offline",
    "unreachable",
    "unknown",
];
