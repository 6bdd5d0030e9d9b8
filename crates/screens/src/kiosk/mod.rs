//! The citizen kiosk: a touchscreen that gives queue tickets, prints them, and looks
//! up dossiers. `controller` holds the logic; `app` runs it in a Slint window.

pub mod app;
pub mod controller;
pub mod guide;

use std::sync::{Arc, Mutex};

use anyhow::{Context, Result};
use motcua_hardware::printer::{EscPosPrinter, PrinterSpec, layout, paper_dots};

/// `motcua kiosk`: the kiosk until the window closes or `stop` resolves.
pub fn run(
    opts: app::KioskOptions,
    fullscreen: bool,
    stop: impl Future<Output = ()> + Send + 'static,
) -> Result<()> {
    let runtime = tokio::runtime::Runtime::new().context("cannot start the async runtime")?;
    let window =
        app::start(opts, runtime.handle().clone()).context("cannot open the kiosk window")?;
    crate::run_window(&runtime, window, fullscreen, "kiosk", stop)
}

/// The voice that reads screens aloud: the pack (the shipped one by default) played
/// by `player`, or written as WAV files into `speak_to`. A kiosk runs without one,
/// its "Nghe" greyed, when the pack lacks the guidance clips (one recorded before
/// they existed) or the folder cannot be written: that is logged, not fatal.
pub fn voice_output(
    pack: Option<std::path::PathBuf>,
    player: &str,
    speak_to: Option<std::path::PathBuf>,
) -> Option<app::KioskVoice> {
    use motcua_hardware::audio::{CommandPlayer, Playback, WavDir};
    let dir = pack.unwrap_or_else(crate::voice::default_pack_dir);
    let pack = match crate::voice::load_guide_pack(&dir) {
        Ok(pack) => pack,
        Err(e) => {
            tracing::warn!("kiosk: screens are not read aloud: {e}");
            return None;
        }
    };
    let playback: Box<dyn Playback> = match speak_to {
        Some(dir) => match WavDir::new(&dir) {
            Ok(w) => Box::new(w),
            Err(e) => {
                tracing::warn!("kiosk: screens are not read aloud: {}: {e}", dir.display());
                return None;
            }
        },
        None => Box::new(CommandPlayer::new(player)),
    };
    Some((pack, playback))
}

/// Opens the printer a spec names (`usb:…`, `tcp:…`, `sim:DIR`), for `paper_mm` paper.
pub fn open_printer(spec: &str, paper_mm: u32) -> Result<Arc<Mutex<EscPosPrinter>>> {
    let spec: PrinterSpec = spec.parse().map_err(anyhow::Error::msg)?;
    let width = paper_dots(paper_mm).map_err(anyhow::Error::msg)?;
    let printer = EscPosPrinter::open(&spec, width)
        .with_context(|| format!("cannot open printer {spec:?}"))?;
    Ok(Arc::new(Mutex::new(printer)))
}

/// `motcua print-test`: prints a sample ticket (or receipt) and says how the printer is.
pub fn print_test(spec: &str, paper_mm: u32, receipt: bool) -> Result<()> {
    let shared = open_printer(spec, paper_mm)?;
    let mut printer = shared.lock().unwrap_or_else(|e| e.into_inner());
    let width = printer.width();
    println!(
        "printer {}: {}",
        printer.describe(),
        printer.health().describe_vi()
    );
    let picture = if receipt {
        layout::receipt(&layout::sample_receipt(), width)
    } else {
        layout::ticket(&layout::sample_ticket(), width)
    };
    let health = printer
        .print(&picture)
        .context("the sample did not print")?;
    println!(
        "printed a {} mm sample; printer now: {}",
        paper_mm,
        health.describe_vi()
    );
    if let Ok(PrinterSpec::Sim(Some(dir))) = spec.parse::<PrinterSpec>() {
        println!("the simulated paper is in {}", dir.display());
    }
    Ok(())
}

#[cfg(test)]
mod tests;
