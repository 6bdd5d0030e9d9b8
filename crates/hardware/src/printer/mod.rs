//! Ticket printers: ESC/POS over USB, TCP, serial or a file, or the simulator.
//! Everything printed is a raster drawn with the bundled font, so Vietnamese comes
//! out whole on any ESC/POS printer.

mod device;
pub mod escpos;
pub mod layout;
pub mod port;
pub mod raster;
pub mod sim;
pub mod tcp_sim;

pub use device::{EscPosPrinter, Health, PrintError, PrinterSpec, Watcher, paper_dots};
pub use escpos::Status;
pub use layout::{ReceiptPrint, TicketPrint};
pub use raster::Bitmap;
