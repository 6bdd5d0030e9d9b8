//! Sound for announcements: a voice pack (a folder of WAV clips, one per word or
//! phrase) assembled into one utterance, and speakers that play it — `aplay` on a
//! real device (no ALSA headers needed to build), or WAV files in a folder for the
//! simulator and tests. An announcement plays to its end before the next starts; the
//! kiosk's guidance (`Playback`) can be cut off when the citizen moves on.

use std::collections::HashMap;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

/// Silence between clips of one sentence: enough to hear "A, không, hai, ba".
pub const CLIP_GAP: Duration = Duration::from_millis(90);
/// The clip id that stands for a longer silence (between repetitions).
pub const PAUSE: &str = "pause";
pub const PAUSE_LENGTH: Duration = Duration::from_millis(600);

#[derive(Debug, thiserror::Error)]
pub enum VoiceError {
    #[error(
        "voice pack {dir}: missing clips {missing:?}; record or generate them (assets/voice/generate.sh)"
    )]
    Missing { dir: String, missing: Vec<String> },
    #[error("voice pack {dir}: {clip}.wav: {message}")]
    Bad {
        dir: String,
        clip: String,
        message: String,
    },
}

/// A folder of clips, read into memory: mono, 16-bit, one sample rate.
pub struct VoicePack {
    rate: u32,
    clips: HashMap<String, Vec<i16>>,
}

impl VoicePack {
    /// Loads `dir/<id>.wav` for every id in `ids`; names every missing or unusable clip.
    pub fn load(dir: &Path, ids: &[String]) -> Result<VoicePack, VoiceError> {
        let shown = dir.display().to_string();
        let missing: Vec<String> = ids
            .iter()
            .filter(|id| !dir.join(format!("{id}.wav")).exists())
            .cloned()
            .collect();
        if !missing.is_empty() {
            return Err(VoiceError::Missing {
                dir: shown,
                missing,
            });
        }
        let mut rate = None;
        let mut clips = HashMap::new();
        for id in ids {
            let bad = |message: String| VoiceError::Bad {
                dir: shown.clone(),
                clip: id.clone(),
                message,
            };
            let mut reader = hound::WavReader::open(dir.join(format!("{id}.wav")))
                .map_err(|e| bad(e.to_string()))?;
            let spec = reader.spec();
            if spec.channels != 1
                || spec.bits_per_sample != 16
                || spec.sample_format != hound::SampleFormat::Int
            {
                return Err(bad(format!(
                    "must be mono 16-bit PCM, is {} channel(s) {}-bit",
                    spec.channels, spec.bits_per_sample
                )));
            }
            if *rate.get_or_insert(spec.sample_rate) != spec.sample_rate {
                return Err(bad(format!(
                    "sample rate {} differs from the other clips",
                    spec.sample_rate
                )));
            }
            let samples: Result<Vec<i16>, _> = reader.samples::<i16>().collect();
            clips.insert(id.clone(), samples.map_err(|e| bad(e.to_string()))?);
        }
        Ok(VoicePack {
            rate: rate.unwrap_or(22_050),
            clips,
        })
    }

    pub fn rate(&self) -> u32 {
        self.rate
    }

    fn silence(&self, d: Duration) -> usize {
        (self.rate as u128 * d.as_millis() / 1000) as usize
    }

    /// The samples of a clip sequence, with gaps; `PAUSE` is a longer silence.
    /// Unknown clip ids are skipped (the pack was checked when loaded).
    pub fn render(&self, ids: &[String]) -> Vec<i16> {
        let mut out = Vec::new();
        for (i, id) in ids.iter().enumerate() {
            if i > 0 {
                out.resize(out.len() + self.silence(CLIP_GAP), 0);
            }
            if id == PAUSE {
                out.resize(out.len() + self.silence(PAUSE_LENGTH), 0);
            } else if let Some(clip) = self.clips.get(id) {
                out.extend_from_slice(clip);
            }
        }
        out
    }

    pub fn clip_len(&self, id: &str) -> Option<usize> {
        self.clips.get(id).map(Vec::len)
    }

    /// A WAV file of the samples, ready for a speaker.
    pub fn wav(&self, samples: &[i16]) -> Vec<u8> {
        let spec = hound::WavSpec {
            channels: 1,
            sample_rate: self.rate,
            bits_per_sample: 16,
            sample_format: hound::SampleFormat::Int,
        };
        let mut bytes = io::Cursor::new(Vec::new());
        {
            let mut w = hound::WavWriter::new(&mut bytes, spec).expect("writing to memory");
            for s in samples {
                w.write_sample(*s).expect("writing to memory");
            }
            w.finalize().expect("writing to memory");
        }
        bytes.into_inner()
    }
}

/// Plays a whole WAV, returning when it has finished.
pub trait Speaker: Send {
    fn play(&mut self, wav: &[u8]) -> io::Result<()>;
}

/// Starts a player that reads WAV on its stdin.
fn spawn_player(program: &str, args: &[String], stderr: Stdio) -> io::Result<std::process::Child> {
    Command::new(program)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(stderr)
        .spawn()
        .map_err(|e| io::Error::new(e.kind(), format!("cannot start {program}: {e}")))
}

/// Plays through a command that reads WAV on stdin (`aplay -q -`, `paplay`).
pub struct CommandSpeaker {
    program: String,
    args: Vec<String>,
}

impl CommandSpeaker {
    /// `command` like "aplay -q -" or "aplay -q -D hdmi:CARD=vc4hdmi0 -".
    pub fn new(command: &str) -> Self {
        let mut words = command.split_whitespace().map(str::to_owned);
        CommandSpeaker {
            program: words.next().unwrap_or_else(|| "aplay".into()),
            args: words.collect(),
        }
    }
}

impl Speaker for CommandSpeaker {
    fn play(&mut self, wav: &[u8]) -> io::Result<()> {
        let mut child = spawn_player(&self.program, &self.args, Stdio::piped())?;
        child.stdin.take().expect("piped").write_all(wav)?;
        let out = child.wait_with_output()?;
        if out.status.success() {
            Ok(())
        } else {
            Err(io::Error::other(format!(
                "{} failed: {}",
                self.program,
                String::from_utf8_lossy(&out.stderr).trim()
            )))
        }
    }
}

/// A sound that plays in the background and can be stopped midway: the kiosk's
/// guidance, which must fall silent when the citizen moves on.
pub trait Playback: Send {
    /// Starts `wav`, cutting off whatever was playing.
    fn start(&mut self, wav: Vec<u8>) -> io::Result<()>;
    /// Stops the sound now (nothing when none plays).
    fn stop(&mut self);
    /// Whether a sound is still playing.
    fn playing(&mut self) -> bool;
}

/// Plays through a command that reads WAV on stdin, as `CommandSpeaker` does, but
/// without waiting: the player is a child process, stopped by ending it.
pub struct CommandPlayer {
    program: String,
    args: Vec<String>,
    child: Option<std::process::Child>,
}

impl CommandPlayer {
    pub fn new(command: &str) -> Self {
        let CommandSpeaker { program, args } = CommandSpeaker::new(command);
        CommandPlayer {
            program,
            args,
            child: None,
        }
    }
}

impl Playback for CommandPlayer {
    fn start(&mut self, wav: Vec<u8>) -> io::Result<()> {
        self.stop();
        let mut child = spawn_player(&self.program, &self.args, Stdio::null())?;
        // A player reads as it plays: the sound is handed over from a thread of its own,
        // which ends when the sound is through or the player is stopped.
        let mut stdin = child.stdin.take().expect("piped");
        std::thread::Builder::new()
            .name("sound-feed".into())
            .spawn(move || {
                let _ = stdin.write_all(&wav);
            })?;
        self.child = Some(child);
        Ok(())
    }

    fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    fn playing(&mut self) -> bool {
        match &mut self.child {
            Some(child) => matches!(child.try_wait(), Ok(None)),
            None => false,
        }
    }
}

impl Drop for CommandPlayer {
    fn drop(&mut self) {
        self.stop();
    }
}

/// The simulated speaker: each utterance becomes `utterance-NNNN.wav` in a folder.
pub struct WavDir {
    dir: PathBuf,
    next: u32,
}

impl WavDir {
    pub fn new(dir: &Path) -> io::Result<Self> {
        std::fs::create_dir_all(dir)?;
        let next = std::fs::read_dir(dir)?
            .filter_map(|e| {
                e.ok()?
                    .file_name()
                    .to_str()?
                    .strip_prefix("utterance-")?
                    .strip_suffix(".wav")?
                    .parse::<u32>()
                    .ok()
            })
            .max()
            .unwrap_or(0)
            + 1;
        Ok(WavDir {
            dir: dir.to_owned(),
            next,
        })
    }
}

impl Speaker for WavDir {
    fn play(&mut self, wav: &[u8]) -> io::Result<()> {
        let path = self.dir.join(format!("utterance-{:04}.wav", self.next));
        self.next += 1;
        std::fs::write(path, wav)
    }
}

/// Written at once, so never still playing.
impl Playback for WavDir {
    fn start(&mut self, wav: Vec<u8>) -> io::Result<()> {
        self.play(&wav)
    }

    fn stop(&mut self) {}

    fn playing(&mut self) -> bool {
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pack(dir: &Path) -> VoicePack {
        let spec = hound::WavSpec {
            channels: 1,
            sample_rate: 8000,
            bits_per_sample: 16,
            sample_format: hound::SampleFormat::Int,
        };
        for (id, len) in [("a", 800), ("b", 1600)] {
            let mut w = hound::WavWriter::create(dir.join(format!("{id}.wav")), spec).unwrap();
            for i in 0..len {
                w.write_sample(((i % 50) * 100) as i16).unwrap();
            }
            w.finalize().unwrap();
        }
        VoicePack::load(dir, &["a".into(), "b".into()]).unwrap()
    }

    #[test]
    fn an_utterance_is_its_clips_with_gaps_and_pauses() {
        let dir = tempfile::tempdir().unwrap();
        let p = pack(dir.path());
        let samples = p.render(&["a".into(), "b".into(), PAUSE.into(), "a".into()]);
        let gap = 8000 * 90 / 1000;
        let pause = 8000 * 600 / 1000;
        assert_eq!(samples.len(), 800 + gap + 1600 + gap + pause + gap + 800);
        let wav = p.wav(&samples);
        let back = hound::WavReader::new(io::Cursor::new(wav)).unwrap();
        assert_eq!(
            (back.spec().sample_rate, back.len() as usize),
            (8000, samples.len())
        );
    }

    #[test]
    fn a_pack_with_missing_or_wrong_clips_is_refused_by_name() {
        let dir = tempfile::tempdir().unwrap();
        pack(dir.path());
        let err = VoicePack::load(dir.path(), &["a".into(), "c".into()])
            .err()
            .unwrap()
            .to_string();
        assert!(err.contains("[\"c\"]"), "{err}");
        let stereo = hound::WavSpec {
            channels: 2,
            sample_rate: 8000,
            bits_per_sample: 16,
            sample_format: hound::SampleFormat::Int,
        };
        hound::WavWriter::create(dir.path().join("c.wav"), stereo)
            .unwrap()
            .finalize()
            .unwrap();
        let err = VoicePack::load(dir.path(), &["c".into()])
            .err()
            .unwrap()
            .to_string();
        assert!(err.contains("mono"), "{err}");
    }

    #[test]
    fn a_background_sound_can_be_cut_off_midway() {
        // A "player" that reads the sound, then holds on as a long clip would. It is a
        // script, as the command is split at spaces without regard to quotes.
        let dir = tempfile::tempdir().unwrap();
        let player = dir.path().join("player");
        std::fs::write(&player, "cat >/dev/null\nsleep 30\n").unwrap();
        let mut p = CommandPlayer::new(&format!("sh {}", player.display()));
        p.start(vec![0; 1 << 20]).unwrap();
        assert!(p.playing());
        let started = std::time::Instant::now();
        p.stop();
        assert!(!p.playing());
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "stopping waited for the end"
        );
        // A new sound replaces the one playing.
        p.start(vec![0; 16]).unwrap();
        p.start(vec![0; 16]).unwrap();
        assert!(p.playing());
        drop(p);
        let mut missing = CommandPlayer::new("/nonexistent/player");
        let err = missing.start(vec![0; 16]).unwrap_err().to_string();
        assert!(err.contains("/nonexistent/player"), "{err}");
    }

    #[test]
    fn the_simulated_speaker_keeps_each_utterance_in_order() {
        let dir = tempfile::tempdir().unwrap();
        let p = pack(dir.path());
        let mut s = WavDir::new(&dir.path().join("out")).unwrap();
        s.play(&p.wav(&p.render(&["a".into()]))).unwrap();
        s.play(&p.wav(&p.render(&["b".into()]))).unwrap();
        let len = |n| {
            hound::WavReader::open(dir.path().join(format!("out/utterance-000{n}.wav")))
                .unwrap()
                .len()
        };
        assert_eq!((len(1), len(2)), (800, 1600));
    }
}
