//! The simulator as a network printer on a TCP port, answering over the socket as a
//! real one does: for end-to-end tests of status polling and every fault path, and
//! for training without a printer (`motcua print-test --printer tcp:127.0.0.1:PORT`).

use std::io::{Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use super::sim::Simulator;

/// A listening fake printer; stops when dropped.
pub struct TcpPrinter {
    addr: SocketAddr,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
    pub sim: Arc<Mutex<Simulator>>,
}

impl TcpPrinter {
    /// Listens on `addr` (use port 0 for any free port on loopback).
    pub fn start(sim: Arc<Mutex<Simulator>>, addr: &str) -> std::io::Result<TcpPrinter> {
        let listener = TcpListener::bind(addr)?;
        let addr = listener.local_addr()?;
        let stop = Arc::new(AtomicBool::new(false));
        let thread = {
            let (sim, stop) = (sim.clone(), stop.clone());
            std::thread::Builder::new()
                .name("tcp-printer".into())
                .spawn(move || {
                    for conn in listener.incoming() {
                        if stop.load(Ordering::SeqCst) {
                            return;
                        }
                        if let Ok(conn) = conn {
                            let (sim, stop) = (sim.clone(), stop.clone());
                            std::thread::spawn(move || serve(conn, sim, stop));
                        }
                    }
                })?
        };
        Ok(TcpPrinter {
            addr,
            stop,
            thread: Some(thread),
            sim,
        })
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The spec a client opens this printer with.
    pub fn spec(&self) -> String {
        format!("tcp:{}", self.addr)
    }
}

fn serve(mut conn: TcpStream, sim: Arc<Mutex<Simulator>>, stop: Arc<AtomicBool>) {
    let _ = conn.set_read_timeout(Some(Duration::from_millis(100)));
    let mut buf = [0u8; 4096];
    while !stop.load(Ordering::SeqCst) {
        let n = match conn.read(&mut buf) {
            Ok(0) => return,
            Ok(n) => n,
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) =>
            {
                continue;
            }
            Err(_) => return,
        };
        let replies: Vec<u8> = {
            let mut sim = sim.lock().unwrap_or_else(|e| e.into_inner());
            if sim.receive(&buf[..n]).is_err() {
                // Switched off: the connection just dies.
                let _ = conn.shutdown(Shutdown::Both);
                return;
            }
            std::iter::from_fn(|| sim.reply()).collect()
        };
        if !replies.is_empty() && conn.write_all(&replies).is_err() {
            return;
        }
    }
}

impl Drop for TcpPrinter {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wake the accept loop so it sees the stop flag.
        let _ = TcpStream::connect_timeout(&self.addr, Duration::from_millis(200));
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::device::{EscPosPrinter, Health, PrintError, PrinterSpec};
    use super::super::layout::{sample_ticket, ticket};
    use super::super::sim::Faults;
    use super::*;

    #[test]
    fn a_network_printer_is_polled_and_faults_come_through_the_socket() {
        let sim = Arc::new(Mutex::new(Simulator::new(576)));
        let fake = TcpPrinter::start(sim.clone(), "127.0.0.1:0").unwrap();
        let spec: PrinterSpec = fake.spec().parse().unwrap();
        let mut p = EscPosPrinter::open(&spec, 576).unwrap();
        let picture = ticket(&sample_ticket(), 576);
        assert_eq!(p.health(), Health::Ready);
        assert_eq!(p.print(&picture).unwrap(), Health::Ready);
        assert_eq!(sim.lock().unwrap().sheets().len(), 1);

        sim.lock().unwrap().set_faults(Faults {
            paper_near_end: true,
            ..Faults::default()
        });
        assert_eq!(p.health(), Health::PaperLow);
        sim.lock().unwrap().set_faults(Faults {
            cover_open: true,
            ..Faults::default()
        });
        assert!(matches!(
            p.print(&picture),
            Err(PrintError::NotReady(Health::CoverOpen))
        ));
        sim.lock().unwrap().set_faults(Faults {
            paper_left_rows: Some(100),
            ..Faults::default()
        });
        assert!(matches!(
            p.print(&picture),
            Err(PrintError::Unfinished(Health::PaperOut))
        ));
        sim.lock().unwrap().set_faults(Faults {
            offline: true,
            ..Faults::default()
        });
        assert_eq!(p.health(), Health::Unreachable);
        // Back on: the client reconnects by itself.
        sim.lock().unwrap().set_faults(Faults::default());
        assert_eq!(p.health(), Health::Ready);
        drop(fake);
        assert_eq!(p.health(), Health::Unreachable, "nobody listens any more");
    }
}
