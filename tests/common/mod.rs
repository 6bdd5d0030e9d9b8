//! Starts the real `motcua serve` binary on a loopback port with its own data dir,
//! and reads its event stream, for end-to-end tests.
#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use futures_util::StreamExt;
use serde_json::Value;

pub const ADMIN: &str = "test-admin-token";
pub const KIOSK: &str = "test-kiosk-token";
pub const DISPLAY: &str = "test-display-token";

pub fn counter_token(id: u32) -> String {
    format!("test-counter-{id}-token")
}

/// A small hall: three lines, three counters, a token of each role.
/// `closed_days` are weekdays on which line DD issues no tickets.
pub fn hall_config(closed_days: &[&str]) -> String {
    let open_days: Vec<String> = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
        .iter()
        .filter(|d| !closed_days.contains(d))
        .map(|d| format!("\"{d}\""))
        .collect();
    format!(
        r#"
[hall]
name = "Trung tâm Phục vụ hành chính công xã Kiểm Thử"
max_recalls = 1

[[priority_groups]]
code = "elderly"
name = {{ vi = "Người cao tuổi", en = "Elderly person" }}

[[services]]
code = "HT"
prefix = "A"
name = {{ vi = "Hộ tịch", en = "Civil status" }}

[[services]]
code = "CT"
prefix = "B"
name = {{ vi = "Chứng thực", en = "Certification" }}
daily_limit = 3

[[services]]
code = "DD"
prefix = "D"
name = {{ vi = "Đất đai", en = "Land" }}
sessions = ["00:00-23:59"]
days = [{days}]

[[counters]]
id = 1
services = ["HT", "CT"]

[[counters]]
id = 2
services = ["CT"]

[[counters]]
id = 3
services = ["DD"]

[[tokens]]
token = "{ADMIN}"
role = "admin"

# The load and crash tests take thousands of tickets a second with it.
[[tokens]]
token = "{KIOSK}"
role = "kiosk"
tickets_per_minute = 0

[[tokens]]
token = "{DISPLAY}"
role = "display"

[[tokens]]
token = "test-counter-1-token"
role = "counter"
counter = 1

[[tokens]]
token = "test-counter-2-token"
role = "counter"
counter = 2

[[tokens]]
token = "test-counter-3-token"
role = "counter"
counter = 3
"#,
        days = open_days.join(", ")
    )
}

/// Runs the `motcua` binary to its end (a one-shot command: check-config, backup…).
pub fn motcua<S: AsRef<std::ffi::OsStr>>(
    args: impl IntoIterator<Item = S>,
) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_motcua"))
        .args(args)
        .output()
        .expect("the motcua binary runs")
}

/// A running `motcua serve`; killed when dropped.
pub struct Service {
    child: Child,
    pub base: String,
    pub dir: PathBuf,
}

impl Service {
    /// Starts a service on a fresh data dir with `config`.
    pub fn start(dir: &Path, config: &str) -> Service {
        std::fs::write(dir.join("hall.toml"), config).unwrap();
        Service::start_on(dir)
    }

    /// Starts a service on `dir` as it is (to restart after a stop or a crash).
    pub fn start_on(dir: &Path) -> Service {
        Service::start_with_env(dir, &[])
    }

    /// Starts a service on `dir` at a given loopback port (to restart it where
    /// its clients expect it).
    pub fn start_on_port(dir: &Path, port: u16) -> Service {
        Service::launch(dir, &format!("127.0.0.1:{port}"), &[])
    }

    /// Starts a service on `dir` at a given port with extra environment variables.
    pub fn start_with_env_on(dir: &Path, port: u16, env: &[(&str, &str)]) -> Service {
        Service::launch(dir, &format!("127.0.0.1:{port}"), env)
    }

    /// Starts a service on `dir` with extra environment variables.
    pub fn start_with_env(dir: &Path, env: &[(&str, &str)]) -> Service {
        Service::launch(dir, "127.0.0.1:0", env)
    }

    fn launch(dir: &Path, listen: &str, env: &[(&str, &str)]) -> Service {
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(dir.join("service.log"))
            .unwrap();
        let mut child = Command::new(env!("CARGO_BIN_EXE_motcua"))
            .args(["serve", "--listen", listen, "--data"])
            .arg(dir.join("data"))
            .arg("--config")
            .arg(dir.join("hall.toml"))
            .env_remove("MOTCUA_ADMIN_TOKEN")
            .envs(env.iter().copied())
            .stdout(Stdio::piped())
            .stderr(log)
            .spawn()
            .expect("the motcua binary starts");
        let stdout = child.stdout.take().unwrap();
        let mut line = String::new();
        BufReader::new(stdout).read_line(&mut line).unwrap();
        let base = line
            .split_whitespace()
            .find(|w| w.starts_with("http://") || w.starts_with("https://"))
            .unwrap_or_else(|| {
                let log = std::fs::read_to_string(dir.join("service.log")).unwrap_or_default();
                panic!("the service did not say where it listens: {line:?}\n{log}")
            })
            .to_owned();
        Service {
            child,
            base,
            dir: dir.to_owned(),
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// CPU time the service has used so far (user + system), from /proc.
    #[allow(dead_code)]
    pub fn cpu_time(&self) -> Duration {
        let stat = std::fs::read_to_string(format!("/proc/{}/stat", self.child.id())).unwrap();
        // Fields after the command name (which may hold spaces) in parentheses.
        let rest = &stat[stat.rfind(')').unwrap() + 2..];
        let fields: Vec<u64> = rest
            .split(' ')
            .skip(11)
            .take(2)
            .map(|f| f.parse().unwrap())
            .collect();
        // Clock ticks: 100 a second on Linux.
        Duration::from_millis((fields[0] + fields[1]) * 10)
    }

    /// Takes a ticket for `service` as the kiosk does.
    pub async fn take(&self, c: &reqwest::Client, service: &str) -> (u16, Value) {
        post(
            c,
            &self.url("/api/v1/tickets"),
            KIOSK,
            Some(serde_json::json!({ "service": service })),
        )
        .await
    }

    /// kill -9: no chance to flush or say goodbye.
    pub fn crash(mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }

    /// SIGTERM, and wait for a clean exit.
    pub fn stop(mut self) {
        let pid = self.child.id().to_string();
        Command::new("kill").args(["-TERM", &pid]).status().unwrap();
        let status = self.child.wait().unwrap();
        assert!(
            status.success(),
            "the service did not stop cleanly: {status}"
        );
    }
}

impl Drop for Service {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A loopback port nobody listens on right now.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap()
}

/// POST with a bearer token and an optional JSON body; returns status and JSON (Null when empty).
pub async fn post(
    c: &reqwest::Client,
    url: &str,
    token: &str,
    body: Option<Value>,
) -> (u16, Value) {
    let mut req = c.post(url).bearer_auth(token);
    if let Some(b) = body {
        req = req.json(&b);
    }
    let res = req.send().await.unwrap();
    let status = res.status().as_u16();
    let text = res.text().await.unwrap();
    let json = if text.is_empty() {
        Value::Null
    } else {
        serde_json::from_str(&text).unwrap()
    };
    (status, json)
}

/// GET with a bearer token; the answer's JSON.
pub async fn get_as(c: &reqwest::Client, url: &str, token: &str) -> Value {
    c.get(url)
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

/// Plays a person's steps through a window: runs the event loop and every 20 ms asks
/// `step` what to do at the current step (it answers the step now reached), until
/// step `done` or 20 s. Says the step reached.
pub fn drive(done: u32, mut step: impl FnMut(u32) -> u32 + 'static) -> u32 {
    let reached = std::rc::Rc::new(std::cell::Cell::new(0));
    let started = std::time::Instant::now();
    let timer = slint::Timer::default();
    let r = reached.clone();
    timer.start(
        slint::TimerMode::Repeated,
        Duration::from_millis(20),
        move || {
            r.set(step(r.get()));
            if r.get() == done || started.elapsed() > Duration::from_secs(20) {
                let _ = slint::quit_event_loop();
            }
        },
    );
    slint::run_event_loop().unwrap();
    reached.get()
}

/// Taps the button a screen reader would announce as `label`; false if not shown.
pub fn tap(ui: &impl slint::ComponentHandle, label: &str) -> bool {
    use i_slint_backend_testing::{AccessibleRole, ElementHandle};
    let button = ElementHandle::find_by_accessible_label(ui, label)
        .find(|e| e.accessible_role() == Some(AccessibleRole::Button));
    match button {
        Some(b) => {
            b.invoke_accessible_default_action();
            true
        }
        None => false,
    }
}

/// The real kiosk app on this thread, taking tickets from `svc` with the kiosk token,
/// printing on a network printer on loopback that answers status queries as a real
/// one does. Keep the printer while the kiosk runs.
pub struct KioskUnderTest {
    pub ui: motcua_screens::ui::KioskWindow,
    pub paper: std::sync::Arc<std::sync::Mutex<motcua_hardware::printer::sim::Simulator>>,
    pub _printer: motcua_hardware::printer::tcp_sim::TcpPrinter,
}

pub fn start_kiosk(svc: &Service, rt: &tokio::runtime::Runtime) -> KioskUnderTest {
    start_kiosk_with_voice(svc, rt, None)
}

/// The same, with a voice that reads screens aloud.
pub fn start_kiosk_with_voice(
    svc: &Service,
    rt: &tokio::runtime::Runtime,
    voice: Option<motcua_screens::kiosk::app::KioskVoice>,
) -> KioskUnderTest {
    start_kiosk_at(&svc.base, &svc.dir, rt, voice)
}

/// A kiosk for the service at `base` (running or not), keeping its journal and the
/// hall as last seen in `dir`/kiosk-state.
pub fn start_kiosk_at(
    base: &str,
    dir: &Path,
    rt: &tokio::runtime::Runtime,
    voice: Option<motcua_screens::kiosk::app::KioskVoice>,
) -> KioskUnderTest {
    use motcua_hardware::printer::{EscPosPrinter, PrinterSpec, sim::Simulator};
    use std::sync::{Arc, Mutex};
    let paper = Arc::new(Mutex::new(Simulator::new(576)));
    let printer =
        motcua_hardware::printer::tcp_sim::TcpPrinter::start(paper.clone(), "127.0.0.1:0").unwrap();
    let spec: PrinterSpec = printer.spec().parse().unwrap();
    let ui = motcua_screens::kiosk::app::start(
        motcua_screens::kiosk::app::KioskOptions {
            client: motcua_client::HallClient::new(base, Some(KIOSK.into())),
            printer: Arc::new(Mutex::new(EscPosPrinter::open(&spec, 576).unwrap())),
            public_url: None,
            voice,
            state_dir: Some(dir.join("kiosk-state")),
        },
        rt.handle().clone(),
    )
    .unwrap();
    slint::ComponentHandle::show(&ui).unwrap();
    KioskUnderTest {
        ui,
        paper,
        _printer: printer,
    }
}

/// Every text the window shows now, as a screen reader would read it.
pub fn shown_texts(ui: &impl slint::ComponentHandle) -> Vec<String> {
    use i_slint_backend_testing::{AccessibleRole, ElementQuery};
    ElementQuery::from_root(ui)
        .match_descendants()
        .match_accessible_role(AccessibleRole::Text)
        .find_all()
        .into_iter()
        .filter_map(|e| e.accessible_label().map(|l| l.to_string()))
        .collect()
}

/// Polls `check` every 100 ms until it gives a value, for at most `secs`.
pub async fn eventually<T, F: std::future::Future<Output = Option<T>>>(
    secs: u64,
    what: &str,
    mut check: impl FnMut() -> F,
) -> T {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(secs);
    loop {
        if let Some(v) = check().await {
            return v;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "never happened: {what}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}

pub async fn get(c: &reqwest::Client, url: &str) -> (u16, Value) {
    let res = c.get(url).send().await.unwrap();
    let status = res.status().as_u16();
    (status, res.json().await.unwrap())
}

/// One server-sent event.
#[derive(Debug, Clone)]
pub struct Sse {
    pub id: Option<u64>,
    pub event: String,
    pub data: Value,
}

/// Reads an event stream and hands out whole events.
pub struct SseReader {
    stream:
        std::pin::Pin<Box<dyn futures_util::Stream<Item = reqwest::Result<bytes::Bytes>> + Send>>,
    parser: motcua_client::SseParser,
    pending: std::collections::VecDeque<motcua_client::SseEvent>,
}

impl SseReader {
    pub async fn open(c: &reqwest::Client, url: &str, last_event_id: Option<u64>) -> SseReader {
        let mut req = c.get(url).timeout(Duration::from_secs(3600));
        if let Some(id) = last_event_id {
            req = req.header("Last-Event-ID", id.to_string());
        }
        let res = req.send().await.unwrap();
        assert_eq!(res.status(), 200);
        assert_eq!(res.headers()["content-type"], "text/event-stream");
        SseReader {
            stream: Box::pin(res.bytes_stream()),
            parser: Default::default(),
            pending: Default::default(),
        }
    }

    /// The next event (keep-alive comments skipped), or panics after `within`.
    pub async fn next(&mut self, within: Duration) -> Sse {
        tokio::time::timeout(within, self.next_inner())
            .await
            .expect("an event arrives in time")
    }

    /// Whether any event arrives within `within`.
    pub async fn nothing_within(&mut self, within: Duration) -> bool {
        tokio::time::timeout(within, self.next_inner())
            .await
            .is_err()
    }

    async fn next_inner(&mut self) -> Sse {
        loop {
            if let Some(e) = self.pending.pop_front() {
                return Sse {
                    id: e.id,
                    event: e.event,
                    data: serde_json::from_str(&e.data).unwrap_or(Value::String(e.data)),
                };
            }
            let chunk = self.stream.next().await.expect("stream open").unwrap();
            self.pending.extend(self.parser.push(&chunk));
        }
    }
}
