//! What the waiting room hears: each call as a sequence of voice clips, read the way
//! Vietnamese halls read it, and a queue of announcements that never overlap, never
//! say a recall twice, and shorten a long backlog instead of falling minutes behind.
//!
//! Pure logic: turning clips into sound is the voice pack's job (hardware::audio).

use std::collections::VecDeque;

use motcua_core::domain::{CounterId, TicketId};

pub use crate::voice::{
    CALL, CHIME, DIGITS, LAM_FIVE, LINH, MOT_ONE, MUOI_TEN, MUOI_TENS, NGHIN, PAUSE, RESULTS_READY,
    TO_COUNTER, TRAM, TU_FOUR, clip_texts, default_pack_dir, number_clips, ticket_clips,
};

/// A call to announce.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Call {
    pub ticket: TicketId,
    pub number: String,
    pub counter: CounterId,
}

/// What to play for a call: a chime, then the sentence `times` times.
pub fn utterance(call: &Call, times: usize) -> Vec<String> {
    let mut sentence = vec![CALL.to_string()];
    sentence.extend(ticket_clips(&call.number));
    sentence.push(TO_COUNTER.into());
    sentence.extend(number_clips(call.counter));
    let mut clips = vec![CHIME.to_string()];
    for i in 0..times {
        if i > 0 {
            clips.push(PAUSE.into());
        }
        clips.extend(sentence.iter().cloned());
    }
    clips
}

/// From this many calls waiting, each is said once instead of twice.
pub const BACKLOG_SAY_ONCE: usize = 3;

/// Loads a voice pack with every clip announcements use (a pack recorded before the
/// kiosk's guidance existed still announces calls).
pub fn load_pack(
    dir: &std::path::Path,
) -> Result<motcua_hardware::audio::VoicePack, motcua_hardware::audio::VoiceError> {
    let mut ids = crate::voice::number_clip_ids();
    ids.extend([CALL, TO_COUNTER, RESULTS_READY, CHIME].map(String::from));
    motcua_hardware::audio::VoicePack::load(dir, &ids)
}

/// The results announcement: chime, then the sentence once.
pub fn results_utterance() -> Vec<String> {
    vec![CHIME.to_string(), RESULTS_READY.to_string()]
}

/// When to say "results are ready": for each dossier waiting for pickup at most
/// `times` times, never more often than `every`, except that a new result is said
/// within a minute of the last announcement.
#[derive(Debug)]
pub struct ResultsSchedule {
    every: chrono::Duration,
    times: u32,
    said: std::collections::HashMap<String, u32>,
    last: Option<chrono::DateTime<chrono::Utc>>,
}

/// The least time between two results announcements, whatever arrives.
pub const RESULTS_MIN_GAP: chrono::Duration = chrono::Duration::seconds(60);

impl ResultsSchedule {
    pub fn new(every_minutes: u32, times: u32) -> Self {
        ResultsSchedule {
            every: chrono::Duration::minutes(i64::from(every_minutes.max(1))),
            times,
            said: Default::default(),
            last: None,
        }
    }

    /// Whether to announce now, given the dossiers waiting for pickup. Counts the
    /// announcement for each of them when it says yes.
    pub fn due(&mut self, waiting: &[String], now: chrono::DateTime<chrono::Utc>) -> bool {
        self.said.retain(|code, _| waiting.contains(code));
        let times = self.times;
        let pending: Vec<&String> = waiting
            .iter()
            .filter(|c| self.said.get(*c).copied().unwrap_or(0) < times)
            .collect();
        if pending.is_empty() {
            return false;
        }
        let fresh = pending.iter().any(|c| !self.said.contains_key(*c));
        let gap = if fresh { RESULTS_MIN_GAP } else { self.every };
        if self.last.is_some_and(|t| now - t < gap) {
            return false;
        }
        for c in pending {
            *self.said.entry(c.clone()).or_default() += 1;
        }
        self.last = Some(now);
        true
    }
}

/// Calls waiting to be announced, one at a time.
#[derive(Debug, Default)]
pub struct Announcer {
    queue: VecDeque<Call>,
}

impl Announcer {
    pub fn new() -> Self {
        Announcer::default()
    }

    pub fn waiting(&self) -> usize {
        self.queue.len()
    }

    /// Queues a call or recall. A ticket already waiting to be announced is not
    /// queued twice (its counter is updated in place); a counter's earlier call that
    /// was never announced is dropped, since that counter has moved on.
    pub fn push(&mut self, call: Call) {
        if let Some(queued) = self.queue.iter_mut().find(|c| c.ticket == call.ticket) {
            *queued = call;
            return;
        }
        self.queue.retain(|c| c.counter != call.counter);
        self.queue.push_back(call);
    }

    /// The next announcement to play, whole: said twice, or once while a backlog waits.
    pub fn next_announcement(&mut self) -> Option<(Call, Vec<String>)> {
        let call = self.queue.pop_front()?;
        let times = if self.queue.len() >= BACKLOG_SAY_ONCE - 1 {
            1
        } else {
            2
        };
        let clips = utterance(&call, times);
        Some((call, clips))
    }
}

#[cfg(test)]
mod results_tests {
    use super::*;
    use chrono::{Duration, Utc};

    #[test]
    fn results_are_announced_within_limits() {
        let mut s = ResultsSchedule::new(10, 3);
        let t0 = Utc::now();
        let m = |n: i64| t0 + Duration::minutes(n);
        let one = vec!["H1".to_string()];
        assert!(!s.due(&[], t0), "nothing waiting, nothing said");
        assert!(s.due(&one, t0), "a new result is said at once");
        assert!(!s.due(&one, m(5)), "not again before ten minutes");
        assert!(s.due(&one, m(10)));
        // A second result arrives: said within a minute of the last, not at once.
        let two = vec!["H1".to_string(), "H2".to_string()];
        assert!(!s.due(&two, m(10) + Duration::seconds(30)));
        assert!(s.due(&two, m(11)));
        // H1 has now been said three times, H2 once: two more for H2 only.
        assert!(s.due(&two, m(21)));
        assert!(s.due(&two, m(31)));
        assert!(!s.due(&two, m(41)), "each result at most three times");
        // Picked up, and ready again later (a new result): said anew.
        assert!(!s.due(&[], m(50)));
        assert!(s.due(&one, m(51)));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(n: u32) -> String {
        let texts = clip_texts();
        number_clips(n)
            .iter()
            .map(|id| texts.iter().find(|(i, _)| i == id).unwrap().1)
            .collect::<Vec<_>>()
            .join(" ")
    }

    #[test]
    fn numbers_are_read_as_halls_read_them() {
        for (n, said) in [
            (3, "ba"),
            (10, "mười"),
            (11, "mười một"),
            (14, "mười bốn"),
            (15, "mười lăm"),
            (20, "hai mươi"),
            (21, "hai mươi mốt"),
            (24, "hai mươi tư"),
            (25, "hai mươi lăm"),
            (100, "một trăm"),
            (105, "một trăm linh năm"),
            (110, "một trăm mười"),
            (1000, "một nghìn"),
            (1023, "một nghìn không trăm hai mươi ba"),
            (2015, "hai nghìn không trăm mười lăm"),
            (1105, "một nghìn một trăm linh năm"),
        ] {
            assert_eq!(words(n), said, "{n}");
        }
    }

    #[test]
    fn a_call_is_a_chime_then_the_sentence_twice() {
        let call = Call {
            ticket: 1,
            number: "A023".into(),
            counter: 3,
        };
        let sentence = ["call", "letter_a", "d0", "d2", "d3", "to_counter", "d3"];
        let mut want = vec!["chime"];
        want.extend(sentence);
        want.push("pause");
        want.extend(sentence);
        assert_eq!(utterance(&call, 2), want);
        // Every clip named is one a voice pack provides.
        let known: Vec<String> = clip_texts().into_iter().map(|(id, _)| id).collect();
        let ok = |c: &String| known.contains(c) || c == CHIME || c == PAUSE;
        assert!(
            utterance(
                &Call {
                    ticket: 2,
                    number: "K1024".into(),
                    counter: 24
                },
                1
            )
            .iter()
            .all(ok)
        );
    }

    #[test]
    fn recalls_are_not_doubled_and_stale_calls_dropped() {
        let mut a = Announcer::new();
        a.push(Call {
            ticket: 1,
            number: "A001".into(),
            counter: 1,
        });
        a.push(Call {
            ticket: 1,
            number: "A001".into(),
            counter: 1,
        });
        assert_eq!(a.waiting(), 1, "a recall of a queued ticket is not doubled");
        a.push(Call {
            ticket: 2,
            number: "B001".into(),
            counter: 2,
        });
        a.push(Call {
            ticket: 3,
            number: "A002".into(),
            counter: 1,
        });
        let order: Vec<_> = std::iter::from_fn(|| a.next_announcement())
            .map(|(c, _)| c.number)
            .collect();
        assert_eq!(
            order,
            ["B001", "A002"],
            "counter 1 moved on from A001 before it was said"
        );
    }

    #[test]
    fn the_shipped_voice_says_a_whole_call_twice_and_two_calls_in_order() {
        use motcua_hardware::audio::{Speaker, WavDir};
        let pack = load_pack(&default_pack_dir()).unwrap();
        let call = Call {
            ticket: 1,
            number: "A023".into(),
            counter: 3,
        };
        let clips = utterance(&call, 2);
        let samples = pack.render(&clips);
        let speech: usize = clips.iter().filter_map(|c| pack.clip_len(c)).sum();
        assert!(
            samples.len() > speech,
            "gaps and the pause come on top of the clips"
        );
        let seconds = samples.len() as f64 / f64::from(pack.rate());
        assert!(
            (5.0..15.0).contains(&seconds),
            "a call said twice takes {seconds:.1} s"
        );
        let rms = (samples.iter().map(|s| f64::from(*s).powi(2)).sum::<f64>()
            / samples.len() as f64)
            .sqrt();
        assert!(rms > 500.0, "the utterance is audible (rms {rms:.0})");

        let dir = tempfile::tempdir().unwrap();
        let mut speaker = WavDir::new(dir.path()).unwrap();
        let mut a = Announcer::new();
        a.push(call);
        a.push(Call {
            ticket: 2,
            number: "B007".into(),
            counter: 12,
        });
        while let Some((_, clips)) = a.next_announcement() {
            speaker.play(&pack.wav(&pack.render(&clips))).unwrap();
        }
        let len = |n: u32| {
            hound::WavReader::open(dir.path().join(format!("utterance-000{n}.wav")))
                .unwrap()
                .len() as usize
        };
        assert_eq!(len(1), samples.len(), "the first call, whole");
        let second = pack.render(&utterance(
            &Call {
                ticket: 2,
                number: "B007".into(),
                counter: 12,
            },
            2,
        ));
        assert_eq!(len(2), second.len(), "then the second, whole");
    }

    #[test]
    fn six_counters_calling_at_once_do_not_fall_minutes_behind() {
        let mut a = Announcer::new();
        for i in 1..=6 {
            a.push(Call {
                ticket: u64::from(i),
                number: format!("A00{i}"),
                counter: i,
            });
        }
        let said: Vec<usize> = std::iter::from_fn(|| a.next_announcement())
            .map(|(_, clips)| clips.iter().filter(|c| *c == CALL).count())
            .collect();
        assert_eq!(
            said,
            [1, 1, 1, 1, 2, 2],
            "the backlog is said once each, the last ones twice"
        );
    }
}
