//! The kiosk in a window: renders the controller's state into the Slint adapter,
//! forwards taps and keys to the controller, and carries out its effects — the
//! hall service over HTTP on a tokio runtime, the printer on a blocking thread —
//! bringing results back to the UI thread. The UI thread never waits on I/O.

use std::cell::RefCell;
use std::rc::Rc;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::Utc;
use chrono_tz::Tz;
use slint::{
    ComponentHandle, Image, ModelRc, Rgb8Pixel, SharedPixelBuffer, SharedString, VecModel,
};

use super::controller::{
    Effect, Kiosk, Lang, Loaded, Message, PrintState, PriorityChoice, Screen as KScreen,
};
use super::guide::Guide;
use crate::ui::{
    Choice, KioskAdapter, KioskWindow, PrintStatus, ProcedureDetail, Said, SaidKind, Screen,
    ServiceTile, TicketCard,
};
use crate::wiring::{OnUi, every_second, release_on_close};
use motcua_api::{CounterView, HallView, Me, ServiceView, TicketView};
use motcua_client::journal::{Journal, OfflineTicket, Outcome};
use motcua_client::{ClientError, HallClient};
use motcua_core::catalogue::Procedure;
use motcua_hardware::printer::{EscPosPrinter, Health, TicketPrint, Watcher, layout, raster};

/// What a kiosk needs to know to run.
pub struct KioskOptions {
    /// The hall service, with the kiosk's token for taking tickets.
    pub client: HallClient,
    pub printer: Arc<Mutex<EscPosPrinter>>,
    /// Where citizens' phones reach the service (for the QR code); default: the
    /// client's address.
    pub public_url: Option<String>,
    /// The voice that reads a screen aloud when asked ("Nghe"); none: the button is
    /// greyed.
    pub voice: Option<KioskVoice>,
    /// Where the kiosk keeps what must outlive it: the journal of the tickets it gave
    /// out on its own, and the hall as last told. None: it gives no tickets while the
    /// service is away.
    pub state_dir: Option<std::path::PathBuf>,
}

/// The hall as the service last told the kiosk, kept so that it can start and give
/// tickets while the service is away. What changes by the minute (loads, waits,
/// tickets at counters) is left out, so the file is written only when the hall
/// itself changes.
#[derive(serde::Serialize, serde::Deserialize)]
struct Remembered {
    hall: HallView,
    services: Vec<ServiceView>,
    counters: Vec<CounterView>,
    procedures: Vec<Procedure>,
    me: Option<Me>,
}

impl Remembered {
    const FILE: &'static str = "hall.json";

    fn steady(mut self) -> Self {
        self.hall.now = chrono::DateTime::UNIX_EPOCH;
        for s in &mut self.services {
            s.load = Default::default();
            s.estimated_wait_s = None;
        }
        for c in &mut self.counters {
            c.current = None;
        }
        self
    }

    fn load(dir: &std::path::Path) -> Option<Remembered> {
        let path = dir.join(Self::FILE);
        let bytes = std::fs::read(&path).ok()?;
        serde_json::from_slice(&bytes)
            .inspect_err(|e| tracing::warn!("kiosk: {} is unreadable: {e}", path.display()))
            .ok()
    }

    /// Writes the file whole or not at all.
    fn save(bytes: &[u8], dir: &std::path::Path) -> std::io::Result<()> {
        use std::io::Write;
        let path = dir.join(Self::FILE);
        let fresh = dir.join("hall.json.new");
        let mut f = std::fs::File::create(&fresh)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        std::fs::rename(&fresh, &path)
    }

    fn to_loaded(&self) -> Loaded {
        Loaded {
            hall_name: self.hall.name.clone(),
            priority_groups: self
                .hall
                .priority_groups
                .iter()
                .map(|g| PriorityChoice {
                    code: g.code.clone(),
                    name: g.name.clone(),
                })
                .collect(),
            services: self.services.clone(),
            procedures: self.procedures.clone(),
            counters: self.counters.clone(),
        }
    }
}

/// A voice pack with the guidance clips, and where it plays.
pub type KioskVoice = (
    motcua_hardware::audio::VoicePack,
    Box<dyn motcua_hardware::audio::Playback>,
);

/// The kiosk on the UI thread: its controller and what it talks to.
pub struct App {
    ui: slint::Weak<KioskWindow>,
    on_ui: OnUi<App>,
    kiosk: RefCell<Kiosk>,
    client: HallClient,
    printer: Arc<Mutex<EscPosPrinter>>,
    rt: tokio::runtime::Handle,
    public_url: String,
    tz: RefCell<Tz>,
    /// The QR code of the ticket on screen, drawn once per ticket.
    qr: RefCell<Option<(u64, Image)>>,
    _watcher: RefCell<Option<Watcher>>,
    /// Clock, screen timeouts and refreshes, once a second.
    ticker: slint::Timer,
    voice: Option<Guide>,
    /// The screen being read aloud, while it is.
    reading: std::cell::Cell<Option<KScreen>>,
    /// The tickets given out while the service was away, on disk.
    journal: Option<Arc<Mutex<Journal>>>,
    state_dir: Option<std::path::PathBuf>,
    /// The hall as last written to `state_dir`, to write it only when it changed.
    remembered: RefCell<Vec<u8>>,
}

/// Creates the kiosk window, connects it and starts its timers. Call on the UI thread;
/// `rt` runs the network work. Show the window and run the event loop afterwards.
pub fn start(
    opts: KioskOptions,
    rt: tokio::runtime::Handle,
) -> Result<KioskWindow, slint::PlatformError> {
    let ui = crate::new_window(KioskWindow::new)?;
    let public_url = opts
        .public_url
        .clone()
        .unwrap_or_else(|| opts.client.base().to_owned());
    let on_ui = OnUi::reserve();
    let voice = opts.voice.and_then(|(pack, playback)| {
        let finished = move || on_ui.later(|app: &Rc<App>| app.done_reading());
        let sound = move |clips: &[String]| pack.wav(&pack.render(clips));
        match Guide::start(sound, playback, finished) {
            Ok(guide) => Some(guide),
            Err(e) => {
                tracing::warn!("kiosk: no voice: {e}");
                None
            }
        }
    });
    let journal = opts.state_dir.as_ref().and_then(|dir| {
        Journal::open(&dir.join("journal.jsonl"))
            .inspect_err(|e| {
                tracing::error!("kiosk: no tickets while the service is away: {e}");
            })
            .ok()
    });
    let remembered = opts.state_dir.as_deref().and_then(Remembered::load);
    let app = Rc::new(App {
        ui: ui.as_weak(),
        on_ui,
        kiosk: RefCell::new(Kiosk::new("")),
        client: opts.client,
        printer: opts.printer.clone(),
        rt,
        public_url: public_url.trim_end_matches('/').to_owned(),
        tz: RefCell::new(chrono_tz::Asia::Ho_Chi_Minh),
        qr: RefCell::new(None),
        _watcher: RefCell::new(None),
        ticker: slint::Timer::default(),
        voice,
        reading: std::cell::Cell::new(None),
        journal: journal.map(|j| Arc::new(Mutex::new(j))),
        state_dir: opts.state_dir,
        remembered: RefCell::new(Vec::new()),
    });
    app.on_ui.attach(&app);
    if let Some(journal) = &app.journal {
        app.kiosk.borrow_mut().journal_waiting = lock(journal).pending().len();
    }
    if let Some(r) = remembered {
        app.remember(r);
    }
    connect(&ui, &app);
    app.watch_printer();
    every_second(&app.ticker, &app, |app| app.tick());
    app.apply(vec![Effect::Refresh]);
    Ok(ui)
}

/// The citizen's taps and keys, as controller calls. Closing the window lets the app go.
pub fn connect(ui: &KioskWindow, app: &Rc<App>) {
    release_on_close(ui.window(), app.on_ui);
    let a = ui.global::<KioskAdapter>();
    let act = |f: fn(&mut Kiosk) -> Vec<Effect>| {
        let app = Rc::downgrade(app);
        move || {
            if let Some(app) = app.upgrade() {
                app.act(f)
            }
        }
    };
    let act_with = |f: fn(&mut Kiosk, &str) -> Vec<Effect>| {
        let app = Rc::downgrade(app);
        move |text: SharedString| {
            if let Some(app) = app.upgrade() {
                app.act(|k| f(k, &text))
            }
        }
    };
    a.on_choose_service(act_with(|k, code| k.choose_service(code)));
    a.on_choose_priority(act_with(|k, code| {
        k.choose_priority((!code.is_empty()).then_some(code))
    }));
    a.on_go_home(act(|k| {
        k.touched();
        k.go_home();
        Vec::new()
    }));
    a.on_take_return_ticket(act(|k| k.take_return_ticket()));
    a.on_open_lookup(act(|k| {
        k.open_lookup();
        Vec::new()
    }));
    a.on_key(act_with(|k, text| k.key(text)));
    a.on_open_procedures(act(|k| {
        k.open_procedures();
        Vec::new()
    }));
    a.on_pick(act_with(|k, code| {
        k.pick(code);
        Vec::new()
    }));
    a.on_back(act(|k| {
        k.back();
        Vec::new()
    }));
    let weak = Rc::downgrade(app);
    a.on_listen(move |on| {
        if let Some(app) = weak.upgrade() {
            app.kiosk.borrow_mut().touched();
            app.listen(on);
        }
    });
    let weak = Rc::downgrade(app);
    a.on_set_large_text(move |on| {
        if let Some(app) = weak.upgrade() {
            app.act(|k| {
                k.set_large_text(on);
                Vec::new()
            })
        }
    });
    let weak = Rc::downgrade(app);
    a.on_set_english(move |en| {
        if let Some(app) = weak.upgrade() {
            app.act(|k| {
                k.set_lang(if en { Lang::En } else { Lang::Vi });
                Vec::new()
            })
        }
    });
}

impl App {
    /// Once a second: screen timeouts and refreshes, and the clock.
    fn tick(self: &Rc<Self>) {
        let screen = self.kiosk.borrow().screen;
        let now = self.local_time().naive_local();
        self.kiosk.borrow_mut().reopen(|s| s.open_at(now));
        let effects = self.kiosk.borrow_mut().tick(1000);
        if effects.is_empty() && self.kiosk.borrow().screen == screen {
            // A quiet second: only the clock moves, so only the clock is redrawn.
            self.render_clock();
        } else {
            self.apply(effects);
        }
    }

    /// A citizen's action: update the controller, carry out its effects, redraw.
    fn act(self: &Rc<Self>, f: impl FnOnce(&mut Kiosk) -> Vec<Effect>) {
        let effects = f(&mut self.kiosk.borrow_mut());
        self.apply(effects);
    }

    /// Printer health changes, from the watcher thread to the UI thread.
    fn watch_printer(self: &Rc<Self>) {
        let (watcher, changes) = Watcher::start(self.printer.clone(), Duration::from_secs(15));
        *self._watcher.borrow_mut() = Some(watcher);
        let on_ui = self.on_ui;
        std::thread::Builder::new()
            .name("kiosk-printer-news".into())
            .spawn(move || {
                for health in changes {
                    on_ui.later(move |app| {
                        let effects = app.kiosk.borrow_mut().printer_changed(health);
                        app.apply(effects);
                    });
                }
            })
            .expect("a thread can be started");
    }

    fn apply(self: &Rc<Self>, effects: Vec<Effect>) {
        for effect in effects {
            match effect {
                Effect::Issue { service, priority } => {
                    let (client, on_ui) = (self.client.clone(), self.on_ui);
                    self.rt.spawn(async move {
                        let result = client.issue(&service, priority.as_deref()).await;
                        on_ui.later(move |app| {
                            let effects = app.kiosk.borrow_mut().issued(result);
                            app.apply(effects);
                        });
                    });
                }
                Effect::IssueReturn(dossier) => {
                    let (client, on_ui) = (self.client.clone(), self.on_ui);
                    self.rt.spawn(async move {
                        let result = client.issue_return(&dossier).await;
                        on_ui.later(move |app| {
                            let effects = app.kiosk.borrow_mut().issued(result);
                            app.apply(effects);
                        });
                    });
                }
                Effect::Print(ticket) => self.print(*ticket),
                Effect::IssueOffline { service, priority } => self.issue_offline(service, priority),
                Effect::Replay => self.replay(),
                Effect::Refresh => {
                    let (client, on_ui) = (self.client.clone(), self.on_ui);
                    self.rt.spawn(async move {
                        let loaded = async {
                            let hall = client.hall().await?;
                            let services = client.services().await?;
                            let counters = client.counters().await?;
                            let procedures = client.procedures().await?;
                            // Without a kiosk token there is no series: no tickets of its own.
                            let me = match client.me().await {
                                Ok(me) => Some(me),
                                Err(ClientError::Refused { .. }) => None,
                                Err(e) => return Err(e),
                            };
                            Ok(Remembered {
                                hall,
                                services,
                                counters,
                                procedures,
                                me,
                            })
                        }
                        .await;
                        on_ui.later(move |app| {
                            let loaded = loaded.map(|r| {
                                let loaded = r.to_loaded();
                                app.remember(r);
                                loaded
                            });
                            app.kiosk.borrow_mut().loaded(loaded);
                            app.render();
                        });
                    });
                }
                Effect::ReportPrinter(health) => {
                    let client = self.client.clone();
                    let (trouble, waiting) = {
                        let k = self.kiosk.borrow();
                        (
                            k.last_trouble.clone(),
                            k.series.is_some().then_some(k.journal_waiting),
                        )
                    };
                    let mut report =
                        motcua_client::device_report("kiosk", Some(health.code()), trouble);
                    report.journal_waiting = waiting.map(|n| u32::try_from(n).unwrap_or(u32::MAX));
                    self.rt.spawn(async move {
                        if let Err(e) = client.report(&report).await {
                            tracing::warn!(
                                "kiosk: could not report the printer ({}): {e}",
                                health.code()
                            );
                        }
                    });
                }
                Effect::Lookup { code, id } => {
                    let (client, on_ui) = (self.client.clone(), self.on_ui);
                    self.rt.spawn(async move {
                        let result = client.dossier(&code, id.as_deref()).await;
                        on_ui.later(move |app| {
                            app.kiosk.borrow_mut().looked_up_dossier(&code, result);
                            app.render();
                        });
                    });
                }
            }
        }
        self.render();
    }

    /// Takes in the hall as the service told it: its time zone, the kiosk's series, and
    /// the file that lets the kiosk start without the service.
    fn remember(&self, r: Remembered) {
        if let Ok(tz) = r.hall.time_zone.parse::<Tz>() {
            *self.tz.borrow_mut() = tz;
        }
        {
            let mut k = self.kiosk.borrow_mut();
            k.series =
                r.me.as_ref()
                    .and_then(|me| me.series.clone())
                    .filter(|_| self.journal.is_some());
            k.remember(r.to_loaded());
        }
        let Some(dir) = &self.state_dir else { return };
        let Ok(bytes) = serde_json::to_vec(&r.steady()) else {
            return;
        };
        if *self.remembered.borrow() == bytes {
            return;
        }
        let first = self.remembered.borrow().is_empty();
        *self.remembered.borrow_mut() = bytes.clone();
        // Read back at start (`first`): the same file needs no writing again.
        if first && std::fs::read(dir.join(Remembered::FILE)).is_ok_and(|b| b == bytes) {
            return;
        }
        let dir = dir.clone();
        self.rt.spawn_blocking(move || {
            if let Err(e) = Remembered::save(&bytes, &dir) {
                tracing::warn!("kiosk: cannot keep the hall in {}: {e}", dir.display());
            }
        });
    }

    /// A ticket from the journal, on disk before it is shown or printed.
    fn issue_offline(self: &Rc<Self>, service: String, priority: Option<String>) {
        let (Some(journal), Some(series)) =
            (self.journal.clone(), self.kiosk.borrow().series.clone())
        else {
            let effects = self
                .kiosk
                .borrow_mut()
                .issued_offline(Err("this kiosk has no journal".into()), 0);
            return self.apply(effects);
        };
        let prefix = self
            .kiosk
            .borrow()
            .services
            .iter()
            .find(|s| s.code == service)
            .map_or_else(|| service.clone(), |s| s.prefix.clone());
        let now = Utc::now();
        let day = self.local_time().date_naive();
        let on_ui = self.on_ui;
        self.rt.spawn_blocking(move || {
            let mut j = lock(&journal);
            let result = j
                .issue(day, &series, &prefix, &service, priority.as_deref(), now)
                .map(|t| offline_view(&t, &series))
                .map_err(|e| e.to_string());
            let waiting = j.pending().len();
            drop(j);
            on_ui.later(move |app| {
                let effects = app.kiosk.borrow_mut().issued_offline(result, waiting);
                app.apply(effects);
            });
        });
    }

    /// Sends the journal's tickets to the service, oldest first, each settled in the
    /// journal once the service has it. Stops at the first that cannot be sent.
    fn replay(self: &Rc<Self>) {
        let Some(journal) = self.journal.clone() else {
            let effects = self.kiosk.borrow_mut().replayed(0, None);
            return self.apply(effects);
        };
        let (client, on_ui) = (self.client.clone(), self.on_ui);
        self.rt.spawn(async move {
            let settle = |t: OfflineTicket, outcome: Outcome| {
                let journal = journal.clone();
                tokio::task::spawn_blocking(move || lock(&journal).settle(&t, outcome))
            };
            let pending = lock(&journal).pending();
            let mut trouble = None;
            for t in pending {
                let outcome = match client.issue_offline(&t).await {
                    Ok(view) => Outcome::Placed(view.ticket.id),
                    // A day that is over, a line the hall no longer has: it stays in
                    // the journal with the reason, and the others go on.
                    Err(ClientError::Refused {
                        status: 409 | 422,
                        message,
                        ..
                    }) => {
                        tracing::warn!("kiosk: ticket {} not placed: {message}", t.number);
                        Outcome::Refused(message)
                    }
                    Err(e) => {
                        trouble = Some(e);
                        break;
                    }
                };
                let number = t.number.clone();
                match settle(t, outcome).await {
                    Ok(Ok(())) => {}
                    Ok(Err(e)) => {
                        // Sent again next time: the service answers it the same.
                        trouble = Some(ClientError::BadAnswer(format!(
                            "ticket {number} placed, but the journal cannot say so: {e}"
                        )));
                        break;
                    }
                    Err(e) => {
                        trouble = Some(ClientError::BadAnswer(e.to_string()));
                        break;
                    }
                }
            }
            let waiting = lock(&journal).pending().len();
            on_ui.later(move |app| {
                let effects = app.kiosk.borrow_mut().replayed(waiting, trouble);
                app.apply(effects);
            });
        });
    }

    fn print(self: &Rc<Self>, ticket: TicketView) {
        let paper = self.ticket_paper(&ticket);
        let (printer, on_ui) = (self.printer.clone(), self.on_ui);
        self.rt.spawn_blocking(move || {
            let mut p = printer.lock().unwrap_or_else(|e| e.into_inner());
            let picture = layout::ticket(&paper, p.width());
            let result = p.print(&picture).map_err(|e| {
                tracing::warn!("kiosk: ticket {} not printed: {e}", paper.number);
                e.health()
            });
            on_ui.later(move |app| {
                let effects = app.kiosk.borrow_mut().printed(result);
                app.apply(effects);
            });
        });
    }

    fn local_time(&self) -> chrono::DateTime<Tz> {
        Utc::now().with_timezone(&*self.tz.borrow())
    }

    /// What goes on paper: Vietnamese, whatever language the screen is in.
    fn ticket_paper(&self, t: &TicketView) -> TicketPrint {
        let k = self.kiosk.borrow();
        let service = k.services.iter().find(|s| s.code == t.ticket.service);
        let counters: Vec<String> = k
            .counters_for(&t.ticket)
            .iter()
            .map(ToString::to_string)
            .collect();
        let priority = t.ticket.priority.as_ref().map(|code| {
            k.priority_groups
                .iter()
                .find(|g| &g.code == code)
                .map_or_else(|| code.clone(), |g| g.name.vi.clone())
        });
        TicketPrint {
            hall_name: k.hall_name.clone(),
            number: t.ticket.number.clone(),
            service_name: service.map_or_else(|| t.ticket.service.clone(), |s| s.name.vi.clone()),
            counters: (!counters.is_empty()).then(|| format!("Quầy {}", counters.join(", "))),
            priority,
            issued_at: t
                .ticket
                .issued_at
                .with_timezone(&*self.tz.borrow())
                .format("%H:%M %d/%m/%Y")
                .to_string(),
            waiting_ahead: t.waiting_ahead,
            estimated_wait_minutes: t.estimated_wait_s.map(|s| s.div_ceil(60) as u32),
            follow_url: Some(self.follow_url(t)),
            dossier_code: t.ticket.dossier.clone(),
            footer: "Vui lòng chờ gọi số; quá lượt vui lòng lấy số mới.".into(),
            offline: t.ticket.offline.is_some(),
        }
    }

    /// The ticket's page for phones; the service's signed path when it gave one.
    fn follow_url(&self, t: &TicketView) -> String {
        match &t.follow_path {
            Some(path) if path.starts_with('/') => format!("{}{path}", self.public_url),
            _ => format!("{}/t/{}", self.public_url, t.ticket.id),
        }
    }

    fn qr_image(&self, t: &TicketView) -> Image {
        if let Some((id, img)) = &*self.qr.borrow()
            && *id == t.ticket.id
        {
            return img.clone();
        }
        let img = raster::qr_code(&self.follow_url(t), 8)
            .map(to_image)
            .unwrap_or_default();
        *self.qr.borrow_mut() = Some((t.ticket.id, img.clone()));
        img
    }

    /// Reads the screen aloud, or stops reading it.
    fn listen(&self, on: bool) {
        let Some(guide) = &self.voice else {
            return;
        };
        if on {
            let (screen, clips) = {
                let k = self.kiosk.borrow();
                (k.screen, k.guide())
            };
            guide.say(clips);
            self.reading.set(Some(screen));
        } else {
            guide.stop();
            self.reading.set(None);
        }
        self.render();
    }

    /// The reading ended (by itself, or stopped).
    fn done_reading(&self) {
        self.reading.set(None);
        self.render();
    }

    fn render_clock(&self) {
        let Some(ui) = self.ui.upgrade() else { return };
        set_clock(&ui.global::<KioskAdapter>(), self.local_time());
    }

    /// Pushes the controller's state into the window.
    fn render(&self) {
        let Some(ui) = self.ui.upgrade() else { return };
        let k = self.kiosk.borrow();
        // A reading belongs to its screen: the next screen starts silent.
        if let Some(screen) = self.reading.get()
            && screen != k.screen
        {
            if let Some(guide) = &self.voice {
                guide.stop();
            }
            self.reading.set(None);
        }
        let a = ui.global::<KioskAdapter>();
        a.set_can_speak(self.voice.is_some());
        a.set_speaking(self.reading.get().is_some());
        let qr = k
            .issued
            .as_ref()
            .filter(|i| i.ticket.ticket.offline.is_none())
            .map(|i| self.qr_image(&i.ticket));
        render(&ui, &k, self.local_time(), qr);
    }
}

/// Shows a kiosk state in a window: every text in the kiosk's language.
pub fn render(ui: &KioskWindow, k: &Kiosk, now: chrono::DateTime<Tz>, qr: Option<Image>) {
    let lang = k.lang;
    let a = ui.global::<KioskAdapter>();
    set_clock(&a, now);
    a.set_hall_name(k.hall_name.clone().into());
    // Switching the translation re-evaluates every string on screen: only on a change.
    let switched = a.get_english() != (lang == Lang::En);
    a.set_english(lang == Lang::En);
    a.set_large_text(k.large_text);
    a.set_connected(k.connected);
    a.set_busy(k.busy);
    a.set_notice(said(lang, k.notice.as_ref()));
    let (problem, code) = match k.printer {
        Health::Ready | Health::Unknown => (String::new(), String::new()),
        h => (h.describe_vi().to_string(), h.code().replace('_', " ")),
    };
    a.set_printer_problem(problem.into());
    a.set_printer_code(code.into());
    a.set_screen(match k.screen {
        KScreen::Home => Screen::Home,
        KScreen::Priority => Screen::Priority,
        KScreen::Ticket => Screen::Ticket,
        KScreen::Lookup => Screen::Lookup,
        KScreen::Procedures => Screen::Procedures,
    });
    render_procedures(&a, k);
    let tiles: Vec<ServiceTile> = k
        .services
        .iter()
        .map(|s| ServiceTile {
            code: s.code.clone().into(),
            name: s.name.vi.clone().into(),
            subtitle: match lang {
                Lang::En => s.name.en.clone().unwrap_or_default().into(),
                Lang::Vi => SharedString::new(),
            },
            open: s.open,
            waiting: count(s.load.waiting),
            wait_minutes: s.estimated_wait_s.map_or(0, |w| minutes(w).max(1)),
            hours: lang.text(&s.hours).into(),
        })
        .collect();
    a.set_services(ModelRc::new(VecModel::from(tiles)));
    let chosen = k
        .chosen
        .as_ref()
        .and_then(|c| k.services.iter().find(|s| &s.code == c));
    a.set_chosen_service(
        chosen
            .map(|s| lang.text(&s.name))
            .unwrap_or_default()
            .into(),
    );
    let groups: Vec<Choice> = k
        .priority_groups
        .iter()
        .map(|g| Choice {
            code: g.code.clone().into(),
            label: lang.text(&g.name).into(),
        })
        .collect();
    a.set_priority_groups(ModelRc::new(VecModel::from(groups)));
    if let Some(issued) = &k.issued {
        let t = &issued.ticket;
        let priority = t.ticket.priority.as_ref().map(|code| {
            k.priority_groups
                .iter()
                .find(|g| &g.code == code)
                .map_or_else(|| code.clone(), |g| lang.text(&g.name))
        });
        let (print, print_problem) = match &issued.print {
            PrintState::Printing => (PrintStatus::Printing, String::new()),
            PrintState::Printed => (PrintStatus::Printed, String::new()),
            PrintState::Failed(h) => (PrintStatus::Failed, h.describe_vi().to_string()),
        };
        let counters: Vec<String> = k
            .counters_for(&t.ticket)
            .iter()
            .map(ToString::to_string)
            .collect();
        a.set_ticket(TicketCard {
            counters: counters.join(", ").into(),
            number: t.ticket.number.clone().into(),
            service: lang.text(&issued.service_name).into(),
            priority: priority.unwrap_or_default().into(),
            ahead: t.waiting_ahead.map_or(-1, count),
            wait_minutes: t.estimated_wait_s.map_or(0, minutes),
            print,
            print_problem: print_problem.into(),
            offline: t.ticket.offline.is_some(),
        });
        a.set_ticket_qr(qr.unwrap_or_default());
    }
    a.set_lookup_input(k.lookup_input.clone().into());
    a.set_lookup_ready(k.lookup_ready.is_some());
    a.set_lookup_asks_id(k.id_for.is_some());
    a.set_lookup_id(k.id_digits.clone().into());
    let boxes: Vec<slint::SharedString> = (0..4)
        .map(|i| k.id_digits.get(i..=i).unwrap_or("").into())
        .collect();
    a.set_lookup_id_boxes(slint::ModelRc::new(slint::VecModel::from(boxes)));
    a.set_lookup_boxes_full(k.id_digits.len() == 4);
    a.set_lookup_result(said(lang, k.lookup_result.as_ref()));
    if switched && let Err(e) = slint::select_bundled_translation(lang.translation()) {
        tracing::warn!("kiosk: cannot switch language: {e}");
    }
}

/// The procedures screen's three pages: lines, a line's procedures, one procedure.
fn render_procedures(a: &KioskAdapter, k: &Kiosk) {
    let lang = k.lang;
    a.set_has_procedures(!k.procedures.is_empty());
    let line_name = |code: &str| {
        k.services
            .iter()
            .find(|s| s.code == code)
            .map_or_else(|| code.to_owned(), |s| lang.text(&s.name))
    };
    let choices: Vec<Choice> = match &k.procedure_line {
        None => {
            let mut lines: Vec<&str> = Vec::new();
            for p in &k.procedures {
                if !lines.contains(&p.service.as_str()) {
                    lines.push(&p.service);
                }
            }
            lines
                .into_iter()
                .map(|code| Choice {
                    code: code.into(),
                    label: line_name(code).into(),
                })
                .collect()
        }
        Some(line) => k
            .procedures
            .iter()
            .filter(|p| &p.service == line)
            .map(|p| Choice {
                code: p.code.clone().into(),
                label: lang.text(&p.name).into(),
            })
            .collect(),
    };
    a.set_procedure_choices(ModelRc::new(VecModel::from(choices)));
    a.set_procedure_page(match (&k.procedure_line, &k.procedure) {
        (None, _) => 0,
        (Some(_), None) => 1,
        (Some(_), Some(_)) => 2,
    });
    a.set_procedure_title(
        k.procedure_line
            .as_deref()
            .map(line_name)
            .unwrap_or_default()
            .into(),
    );
    let chosen = k.procedure.as_ref().and_then(|code| {
        k.procedures
            .iter()
            .find(|p| &p.code == code && Some(&p.service) == k.procedure_line.as_ref())
    });
    if let Some(p) = chosen {
        let documents: Vec<SharedString> =
            p.documents.iter().map(|d| lang.text(d).into()).collect();
        a.set_procedure(ProcedureDetail {
            name: lang.text(&p.name).into(),
            code: p.code.clone().into(),
            time: lang.text(&p.processing_time).into(),
            fee: lang.text(&p.fee).into(),
            documents: ModelRc::new(VecModel::from(documents)),
        });
    }
}

/// A 1-bit picture (a QR code) as a Slint image.
pub fn to_image(b: raster::Bitmap) -> Image {
    let mut buf = SharedPixelBuffer::<Rgb8Pixel>::new(b.width(), b.height());
    let w = b.width();
    for (i, px) in buf.make_mut_slice().iter_mut().enumerate() {
        let (x, y) = (i as u32 % w, i as u32 / w);
        let v = if b.get(x, y) { 0 } else { 255 };
        *px = Rgb8Pixel { r: v, g: v, b: v };
    }
    Image::from_rgb8(buf)
}

/// A message for the screens to say: the hall's words in the kiosk's language as
/// they are, the kiosk's own as a kind with what fills them in.
fn said(lang: Lang, m: Option<&Message>) -> Said {
    let mut out = Said::default();
    out.kind = match m {
        None => SaidKind::None,
        Some(Message::Hall(words)) => {
            out.text = lang.text(words).into();
            SaidKind::Hall
        }
        Some(Message::ServiceAway) => SaidKind::ServiceAway,
        Some(Message::Offline) => SaidKind::Offline,
        Some(Message::LineClosed { name, hours }) => {
            out.name = lang.text(name).into();
            out.hours = lang.text(hours).into();
            SaidKind::LineClosed
        }
        Some(Message::NoTicket) => SaidKind::NoTicket,
        Some(Message::NotFound(code)) => {
            out.code = code.into();
            SaidKind::NotFound
        }
        Some(Message::LookupAway) => SaidKind::LookupAway,
    };
    out
}

/// Whole minutes a citizen reads: at least one while any wait is expected.
fn minutes(secs: u64) -> i32 {
    match secs {
        0 => 0,
        s => i32::try_from(s.div_ceil(60)).unwrap_or(i32::MAX),
    }
}

fn count(n: u32) -> i32 {
    i32::try_from(n).unwrap_or(i32::MAX)
}

/// The clock, the weekday (the screen names it in the kiosk's language) and the date.
fn set_clock(a: &KioskAdapter, now: chrono::DateTime<Tz>) {
    use chrono::Datelike;
    a.set_clock(now.format("%H:%M").to_string().into());
    a.set_weekday(now.weekday().num_days_from_monday() as i32);
    a.set_date(now.format("%d/%m/%Y").to_string().into());
}

/// The journal's lock: a panic elsewhere while it was held leaves the file whole (each
/// record is written and synced by one call), so it is still good to use.
fn lock(journal: &Mutex<Journal>) -> std::sync::MutexGuard<'_, Journal> {
    journal.lock().unwrap_or_else(|e| e.into_inner())
}

/// A ticket from the journal as the screens and the printer show tickets. It has no
/// id in the hall yet (0) and no page to follow.
fn offline_view(t: &OfflineTicket, series: &str) -> TicketView {
    TicketView {
        ticket: motcua_core::domain::Ticket {
            priority: t.priority.clone(),
            offline: Some(series.to_owned()),
            ..motcua_core::domain::Ticket::waiting(
                0,
                t.number.clone(),
                &t.service,
                t.day,
                t.seq,
                t.issued_at,
            )
        },
        waiting_ahead: None,
        estimated_wait_s: None,
        follow_path: None,
    }
}
