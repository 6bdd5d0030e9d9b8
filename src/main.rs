//! `motcua`: one binary, roles as subcommands. With no arguments it runs the demo.

use std::io::IsTerminal;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{Context, Result};
use clap::{Parser, Subcommand};
use tokio::net::TcpListener;

use motcua::config::{Config, Role, Token};
use motcua::hall::Hall;
use motcua::store::SqliteStore;

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
    #[arg(long)]
    counter: u32,
    /// The hall service.
    #[arg(long, env = "MOTCUA_SERVER", default_value = "http://127.0.0.1:8080")]
    server: String,
    /// That counter's token.
    #[arg(long, env = "MOTCUA_COUNTER_TOKEN")]
    token: Option<String>,
}

#[derive(Subcommand)]
enum Cmd {
    /// Everything on this machine with the sample hall and demo tokens (the default).
    Demo {
        /// Address to listen on. The demo stays on loopback unless told otherwise.
        #[arg(long, default_value = "127.0.0.1:8080")]
        listen: String,
        /// Where the demo keeps its database [default: ~/.local/share/motcua/demo].
        #[arg(long)]
        data: Option<PathBuf>,
        /// A hall config to use instead of the sample hall.
        #[arg(long)]
        config: Option<PathBuf>,
    },
    /// The hall service: the queue, its API and its event stream.
    Serve {
        #[arg(long, env = "MOTCUA_LISTEN", default_value = "127.0.0.1:8080")]
        listen: String,
        /// Directory for the hall's database (created if missing).
        #[arg(long, env = "MOTCUA_DATA", default_value = "motcua-data")]
        data: PathBuf,
        /// Hall config (TOML). Without it: the sample hall, open at all hours.
        #[arg(long, env = "MOTCUA_CONFIG")]
        config: Option<PathBuf>,
    },
    /// The citizen kiosk: a touchscreen window that gives and prints tickets.
    Kiosk {
        /// The hall service.
        #[arg(long, env = "MOTCUA_SERVER", default_value = "http://127.0.0.1:8080")]
        server: String,
        /// The kiosk's device token.
        #[arg(long, env = "MOTCUA_KIOSK_TOKEN")]
        token: Option<String>,
        /// usb:/dev/usb/lp0, tcp:HOST:9100, serial:/dev/ttyUSB0:19200, file:PATH or sim:DIR
        #[arg(long, env = "MOTCUA_PRINTER", default_value = "sim:motcua-printer")]
        printer: String,
        /// Paper width in millimetres: 58 or 80.
        #[arg(long, default_value_t = 80)]
        paper: u32,
        /// Where citizens' phones reach the service, for the QR code [default: --server].
        #[arg(long)]
        public_url: Option<String>,
        /// Fill the screen (always so on a Pi without a desktop).
        #[arg(long)]
        fullscreen: bool,
    },
    /// The waiting-room display: the board on a TV, calls announced by voice.
    Display {
        /// The hall service.
        #[arg(long, env = "MOTCUA_SERVER", default_value = "http://127.0.0.1:8080")]
        server: String,
        /// A folder of voice clips [default: the shipped Vietnamese pack].
        #[arg(long)]
        voice: Option<PathBuf>,
        /// The command that plays WAV from stdin.
        #[arg(long, default_value = "aplay -q -")]
        player: String,
        /// Write announcements as WAV files into this folder instead of playing them.
        #[arg(long)]
        speak_to: Option<PathBuf>,
        /// No announcements.
        #[arg(long)]
        mute: bool,
        #[arg(long)]
        fullscreen: bool,
    },
    /// The satisfaction screen facing the citizen at one counter.
    Rating {
        #[command(flatten)]
        at: AtCounter,
        #[arg(long)]
        fullscreen: bool,
    },
    /// Push buttons at a counter (call next, recall, finish, satisfaction) on a Pi's GPIO.
    Pad {
        #[command(flatten)]
        at: AtCounter,
        /// The wiring (TOML) [default: assets/config/pad.sample.toml's pins].
        #[arg(long)]
        pins: Option<PathBuf>,
        /// No GPIO: type n (call next), r (recall), f (finish), 1–4 (rating) and Enter.
        #[arg(long)]
        sim: bool,
    },
    /// Checks a hall config file and says what it describes.
    CheckConfig { file: PathBuf },
    /// Lists the clips a voice pack needs, as "id<TAB>text" lines (for recording one).
    VoiceClips,
    /// Says one call with a voice pack: played, or written as a WAV file.
    AnnounceTest {
        /// The ticket number to call.
        #[arg(long, default_value = "A023")]
        number: String,
        #[arg(long, default_value_t = 3)]
        counter: u32,
        /// A folder of clips [default: the shipped Vietnamese pack].
        #[arg(long)]
        voice: Option<PathBuf>,
        /// Write the WAV here instead of playing it.
        #[arg(long)]
        out: Option<PathBuf>,
        /// The command that plays WAV from stdin.
        #[arg(long, default_value = "aplay -q -")]
        player: String,
    },
    /// Prints a sample ticket (or receipt) and says how the printer is.
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
    let result = match cli.command.unwrap_or(Cmd::Demo {
        listen: "127.0.0.1:8080".into(),
        data: None,
        config: None,
    }) {
        Cmd::Demo {
            listen,
            data,
            config,
        } => demo(&listen, data, config.as_deref()),
        Cmd::Serve {
            listen,
            data,
            config,
        } => serve(&listen, &data, config.as_deref()),
        Cmd::Kiosk {
            server,
            token,
            printer,
            paper,
            public_url,
            fullscreen,
        } => kiosk(&server, token, &printer, paper, public_url, fullscreen),
        Cmd::Display {
            server,
            voice,
            player,
            speak_to,
            mute,
            fullscreen,
        } => {
            let voice = if mute {
                Ok(None)
            } else {
                voice_output(voice, &player, speak_to).map(Some)
            };
            voice.and_then(|voice| display(&server, voice, fullscreen))
        }
        Cmd::CheckConfig { file } => check_config(&file),
        Cmd::Rating { at, fullscreen } => rating(at.counter, &at.server, at.token, fullscreen),
        Cmd::Pad { at, pins, sim } => pad(at.counter, &at.server, at.token, pins.as_deref(), sim),
        Cmd::AnnounceTest {
            number,
            counter,
            voice,
            out,
            player,
        } => announce_test(&number, counter, voice, out, &player),
        Cmd::VoiceClips => {
            for (id, text) in motcua::announce::clip_texts() {
                println!("{id}\t{text}");
            }
            Ok(())
        }
        Cmd::PrintTest {
            printer,
            paper,
            receipt,
        } => print_test(&printer, paper, receipt),
    };
    if let Err(e) = result {
        eprintln!("motcua: {e:#}");
        std::process::exit(1);
    }
}

fn load_config(path: Option<&Path>) -> Result<Config> {
    let mut config = match path {
        Some(p) => Config::load(p)?,
        None => Config::sample(),
    };
    if let Ok(token) = std::env::var("MOTCUA_ADMIN_TOKEN")
        && !token.trim().is_empty()
    {
        if token.trim().len() < 16 {
            tracing::warn!("MOTCUA_ADMIN_TOKEN is short; use a long random token outside a demo");
        }
        config.tokens.push(Token {
            token: token.trim().to_owned(),
            role: Role::Admin,
            name: "MOTCUA_ADMIN_TOKEN".into(),
            counter: None,
        });
    }
    Ok(config)
}

fn serve(listen: &str, data: &Path, config: Option<&Path>) -> Result<()> {
    let config = load_config(config)?;
    if config.tokens.is_empty() {
        tracing::warn!(
            "no tokens: nobody can take tickets or call; add [[tokens]] to the config or set MOTCUA_ADMIN_TOKEN"
        );
    }
    run(listen, data, config, false)
}

fn demo(listen: &str, data: Option<PathBuf>, config: Option<&Path>) -> Result<()> {
    let mut config = load_config(config)?;
    config
        .tokens
        .push(demo_token("demo-admin", Role::Admin, None));
    config
        .tokens
        .push(demo_token("demo-kiosk", Role::Kiosk, None));
    for id in config.counters.iter().map(|c| c.id).collect::<Vec<_>>() {
        config.tokens.push(demo_token(
            &format!("demo-counter-{id}"),
            Role::Counter,
            Some(id),
        ));
    }
    let data = data.unwrap_or_else(demo_data_dir);
    let runtime = tokio::runtime::Runtime::new().context("cannot start the async runtime")?;
    let service = runtime.block_on(start_service(listen, &data, config, true))?;
    let server = format!("http://{}", service.addr);
    let printer_dir = data.join("printer");
    let printer = open_printer(&format!("sim:{}", printer_dir.display()), 80)?;
    let opts = motcua::kiosk::app::KioskOptions {
        server,
        token: Some("demo-kiosk".into()),
        printer,
        public_url: None,
    };
    match open_kiosk(opts, runtime.handle().clone(), false) {
        Ok(window) => {
            println!(
                "Kiosk window open; printed tickets go to {}",
                printer_dir.display()
            );
            let display = {
                use slint::ComponentHandle;
                let voice = demo_voice(&data.join("announcements"));
                let opts = motcua::display::app::DisplayOptions {
                    server: format!("http://{}", service.addr),
                    voice,
                };
                let d = motcua::display::app::start(opts, runtime.handle())?;
                d.show()?;
                d
            };
            println!(
                "Display window open; calls are announced (or written to {})",
                data.join("announcements").display()
            );
            println!(
                "Counter page: http://{}/counter (sign in with demo-counter-1 … or demo-admin)",
                service.addr
            );
            // Counter 1's button pad, pressed from this terminal.
            if std::io::stdin().is_terminal() {
                let config = motcua::pad::PadConfig::default();
                let pins = keyboard_pins(&config);
                let client = motcua::client::HallClient::new(
                    &format!("http://{}", service.addr),
                    Some("demo-counter-1".into()),
                );
                let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
                runtime.spawn(motcua::pad::run(pins, config, client, 1, stop, |a, o| {
                    println!("Counter 1 pad, {a:?}: {o}");
                }));
            }
            quit_on_signal(&runtime);
            slint::run_event_loop_until_quit().context("the demo windows failed")?;
            drop(window);
            drop(display);
        }
        Err(e) => {
            println!("No kiosk window ({e}); the hall service keeps running. Stop it with Ctrl+C.");
            runtime.block_on(stop_signal());
        }
    }
    let _ = service.stop.send(());
    runtime.block_on(service.done).ok();
    Ok(())
}

fn kiosk(
    server: &str,
    token: Option<String>,
    printer: &str,
    paper: u32,
    public_url: Option<String>,
    fullscreen: bool,
) -> Result<()> {
    let runtime = tokio::runtime::Runtime::new().context("cannot start the async runtime")?;
    let printer = open_printer(printer, paper)?;
    if token.is_none() {
        tracing::warn!("no --token: the hall service will refuse to give tickets");
    }
    let opts = motcua::kiosk::app::KioskOptions {
        server: server.to_owned(),
        token,
        printer,
        public_url,
    };
    let window = open_kiosk(opts, runtime.handle().clone(), fullscreen)
        .context("cannot open the kiosk window")?;
    quit_on_signal(&runtime);
    slint::run_event_loop_until_quit().context("the kiosk window failed")?;
    drop(window);
    Ok(())
}

/// Simulated pins pressed from the terminal: a line with n, r, f or 1–4.
fn keyboard_pins(config: &motcua::pad::PadConfig) -> Box<dyn motcua_hardware::gpio::Pins> {
    let (pins, handle) = motcua_hardware::gpio::SimPins::new();
    let keys = config.clone();
    std::thread::spawn(move || {
        for line in std::io::stdin().lines().map_while(Result::ok) {
            match motcua::pad::key_action(&line).and_then(|a| keys.pin_for(a)) {
                Some(pin) => handle.tap(pin),
                None => println!("? n call next, r recall, f finish, 1–4 rating"),
            }
        }
    });
    println!(
        "Button pad on this keyboard: n call next, r recall, f finish, \
         1 very satisfied … 4 not satisfied; then Enter."
    );
    Box::new(pins)
}

fn pad(
    counter: u32,
    server: &str,
    token: Option<String>,
    pins: Option<&Path>,
    sim: bool,
) -> Result<()> {
    use motcua::pad::{self, PadConfig};
    use motcua_hardware::gpio;

    let config = match pins {
        Some(path) => PadConfig::load(path).map_err(anyhow::Error::msg)?,
        None => PadConfig::default(),
    };
    if token.is_none() {
        tracing::warn!("no --token: the hall service will refuse every press");
    }
    let runtime = tokio::runtime::Runtime::new().context("cannot start the async runtime")?;
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let pins: Box<dyn gpio::Pins> = if sim {
        keyboard_pins(&config)
    } else {
        gpio::open_rpi(&config.inputs(), &config.outputs()).map_err(|e| {
            anyhow::anyhow!("{e}; on a machine without GPIO, try `motcua pad --sim`")
        })?
    };
    let client = motcua::client::HallClient::new(server, token);
    println!("Pad for counter {counter} on {server}");
    runtime.spawn({
        let stop = stop.clone();
        async move {
            stop_signal().await;
            stop.store(true, std::sync::atomic::Ordering::Relaxed);
        }
    });
    runtime.block_on(pad::run(
        pins,
        config,
        client,
        counter,
        stop,
        |action, outcome| {
            println!("{action:?}: {outcome}");
        },
    ));
    Ok(())
}

/// The voice pack and where announcements go.
fn voice_output(
    voice: Option<PathBuf>,
    player: &str,
    speak_to: Option<PathBuf>,
) -> Result<(
    motcua_hardware::audio::VoicePack,
    Box<dyn motcua_hardware::audio::Speaker>,
)> {
    use motcua_hardware::audio::{CommandSpeaker, WavDir};
    let pack =
        motcua::announce::load_pack(&voice.unwrap_or_else(motcua::announce::default_pack_dir))?;
    let speaker: Box<dyn motcua_hardware::audio::Speaker> = match speak_to {
        Some(dir) => Box::new(
            WavDir::new(&dir).with_context(|| format!("cannot write into {}", dir.display()))?,
        ),
        None => Box::new(CommandSpeaker::new(player)),
    };
    Ok((pack, speaker))
}

fn display(
    server: &str,
    voice: Option<(
        motcua_hardware::audio::VoicePack,
        Box<dyn motcua_hardware::audio::Speaker>,
    )>,
    fullscreen: bool,
) -> Result<()> {
    let runtime = tokio::runtime::Runtime::new().context("cannot start the async runtime")?;
    let opts = motcua::display::app::DisplayOptions {
        server: server.to_owned(),
        voice,
    };
    let window = motcua::display::app::start(opts, runtime.handle())
        .context("cannot open the display window")?;
    run_window(&runtime, window, fullscreen, "display")
}

/// Shows a window (full screen if asked) and runs until it closes or a signal comes.
fn run_window(
    runtime: &tokio::runtime::Runtime,
    window: impl slint::ComponentHandle,
    fullscreen: bool,
    what: &str,
) -> Result<()> {
    window.window().set_fullscreen(fullscreen);
    window.show()?;
    quit_on_signal(runtime);
    slint::run_event_loop_until_quit().with_context(|| format!("the {what} window failed"))?;
    drop(window);
    Ok(())
}

fn rating(counter: u32, server: &str, token: Option<String>, fullscreen: bool) -> Result<()> {
    if token.is_none() {
        tracing::warn!("no --token: the hall service will refuse every rating");
    }
    let runtime = tokio::runtime::Runtime::new().context("cannot start the async runtime")?;
    let opts = motcua::rating::app::RatingOptions {
        server: server.to_owned(),
        token,
        counter,
    };
    let window = motcua::rating::app::start(opts, runtime.handle())
        .context("cannot open the rating window")?;
    run_window(&runtime, window, fullscreen, "rating")
}

/// `aplay` when the machine has it, else announcements as WAV files in `dir`.
fn demo_voice(
    dir: &Path,
) -> Option<(
    motcua_hardware::audio::VoicePack,
    Box<dyn motcua_hardware::audio::Speaker>,
)> {
    let has_aplay = std::env::var_os("PATH")
        .is_some_and(|paths| std::env::split_paths(&paths).any(|p| p.join("aplay").is_file()));
    let speak_to = (!has_aplay).then(|| dir.to_owned());
    match voice_output(None, "aplay -q -", speak_to) {
        Ok(v) => Some(v),
        Err(e) => {
            tracing::warn!("the demo display stays silent: {e:#}");
            None
        }
    }
}

fn open_printer(
    spec: &str,
    paper_mm: u32,
) -> Result<Arc<std::sync::Mutex<motcua_hardware::printer::EscPosPrinter>>> {
    use motcua_hardware::printer::{EscPosPrinter, PrinterSpec, paper_dots};
    let spec: PrinterSpec = spec.parse().map_err(anyhow::Error::msg)?;
    let width = paper_dots(paper_mm).map_err(anyhow::Error::msg)?;
    let printer = EscPosPrinter::open(&spec, width)
        .with_context(|| format!("cannot open printer {spec:?}"))?;
    Ok(Arc::new(std::sync::Mutex::new(printer)))
}

fn open_kiosk(
    opts: motcua::kiosk::app::KioskOptions,
    rt: tokio::runtime::Handle,
    fullscreen: bool,
) -> Result<motcua::ui::KioskWindow> {
    use slint::ComponentHandle;
    let window = motcua::kiosk::app::start(opts, rt)?;
    window.window().set_fullscreen(fullscreen);
    window.show()?;
    Ok(window)
}

/// Ctrl+C or SIGTERM closes the windows, so the program ends cleanly.
fn quit_on_signal(runtime: &tokio::runtime::Runtime) {
    runtime.spawn(async {
        stop_signal().await;
        let _ = slint::invoke_from_event_loop(|| {
            let _ = slint::quit_event_loop();
        });
    });
}

fn demo_token(token: &str, role: Role, counter: Option<u32>) -> Token {
    Token {
        token: token.into(),
        role,
        name: token.into(),
        counter,
    }
}

fn demo_data_dir() -> PathBuf {
    let base = std::env::var_os("XDG_DATA_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".local/share")))
        .unwrap_or_else(std::env::temp_dir);
    base.join("motcua").join("demo")
}

fn run(listen: &str, data: &Path, config: Config, demo: bool) -> Result<()> {
    let runtime = tokio::runtime::Runtime::new().context("cannot start the async runtime")?;
    runtime.block_on(async move {
        let service = start_service(listen, data, config, demo).await?;
        stop_signal().await;
        let _ = service.stop.send(());
        service.done.await.ok();
        Ok(())
    })
}

/// A hall service running on the runtime: its address, and how to stop it.
struct RunningService {
    addr: SocketAddr,
    stop: tokio::sync::oneshot::Sender<()>,
    done: tokio::task::JoinHandle<()>,
}

async fn start_service(
    listen: &str,
    data: &Path,
    config: Config,
    demo: bool,
) -> Result<RunningService> {
    let store = SqliteStore::open(data)?;
    tracing::info!("hall database: {}", store.path().display());
    let hall = Arc::new(Hall::open(Arc::new(config), Arc::new(store))?);
    let listener = bind(listen, demo).await?;
    let addr = listener.local_addr()?;
    // Tests and scripts read this line to find the port.
    println!("motcua: hall service listening on http://{addr}");
    if demo {
        seed_demo_dossiers(&hall);
        print_demo_help(addr, &hall);
    }
    tracing::info!(
        "{}: {} services, {} counters",
        hall.config().hall.name,
        hall.config().services.len(),
        hall.config().counters.len()
    );
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let done = tokio::spawn(async move {
        let stop = async {
            let _ = stopped.await;
        };
        if let Err(e) = motcua::server::serve(listener, hall, stop).await {
            tracing::error!("the hall service failed: {e}");
        }
        tracing::info!("stopped");
    });
    Ok(RunningService { addr, stop, done })
}

/// The demo's in-progress dossier belongs to this (made-up) ID card number.
const DEMO_ID_NUMBER: &str = "001090001234";

/// A few dossiers for the demo's first start: one whose result waits at Quầy 8 (the
/// display lists it; the kiosk's lookup offers a return ticket), one in progress,
/// one overdue (the counter page shows it).
fn seed_demo_dossiers(hall: &Hall) {
    use motcua::dossier::{DossierStatus, DossierUpdate};
    if hall.store().dossiers(false, 1).is_ok_and(|d| !d.is_empty()) {
        return;
    }
    // Whole minutes, as a person would write a due date.
    let now = {
        use chrono::DurationRound;
        let now = chrono::Utc::now();
        now.duration_trunc(chrono::Duration::minutes(1))
            .unwrap_or(now)
    };
    let day = |n: i64| Some(now + chrono::Duration::days(n));
    let today = now
        .with_timezone(&hall.config().hall.time_zone)
        .format("%y%m%d");
    let seeds = [
        (
            format!("000.00.12.H27-{today}-0042"),
            "Đăng ký khai sinh",
            "Nguyễn Thị Hoa",
            DossierStatus::ResultReady,
            day(0),
        ),
        (
            format!("000.00.12.H27-{today}-0043"),
            "Chứng thực bản sao từ bản chính",
            "Trần Văn Ánh",
            DossierStatus::InProgress,
            day(2),
        ),
        (
            format!("000.00.12.H27-{today}-0007"),
            "Cấp Giấy xác nhận tình trạng hôn nhân",
            "Lò Văn Ửng",
            DossierStatus::InProgress,
            day(-1),
        ),
    ];
    for (code, procedure, name, status, due) in seeds {
        // One dossier has the citizen's ID card on file: the kiosk asks for its last
        // 4 digits (the demo says which).
        let id_number = code.ends_with("-0043").then(|| DEMO_ID_NUMBER.to_owned());
        let update = DossierUpdate {
            id_number,
            code: code.clone(),
            procedure_name: Some(procedure.into()),
            citizen_name: Some(name.into()),
            status: Some(status),
            due_at: due,
            pickup: (status == DossierStatus::ResultReady).then(|| "Quầy 8".into()),
            pickup_counter: (status == DossierStatus::ResultReady).then_some(8),
            ..DossierUpdate::default()
        };
        if let Err(e) = hall.save_dossier(&update, "demo", now) {
            tracing::warn!("demo dossier {code} not added: {e}");
        }
    }
}

async fn bind(listen: &str, demo: bool) -> Result<TcpListener> {
    let addr: SocketAddr = listen
        .parse()
        .with_context(|| format!("--listen {listen:?} is not an address like 127.0.0.1:8080"))?;
    match TcpListener::bind(addr).await {
        Ok(l) => Ok(l),
        // The demo should open wherever it can rather than fail on a busy port.
        Err(e) if demo && e.kind() == std::io::ErrorKind::AddrInUse => {
            tracing::warn!("{addr} is busy; the demo takes a free port instead");
            Ok(TcpListener::bind(SocketAddr::new(addr.ip(), 0)).await?)
        }
        Err(e) => Err(e).with_context(|| format!("cannot listen on {addr}")),
    }
}

fn print_demo_help(addr: SocketAddr, hall: &Hall) {
    let base = format!("http://{addr}");
    let first = hall
        .config()
        .services
        .first()
        .map_or("HT", |s| s.code.as_str())
        .to_owned();
    let counter = hall
        .config()
        .counters
        .iter()
        .find(|c| c.services.contains(&first))
        .map_or(1, |c| c.id);
    println!(
        "\n{name} (demo)\n\
         Follow the queue live:   curl -N {base}/api/v1/events\n\
         Take a ticket:           curl -H 'Authorization: Bearer demo-kiosk' -H 'Content-Type: application/json' \\\n\
         \x20                          -d '{{\"service\":\"{first}\"}}' {base}/api/v1/tickets\n\
         Call it at counter {counter}:    curl -X POST -H 'Authorization: Bearer demo-counter-{counter}' {base}/api/v1/counters/{counter}/call\n\
         The board:               curl {base}/api/v1/board\n\
         API description:         {base}/api/v1/openapi.json\n\
         Tokens: demo-admin, demo-kiosk, demo-counter-N. Stop with Ctrl+C or by closing the kiosk window.",
        name = hall.config().hall.name,
    );
    if let Some(d) = hall.read(|q| q.results().first().map(|d| d.code.clone())) {
        println!(
            "A result waits for pickup: type {d} in the kiosk's \"Tra cứu hồ sơ\" (or scan it)."
        );
        let asks = d.replace("-0042", "-0043");
        if let Ok(Some(a)) = hall.store().dossier(&asks)
            && a.id_check.is_some()
        {
            println!(
                "Dossier {asks} is in progress; the kiosk asks for the ID card's last 4 digits: {}.",
                &DEMO_ID_NUMBER[DEMO_ID_NUMBER.len() - 4..]
            );
        }
        println!();
    }
}

async fn stop_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
    tracing::info!("stopping: finishing requests in flight");
}

fn check_config(file: &Path) -> Result<()> {
    let config = Config::load(file)?;
    println!("{}: OK", file.display());
    println!(
        "hall: {} ({})",
        config.hall.name,
        config.hall.time_zone.name()
    );
    for s in &config.services {
        let counters: Vec<String> = config
            .counters
            .iter()
            .filter(|c| c.services.contains(&s.code))
            .map(|c| c.id.to_string())
            .collect();
        let limit = s
            .daily_limit
            .map(|l| format!(", {l} a day"))
            .unwrap_or_default();
        println!(
            "  {} {:<6} {} — {}{}; counters {}",
            s.prefix,
            s.code,
            s.name.vi,
            s.hours.describe_in(true),
            limit,
            if counters.is_empty() {
                "none (nobody can call this line!)".into()
            } else {
                counters.join(", ")
            }
        );
    }
    println!("tokens: {}", config.tokens.len());
    let d = &config.dossiers;
    println!(
        "results: return line {}; names and phones erased {} days after a dossier closes",
        d.return_service.as_deref().unwrap_or("none"),
        d.personal_data_days
    );
    match config.ratings.reasons.as_slice() {
        [] => println!("not satisfied: no reasons asked"),
        reasons => println!("not satisfied: asked why ({})", reasons.join(" / ")),
    }
    match &config.upstream {
        Some(u) => println!(
            "province system: {}{} every {} s",
            u.base_url, u.changes_path, u.interval_seconds
        ),
        None => println!("province system: none (dossiers come from staff and pushes)"),
    }
    match &config.notify {
        Some(n) => {
            let mut kinds = vec!["result_ready".to_string()];
            kinds.extend(
                n.templates
                    .keys()
                    .filter(|k| *k != "result_ready")
                    .map(|k| {
                        if k == motcua::notify::DUE_SOON {
                            format!(
                                "{k} ({} h before, {:02}:00–{:02}:00)",
                                n.due_soon_hours, n.send_hours[0], n.send_hours[1]
                            )
                        } else {
                            k.clone()
                        }
                    }),
            );
            println!("notifications: {} — {}", n.webhook_url, kinds.join(", "));
        }
        None => println!("notifications: none"),
    }
    for c in config.counters.iter().filter(|c| c.printer.is_some()) {
        println!(
            "receipt printer at {}: {}",
            c.name,
            c.printer.as_deref().unwrap_or("")
        );
    }
    Ok(())
}

fn print_test(spec: &str, paper_mm: u32, receipt: bool) -> Result<()> {
    use motcua_hardware::printer::{PrinterSpec, layout};
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

fn announce_test(
    number: &str,
    counter: u32,
    voice: Option<PathBuf>,
    out: Option<PathBuf>,
    player: &str,
) -> Result<()> {
    use motcua::announce::{Call, default_pack_dir, load_pack, utterance};
    use motcua_hardware::audio::{CommandSpeaker, Speaker};
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
