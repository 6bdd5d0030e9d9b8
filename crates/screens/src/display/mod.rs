//! The waiting-room display: `model` is the board kept current from the event
//! stream (which `motcua_client::follow` keeps: stale mark, reconnect), `app` draws it
//! in a Slint window and speaks the calls through `announce`.

pub mod announce;
pub mod app;
pub mod model;

use std::path::PathBuf;

use anyhow::{Context, Result};
use motcua_hardware::audio::{CommandSpeaker, Speaker, VoicePack, WavDir};

/// A voice pack and where it plays.
pub type Voice = (VoicePack, Box<dyn Speaker>);

/// The voice pack (the shipped one by default) and where announcements go: played
/// by `player`, or written as WAV files into `speak_to`.
pub fn voice_output(
    voice: Option<PathBuf>,
    player: &str,
    speak_to: Option<PathBuf>,
) -> Result<Voice> {
    let pack = announce::load_pack(&voice.unwrap_or_else(announce::default_pack_dir))?;
    let speaker: Box<dyn Speaker> = match speak_to {
        Some(dir) => Box::new(
            WavDir::new(&dir).with_context(|| format!("cannot write into {}", dir.display()))?,
        ),
        None => Box::new(CommandSpeaker::new(player)),
    };
    Ok((pack, speaker))
}

/// `motcua display`: the board on a TV until the window closes or `stop` resolves.
pub fn run(
    client: motcua_client::HallClient,
    voice: Option<Voice>,
    fullscreen: bool,
    stop: impl Future<Output = ()> + Send + 'static,
) -> Result<()> {
    let runtime = tokio::runtime::Runtime::new().context("cannot start the async runtime")?;
    runtime.spawn(client.clone().report_every_minute("display"));
    let opts = app::DisplayOptions { client, voice };
    let window = app::start(opts, runtime.handle()).context("cannot open the display window")?;
    crate::run_window(&runtime, window, fullscreen, "display", stop)
}

/// `motcua announce-test`: says one call, played or written as a WAV file.
pub fn announce_test(
    number: &str,
    counter: u32,
    voice: Option<PathBuf>,
    out: Option<PathBuf>,
    player: &str,
) -> Result<()> {
    use announce::{Call, default_pack_dir, load_pack, utterance};
    let pack = load_pack(&voice.unwrap_or_else(default_pack_dir))?;
    let clips = utterance(
        &Call {
            ticket: 0,
            number: number.to_owned(),
            counter,
        },
        2,
    );
    let wav = pack.wav(&pack.render(&clips));
    match out {
        Some(path) => {
            std::fs::write(&path, &wav)
                .with_context(|| format!("cannot write {}", path.display()))?;
            println!("{}: {}", path.display(), clips.join(" "));
        }
        None => CommandSpeaker::new(player)
            .play(&wav)
            .context("cannot play the announcement")?,
    }
    Ok(())
}

#[cfg(test)]
mod tests;
