//! The wire types the hall service and its clients share: views of tickets, lines,
//! counters and the board, requests, error bodies and lookups. The kiosk, the display,
//! the rating screen and the pad read these; the service writes them. Depends only on
//! the core, never on the service or the store.

pub mod error;
pub mod lookup;
pub mod requests;
pub mod views;

pub use error::{ErrorBody, ErrorDetail};
pub use lookup::DossierLookup;
/// Every event is streamed and stored as this.
pub use motcua_core::queue::StoredEvent;
pub use requests::{
    CounterAction, DeviceReport, IssueRequest, OfflineTicketRequest, PRINTER_CONDITIONS,
    TransferRequest,
};
pub use views::{
    Board, BoardLine, CounterResult, CounterView, DeviceView, HallView, Health, Me, ServiceView,
    TicketView, board, counter_view, counter_views, service_views,
};
