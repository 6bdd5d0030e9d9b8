//! The simulated printer: a product feature (demo, tests, training), not a mock.
//!
//! It decodes the ESC/POS bytes it receives into commands and paper, as a real
//! printer would print them, and writes one PNG per cut into its directory. It holds
//! a printer's state — paper present, near its end or out (also mid-ticket), cover
//! open, cutter error, offline — answers `DLE EOT n` with the exact bits, keeps
//! print data while it cannot print and prints it when the fault is cleared.
//!
//! Faults can be set in code, or by a person: write words into `DIR/faults`
//! (`paper-out`, `paper-near-end`, `cover-open`, `cutter-error`, `offline`); an
//! empty or missing file means all is well.

use std::collections::VecDeque;
use std::path::{Path, PathBuf};

use super::escpos::{Query, Status, answer};
use super::raster::{Align, Bitmap, Weight, qr, text};

/// Dots fed per `ESC d` line (1/6 inch at 8 dots/mm).
const LINE_DOTS: u32 = 34;
/// Text-mode lines are drawn at this size (Font A is 12 × 24 dots).
const TEXT_PX: f32 = 24.0;

/// One thing the printer was told.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Command {
    Init,
    Align(u8),
    Raster { width: u32, height: u32 },
    Feed(u8),
    Cut { partial: bool },
    Status(Query),
    PaperSensor,
    Bold(bool),
    Size(u8),
    CodePage(u8),
    CancelKanji,
    Text(String),
    QrStore(String),
    QrPrint,
    Unknown(u8),
}

/// What the simulator is told to suffer.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Faults {
    pub paper_out: bool,
    pub paper_near_end: bool,
    pub cover_open: bool,
    pub cutter_error: bool,
    /// Unplugged or switched off: nothing is answered, writes fail.
    pub offline: bool,
    /// Paper left, in dot rows: the roll runs out after this much more printing.
    pub paper_left_rows: Option<u32>,
}

impl Faults {
    fn parse(words: &str) -> Faults {
        let mut f = Faults::default();
        for w in words.split_whitespace() {
            match w {
                "paper-out" => f.paper_out = true,
                "paper-near-end" => f.paper_near_end = true,
                "cover-open" => f.cover_open = true,
                "cutter-error" => f.cutter_error = true,
                "offline" => f.offline = true,
                _ => {}
            }
        }
        f
    }

    fn status(&self) -> Status {
        Status {
            online: !(self.paper_out || self.cover_open || self.cutter_error || self.offline),
            cover_open: self.cover_open,
            paper_out: self.paper_out,
            paper_near_end: self.paper_near_end,
            cutter_error: self.cutter_error,
        }
    }
}

/// Splits one command off the front of `bytes`: the command, the bytes it took, and
/// for rasters the picture. `None` while the command is still incomplete.
fn decode(bytes: &[u8]) -> Option<(Command, usize, Option<Bitmap>)> {
    let b0 = *bytes.first()?;
    let at = |i: usize| bytes.get(i).copied();
    let one = |c: Command, n: usize| Some((c, n, None));
    match b0 {
        0x1b => match at(1)? {
            b'@' => one(Command::Init, 2),
            b'a' => one(Command::Align(at(2)? & 0x03), 3),
            b'd' => one(Command::Feed(at(2)?), 3),
            b'E' => one(Command::Bold(at(2)? & 1 == 1), 3),
            b't' => one(Command::CodePage(at(2)?), 3),
            _ => one(Command::Unknown(b0), 1),
        },
        0x1d => match at(1)? {
            b'V' => {
                let m = at(2)?;
                match m {
                    0 | 1 | b'0' | b'1' => one(
                        Command::Cut {
                            partial: m & 1 == 1,
                        },
                        3,
                    ),
                    b'A' | b'B' => {
                        one(Command::Cut { partial: m == b'B' }, 4).filter(|_| bytes.len() >= 4)
                    }
                    _ => one(Command::Unknown(b0), 1),
                }
            }
            b'!' => one(Command::Size(at(2)?), 3),
            b'r' => one(Command::PaperSensor, 3).filter(|_| bytes.len() >= 3),
            b'v' if at(2)? == b'0' => {
                let header = bytes.get(..8)?;
                let xb = u32::from(header[4]) | u32::from(header[5]) << 8;
                let rows = u32::from(header[6]) | u32::from(header[7]) << 8;
                let len = (xb * rows) as usize;
                let data = bytes.get(8..8 + len)?;
                let picture = Bitmap::from_packed(xb * 8, rows, data.to_vec())?;
                Some((
                    Command::Raster {
                        width: xb * 8,
                        height: rows,
                    },
                    8 + len,
                    Some(picture),
                ))
            }
            b'(' if at(2)? == b'k' => {
                let len = usize::from(at(3)?) | usize::from(at(4)?) << 8;
                let body = bytes.get(5..5 + len)?;
                let cmd = match (body.first(), body.get(1)) {
                    (Some(0x31), Some(0x50)) => {
                        Command::QrStore(String::from_utf8_lossy(&body[3..]).into_owned())
                    }
                    (Some(0x31), Some(0x51)) => Command::QrPrint,
                    _ => Command::Unknown(b0),
                };
                one(cmd, 5 + len)
            }
            _ => one(Command::Unknown(b0), 1),
        },
        0x10 if at(1)? == 0x04 => {
            let query = match at(2)? {
                1 => Query::Printer,
                2 => Query::OfflineCause,
                3 => Query::ErrorCause,
                4 => Query::Paper,
                _ => return one(Command::Unknown(b0), 3),
            };
            one(Command::Status(query), 3)
        }
        0x1c if at(1)? == b'.' => one(Command::CancelKanji, 2),
        0x0a => one(Command::Text("\n".into()), 1),
        0x20..=0x7e | 0x80..=0xff => {
            let end = bytes.iter().position(|&b| b < 0x20).unwrap_or(bytes.len());
            if end == bytes.len() && end < 4096 {
                return None; // the line may go on in the next read
            }
            one(
                Command::Text(String::from_utf8_lossy(&bytes[..end]).into_owned()),
                end,
            )
        }
        _ => one(Command::Unknown(b0), 1),
    }
}

/// A simulated ESC/POS printer with `width` dots across.
pub struct Simulator {
    width: u32,
    dir: Option<PathBuf>,
    faults: Faults,
    input: Vec<u8>,
    /// Commands received while the printer could not print.
    held: VecDeque<(Command, Option<Bitmap>)>,
    replies: VecDeque<u8>,
    log: Vec<Command>,
    align: u8,
    line: String,
    qr_data: Option<String>,
    paper: Bitmap,
    used_rows: u32,
    sheets: Vec<Bitmap>,
    next_file: u32,
}

impl Simulator {
    /// A simulator that keeps its paper in memory.
    pub fn new(width: u32) -> Self {
        Simulator {
            width,
            dir: None,
            faults: Faults::default(),
            input: Vec::new(),
            held: VecDeque::new(),
            replies: VecDeque::new(),
            log: Vec::new(),
            align: 0,
            line: String::new(),
            qr_data: None,
            paper: Bitmap::new(width, 0),
            used_rows: 0,
            sheets: Vec::new(),
            next_file: 1,
        }
    }

    /// A simulator that also writes each cut piece of paper to `dir` as
    /// `ticket-NNNN.png` and reads its faults from `dir/faults`.
    pub fn in_dir(dir: &Path, width: u32) -> std::io::Result<Self> {
        std::fs::create_dir_all(dir)?;
        let mut sim = Simulator::new(width);
        sim.next_file = std::fs::read_dir(dir)?
            .filter_map(|e| {
                e.ok()?
                    .file_name()
                    .to_str()?
                    .strip_prefix("ticket-")?
                    .strip_suffix(".png")?
                    .parse::<u32>()
                    .ok()
            })
            .max()
            .unwrap_or(0)
            + 1;
        sim.dir = Some(dir.to_owned());
        sim.reload_faults();
        Ok(sim)
    }

    pub fn dir(&self) -> Option<&Path> {
        self.dir.as_deref()
    }

    pub fn faults(&self) -> Faults {
        self.faults
    }

    /// Changes the faults; clearing them prints what was held.
    pub fn set_faults(&mut self, faults: Faults) {
        self.faults = faults;
        if let Some(dir) = &self.dir {
            let _ = std::fs::write(dir.join("faults"), describe(&faults));
        }
        self.release_held();
    }

    /// Re-reads `DIR/faults`, where a person may have written a fault.
    pub fn reload_faults(&mut self) {
        let Some(dir) = &self.dir else { return };
        let words = std::fs::read_to_string(dir.join("faults")).unwrap_or_default();
        let left = self.faults.paper_left_rows;
        let from_file = Faults {
            paper_left_rows: left,
            ..Faults::parse(&words)
        };
        if from_file != self.faults {
            self.faults = from_file;
            self.release_held();
        }
    }

    pub fn status(&self) -> Status {
        self.faults.status()
    }

    /// Every command received, in order (real-time queries included).
    pub fn log(&self) -> &[Command] {
        &self.log
    }

    /// The cut pieces of paper, oldest first.
    pub fn sheets(&self) -> &[Bitmap] {
        &self.sheets
    }

    /// Paper printed but not yet cut.
    pub fn uncut(&self) -> &Bitmap {
        &self.paper
    }

    /// Takes bytes from the host. Offline printers take nothing.
    pub fn receive(&mut self, bytes: &[u8]) -> Result<(), &'static str> {
        self.reload_faults();
        if self.faults.offline {
            return Err("printer offline");
        }
        self.input.extend_from_slice(bytes);
        let mut taken = 0;
        while let Some((cmd, n, picture)) = decode(&self.input[taken..]) {
            taken += n;
            self.log.push(cmd.clone());
            match cmd {
                // Real-time: answered at once, whatever the printer is doing.
                Command::Status(q) => self.replies.push_back(answer(q, &self.faults.status())),
                _ if !self.faults.status().ready() || !self.held.is_empty() => {
                    self.held.push_back((cmd, picture))
                }
                _ => self.execute(cmd, picture),
            }
        }
        self.input.drain(..taken);
        Ok(())
    }

    /// The next byte the printer sends back, if any.
    pub fn reply(&mut self) -> Option<u8> {
        if self.faults.offline {
            return None;
        }
        self.replies.pop_front()
    }

    fn release_held(&mut self) {
        while self.faults.status().ready() {
            let Some((cmd, picture)) = self.held.pop_front() else {
                break;
            };
            self.execute(cmd, picture);
        }
    }

    fn execute(&mut self, cmd: Command, picture: Option<Bitmap>) {
        match cmd {
            Command::Init => {
                self.align = 0;
                self.line.clear();
            }
            Command::Align(a) => self.align = a,
            Command::Raster { .. } => {
                if let Some(p) = picture {
                    let x = match self.align {
                        1 => self.width.saturating_sub(p.width()) / 2,
                        2 => self.width.saturating_sub(p.width()),
                        _ => 0,
                    };
                    self.print_rows(&p, x);
                }
            }
            Command::Feed(n) => {
                self.flush_line();
                self.grow(u32::from(n) * LINE_DOTS);
            }
            Command::Cut { .. } => {
                self.flush_line();
                if self.faults.cutter_error {
                    return;
                }
                let sheet = std::mem::replace(&mut self.paper, Bitmap::new(self.width, 0));
                if let Some(dir) = &self.dir {
                    let path = dir.join(format!("ticket-{:04}.png", self.next_file));
                    self.next_file += 1;
                    let _ = sheet.to_image().save(path);
                }
                self.sheets.push(sheet);
            }
            Command::PaperSensor => {
                let s = self.faults.status();
                let near = if s.paper_near_end { 0x03 } else { 0 };
                let out = if s.paper_out { 0x0c } else { 0 };
                self.replies.push_back(near | out);
            }
            Command::Text(t) if t == "\n" => self.flush_line(),
            Command::Text(t) => self.line.push_str(&t),
            Command::QrStore(data) => self.qr_data = Some(data),
            Command::QrPrint => {
                if let Some(code) = self.qr_data.as_deref().and_then(|d| qr(d, 6, self.width)) {
                    self.print_rows(&code, 0);
                }
            }
            Command::Status(_)
            | Command::Bold(_)
            | Command::Size(_)
            | Command::CodePage(_)
            | Command::CancelKanji
            | Command::Unknown(_) => {}
        }
    }

    fn flush_line(&mut self) {
        if self.line.is_empty() {
            return;
        }
        let align = match self.align {
            1 => Align::Center,
            2 => Align::Right,
            _ => Align::Left,
        };
        let line = text(
            &std::mem::take(&mut self.line),
            TEXT_PX,
            Weight::Regular,
            align,
            self.width,
        );
        self.print_rows(&line, 0);
    }

    fn grow(&mut self, rows: u32) {
        let mut taller = Bitmap::new(self.width, self.paper.height() + rows);
        taller.paste(&self.paper, 0, 0);
        self.paper = taller;
    }

    /// Prints a picture below what is on the paper; the roll may run out half-way.
    fn print_rows(&mut self, picture: &Bitmap, x: u32) {
        let mut rows = picture.height();
        if let Some(left) = self.faults.paper_left_rows {
            rows = rows.min(left);
            self.faults.paper_left_rows = Some(left - rows);
            if left == rows {
                self.faults.paper_out = true;
                self.faults.paper_near_end = true;
            }
        }
        let y = self.paper.height();
        self.grow(rows);
        self.paper.paste(&picture.crop_rows(0, rows), x, y);
        self.used_rows += rows;
    }
}

fn describe(f: &Faults) -> String {
    let mut words = Vec::new();
    for (on, word) in [
        (f.paper_out, "paper-out"),
        (f.paper_near_end, "paper-near-end"),
        (f.cover_open, "cover-open"),
        (f.cutter_error, "cutter-error"),
        (f.offline, "offline"),
    ] {
        if on {
            words.push(word);
        }
    }
    words.join(" ")
}

#[cfg(test)]
mod tests {
    use super::super::escpos::job;
    use super::super::layout::{sample_ticket, ticket};
    use super::*;

    #[test]
    fn a_job_comes_back_as_the_same_paper() {
        let picture = ticket(&sample_ticket(), 576);
        let mut sim = Simulator::new(576);
        sim.receive(&job(&picture)).unwrap();
        assert_eq!(sim.sheets().len(), 1);
        let sheet = &sim.sheets()[0];
        assert_eq!(sheet.crop_rows(0, picture.height()), picture);
        assert!(
            sheet.height() > picture.height(),
            "fed past the print before the cut"
        );
        assert!(sim.log().contains(&Command::Cut { partial: false }));
    }

    #[test]
    fn data_is_held_while_the_cover_is_open_and_printed_after() {
        let mut sim = Simulator::new(384);
        sim.set_faults(Faults {
            cover_open: true,
            ..Faults::default()
        });
        sim.receive(&job(&ticket(&sample_ticket(), 384))).unwrap();
        sim.receive(&Query::Printer.bytes()).unwrap();
        assert_eq!(sim.reply(), Some(0x1a), "offline bit set");
        assert!(sim.sheets().is_empty());
        sim.set_faults(Faults::default());
        assert_eq!(sim.sheets().len(), 1);
    }

    #[test]
    fn the_roll_can_run_out_mid_ticket() {
        let mut sim = Simulator::new(576);
        sim.set_faults(Faults {
            paper_left_rows: Some(200),
            ..Faults::default()
        });
        sim.receive(&job(&ticket(&sample_ticket(), 576))).unwrap();
        assert!(sim.sheets().is_empty(), "no cut without paper");
        assert!(sim.status().paper_out);
        assert_eq!(sim.uncut().height(), 200);
    }

    #[test]
    fn text_mode_and_printer_drawn_qr_are_drawn_too() {
        let mut sim = Simulator::new(576);
        let mut bytes = vec![0x1b, 0x40, 0x1b, 0x61, 0x01];
        bytes.extend_from_slice(b"Hello counter 3\n");
        let url = b"http://example.test/t/1";
        let len = url.len() + 3;
        bytes.extend_from_slice(&[0x1d, 0x28, 0x6b, len as u8, 0, 0x31, 0x50, 0x30]);
        bytes.extend_from_slice(url);
        bytes.extend_from_slice(&[0x1d, 0x28, 0x6b, 0x03, 0x00, 0x31, 0x51, 0x30]);
        bytes.extend_from_slice(&[0x1d, 0x56, 0x41, 0x00]);
        sim.receive(&bytes).unwrap();
        assert!(sim.log().contains(&Command::Text("Hello counter 3".into())));
        let sheet = &sim.sheets()[0];
        let mut img = rqrr::PreparedImage::prepare(sheet.to_image());
        assert_eq!(
            img.detect_grids()[0].decode().unwrap().1,
            "http://example.test/t/1"
        );
    }

    #[test]
    fn faults_come_from_the_faults_file() {
        let dir = tempfile::tempdir().unwrap();
        let mut sim = Simulator::in_dir(dir.path(), 384).unwrap();
        std::fs::write(dir.path().join("faults"), "paper-out\n").unwrap();
        sim.receive(&Query::Paper.bytes()).unwrap();
        assert_eq!(sim.reply(), Some(0x7e));
        std::fs::write(dir.path().join("faults"), "offline").unwrap();
        assert!(sim.receive(&Query::Paper.bytes()).is_err());
        std::fs::write(dir.path().join("faults"), "").unwrap();
        sim.receive(&job(&ticket(&sample_ticket(), 384))).unwrap();
        assert!(dir.path().join("ticket-0001.png").exists());
        // A new simulator on the same directory numbers on.
        let mut again = Simulator::in_dir(dir.path(), 384).unwrap();
        again.receive(&job(&ticket(&sample_ticket(), 384))).unwrap();
        assert!(dir.path().join("ticket-0002.png").exists());
    }
}
