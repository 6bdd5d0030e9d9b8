//! How fast one device may take tickets: a stuck finger on a kiosk, or a script with a
//! kiosk's token, must not empty the day's numbers. Each token has a bucket of tickets
//! that refills at its `tickets_per_minute`; a full bucket lets a short burst through.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

#[derive(Clone, Default)]
pub struct IssueGuard(Arc<Mutex<HashMap<String, Bucket>>>);

struct Bucket {
    left: f64,
    at: Instant,
}

/// A burst of this many tickets (or half a minute's worth, whichever is more) passes.
const MIN_BURST: f64 = 5.0;

impl IssueGuard {
    /// Takes one ticket from `device`'s bucket; `Err(wait)` when it is empty, with how
    /// long until the next ticket. `per_minute` 0: no limit.
    pub fn take(&self, device: &str, per_minute: u32, now: Instant) -> Result<(), Duration> {
        if per_minute == 0 {
            return Ok(());
        }
        let rate = f64::from(per_minute) / 60.0;
        let burst = (f64::from(per_minute) / 2.0).max(MIN_BURST);
        let mut buckets = self.0.lock().unwrap_or_else(|e| e.into_inner());
        let b = buckets.entry(device.to_owned()).or_insert(Bucket {
            left: burst,
            at: now,
        });
        b.left = (b.left + now.duration_since(b.at).as_secs_f64() * rate).min(burst);
        b.at = now;
        if b.left >= 1.0 {
            b.left -= 1.0;
            Ok(())
        } else {
            Err(Duration::from_secs_f64((1.0 - b.left) / rate))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_burst_passes_then_one_ticket_per_refill_and_devices_are_apart() {
        let g = IssueGuard::default();
        let t0 = Instant::now();
        // 20 a minute: a burst of 10, then one every 3 s.
        for _ in 0..10 {
            assert_eq!(g.take("Kiosk K1", 20, t0), Ok(()));
        }
        let wait = g.take("Kiosk K1", 20, t0).unwrap_err();
        assert_eq!(wait.as_secs(), 3);
        assert!(
            g.take("Kiosk K2", 20, t0).is_ok(),
            "another kiosk is not held up"
        );
        assert!(g.take("Kiosk K1", 20, t0 + Duration::from_secs(3)).is_ok());
        assert!(g.take("Kiosk K1", 20, t0 + Duration::from_secs(4)).is_err());
        // An hour later the bucket is full again, not fuller.
        let later = t0 + Duration::from_secs(3600);
        assert_eq!(
            (0..11)
                .filter(|_| g.take("Kiosk K1", 20, later).is_ok())
                .count(),
            10
        );
        assert!((0..1000).all(|_| g.take("admin", 0, t0).is_ok()));
    }
}
