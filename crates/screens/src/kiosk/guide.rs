//! The kiosk's voice: reads a screen aloud when a citizen asks ("Nghe"), on a thread
//! of its own so the screen never waits for the speaker (nor for the sound to be
//! put together from its clips). One reading at a time: a new
//! one cuts off the last, and the kiosk stops it when the screen changes.

use std::sync::mpsc;
use std::time::Duration;

use motcua_hardware::audio::Playback;

enum Order {
    Say(Vec<String>),
    Stop,
}

/// The reading thread; it ends when this is dropped.
pub struct Guide {
    orders: mpsc::Sender<Order>,
}

impl Guide {
    /// Turns clips into sound with `sound` (the voice pack) and plays it through
    /// `playback`; `finished` is called (on the guide's thread) each time a reading
    /// ends, by itself or stopped.
    pub fn start(
        sound: impl Fn(&[String]) -> Vec<u8> + Send + 'static,
        mut playback: Box<dyn Playback>,
        finished: impl Fn() + Send + 'static,
    ) -> std::io::Result<Guide> {
        let (orders, inbox) = mpsc::channel();
        std::thread::Builder::new()
            .name("kiosk-guide".into())
            .spawn(move || {
                let mut reading = false;
                loop {
                    match inbox.recv_timeout(Duration::from_millis(100)) {
                        Ok(Order::Say(clips)) => match playback.start(sound(&clips)) {
                            Ok(()) => reading = true,
                            Err(e) => {
                                tracing::warn!("kiosk: cannot read the screen aloud: {e}");
                                reading = false;
                                finished();
                            }
                        },
                        Ok(Order::Stop) => {
                            playback.stop();
                            if std::mem::take(&mut reading) {
                                finished();
                            }
                        }
                        Err(mpsc::RecvTimeoutError::Timeout) => {
                            if reading && !playback.playing() {
                                reading = false;
                                finished();
                            }
                        }
                        Err(mpsc::RecvTimeoutError::Disconnected) => {
                            playback.stop();
                            break;
                        }
                    }
                }
            })?;
        Ok(Guide { orders })
    }

    /// Reads these clips aloud, cutting off what was being read.
    pub fn say(&self, clips: Vec<String>) {
        let _ = self.orders.send(Order::Say(clips));
    }

    pub fn stop(&self) {
        let _ = self.orders.send(Order::Stop);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::{Arc, Mutex};

    /// A speaker that plays for as long as the test says, and records what happened.
    #[derive(Clone, Default)]
    struct Fake {
        log: Arc<Mutex<Vec<String>>>,
        busy: Arc<Mutex<bool>>,
    }

    impl Playback for Fake {
        fn start(&mut self, wav: Vec<u8>) -> std::io::Result<()> {
            let mut busy = self.busy.lock().unwrap();
            if *busy {
                self.log.lock().unwrap().push("cut".into());
            }
            *busy = true;
            self.log
                .lock()
                .unwrap()
                .push(format!("start {}", wav.len()));
            Ok(())
        }
        fn stop(&mut self) {
            if std::mem::take(&mut *self.busy.lock().unwrap()) {
                self.log.lock().unwrap().push("stop".into());
            }
        }
        fn playing(&mut self) -> bool {
            *self.busy.lock().unwrap()
        }
    }

    fn wait_for(what: &str, check: impl Fn() -> bool) {
        let deadline = std::time::Instant::now() + Duration::from_secs(5);
        while !check() {
            assert!(std::time::Instant::now() < deadline, "never: {what}");
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    #[test]
    fn one_reading_at_a_time_and_each_end_is_told() {
        let fake = Fake::default();
        let ends = Arc::new(Mutex::new(0));
        let e = ends.clone();
        let sound = |clips: &[String]| vec![0; clips.len()];
        let guide = Guide::start(sound, Box::new(fake.clone()), move || {
            *e.lock().unwrap() += 1
        })
        .unwrap();
        let clips = |n| vec![String::from("d1"); n];
        guide.say(clips(3));
        guide.say(clips(5));
        wait_for("the second reading", || fake.log.lock().unwrap().len() == 3);
        assert_eq!(*fake.log.lock().unwrap(), ["start 3", "cut", "start 5"]);
        // The screen changed: silence, and the window hears the reading ended.
        guide.stop();
        wait_for("the end told", || *ends.lock().unwrap() == 1);
        assert_eq!(fake.log.lock().unwrap().last().unwrap(), "stop");
        // A reading that runs to its end is told too; stopping afterwards tells nothing.
        guide.say(clips(7));
        wait_for("the third reading", || fake.log.lock().unwrap().len() == 5);
        *fake.busy.lock().unwrap() = false;
        wait_for("its end told", || *ends.lock().unwrap() == 2);
        guide.stop();
        std::thread::sleep(Duration::from_millis(250));
        assert_eq!(*ends.lock().unwrap(), 2);
    }
}
