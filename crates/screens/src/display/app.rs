//! The display in a window: the follower keeps the model current on the tokio
//! runtime, each change is drawn on the UI thread, and calls go to a voice thread
//! that plays one whole announcement at a time.

use std::cell::RefCell;
use std::rc::Rc;
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::Utc;
use chrono_tz::Tz;
use slint::{ComponentHandle, ModelRc, VecModel};

use super::model::{Applied, DisplayModel};
use crate::display::announce::{Announcer, Call, ResultsSchedule};
use crate::ui::{CallRow, CounterCard, DisplayAdapter, DisplayWindow, LineRow, ResultRow};
use crate::wiring::{OnUi, every_second, release_on_close};
use motcua_client::HallClient;
use motcua_client::follow::{Update, follow};
use motcua_core::queue::EventKind;
use motcua_hardware::audio::{Speaker, VoicePack};

/// A call stays large on screen this long.
pub const SPOTLIGHT_SECS: i64 = 20;
/// For this long after a call the spotlight flashes.
pub const FLASH_SECS: i64 = 6;
/// Calls older than this when they arrive (a reconnect's backlog) are not spoken.
pub const ANNOUNCE_WITHIN_SECS: i64 = 60;

pub struct DisplayOptions {
    /// The hall service (the display only reads: no token needed).
    pub client: HallClient,
    /// The voice pack and where it plays; `None` for a silent display.
    pub voice: Option<super::Voice>,
}

/// What the display knows about its hall, beyond the board.
struct HallInfo {
    tz: Tz,
    notice: String,
    /// Results announcements: at most every N minutes, M times per dossier.
    results_every: u32,
    results_times: u32,
}

/// The display on the UI thread. The model sits behind a lock because the follower
/// applies each event on the runtime as it arrives and must say at once whether the
/// board has to be read again; the window is drawn from it on the UI thread.
pub struct App {
    ui: slint::Weak<DisplayWindow>,
    on_ui: OnUi<App>,
    model: Arc<Mutex<Option<DisplayModel>>>,
    hall: RefCell<HallInfo>,
    client: HallClient,
    rt: tokio::runtime::Handle,
    /// The voice thread, when the display speaks.
    voice: Option<mpsc::Sender<Say>>,
    results: RefCell<Option<ResultsSchedule>>,
    /// The clock, and the spotlight's flashing and fading, once a second.
    clock: slint::Timer,
}

/// Creates the display window, connects it and starts following the service. Call on
/// the UI thread; show the window and run the event loop afterwards.
pub fn start(
    opts: DisplayOptions,
    rt: &tokio::runtime::Handle,
) -> Result<DisplayWindow, slint::PlatformError> {
    let ui = crate::new_window(DisplayWindow::new)?;
    let app = Rc::new(App {
        ui: ui.as_weak(),
        on_ui: OnUi::reserve(),
        model: Arc::default(),
        hall: RefCell::new(HallInfo {
            tz: chrono_tz::Asia::Ho_Chi_Minh,
            notice: String::new(),
            results_every: 10,
            results_times: 3,
        }),
        client: opts.client,
        rt: rt.clone(),
        voice: opts
            .voice
            .map(|(pack, speaker)| voice_thread(pack, speaker)),
        results: RefCell::new(None),
        clock: slint::Timer::default(),
    });
    app.on_ui.attach(&app);
    connect(&ui, &app);
    app.load_hall();
    app.follow();
    every_second(&app.clock, &app, |app| app.tick());
    Ok(ui)
}

/// Nobody taps a waiting-room TV: closing the window lets the app go.
pub fn connect(ui: &DisplayWindow, app: &Rc<App>) {
    release_on_close(ui.window(), app.on_ui);
}

impl App {
    /// The hall's name, time zone and notice, retried until the service answers.
    fn load_hall(&self) {
        let (client, on_ui) = (self.client.clone(), self.on_ui);
        self.rt.spawn(async move {
            loop {
                if let Ok(h) = client.hall().await {
                    on_ui.later(move |app| {
                        *app.hall.borrow_mut() = HallInfo {
                            tz: h.time_zone.parse().unwrap_or(chrono_tz::Asia::Ho_Chi_Minh),
                            notice: h.notice,
                            results_every: h.results_announce_every_minutes,
                            results_times: h.results_announce_times,
                        };
                        if let Some(ui) = app.ui.upgrade() {
                            ui.global::<DisplayAdapter>().set_hall_name(h.name.into());
                        }
                    });
                    return;
                }
                tokio::time::sleep(Duration::from_secs(3)).await;
            }
        });
    }

    /// Applies the stream to the model as it comes, says the calls, redraws.
    fn follow(&self) {
        let (model, voice, on_ui) = (self.model.clone(), self.voice.clone(), self.on_ui);
        self.rt.spawn(follow(self.client.clone(), move |update| {
            let mut guard = model.lock().unwrap_or_else(|e| e.into_inner());
            let mut need_board = false;
            match update {
                Update::Board(b) => match guard.as_mut() {
                    Some(model) => model.reload(b),
                    None => *guard = Some(DisplayModel::new(b)),
                },
                Update::Event(e) => {
                    if let Some(model) = guard.as_mut() {
                        need_board = model.apply(&e) == Applied::NeedBoard;
                    }
                    let fresh = (Utc::now() - e.change.at).num_seconds() < ANNOUNCE_WITHIN_SECS;
                    if let (Some(voice), Some(t), true) = (&voice, &e.change.ticket, fresh)
                        && matches!(
                            e.change.kind,
                            EventKind::TicketCalled | EventKind::TicketRecalled
                        )
                    {
                        let _ = voice.send(Say::Call(Call {
                            ticket: t.id,
                            number: t.number.clone(),
                            counter: t.counter.unwrap_or_default(),
                        }));
                    }
                }
                Update::Stale => {
                    if let Some(model) = guard.as_mut() {
                        model.stale = true;
                    }
                }
            }
            drop(guard);
            on_ui.later(|app| app.render());
            need_board
        }));
    }

    fn render(&self) {
        let Some(ui) = self.ui.upgrade() else { return };
        let model = self.model.lock().unwrap_or_else(|e| e.into_inner());
        let hall = self.hall.borrow();
        render(
            &ui,
            model.as_ref(),
            &hall.notice,
            Utc::now().with_timezone(&hall.tz),
        );
    }

    /// Once a second: the clock and the spotlight; now and then, "results are
    /// ready" while results wait for pickup. The board is redrawn when an update
    /// arrives, not every second.
    fn tick(&self) {
        let Some(ui) = self.ui.upgrade() else { return };
        let hall = self.hall.borrow();
        let model = self.model.lock().unwrap_or_else(|e| e.into_inner());
        if let (Some(voice), Some(m)) = (&self.voice, model.as_ref())
            && !m.stale
        {
            let waiting: Vec<String> = m.board.results.iter().map(|r| r.code.clone()).collect();
            let mut results = self.results.borrow_mut();
            let s = results.get_or_insert_with(|| {
                ResultsSchedule::new(hall.results_every, hall.results_times)
            });
            if s.due(&waiting, Utc::now()) {
                let _ = voice.send(Say::Results);
            }
        }
        render_clock(&ui, model.as_ref(), Utc::now().with_timezone(&hall.tz));
    }
}

/// What the voice thread is asked to say.
pub enum Say {
    Call(Call),
    /// "Results are ready, please come to the result-return counter."
    Results,
}

/// Plays announcements one after another on their own thread; calls first, the
/// results announcement when no call waits.
fn voice_thread(pack: VoicePack, mut speaker: Box<dyn Speaker>) -> mpsc::Sender<Say> {
    let (tx, rx) = mpsc::channel::<Say>();
    std::thread::Builder::new()
        .name("display-voice".into())
        .spawn(move || {
            let mut announcer = Announcer::new();
            let mut results = false;
            loop {
                if announcer.waiting() == 0 && !results {
                    match rx.recv() {
                        Ok(Say::Call(call)) => announcer.push(call),
                        Ok(Say::Results) => results = true,
                        Err(_) => return,
                    }
                }
                // Calls that came while the last one played join the queue first.
                while let Ok(say) = rx.try_recv() {
                    match say {
                        Say::Call(call) => announcer.push(call),
                        Say::Results => results = true,
                    }
                }
                if announcer.waiting() == 0 && results {
                    results = false;
                    let clips = crate::display::announce::results_utterance();
                    if let Err(e) = speaker.play(&pack.wav(&pack.render(&clips))) {
                        tracing::warn!("display: could not announce the results: {e}");
                    }
                    continue;
                }
                if let Some((call, clips)) = announcer.next_announcement()
                    && let Err(e) = speaker.play(&pack.wav(&pack.render(&clips)))
                {
                    tracing::warn!(
                        "display: could not announce {} (counter {}): {e}",
                        call.number,
                        call.counter
                    );
                }
            }
        })
        .expect("a thread can be started");
    tx
}

/// A long dossier code's end, which differs from dossier to dossier and which
/// citizens find on their receipt: "000.00.12.H27-261123-0042" → "…261123-0042".
pub fn short_code(code: &str) -> String {
    let chars: Vec<char> = code.chars().collect();
    if chars.len() <= 16 {
        return code.to_owned();
    }
    let tail: String = chars[chars.len() - 11..].iter().collect();
    format!("…{tail}")
}

/// What changes with time alone: the clock, and the spotlight flashing, then fading.
pub fn render_clock(ui: &DisplayWindow, model: Option<&DisplayModel>, now: chrono::DateTime<Tz>) {
    let a = ui.global::<DisplayAdapter>();
    a.set_clock(now.format("%H:%M").to_string().into());
    a.set_date(crate::ui::vietnamese_date(&now).into());
    match model.and_then(|m| m.spotlight_at(now.with_timezone(&Utc), SPOTLIGHT_SECS)) {
        Some(s) => {
            let age = (now.with_timezone(&Utc) - s.at).num_seconds();
            a.set_spotlight_on(true);
            a.set_spotlight_flash(age >= FLASH_SECS || age % 2 == 0);
        }
        None => a.set_spotlight_on(false),
    }
}

/// Shows the model (or, before the first board, nothing but the clock).
pub fn render(
    ui: &DisplayWindow,
    model: Option<&DisplayModel>,
    notice: &str,
    now: chrono::DateTime<Tz>,
) {
    let a = ui.global::<DisplayAdapter>();
    render_clock(ui, model, now);
    a.set_notice(notice.into());
    let Some(m) = model else {
        a.set_results(ModelRc::default());
        a.set_stale(true);
        a.set_counters(ModelRc::default());
        a.set_calls(ModelRc::default());
        a.set_lines(ModelRc::default());
        return;
    };
    let b = &m.board;
    a.set_hall_name(b.hall.clone().into());
    a.set_stale(m.stale);
    let line_name = |code: &str| {
        b.waiting
            .iter()
            .find(|l| l.service == code)
            .map_or_else(|| code.to_owned(), |l| l.name.vi.clone())
    };
    let counter_name = |id: u32| {
        b.counters
            .iter()
            .find(|c| c.id == id)
            .map_or_else(|| format!("Quầy {id}"), |c| c.name.clone())
    };
    if let Some(s) = m.spotlight_at(now.with_timezone(&Utc), SPOTLIGHT_SECS) {
        a.set_spotlight_number(s.number.clone().into());
        a.set_spotlight_counter(counter_name(s.counter).into());
        a.set_spotlight_service(line_name(&s.service).into());
    }
    let counters: Vec<CounterCard> = b
        .counters
        .iter()
        .map(|c| CounterCard {
            name: c.name.clone().into(),
            number: c
                .current
                .as_ref()
                .map(|t| t.ticket.number.clone())
                .unwrap_or_default()
                .into(),
            service: match &c.current {
                Some(t) => line_name(&t.ticket.service),
                None => c
                    .services
                    .iter()
                    .map(|s| line_name(s))
                    .collect::<Vec<_>>()
                    .join(", "),
            }
            .into(),
            open: c.open,
            priority: c
                .current
                .as_ref()
                .is_some_and(|t| t.ticket.priority.is_some()),
        })
        .collect();
    a.set_counters(ModelRc::new(VecModel::from(counters)));
    let calls: Vec<CallRow> = b
        .latest_calls
        .iter()
        .take(5)
        .map(|c| CallRow {
            number: c.number.clone().into(),
            counter: counter_name(c.counter).into(),
        })
        .collect();
    a.set_calls(ModelRc::new(VecModel::from(calls)));
    let lines: Vec<LineRow> = b
        .waiting
        .iter()
        .map(|l| LineRow {
            prefix: l.prefix.clone().into(),
            name: l.name.vi.clone().into(),
            waiting: l.waiting.to_string().into(),
        })
        .collect();
    a.set_lines(ModelRc::new(VecModel::from(lines)));
    // Results waiting for pickup: masked name, code, where to go.
    let results: Vec<ResultRow> = b
        .results
        .iter()
        .map(|r| ResultRow {
            name: r.masked_name.clone().unwrap_or_default().into(),
            code: short_code(&r.code).into(),
            counter: r
                .pickup
                .clone()
                .or_else(|| r.pickup_counter.map(counter_name))
                .unwrap_or_else(|| "Trả kết quả".into())
                .into(),
        })
        .collect();
    a.set_results(ModelRc::new(VecModel::from(results)));
}
