//! ESC/POS bytes: a print job from a bitmap (built with the `escpos` crate, raster
//! sent in bands of at most 256 rows, which small-buffer printers need), and the
//! real-time status queries (`DLE EOT n`) with their answers.

use std::cell::RefCell;
use std::rc::Rc;

use escpos::driver::Driver;
use escpos::printer::Printer;
use escpos::utils::{JustifyMode, Protocol, RealTimeStatusRequest, RealTimeStatusResponse};

use super::raster::Bitmap;

/// Rows per `GS v 0` band.
pub const BAND_ROWS: u32 = 256;
/// Lines fed after the picture so the cut falls below it.
const FEED_LINES: u8 = 4;

/// Collects what the `escpos` printer would send.
#[derive(Clone, Default)]
struct Capture(Rc<RefCell<Vec<u8>>>);

impl Driver for Capture {
    fn name(&self) -> String {
        "capture".into()
    }
    fn write(&self, data: &[u8]) -> escpos::errors::Result<()> {
        self.0.borrow_mut().extend_from_slice(data);
        Ok(())
    }
    fn read(&self, _buf: &mut [u8]) -> escpos::errors::Result<usize> {
        Ok(0)
    }
    fn flush(&self) -> escpos::errors::Result<()> {
        Ok(())
    }
}

/// `GS v 0` for rows `from..to` of `b`.
fn band(b: &Bitmap, from: u32, to: u32) -> Vec<u8> {
    let x = b.row_bytes();
    let y = to - from;
    let mut out = vec![
        0x1d,
        0x76,
        0x30,
        0x00,
        x as u8,
        (x >> 8) as u8,
        y as u8,
        (y >> 8) as u8,
    ];
    out.extend_from_slice(b.rows(from, to));
    out
}

/// The whole job for one piece of paper: initialise, the picture in bands, feed, cut.
pub fn job(picture: &Bitmap) -> Vec<u8> {
    let capture = Capture::default();
    let mut p = Printer::new(capture.clone(), Protocol::default(), None);
    let built = (|| -> escpos::errors::Result<()> {
        p.init()?.justify(JustifyMode::CENTER)?;
        let mut from = 0;
        while from < picture.height() {
            let to = (from + BAND_ROWS).min(picture.height());
            p.custom(&band(picture, from, to))?;
            from = to;
        }
        p.feeds(FEED_LINES)?.cut()?.print()?;
        Ok(())
    })();
    built.expect("building a job in memory cannot fail");
    capture.0.take()
}

/// The four real-time status queries, `DLE EOT 1..4`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Query {
    Printer = 1,
    OfflineCause = 2,
    ErrorCause = 3,
    Paper = 4,
}

impl Query {
    pub const ALL: [Query; 4] = [
        Query::Printer,
        Query::OfflineCause,
        Query::ErrorCause,
        Query::Paper,
    ];

    /// Three bytes (the `escpos` crate adds a stray NUL; printers don't want it).
    pub fn bytes(self) -> [u8; 3] {
        [0x10, 0x04, self as u8]
    }

    fn request(self) -> RealTimeStatusRequest {
        match self {
            Query::Printer => RealTimeStatusRequest::Printer,
            Query::OfflineCause => RealTimeStatusRequest::OfflineCause,
            Query::ErrorCause => RealTimeStatusRequest::ErrorCause,
            Query::Paper => RealTimeStatusRequest::RollPaperSensor,
        }
    }
}

/// What the printer says about itself.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Status {
    pub online: bool,
    pub cover_open: bool,
    pub paper_out: bool,
    pub paper_near_end: bool,
    pub cutter_error: bool,
}

impl Status {
    /// Can a ticket be printed now?
    pub fn ready(&self) -> bool {
        self.online && !self.cover_open && !self.paper_out && !self.cutter_error
    }
}

/// Reads one answer into `status`; `Err` when the byte is not a status answer.
pub fn parse(query: Query, byte: u8, status: &mut Status) -> Result<(), String> {
    let bits =
        RealTimeStatusResponse::parse(query.request(), byte).map_err(|e| format!("{e:?}"))?;
    let bit = |k: RealTimeStatusResponse| bits.get(&k).copied().unwrap_or(false);
    match query {
        Query::Printer => status.online = bit(RealTimeStatusResponse::Online),
        Query::OfflineCause => {
            status.cover_open = !bit(RealTimeStatusResponse::CoverClosed);
            status.paper_out |= bit(RealTimeStatusResponse::PrintingStopsDueToPaperEnd);
        }
        Query::ErrorCause => {
            status.cutter_error = bit(RealTimeStatusResponse::AutocutterErrorOccurred)
        }
        Query::Paper => {
            status.paper_near_end =
                !bit(RealTimeStatusResponse::RollPaperNearEndSensorPaperAdequate);
            status.paper_out |= !bit(RealTimeStatusResponse::RollPaperEndSensorPaperPresent);
        }
    }
    Ok(())
}

/// The byte a printer in `status` answers to `query`, Epson style (`0xx1xx10`).
pub fn answer(query: Query, status: &Status) -> u8 {
    let mut b = 0b0001_0010;
    let mut set = |bit: u8, on: bool| {
        if on {
            b |= 1 << bit;
        }
    };
    match query {
        Query::Printer => set(3, !status.ready()),
        Query::OfflineCause => {
            set(2, status.cover_open);
            set(5, status.paper_out);
            set(6, status.cutter_error);
        }
        Query::ErrorCause => set(3, status.cutter_error),
        Query::Paper => {
            set(2, status.paper_near_end || status.paper_out);
            set(3, status.paper_near_end || status.paper_out);
            set(5, status.paper_out);
            set(6, status.paper_out);
        }
    }
    b
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_parse_back_to_the_same_status() {
        let cases = [
            Status {
                online: true,
                ..Status::default()
            },
            Status {
                online: true,
                paper_near_end: true,
                ..Status::default()
            },
            Status {
                paper_out: true,
                paper_near_end: true,
                ..Status::default()
            },
            Status {
                cover_open: true,
                ..Status::default()
            },
            Status {
                cutter_error: true,
                ..Status::default()
            },
        ];
        for want in cases {
            let mut got = Status::default();
            for q in Query::ALL {
                parse(q, answer(q, &want), &mut got).unwrap();
            }
            assert_eq!(got, want);
        }
        // Epson's documented "fine" and "near end and out" paper answers.
        assert_eq!(
            answer(
                Query::Paper,
                &Status {
                    online: true,
                    ..Status::default()
                }
            ),
            0x12
        );
        assert_eq!(
            answer(
                Query::Paper,
                &Status {
                    paper_out: true,
                    ..Status::default()
                }
            ),
            0x7e
        );
        assert!(parse(Query::Printer, 0xff, &mut Status::default()).is_err());
    }

    #[test]
    fn a_tall_picture_goes_in_bands() {
        let mut b = Bitmap::new(576, 600);
        b.fill(0, 0, 576, 600);
        let bytes = job(&b);
        assert_eq!(&bytes[..2], &[0x1b, 0x40]);
        let bands = bytes
            .windows(4)
            .filter(|w| w == &[0x1d, 0x76, 0x30, 0x00])
            .count();
        assert_eq!(bands, 3);
        assert_eq!(&bytes[bytes.len() - 4..], &[0x1d, 0x56, 0x41, 0x00]);
    }
}
