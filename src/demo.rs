//! `motcua demo`: the hall service, the kiosk and the display in one process with the
//! sample hall, demo tokens, a simulated printer, and counter 1's button pad on the
//! terminal.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

use motcua_client::HallClient;
use motcua_screens::display::{self, Voice};
use motcua_screens::kiosk;
use motcua_service::run::load_config;

pub fn run(
    listen: &str,
    data: Option<PathBuf>,
    config: Option<&Path>,
    public_url: Option<String>,
    switchboard: bool,
) -> Result<()> {
    let mut config = load_config(config)?;
    motcua_service::demo::add_tokens(&mut config);
    let data = data.unwrap_or_else(data_dir);
    let runtime = tokio::runtime::Runtime::new().context("cannot start the async runtime")?;
    let fakes = match switchboard {
        true => Some(runtime.block_on(crate::switchboard::start(
            &data.join("switchboard"),
            &mut config,
        ))?),
        false => None,
    };
    let time_zone = config.layout.hall.time_zone;
    let service = runtime.block_on(motcua_service::run::start(
        listen, &data, config, None, true,
    ))?;
    if let Some(fakes) = fakes {
        runtime.spawn(crate::switchboard::run(fakes, time_zone));
    }
    motcua_service::demo::seed_dossiers(&service.hall);
    motcua_service::demo::print_help(service.addr, &service.hall);
    let server = format!("http://{}", service.addr);
    if public_url.is_none() && service.addr.ip().is_loopback() {
        println!(
            "The tickets' QR codes point to {server}, which a phone cannot open. To try them \
             on a phone: motcua demo --listen 0.0.0.0:8080 --public-url http://THIS-PC-ADDRESS:8080"
        );
    }
    let printer_dir = data.join("printer");
    let opts = kiosk::app::KioskOptions {
        client: HallClient::new(&server, Some("demo-kiosk".into())),
        printer: kiosk::open_printer(&format!("sim:{}", printer_dir.display()), 80)?,
        public_url,
        voice: {
            let speak_to = (!has_aplay()).then(|| data.join("kiosk-voice"));
            kiosk::voice_output(None, "aplay -q -", speak_to)
        },
        state_dir: Some(data.join("kiosk")),
    };
    let kiosk = kiosk::app::start(opts, runtime.handle().clone()).and_then(|window| {
        slint::ComponentHandle::show(&window)?;
        Ok(window)
    });
    match kiosk {
        Ok(window) => {
            println!(
                "Kiosk window open; printed tickets go to {}",
                printer_dir.display()
            );
            let display = {
                use slint::ComponentHandle;
                let opts = display::app::DisplayOptions {
                    client: HallClient::new(&server, None),
                    voice: voice(&data.join("announcements")),
                };
                let d = display::app::start(opts, runtime.handle())?;
                d.show()?;
                #[cfg(feature = "desktop")]
                motcua_screens::place_demo_windows(&window, &d);
                d
            };
            println!(
                "Display window open; calls are announced (or written to {})",
                data.join("announcements").display()
            );
            println!(
                "Counter page: {server}/counter (sign in with demo-counter-1 … or demo-admin)"
            );
            #[cfg(feature = "pad")]
            if std::io::stdin().is_terminal() {
                counter_one_pad(&runtime, &server);
            }
            motcua_screens::quit_on(&runtime, crate::stop_signal());
            slint::run_event_loop_until_quit().context("the demo windows failed")?;
            drop(window);
            drop(display);
        }
        Err(e) => {
            println!("No kiosk window ({e}); the hall service keeps running. Stop it with Ctrl+C.");
            runtime.block_on(crate::stop_signal());
        }
    }
    runtime.block_on(service.stop());
    Ok(())
}

/// Counter 1's button pad, pressed from this terminal.
#[cfg(feature = "pad")]
fn counter_one_pad(runtime: &tokio::runtime::Runtime, server: &str) {
    let config = motcua_pad::PadConfig::default();
    let pins = motcua_pad::keyboard_pins(&config);
    let client = HallClient::new(server, Some("demo-counter-1".into()));
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    runtime.spawn(motcua_pad::run(pins, config, client, 1, stop, |a, o| {
        println!("Counter 1 pad, {a:?}: {o}");
    }));
}

fn has_aplay() -> bool {
    std::env::var_os("PATH")
        .is_some_and(|paths| std::env::split_paths(&paths).any(|p| p.join("aplay").is_file()))
}

/// `aplay` when the machine has it, else announcements as WAV files in `dir`.
fn voice(dir: &Path) -> Option<Voice> {
    let speak_to = (!has_aplay()).then(|| dir.to_owned());
    match display::voice_output(None, "aplay -q -", speak_to) {
        Ok(v) => Some(v),
        Err(e) => {
            tracing::warn!("the demo display stays silent: {e:#}");
            None
        }
    }
}

fn data_dir() -> PathBuf {
    let base = std::env::var_os("XDG_DATA_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".local/share")))
        .unwrap_or_else(std::env::temp_dir);
    base.join("motcua").join("demo")
}
