//! `motcua`: one binary, roles as subcommands, each role behind its Cargo feature so
//! a device's build carries only what it runs. This file only parses the command line
//! and hands over to the role's runner in its crate. With no arguments: the demo.

#[cfg(all(feature = "hall", feature = "kiosk", feature = "display"))]
mod demo;
#[cfg(all(feature = "hall", feature = "kiosk", feature = "display"))]
mod switchboard;

use std::io::IsTerminal;

use anyhow::Result;
use clap::{Parser, Subcommand};
#[cfg(feature = "device")]
use motcua_client::HallClient;

#[derive(Parser)]
#[command(
    name = "motcua",
    version,
    about = "Queue and notification system for one-stop public service halls"
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Cmd>,
}

/// A device that stands at one counter and acts for it (rating screen, button pad).
#[derive(clap::Args)]
struct AtCounter {
    /// The counter it stands at.
    #[arg(long, env = "MOTCUA_COUNTER")]
    counter: u32,
    /// The hall service.
    #[arg(long, env = "MOTCUA_SERVER", default_value = "http://127.0.0.1:8080")]
    server: String,
    /// That counter's token.
    #[arg(long, env = "MOTCUA_COUNTER_TOKEN")]
    token: Option<String>,
    #[command(flatten)]
    ca: CaFile,
}

/// For a hall service on https whose certificate comes from a private CA.
#[derive(clap::Args)]
struct CaFile {
    /// PEM file with that CA, trusted besides the system's certificates.
    #[arg(long = "ca-file", env = "MOTCUA_CA_FILE")]
    path: Option<std::path::PathBuf>,
}

/// A device's voice: the pack it speaks with and where the sound goes.
#[cfg(any(feature = "kiosk", feature = "display"))]
#[derive(clap::Args)]
struct VoiceArgs {
    /// A folder of voice clips [default: the shipped Vietnamese pack].
    #[arg(long, env = "MOTCUA_VOICE")]
    voice: Option<std::path::PathBuf>,
    /// The command that plays WAV from stdin.
    #[arg(long, env = "MOTCUA_PLAYER", default_value = "aplay -q -")]
    player: String,
    /// Write what is said as WAV files into this folder instead of playing it.
    #[arg(long)]
    speak_to: Option<std::path::PathBuf>,
    /// Say nothing: the display announces no calls, the kiosk greys "Nghe" (a device
    /// without a speaker).
    #[arg(long, env = "MOTCUA_MUTE")]
    mute: bool,
}

/// The hall service as a device talks to it; says why when the CA file is wrong.
#[cfg(feature = "device")]
fn hall(server: &str, token: Option<String>, ca: &CaFile, role: &str) -> Result<HallClient> {
    if token.is_none() && role != "display" {
        tracing::warn!("no --token: the hall service will refuse what this {role} asks");
    }
    Ok(HallClient::connect(server, token, ca.path.as_deref())?)
}

#[derive(Subcommand)]
enum Cmd {
    /// Everything on this machine with the sample hall and demo tokens (the default).
    #[cfg(all(feature = "hall", feature = "kiosk", feature = "display"))]
    Demo {
        /// Address to listen on. The demo stays on loopback unless told otherwise.
        #[arg(long, default_value = "127.0.0.1:8080")]
        listen: String,
        /// Where the demo keeps its database [default: ~/.local/share/motcua/demo].
        #[arg(long)]
        data: Option<std::path::PathBuf>,
        /// A hall config to use instead of the sample hall.
        #[arg(long)]
        config: Option<std::path::PathBuf>,
        /// Where phones reach this machine, for the tickets' QR codes
        /// (e.g. http://192.168.1.10:8080, with --listen 0.0.0.0:8080).
        #[arg(long)]
        public_url: Option<String>,
        /// Also fake the province's system, Zalo and an SMS brandname account on
        /// loopback over HTTPS: two dossiers become ready within a minute, and the
        /// messages they cause show here.
        #[arg(long)]
        switchboard: bool,
    },
    /// The hall service: the queue, its API and its event stream.
    #[cfg(feature = "hall")]
    Serve {
        #[arg(long, env = "MOTCUA_LISTEN", default_value = "127.0.0.1:8080")]
        listen: String,
        /// Directory for the hall's database (created if missing).
        #[arg(long, env = "MOTCUA_DATA", default_value = "motcua-data")]
        data: std::path::PathBuf,
        /// Hall config (TOML). Without it: the sample hall, open at all hours.
        #[arg(long, env = "MOTCUA_CONFIG")]
        config: Option<std::path::PathBuf>,
        /// Serve HTTPS with this certificate chain (PEM); reloaded on SIGHUP or change.
        #[arg(long, env = "MOTCUA_TLS_CERT", requires = "tls_key")]
        tls_cert: Option<std::path::PathBuf>,
        /// The certificate's private key (PEM).
        #[arg(long, env = "MOTCUA_TLS_KEY", requires = "tls_cert")]
        tls_key: Option<std::path::PathBuf>,
    },
    /// The citizen kiosk: a touchscreen window that gives and prints tickets.
    #[cfg(feature = "kiosk")]
    Kiosk {
        /// The hall service.
        #[arg(long, env = "MOTCUA_SERVER", default_value = "http://127.0.0.1:8080")]
        server: String,
        /// The kiosk's device token.
        #[arg(long, env = "MOTCUA_KIOSK_TOKEN")]
        token: Option<String>,
        #[command(flatten)]
        ca: CaFile,
        /// usb:/dev/usb/lp0, tcp:HOST:9100, serial:/dev/ttyUSB0:19200, file:PATH or sim:DIR
        #[arg(long, env = "MOTCUA_PRINTER", default_value = "sim:motcua-printer")]
        printer: String,
        /// Paper width in millimetres: 58 or 80.
        #[arg(long, env = "MOTCUA_PAPER", default_value_t = 80)]
        paper: u32,
        /// Where citizens' phones reach the service, for the QR code [default: --server].
        #[arg(long, env = "MOTCUA_PUBLIC_URL")]
        public_url: Option<String>,
        /// Screens read aloud when a citizen asks ("Nghe").
        #[command(flatten)]
        voice: VoiceArgs,
        /// Fill the screen (always so on a Pi without a desktop).
        #[arg(long)]
        fullscreen: bool,
        /// Where the kiosk keeps the tickets it gives out while the hall service is
        /// away, and the hall as last told [default: $STATE_DIRECTORY (systemd's
        /// StateDirectory), else ./motcua-kiosk].
        #[arg(long, env = "MOTCUA_KIOSK_STATE")]
        state: Option<std::path::PathBuf>,
    },
    /// The waiting-room display: the board on a TV, calls announced by voice.
    #[cfg(feature = "display")]
    Display {
        /// The hall service.
        #[arg(long, env = "MOTCUA_SERVER", default_value = "http://127.0.0.1:8080")]
        server: String,
        /// A display token, only so staff see the display is alive (it reads without one).
        #[arg(long, env = "MOTCUA_DISPLAY_TOKEN")]
        token: Option<String>,
        #[command(flatten)]
        ca: CaFile,
        /// Calls announced.
        #[command(flatten)]
        voice: VoiceArgs,
        /// Fill the screen (always so on a Pi without a desktop).
        #[arg(long)]
        fullscreen: bool,
    },
    /// The satisfaction screen facing the citizen at one counter.
    #[cfg(feature = "rating")]
    Rating {
        #[command(flatten)]
        at: AtCounter,
        /// Fill the screen (always so on a Pi without a desktop).
        #[arg(long)]
        fullscreen: bool,
    },
    /// Push buttons at a counter (call next, recall, finish, satisfaction) on a Pi's GPIO.
    #[cfg(feature = "pad")]
    Pad {
        #[command(flatten)]
        at: AtCounter,
        /// The wiring (TOML) [default: assets/config/pad.sample.toml's pins].
        #[arg(long, env = "MOTCUA_PINS")]
        pins: Option<std::path::PathBuf>,
        /// No GPIO: type n (call next), r (recall), f (finish), 1–4 (rating) and Enter.
        #[arg(long)]
        sim: bool,
    },
    /// Copies the hall's database to a new file, consistent even while the service runs.
    #[cfg(feature = "hall")]
    Backup {
        /// The new file to write (never overwritten), e.g. /backup/motcua-2026-12-02.sqlite3.
        dest: std::path::PathBuf,
        /// The hall's data directory.
        #[arg(long, env = "MOTCUA_DATA", default_value = "motcua-data")]
        data: std::path::PathBuf,
    },
    /// Puts a backup back in place of the hall's database (the service stopped); the
    /// database it replaces is kept beside it.
    #[cfg(feature = "hall")]
    Restore {
        /// The backup file.
        src: std::path::PathBuf,
        /// The hall's data directory.
        #[arg(long, env = "MOTCUA_DATA", default_value = "motcua-data")]
        data: std::path::PathBuf,
    },
    /// Checks a hall config file and says what it describes.
    #[cfg(feature = "hall")]
    CheckConfig {
        /// The hall's config file (TOML), e.g. /etc/motcua/hall.toml.
        file: std::path::PathBuf,
    },
    /// Lists the clips a voice pack needs, as "id<TAB>text" lines (for recording one).
    #[cfg(feature = "display")]
    VoiceClips,
    /// Says one call with a voice pack: played, or written as a WAV file.
    #[cfg(feature = "display")]
    AnnounceTest {
        /// The ticket number to call.
        #[arg(long, default_value = "A023")]
        number: String,
        #[arg(long, default_value_t = 3)]
        counter: u32,
        /// A folder of clips [default: the shipped Vietnamese pack].
        #[arg(long)]
        voice: Option<std::path::PathBuf>,
        /// Write the WAV here instead of playing it.
        #[arg(long)]
        out: Option<std::path::PathBuf>,
        /// The command that plays WAV from stdin.
        #[arg(long, default_value = "aplay -q -")]
        player: String,
    },
    /// Draws a screen once into a PNG with no display (its preview data, no hall
    /// service): to check a new device draws, fonts and all, and how fast.
    #[cfg(feature = "screens")]
    Snapshot {
        /// kiosk, display or rating (those this build has).
        role: String,
        /// Where to write the PNG.
        #[arg(long, default_value = "motcua-snapshot.png")]
        out: std::path::PathBuf,
        /// Width×height in pixels, e.g. 1280x800, 1920x1080, 800x480.
        #[arg(long, default_value = "1280x800", value_parser = parse_size)]
        size: (u32, u32),
    },
    /// Prints a sample ticket (or receipt) and says how the printer is.
    #[cfg(feature = "kiosk")]
    PrintTest {
        /// usb:/dev/usb/lp0, tcp:HOST:9100, serial:/dev/ttyUSB0:19200, file:PATH or sim:DIR
        #[arg(long, default_value = "sim:motcua-printer")]
        printer: String,
        /// Paper width in millimetres: 58 or 80.
        #[arg(long, default_value_t = 80)]
        paper: u32,
        /// Print the appointment receipt instead of a queue ticket.
        #[arg(long)]
        receipt: bool,
    },
}

fn main() {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_target(false)
        .with_ansi(std::io::stderr().is_terminal())
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    if let Err(e) = dispatch(cli.command) {
        eprintln!("motcua: {e:#}");
        std::process::exit(1);
    }
}

fn dispatch(command: Option<Cmd>) -> Result<()> {
    let Some(command) = command.or_else(default_command) else {
        use clap::CommandFactory;
        Cli::command().print_help()?;
        return Ok(());
    };
    match command {
        #[cfg(all(feature = "hall", feature = "kiosk", feature = "display"))]
        Cmd::Demo {
            listen,
            data,
            config,
            public_url,
            switchboard,
        } => {
            if switchboard {
                switchboard::set_secrets();
            }
            demo::run(&listen, data, config.as_deref(), public_url, switchboard)
        }
        #[cfg(feature = "hall")]
        Cmd::Serve {
            listen,
            data,
            config,
            tls_cert,
            tls_key,
        } => {
            let tls = tls_cert
                .zip(tls_key)
                .map(|(cert, key)| motcua_service::run::TlsFiles { cert, key });
            motcua_service::run::serve(&listen, &data, config.as_deref(), tls, stop_signal())
        }
        #[cfg(feature = "hall")]
        Cmd::Backup { dest, data } => motcua_service::run::backup(&data, &dest),
        #[cfg(feature = "hall")]
        Cmd::Restore { src, data } => motcua_service::run::restore(&data, &src),
        #[cfg(feature = "hall")]
        Cmd::CheckConfig { file } => {
            use motcua_service::report;
            let config = motcua_service::config::Config::load(&file)?;
            let problems = report::problems(&config);
            let verdict = if problems.is_empty() {
                "OK"
            } else {
                "valid, with problems"
            };
            println!("{}: {verdict}", file.display());
            print!("{}", report::describe(&config));
            let runtime = tokio::runtime::Runtime::new()?;
            for line in runtime.block_on(report::probe(&config)) {
                println!("{line}");
            }
            if !problems.is_empty() {
                anyhow::bail!("{}", problems.join("\n"));
            }
            Ok(())
        }
        #[cfg(feature = "kiosk")]
        Cmd::Kiosk {
            server,
            token,
            ca,
            printer,
            paper,
            public_url,
            voice,
            fullscreen,
            state,
        } => {
            use motcua_screens::kiosk;
            let state = state
                .or_else(|| std::env::var_os("STATE_DIRECTORY").map(Into::into))
                .unwrap_or_else(|| "motcua-kiosk".into());
            let opts = kiosk::app::KioskOptions {
                client: hall(&server, token, &ca, "kiosk")?,
                printer: kiosk::open_printer(&printer, paper)?,
                public_url,
                voice: (!voice.mute)
                    .then(|| kiosk::voice_output(voice.voice, &voice.player, voice.speak_to))
                    .flatten(),
                state_dir: Some(state),
            };
            kiosk::run(opts, fullscreen, stop_signal())
        }
        #[cfg(feature = "kiosk")]
        Cmd::PrintTest {
            printer,
            paper,
            receipt,
        } => motcua_screens::kiosk::print_test(&printer, paper, receipt),
        #[cfg(feature = "display")]
        Cmd::Display {
            server,
            token,
            ca,
            voice,
            fullscreen,
        } => {
            use motcua_screens::display;
            let voice = match voice.mute {
                true => None,
                false => Some(display::voice_output(
                    voice.voice,
                    &voice.player,
                    voice.speak_to,
                )?),
            };
            let client = hall(&server, token, &ca, "display")?;
            display::run(client, voice, fullscreen, stop_signal())
        }
        #[cfg(feature = "display")]
        Cmd::VoiceClips => {
            for (id, text) in motcua_screens::display::announce::clip_texts() {
                println!("{id}\t{text}");
            }
            Ok(())
        }
        #[cfg(feature = "display")]
        Cmd::AnnounceTest {
            number,
            counter,
            voice,
            out,
            player,
        } => motcua_screens::display::announce_test(&number, counter, voice, out, &player),
        #[cfg(feature = "screens")]
        Cmd::Snapshot { role, out, size } => {
            let took = motcua_screens::snapshot::render(&role, size.0, size.1, &out)?;
            println!(
                "{role} at {}×{} drawn in {} ms: {}",
                size.0,
                size.1,
                took.as_millis(),
                out.display()
            );
            Ok(())
        }
        #[cfg(feature = "rating")]
        Cmd::Rating { at, fullscreen } => {
            let client = hall(&at.server, at.token, &at.ca, "rating screen")?;
            motcua_screens::rating::run(at.counter, client, fullscreen, stop_signal())
        }
        #[cfg(feature = "pad")]
        Cmd::Pad { at, pins, sim } => motcua_pad::run_device(
            at.counter,
            hall(&at.server, at.token, &at.ca, "pad")?,
            pins.as_deref(),
            sim,
            stop_signal(),
        ),
    }
}

/// What `motcua` alone does: the demo where this build has it.
fn default_command() -> Option<Cmd> {
    #[cfg(all(feature = "hall", feature = "kiosk", feature = "display"))]
    return Some(Cmd::Demo {
        listen: "127.0.0.1:8080".into(),
        data: None,
        config: None,
        public_url: None,
        switchboard: false,
    });
    #[allow(unreachable_code)]
    None
}

/// "1280x800" → (1280, 800).
#[cfg(feature = "screens")]
fn parse_size(s: &str) -> Result<(u32, u32), String> {
    let (w, h) = s
        .split_once(['x', '×'])
        .ok_or_else(|| format!("{s:?}: width×height, e.g. 1280x800"))?;
    let n = |v: &str| {
        v.trim()
            .parse::<u32>()
            .map_err(|_| format!("{s:?}: width×height, e.g. 1280x800"))
    };
    Ok((n(w)?, n(h)?))
}

/// Resolves on Ctrl+C or SIGTERM (systemd's stop).
async fn stop_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
    tracing::info!("stopping: finishing requests in flight");
}
