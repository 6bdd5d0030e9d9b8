//! A ticket printer: any `Port` speaking ESC/POS, chosen by a spec string.
//!
//! Printing follows the kiosk policy: ask the printer first (do not print into an
//! open cover or an empty roll), send the job with a timeout scaled to its size,
//! then ask again in order with the data (`GS r 1`, answered only once the job has
//! printed) so a roll that ran out mid-ticket is reported, never silently dropped.

use std::path::PathBuf;
use std::str::FromStr;
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use super::escpos::{Query, Status, job, parse};
use super::port::{Port, RawFile, Serial, SimPort, Tcp, UsbLp};
use super::raster::Bitmap;
use super::sim::Simulator;

/// How long a printer has to answer a status query.
const STATUS_TIMEOUT: Duration = Duration::from_millis(1500);
/// While a job prints, how often to look whether the printer stopped.
const CONFIRM_SLICE: Duration = Duration::from_millis(250);

/// Where the printer is, as written in config or on the command line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PrinterSpec {
    /// `usb:/dev/usb/lp0`
    Usb(PathBuf),
    /// `tcp:HOST:PORT` (port 9100 when left out)
    Tcp(String),
    /// `serial:/dev/ttyUSB0:19200` (19200 baud when left out)
    Serial { path: String, baud: u32 },
    /// `file:PATH`
    File(PathBuf),
    /// `sim:DIR` (one PNG per ticket in DIR), or `sim` (in memory)
    Sim(Option<PathBuf>),
}

impl FromStr for PrinterSpec {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        let (kind, rest) = s.split_once(':').unwrap_or((s, ""));
        let need = |what: &str| {
            if rest.is_empty() {
                Err(format!(
                    "printer {s:?}: {kind} needs {what}, e.g. {}",
                    example(kind)
                ))
            } else {
                Ok(rest.to_owned())
            }
        };
        match kind {
            "usb" => Ok(PrinterSpec::Usb(need("a device path")?.into())),
            "tcp" => {
                let addr = need("a host")?;
                Ok(PrinterSpec::Tcp(
                    if addr
                        .rsplit_once(':')
                        .is_some_and(|(_, p)| p.parse::<u16>().is_ok())
                    {
                        addr
                    } else {
                        format!("{addr}:9100")
                    },
                ))
            }
            "serial" => {
                let rest = need("a device path")?;
                match rest.rsplit_once(':') {
                    Some((path, baud)) => {
                        let baud = baud.parse().map_err(|_| {
                            format!("printer {s:?}: {baud:?} is not a baud rate, e.g. 19200")
                        })?;
                        Ok(PrinterSpec::Serial {
                            path: path.into(),
                            baud,
                        })
                    }
                    None => Ok(PrinterSpec::Serial {
                        path: rest,
                        baud: 19200,
                    }),
                }
            }
            "file" => Ok(PrinterSpec::File(need("a file path")?.into())),
            "sim" => Ok(PrinterSpec::Sim((!rest.is_empty()).then(|| rest.into()))),
            _ => Err(format!(
                "printer {s:?}: use usb:/dev/usb/lp0, tcp:HOST:9100, serial:/dev/ttyUSB0:19200, file:PATH or sim:DIR"
            )),
        }
    }
}

fn example(kind: &str) -> &'static str {
    match kind {
        "usb" => "usb:/dev/usb/lp0",
        "tcp" => "tcp:192.168.1.50:9100",
        "serial" => "serial:/dev/ttyUSB0:19200",
        _ => "file:/tmp/tickets.bin",
    }
}

/// Paper width in dots: 58 mm rolls print 384, 80 mm rolls 576.
pub fn paper_dots(mm: u32) -> Result<u32, String> {
    match mm {
        58 => Ok(384),
        80 => Ok(576),
        _ => Err(format!("paper width {mm} mm: use 58 or 80")),
    }
}

/// The printer's condition, as a kiosk and the staff need it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Health {
    Ready,
    /// Printing works, but the roll is nearly finished: staff should bring paper.
    PaperLow,
    PaperOut,
    CoverOpen,
    CutterError,
    /// Answers, but says it is offline for another reason.
    Offline,
    /// Does not answer, or cannot be reached.
    Unreachable,
    /// Cannot say (a file, or a USB printer bound one-way).
    Unknown,
}

impl Health {
    pub fn from_status(s: &Status) -> Health {
        if s.cover_open {
            Health::CoverOpen
        } else if s.paper_out {
            Health::PaperOut
        } else if s.cutter_error {
            Health::CutterError
        } else if !s.online {
            Health::Offline
        } else if s.paper_near_end {
            Health::PaperLow
        } else {
            Health::Ready
        }
    }

    /// Whether a ticket can be printed.
    pub fn can_print(self) -> bool {
        matches!(self, Health::Ready | Health::PaperLow | Health::Unknown)
    }

    /// A stable word for APIs and logs: `ready`, `paper_low`, `paper_out`, …
    pub fn code(self) -> &'static str {
        match self {
            Health::Ready => "ready",
            Health::PaperLow => "paper_low",
            Health::PaperOut => "paper_out",
            Health::CoverOpen => "cover_open",
            Health::CutterError => "cutter_error",
            Health::Offline => "offline",
            Health::Unreachable => "unreachable",
            Health::Unknown => "unknown",
        }
    }

    /// What staff read: "hết giấy" rather than a code.
    pub fn describe_vi(self) -> &'static str {
        match self {
            Health::Ready => "sẵn sàng",
            Health::PaperLow => "sắp hết giấy",
            Health::PaperOut => "hết giấy",
            Health::CoverOpen => "đang mở nắp",
            Health::CutterError => "lỗi dao cắt",
            Health::Offline => "đang ngoại tuyến",
            Health::Unreachable => "không kết nối được",
            Health::Unknown => "không rõ trạng thái",
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum PrintError {
    #[error("the printer cannot print now: {}", .0.code())]
    NotReady(Health),
    #[error("the printer cannot be reached: {0}")]
    Unreachable(String),
    /// Some of the job may be on paper: the ticket must be treated as not printed.
    #[error("printing stopped part-way: {0}")]
    Interrupted(String),
    /// The whole job was sent, but the printer stopped before it was on paper.
    #[error("the printer stopped before the ticket was finished: {}", .0.code())]
    Unfinished(Health),
}

impl PrintError {
    /// The printer's condition this error implies.
    pub fn health(&self) -> Health {
        match self {
            PrintError::NotReady(h) | PrintError::Unfinished(h) => *h,
            PrintError::Unreachable(_) | PrintError::Interrupted(_) => Health::Unreachable,
        }
    }
}

/// An ESC/POS printer on some port.
pub struct EscPosPrinter {
    port: Box<dyn Port>,
    width: u32,
    sim: Option<Arc<Mutex<Simulator>>>,
}

impl EscPosPrinter {
    pub fn new(port: Box<dyn Port>, width: u32) -> Self {
        EscPosPrinter {
            port,
            width,
            sim: None,
        }
    }

    /// Opens the printer a spec names, for paper `width` dots wide. Nothing is sent yet.
    pub fn open(spec: &PrinterSpec, width: u32) -> std::io::Result<Self> {
        let port: Box<dyn Port> = match spec {
            PrinterSpec::Usb(p) => Box::new(UsbLp::new(p.clone())),
            PrinterSpec::Tcp(a) => Box::new(Tcp::new(a.clone())),
            PrinterSpec::Serial { path, baud } => Box::new(Serial::new(path.clone(), *baud)),
            PrinterSpec::File(p) => Box::new(RawFile::new(p.clone())),
            PrinterSpec::Sim(dir) => {
                let sim = match dir {
                    Some(d) => Simulator::in_dir(d, width)?,
                    None => Simulator::new(width),
                };
                return Ok(EscPosPrinter::simulated(Arc::new(Mutex::new(sim)), width));
            }
        };
        Ok(EscPosPrinter::new(port, width))
    }

    /// A printer that is this simulator.
    pub fn simulated(sim: Arc<Mutex<Simulator>>, width: u32) -> Self {
        EscPosPrinter {
            port: Box::new(SimPort { sim: sim.clone() }),
            width,
            sim: Some(sim),
        }
    }

    pub fn describe(&self) -> String {
        self.port.describe()
    }

    /// Paper width in dots.
    pub fn width(&self) -> u32 {
        self.width
    }

    /// The simulator behind this printer, when it is one.
    pub fn simulator(&self) -> Option<&Arc<Mutex<Simulator>>> {
        self.sim.as_ref()
    }

    /// Asks the printer (`DLE EOT 1..4`). `Ok(None)` when it cannot answer by design.
    pub fn status(&mut self) -> Result<Option<Status>, PrintError> {
        if !self.port.can_read_back() {
            return Ok(None);
        }
        self.port.discard_input();
        let mut status = Status::default();
        for q in Query::ALL {
            self.port
                .write_all(&q.bytes(), STATUS_TIMEOUT)
                .map_err(|e| PrintError::Unreachable(e.to_string()))?;
            match self.next_answer(STATUS_TIMEOUT, is_status_answer)? {
                Some(b) => parse(q, b, &mut status).map_err(PrintError::Unreachable)?,
                // A one-way USB link shows up only on the first read.
                None if !self.port.can_read_back() => return Ok(None),
                None => {
                    return Err(PrintError::Unreachable(format!(
                        "{} did not answer",
                        self.describe()
                    )));
                }
            }
        }
        Ok(Some(status))
    }

    /// The next byte from the printer that `wanted` accepts, skipping late answers
    /// to earlier questions; `None` when none came within `timeout`.
    fn next_answer(
        &mut self,
        timeout: Duration,
        wanted: fn(u8) -> bool,
    ) -> Result<Option<u8>, PrintError> {
        let deadline = Instant::now() + timeout;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self
                .port
                .read_byte(left)
                .map_err(|e| PrintError::Unreachable(e.to_string()))?
            {
                Some(b) if wanted(b) => return Ok(Some(b)),
                Some(_) if !left.is_zero() => continue,
                _ => return Ok(None),
            }
        }
    }

    pub fn health(&mut self) -> Health {
        match self.status() {
            Ok(Some(s)) => Health::from_status(&s),
            Ok(None) => Health::Unknown,
            Err(e) => e.health(),
        }
    }

    /// Prints a picture and cuts. Returns the printer's health after the job, which
    /// may be `PaperLow`: the ticket printed, but staff should bring paper.
    pub fn print(&mut self, picture: &Bitmap) -> Result<Health, PrintError> {
        // Keep the reason a printer is unreachable ("cannot open /dev/usb/lp0: …").
        let before = match self.status()? {
            Some(s) => Health::from_status(&s),
            None => Health::Unknown,
        };
        if !before.can_print() {
            return Err(PrintError::NotReady(before));
        }
        let mut bytes = job(picture);
        let confirm = self.port.can_read_back();
        if confirm {
            bytes.extend_from_slice(&[0x1d, 0x72, 0x01]); // GS r 1: answered once all before it printed
        }
        let sending =
            Duration::from_secs_f64(bytes.len() as f64 / f64::from(self.port.bytes_per_second()));
        self.port.discard_input();
        self.port
            .write_all(&bytes, Duration::from_secs(5) + 2 * sending)
            .map_err(|e| PrintError::Interrupted(format!("{}: {e}", self.describe())))?;
        if !confirm {
            return Ok(Health::Unknown);
        }
        // Slow printers do 50 mm/s: 400 dot rows a second.
        let printing = Duration::from_secs_f64(f64::from(picture.height()) / 400.0);
        let deadline = Instant::now() + Duration::from_secs(3) + sending + printing;
        while Instant::now() < deadline {
            if let Some(paper) = self.next_answer(CONFIRM_SLICE, is_paper_answer)? {
                let after = self.health();
                return if paper & 0x0c == 0 {
                    Ok(after)
                } else {
                    Err(PrintError::Unfinished(after))
                };
            }
            // Not printed yet: has it stopped? (Real-time status is answered even now.)
            let now = self.health();
            if !now.can_print() {
                return Err(PrintError::Unfinished(now));
            }
        }
        // Online and quiet: a printer that does not answer GS r. The job went out whole.
        Ok(self.health())
    }
}

/// Answers to `DLE EOT n` have fixed bits `0xx1xx10`.
fn is_status_answer(b: u8) -> bool {
    b & 0b1001_0011 == 0b0001_0010
}

/// Answers to `GS r 1` have bit 4 clear, which no `DLE EOT` answer has.
fn is_paper_answer(b: u8) -> bool {
    b & 0b1001_0000 == 0
}

/// Polls a printer's health every `every` on its own thread and sends each change
/// (the first reading too). Dropping the receiver, or the watcher, stops it.
pub struct Watcher {
    stop: Option<mpsc::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl Watcher {
    pub fn start(
        printer: Arc<Mutex<EscPosPrinter>>,
        every: Duration,
    ) -> (Watcher, mpsc::Receiver<Health>) {
        let (tx, rx) = mpsc::channel();
        let (stop, stopped) = mpsc::channel::<()>();
        let thread = std::thread::Builder::new()
            .name("printer-watch".into())
            .spawn(move || {
                let mut last = None;
                loop {
                    let health = printer.lock().unwrap_or_else(|e| e.into_inner()).health();
                    if last != Some(health) {
                        if tx.send(health).is_err() {
                            return;
                        }
                        last = Some(health);
                    }
                    match stopped.recv_timeout(every) {
                        Err(mpsc::RecvTimeoutError::Timeout) => {}
                        _ => return,
                    }
                }
            })
            .expect("a thread can be started");
        (
            Watcher {
                stop: Some(stop),
                thread: Some(thread),
            },
            rx,
        )
    }
}

impl Drop for Watcher {
    fn drop(&mut self) {
        drop(self.stop.take());
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::layout::{sample_ticket, ticket};
    use super::super::sim::Faults;
    use super::*;

    #[test]
    fn specs_parse_and_mistakes_are_explained() {
        let p = |s: &str| s.parse::<PrinterSpec>();
        assert_eq!(
            p("usb:/dev/usb/lp0"),
            Ok(PrinterSpec::Usb("/dev/usb/lp0".into()))
        );
        assert_eq!(
            p("tcp:10.0.0.5"),
            Ok(PrinterSpec::Tcp("10.0.0.5:9100".into()))
        );
        assert_eq!(
            p("tcp:printer.local:9101"),
            Ok(PrinterSpec::Tcp("printer.local:9101".into()))
        );
        assert_eq!(
            p("serial:/dev/ttyUSB0:9600"),
            Ok(PrinterSpec::Serial {
                path: "/dev/ttyUSB0".into(),
                baud: 9600
            })
        );
        assert_eq!(
            p("serial:/dev/ttyS0"),
            Ok(PrinterSpec::Serial {
                path: "/dev/ttyS0".into(),
                baud: 19200
            })
        );
        assert_eq!(p("sim:/tmp/x"), Ok(PrinterSpec::Sim(Some("/tmp/x".into()))));
        assert_eq!(p("sim"), Ok(PrinterSpec::Sim(None)));
        assert!(p("usb").unwrap_err().contains("usb:/dev/usb/lp0"));
        assert!(p("lpt1").unwrap_err().contains("use usb:"));
        assert!(p("serial:/dev/ttyS0:fast").unwrap_err().contains("baud"));
        assert_eq!(paper_dots(80), Ok(576));
        assert!(paper_dots(57).is_err());
    }

    fn sim_printer() -> (EscPosPrinter, Arc<Mutex<Simulator>>) {
        let sim = Arc::new(Mutex::new(Simulator::new(576)));
        (EscPosPrinter::simulated(sim.clone(), 576), sim)
    }

    fn set(sim: &Arc<Mutex<Simulator>>, f: Faults) {
        sim.lock().unwrap().set_faults(f);
    }

    #[test]
    fn every_fault_is_reported_and_nothing_prints_into_it() {
        let picture = ticket(&sample_ticket(), 576);
        let (mut p, sim) = sim_printer();
        assert_eq!(p.print(&picture).unwrap(), Health::Ready);
        for (faults, want) in [
            (
                Faults {
                    paper_out: true,
                    ..Faults::default()
                },
                Health::PaperOut,
            ),
            (
                Faults {
                    cover_open: true,
                    ..Faults::default()
                },
                Health::CoverOpen,
            ),
            (
                Faults {
                    cutter_error: true,
                    ..Faults::default()
                },
                Health::CutterError,
            ),
        ] {
            set(&sim, faults);
            let err = p.print(&picture).unwrap_err();
            assert!(matches!(err, PrintError::NotReady(h) if h == want), "{err}");
        }
        set(
            &sim,
            Faults {
                offline: true,
                ..Faults::default()
            },
        );
        assert!(matches!(p.print(&picture), Err(PrintError::Unreachable(_))));
        set(
            &sim,
            Faults {
                paper_near_end: true,
                ..Faults::default()
            },
        );
        assert_eq!(p.print(&picture).unwrap(), Health::PaperLow);
        assert_eq!(
            sim.lock().unwrap().sheets().len(),
            2,
            "only the two ready prints reached paper"
        );
    }

    #[test]
    fn a_roll_that_runs_out_mid_ticket_is_reported() {
        let (mut p, sim) = sim_printer();
        set(
            &sim,
            Faults {
                paper_left_rows: Some(300),
                ..Faults::default()
            },
        );
        let err = p.print(&ticket(&sample_ticket(), 576)).unwrap_err();
        assert!(
            matches!(err, PrintError::Unfinished(Health::PaperOut)),
            "{err}"
        );
    }

    #[test]
    fn a_watcher_reports_changes_once() {
        let (p, sim) = sim_printer();
        let (_w, changes) = Watcher::start(Arc::new(Mutex::new(p)), Duration::from_millis(10));
        assert_eq!(changes.recv().unwrap(), Health::Ready);
        set(
            &sim,
            Faults {
                paper_near_end: true,
                ..Faults::default()
            },
        );
        assert_eq!(changes.recv().unwrap(), Health::PaperLow);
        set(
            &sim,
            Faults {
                cover_open: true,
                paper_near_end: true,
                ..Faults::default()
            },
        );
        assert_eq!(changes.recv().unwrap(), Health::CoverOpen);
        set(&sim, Faults::default());
        assert_eq!(changes.recv().unwrap(), Health::Ready);
        assert!(
            changes.recv_timeout(Duration::from_millis(60)).is_err(),
            "no news is no message"
        );
    }

    #[test]
    fn a_file_printer_prints_without_answers() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out.bin");
        let mut p = EscPosPrinter::open(&PrinterSpec::File(path.clone()), 384).unwrap();
        assert_eq!(p.health(), Health::Unknown);
        assert_eq!(
            p.print(&ticket(&sample_ticket(), 384)).unwrap(),
            Health::Unknown
        );
        let bytes = std::fs::read(path).unwrap();
        let mut sim = Simulator::new(384);
        sim.receive(&bytes).unwrap();
        assert_eq!(sim.sheets().len(), 1);
    }
}
