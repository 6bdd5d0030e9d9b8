//! Where a printer's bytes go: a small `Port` trait with a timeout on every call,
//! and its backends — the kernel's usblp device, TCP (port 9100), a serial line, a
//! plain file, and the simulator. A printer that stops answering never holds its
//! caller longer than the timeout.

use std::fs::{File, OpenOptions};
use std::io::{self, Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::os::fd::AsRawFd;
use std::os::unix::fs::OpenOptionsExt;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use super::sim::Simulator;

pub trait Port: Send {
    /// For messages: "usb:/dev/usb/lp0", "tcp:10.0.0.5:9100", …
    fn describe(&self) -> String;
    /// Writes everything, or fails within `timeout`.
    fn write_all(&mut self, data: &[u8], timeout: Duration) -> io::Result<()>;
    /// One byte from the printer, or `None` when nothing came within `timeout`.
    fn read_byte(&mut self, timeout: Duration) -> io::Result<Option<u8>>;
    /// Drops whatever the printer sent earlier, so the next answer is fresh.
    fn discard_input(&mut self);
    /// Whether the printer can answer at all (a file cannot).
    fn can_read_back(&self) -> bool {
        true
    }
    /// How fast bytes move, to size timeouts: a serial line is slow.
    fn bytes_per_second(&self) -> u32 {
        1_000_000
    }
}

/// Waits until `fd` is ready for `events`; `false` on timeout.
fn wait(fd: i32, events: i16, timeout: Duration) -> io::Result<bool> {
    let mut pfd = libc::pollfd {
        fd,
        events,
        revents: 0,
    };
    let ms = timeout.as_millis().min(i32::MAX as u128) as i32;
    loop {
        // SAFETY: one valid pollfd for the duration of the call.
        let n = unsafe { libc::poll(&mut pfd, 1, ms) };
        if n >= 0 {
            return Ok(n > 0);
        }
        let e = io::Error::last_os_error();
        if e.kind() != io::ErrorKind::Interrupted {
            return Err(e);
        }
    }
}

fn timed_out(what: &str) -> io::Error {
    io::Error::new(io::ErrorKind::TimedOut, format!("{what} timed out"))
}

/// A USB printer through the kernel's usblp driver (`/dev/usb/lp0`), non-blocking,
/// so paper-out (where usblp writes block forever) turns into a timeout.
pub struct UsbLp {
    path: PathBuf,
    file: Option<File>,
    bidirectional: bool,
}

impl UsbLp {
    pub fn new(path: PathBuf) -> Self {
        UsbLp {
            path,
            file: None,
            bidirectional: true,
        }
    }

    fn file(&mut self) -> io::Result<&mut File> {
        if self.file.is_none() {
            let f = OpenOptions::new()
                .read(true)
                .write(true)
                .custom_flags(libc::O_NONBLOCK)
                .open(&self.path)
                .map_err(|e| {
                    io::Error::new(
                        e.kind(),
                        format!("cannot open {}: {e}", self.path.display()),
                    )
                })?;
            self.file = Some(f);
        }
        Ok(self.file.as_mut().expect("just opened"))
    }
}

impl Port for UsbLp {
    fn describe(&self) -> String {
        format!("usb:{}", self.path.display())
    }

    fn write_all(&mut self, data: &[u8], timeout: Duration) -> io::Result<()> {
        let deadline = Instant::now() + timeout;
        let result = (|| {
            let f = self.file()?;
            let mut off = 0;
            while off < data.len() {
                match f.write(&data[off..]) {
                    Ok(0) => {
                        return Err(io::Error::new(
                            io::ErrorKind::WriteZero,
                            "printer took no data",
                        ));
                    }
                    Ok(n) => off += n,
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                        let left = deadline.saturating_duration_since(Instant::now());
                        if left.is_zero() || !wait(f.as_raw_fd(), libc::POLLOUT, left)? {
                            return Err(timed_out("writing to the printer"));
                        }
                    }
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                    Err(e) => return Err(e),
                }
            }
            Ok(())
        })();
        if result.is_err() {
            self.file = None; // reopen next time: the device may have been re-plugged
        }
        result
    }

    fn read_byte(&mut self, timeout: Duration) -> io::Result<Option<u8>> {
        if !self.bidirectional {
            return Ok(None);
        }
        let f = self.file()?;
        if !wait(f.as_raw_fd(), libc::POLLIN, timeout)? {
            return Ok(None);
        }
        let mut b = [0u8];
        match f.read(&mut b) {
            Ok(1) => Ok(Some(b[0])),
            Ok(_) => Ok(None),
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => Ok(None),
            // usblp bound one-way: it can print but never answers.
            Err(e) if e.raw_os_error() == Some(libc::EINVAL) => {
                self.bidirectional = false;
                Ok(None)
            }
            Err(e) => Err(e),
        }
    }

    fn discard_input(&mut self) {
        while let Ok(Some(_)) = self.read_byte(Duration::ZERO) {}
    }

    fn can_read_back(&self) -> bool {
        self.bidirectional
    }
}

/// A network printer (raw TCP, usually port 9100). Connects on first use and again
/// after any failure, since many such printers serve one client at a time.
pub struct Tcp {
    address: String,
    stream: Option<TcpStream>,
}

impl Tcp {
    pub fn new(address: String) -> Self {
        Tcp {
            address,
            stream: None,
        }
    }

    fn stream(&mut self, timeout: Duration) -> io::Result<&mut TcpStream> {
        if self.stream.is_none() {
            let addrs = self.address.to_socket_addrs()?;
            let mut last = io::Error::new(
                io::ErrorKind::NotFound,
                format!("{} has no address", self.address),
            );
            for addr in addrs {
                match TcpStream::connect_timeout(&addr, timeout.max(Duration::from_millis(200))) {
                    Ok(s) => {
                        s.set_nodelay(true)?;
                        self.stream = Some(s);
                        break;
                    }
                    Err(e) => last = e,
                }
            }
            if self.stream.is_none() {
                return Err(io::Error::new(
                    last.kind(),
                    format!("cannot connect to {}: {last}", self.address),
                ));
            }
        }
        Ok(self.stream.as_mut().expect("just connected"))
    }

    fn forget_on_error<T>(&mut self, r: io::Result<T>) -> io::Result<T> {
        if r.is_err() {
            self.stream = None;
        }
        r
    }
}

impl Port for Tcp {
    fn describe(&self) -> String {
        format!("tcp:{}", self.address)
    }

    fn write_all(&mut self, data: &[u8], timeout: Duration) -> io::Result<()> {
        let r = self.stream(timeout).and_then(|s| {
            s.set_write_timeout(Some(timeout.max(Duration::from_millis(1))))?;
            s.write_all(data)?;
            s.flush()
        });
        self.forget_on_error(r)
    }

    fn read_byte(&mut self, timeout: Duration) -> io::Result<Option<u8>> {
        let r = self.stream(timeout).and_then(|s| {
            s.set_read_timeout(Some(timeout.max(Duration::from_millis(1))))?;
            let mut b = [0u8];
            match s.read(&mut b) {
                Ok(1) => Ok(Some(b[0])),
                Ok(_) => Err(io::Error::new(
                    io::ErrorKind::ConnectionAborted,
                    "the printer closed the connection",
                )),
                Err(e)
                    if matches!(
                        e.kind(),
                        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                    ) =>
                {
                    Ok(None)
                }
                Err(e) => Err(e),
            }
        });
        self.forget_on_error(r)
    }

    fn discard_input(&mut self) {
        if let Some(s) = &mut self.stream {
            let _ = s.set_nonblocking(true);
            let mut buf = [0u8; 64];
            while matches!(s.read(&mut buf), Ok(n) if n > 0) {}
            let _ = s.set_nonblocking(false);
        }
    }
}

/// A serial printer (`/dev/ttyUSB0`, `/dev/ttyS0`) at a fixed baud rate.
pub struct Serial {
    path: String,
    baud: u32,
    port: Option<Box<dyn serialport::SerialPort>>,
}

impl Serial {
    pub fn new(path: String, baud: u32) -> Self {
        Serial {
            path,
            baud,
            port: None,
        }
    }

    fn port(&mut self, timeout: Duration) -> io::Result<&mut Box<dyn serialport::SerialPort>> {
        if self.port.is_none() {
            let p = serialport::new(&self.path, self.baud)
                .timeout(timeout)
                .open()
                .map_err(|e| io::Error::other(format!("cannot open {}: {e}", self.path)))?;
            self.port = Some(p);
        }
        let p = self.port.as_mut().expect("just opened");
        p.set_timeout(timeout.max(Duration::from_millis(1)))
            .map_err(|e| io::Error::other(e.to_string()))?;
        Ok(p)
    }
}

impl Port for Serial {
    fn describe(&self) -> String {
        format!("serial:{}:{}", self.path, self.baud)
    }

    fn write_all(&mut self, data: &[u8], timeout: Duration) -> io::Result<()> {
        let r = self
            .port(timeout)
            .and_then(|p| p.write_all(data).and_then(|_| p.flush()));
        if r.is_err() {
            self.port = None;
        }
        r
    }

    fn read_byte(&mut self, timeout: Duration) -> io::Result<Option<u8>> {
        let p = self.port(timeout)?;
        let mut b = [0u8];
        match p.read(&mut b) {
            Ok(1) => Ok(Some(b[0])),
            Ok(_) => Ok(None),
            Err(e) if e.kind() == io::ErrorKind::TimedOut => Ok(None),
            Err(e) => Err(e),
        }
    }

    fn discard_input(&mut self) {
        if let Some(p) = &mut self.port {
            let _ = p.clear(serialport::ClearBuffer::Input);
        }
    }

    fn bytes_per_second(&self) -> u32 {
        (self.baud / 10).max(1)
    }
}

/// Raw bytes appended to a file: for printing through another spooler, or to keep
/// exactly what would have been sent. Cannot answer status queries.
pub struct RawFile {
    path: PathBuf,
}

impl RawFile {
    pub fn new(path: PathBuf) -> Self {
        RawFile { path }
    }
}

impl Port for RawFile {
    fn describe(&self) -> String {
        format!("file:{}", self.path.display())
    }

    fn write_all(&mut self, data: &[u8], _timeout: Duration) -> io::Result<()> {
        OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.path)?
            .write_all(data)
    }

    fn read_byte(&mut self, _timeout: Duration) -> io::Result<Option<u8>> {
        Ok(None)
    }

    fn discard_input(&mut self) {}

    fn can_read_back(&self) -> bool {
        false
    }
}

/// The simulator, in the same process.
pub struct SimPort {
    pub sim: Arc<Mutex<Simulator>>,
}

impl SimPort {
    fn sim(&self) -> std::sync::MutexGuard<'_, Simulator> {
        self.sim.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl Port for SimPort {
    fn describe(&self) -> String {
        match self.sim().dir() {
            Some(d) => format!("sim:{}", d.display()),
            None => "sim".into(),
        }
    }

    fn write_all(&mut self, data: &[u8], _timeout: Duration) -> io::Result<()> {
        self.sim()
            .receive(data)
            .map_err(|e| io::Error::new(io::ErrorKind::NotConnected, e))
    }

    fn read_byte(&mut self, _timeout: Duration) -> io::Result<Option<u8>> {
        Ok(self.sim().reply())
    }

    fn discard_input(&mut self) {
        while self.sim().reply().is_some() {}
    }
}
