//! Telling systemd how we are when it started us (`Type=notify`, `WatchdogSec=`):
//! "ready" once we serve or show, and watchdog pings from the loop that must stay
//! alive, so a frozen screen or a wedged service is restarted rather than left
//! running. Outside systemd (no `NOTIFY_SOCKET`) each call does nothing.

use std::time::Duration;

/// Sends `state` ("READY=1", "WATCHDOG=1", "STATUS=…") to systemd; false when not
/// started by systemd or the socket refused it.
pub fn notify(state: &str) -> bool {
    std::env::var("NOTIFY_SOCKET").is_ok_and(|path| send(&path, state))
}

fn send(path: &str, state: &str) -> bool {
    let Ok(socket) = std::os::unix::net::UnixDatagram::unbound() else {
        return false;
    };
    let sent = match path.strip_prefix('@') {
        // An abstract socket (systemd's own is a path, containers' often abstract).
        Some(name) => {
            use std::os::linux::net::SocketAddrExt;
            std::os::unix::net::SocketAddr::from_abstract_name(name.as_bytes())
                .and_then(|addr| socket.send_to_addr(state.as_bytes(), &addr))
        }
        None => socket.send_to(state.as_bytes(), path),
    };
    sent.is_ok()
}

/// How often to ping the watchdog (half its timeout), when systemd set one for this
/// process.
pub fn watchdog_interval() -> Option<Duration> {
    interval(
        std::env::var("WATCHDOG_PID").ok().as_deref(),
        std::env::var("WATCHDOG_USEC").ok().as_deref(),
        std::process::id(),
    )
}

/// Half of `usec`, if the watchdog is meant for process `me`.
fn interval(pid: Option<&str>, usec: Option<&str>, me: u32) -> Option<Duration> {
    if let Some(pid) = pid
        && pid.trim().parse::<u32>().ok() != Some(me)
    {
        return None;
    }
    let usec: u64 = usec?.trim().parse().ok()?;
    (usec > 0).then(|| Duration::from_micros(usec / 2))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_message_reaches_the_socket_systemd_names() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("notify");
        let listener = std::os::unix::net::UnixDatagram::bind(&path).unwrap();
        assert!(send(path.to_str().unwrap(), "READY=1"));
        let mut buf = [0u8; 64];
        let n = listener.recv(&mut buf).unwrap();
        assert_eq!(&buf[..n], b"READY=1");
        assert!(!send(dir.path().join("gone").to_str().unwrap(), "READY=1"));
    }

    #[test]
    fn the_watchdog_is_pinged_twice_per_timeout_and_only_by_its_process() {
        assert_eq!(
            interval(None, Some("20000000"), 7),
            Some(Duration::from_secs(10))
        );
        assert_eq!(
            interval(Some("7"), Some("20000000"), 7),
            Some(Duration::from_secs(10))
        );
        assert_eq!(interval(Some("8"), Some("20000000"), 7), None);
        assert_eq!(interval(None, None, 7), None);
        assert_eq!(interval(None, Some("0"), 7), None);
    }
}
