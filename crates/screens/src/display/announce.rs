//! What the waiting room hears: each call as a sequence of voice clips, read the way
//! Vietnamese halls read it, and a queue of announcements that never overlap, never
//! say a recall twice, and shorten a long backlog instead of falling minutes behind.
//!
//! Pure logic: turning clips into sound is the voice pack's job (hardware::audio).

use std::collections::VecDeque;

use motcua_core::domain::{CounterId, TicketId};

/// "Mời công dân có số": opens every call.
pub const CALL: &str = "call";
/// "đến quầy số": before the counter.
pub const TO_COUNTER: &str = "to_counter";
/// A short chime before an announcement.
pub const CHIME: &str = "chime";
/// "Results are ready": said now and then while results wait for pickup.
pub const RESULTS_READY: &str = "results_ready";
/// Silence between the two repetitions of a call.
pub const PAUSE: &str = "pause";

/// Clip ids for digits 0–9: "không", "một", … "chín".
pub const DIGITS: [&str; 10] = ["d0", "d1", "d2", "d3", "d4", "d5", "d6", "d7", "d8", "d9"];
pub const MUOI_TEN: &str = "muoi"; // mười (10–19)
pub const MUOI_TENS: &str = "muoi_tens"; // mươi (20–99)
pub const MOT_ONE: &str = "mot_one"; // mốt (…1 after mươi)
pub const TU_FOUR: &str = "tu_four"; // tư (…4 after mươi)
pub const LAM_FIVE: &str = "lam_five"; // lăm (…5 after mười/mươi)
pub const LINH: &str = "linh"; // linh (zero tens before a unit)
pub const TRAM: &str = "tram"; // trăm
pub const NGHIN: &str = "nghin"; // nghìn

/// Every clip a voice pack must have, with what it says (for the generator script
/// and for people recording a real voice).
pub fn clip_texts() -> Vec<(String, &'static str)> {
    let mut v: Vec<(String, &'static str)> = vec![
        (CALL.into(), "Mời công dân có số"),
        (TO_COUNTER.into(), "đến quầy số"),
        (MUOI_TEN.into(), "mười"),
        (MUOI_TENS.into(), "mươi"),
        (MOT_ONE.into(), "mốt"),
        (TU_FOUR.into(), "tư"),
        (LAM_FIVE.into(), "lăm"),
        (LINH.into(), "linh"),
        (TRAM.into(), "trăm"),
        (NGHIN.into(), "nghìn"),
        (
            RESULTS_READY.into(),
            "Xin mời các công dân có hồ sơ đã có kết quả, đến quầy trả kết quả để nhận kết quả",
        ),
    ];
    let digits = [
        "không", "một", "hai", "ba", "bốn", "năm", "sáu", "bảy", "tám", "chín",
    ];
    v.extend(
        DIGITS
            .iter()
            .zip(digits)
            .map(|(id, text)| (id.to_string(), text)),
    );
    v.extend(LETTERS.iter().map(|(c, text)| (letter_clip(*c), *text)));
    v
}

/// Letters as Vietnamese halls say them.
const LETTERS: [(char, &str); 26] = [
    ('A', "a"),
    ('B', "bê"),
    ('C', "xê"),
    ('D', "dê"),
    ('E', "e"),
    ('F', "ép"),
    ('G', "giê"),
    ('H', "hát"),
    ('I', "i"),
    ('J', "gi"),
    ('K', "ca"),
    ('L', "e lờ"),
    ('M', "em mờ"),
    ('N', "en nờ"),
    ('O', "o"),
    ('P', "pê"),
    ('Q', "quy"),
    ('R', "e rờ"),
    ('S', "ét xì"),
    ('T', "tê"),
    ('U', "u"),
    ('V', "vê"),
    ('W', "vê kép"),
    ('X', "ích xì"),
    ('Y', "i dài"),
    ('Z', "dét"),
];

fn letter_clip(c: char) -> String {
    format!("letter_{}", c.to_ascii_lowercase())
}

/// A number as words: 15 → mười lăm, 21 → hai mươi mốt, 105 → một trăm linh năm,
/// 1023 → một nghìn không trăm hai mươi ba. Past 9999, digit by digit.
pub fn number_clips(n: u32) -> Vec<String> {
    let d = |i: u32| DIGITS[i as usize].to_string();
    match n {
        0..=9 => vec![d(n)],
        10..=99 => {
            let (tens, unit) = (n / 10, n % 10);
            let mut v = if tens == 1 {
                vec![MUOI_TEN.into()]
            } else {
                vec![d(tens), MUOI_TENS.into()]
            };
            match (tens, unit) {
                (_, 0) => {}
                (_, 5) => v.push(LAM_FIVE.into()),
                (2.., 1) => v.push(MOT_ONE.into()),
                (2.., 4) => v.push(TU_FOUR.into()),
                _ => v.push(d(unit)),
            }
            v
        }
        100..=999 => {
            let mut v = vec![d(n / 100), TRAM.into()];
            v.extend(below_hundred(n % 100));
            v
        }
        1000..=9999 => {
            let mut v = vec![d(n / 1000), NGHIN.into()];
            let rest = n % 1000;
            if rest > 0 && rest < 100 {
                v.extend([d(0), TRAM.into()]);
                v.extend(below_hundred(rest));
            } else if rest > 0 {
                v.extend(number_clips(rest));
            }
            v
        }
        _ => n
            .to_string()
            .chars()
            .map(|c| d(c.to_digit(10).unwrap_or(0)))
            .collect(),
    }
}

/// The last two digits after a hundred: nothing, "linh N", or the tens form.
fn below_hundred(n: u32) -> Vec<String> {
    match n {
        0 => Vec::new(),
        1..=9 => vec![LINH.into(), DIGITS[n as usize].into()],
        _ => number_clips(n),
    }
}

/// A ticket number read letter by letter and digit by digit: A012 → a, không, một, hai.
pub fn ticket_clips(number: &str) -> Vec<String> {
    number
        .chars()
        .filter_map(|c| match c {
            '0'..='9' => Some(DIGITS[c as usize - '0' as usize].to_string()),
            c if c.is_ascii_alphabetic() => Some(letter_clip(c)),
            _ => None,
        })
        .collect()
}

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

/// The default voice pack (made with espeak-ng): where the package installs it beside
/// the program (`/usr/bin/…` → `/usr/share/motcua/voice/vi`), else the repository's.
pub fn default_pack_dir() -> std::path::PathBuf {
    let installed = std::env::current_exe()
        .ok()
        .and_then(|exe| Some(exe.parent()?.parent()?.join("share/motcua/voice/vi")));
    match installed {
        Some(dir) if dir.is_dir() => dir,
        _ => std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../assets/voice/vi"),
    }
}

/// Loads a voice pack with every clip announcements use.
pub fn load_pack(
    dir: &std::path::Path,
) -> Result<motcua_hardware::audio::VoicePack, motcua_hardware::audio::VoiceError> {
    let mut ids: Vec<String> = clip_texts().into_iter().map(|(id, _)| id).collect();
    ids.push(CHIME.into());
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
