//! The rating screen in a window: follows the hall's events on the tokio runtime,
//! sends taps as ratings, and draws the controller's phase on the UI thread.

use std::cell::RefCell;
use std::rc::Rc;
use std::time::Duration;

use chrono::Utc;
use slint::ComponentHandle;

use super::controller::{Phase, RatingScreen, Send};
use crate::ui::{RatingAdapter, RatingWindow};
use crate::wiring::{OnUi, every_second, release_on_close};
use motcua_client::HallClient;
use motcua_client::follow::{Update, follow};
use motcua_core::domain::{CounterId, RatingSource, Satisfaction};

pub struct RatingOptions {
    /// The hall service, with the counter's token (ratings are recorded there).
    pub client: HallClient,
    pub counter: CounterId,
}

/// The rating screen on the UI thread: its controller and the hall it talks to.
pub struct App {
    ui: slint::Weak<RatingWindow>,
    on_ui: OnUi<App>,
    screen: RefCell<RatingScreen>,
    client: HallClient,
    rt: tokio::runtime::Handle,
    counter: CounterId,
    /// Questions and messages time out; an unanswered "why?" sends.
    clock: slint::Timer,
}

/// Creates the window, connects it and starts following the service. Call on the UI thread.
pub fn start(
    opts: RatingOptions,
    rt: &tokio::runtime::Handle,
) -> Result<RatingWindow, slint::PlatformError> {
    let ui = crate::new_window(RatingWindow::new)?;
    let app = Rc::new(App {
        ui: ui.as_weak(),
        on_ui: OnUi::reserve(),
        screen: RefCell::new(RatingScreen::new(opts.counter)),
        client: opts.client,
        rt: rt.clone(),
        counter: opts.counter,
        clock: slint::Timer::default(),
    });
    app.on_ui.attach(&app);
    let adapter = ui.global::<RatingAdapter>();
    adapter.set_counter_name(format!("Quầy {}", opts.counter).into());
    adapter.set_hall_name("".into());
    render(&ui, &app.screen.borrow());
    connect(&ui, &app);
    app.load_names();
    app.follow();
    every_second(&app.clock, &app, |app| app.tick());
    Ok(ui)
}

/// Taps: a face, then (for "not satisfied") a reason or "skip" (-1). Closing the
/// window lets the app go.
pub fn connect(ui: &RatingWindow, app: &Rc<App>) {
    let a = ui.global::<RatingAdapter>();
    let weak = Rc::downgrade(app);
    a.on_rate(move |i| {
        let Some(level) = Satisfaction::ALL.get(i as usize).copied() else {
            return;
        };
        if let Some(app) = weak.upgrade() {
            let send = app.screen.borrow_mut().tap(level, Utc::now());
            app.after(send);
        }
    });
    let weak = Rc::downgrade(app);
    a.on_reason(move |i| {
        if let Some(app) = weak.upgrade() {
            let send = app.screen.borrow_mut().reason(usize::try_from(i).ok());
            app.after(send);
        }
    });
    release_on_close(ui.window(), app.on_ui);
}

impl App {
    /// The hall's and the counter's names, and the reasons offered, retried until
    /// the service answers.
    fn load_names(&self) {
        let (client, counter, on_ui) = (self.client.clone(), self.counter, self.on_ui);
        self.rt.spawn(async move {
            loop {
                if let (Ok(h), Ok(counters)) = (client.hall().await, client.counters().await) {
                    let name = counters
                        .into_iter()
                        .find(|c| c.id == counter)
                        .map(|c| c.name)
                        .unwrap_or_else(|| format!("Quầy {counter}"));
                    on_ui.later(move |app| {
                        app.screen
                            .borrow_mut()
                            .set_reasons(h.rating_reasons.clone());
                        if let Some(ui) = app.ui.upgrade() {
                            let a = ui.global::<RatingAdapter>();
                            a.set_hall_name(h.name.into());
                            a.set_counter_name(name.into());
                        }
                    });
                    return;
                }
                tokio::time::sleep(Duration::from_secs(3)).await;
            }
        });
    }

    /// Events: a finished ticket at this counter is asked about.
    fn follow(&self) {
        let on_ui = self.on_ui;
        self.rt.spawn(follow(self.client.clone(), move |update| {
            on_ui.later(move |app| {
                let connected = !matches!(update, Update::Stale);
                if let Update::Event(e) = &update {
                    app.screen.borrow_mut().on_event(e, Utc::now());
                }
                if let Some(ui) = app.ui.upgrade() {
                    ui.global::<RatingAdapter>().set_connected(connected);
                }
                app.render();
            });
            false
        }));
    }

    fn tick(&self) {
        let before = self.screen.borrow().phase().clone();
        let send = self.screen.borrow_mut().tick(Utc::now());
        if *self.screen.borrow().phase() != before || send.is_some() {
            self.after(send);
        }
    }

    /// Redraws, and sends what the controller decided to send.
    fn after(&self, send: Option<Send>) {
        self.render();
        let Some(send) = send else { return };
        let (client, counter, on_ui) = (self.client.clone(), self.counter, self.on_ui);
        self.rt.spawn(async move {
            let result = client
                .rate(
                    counter,
                    send.ticket,
                    send.level,
                    send.reason.as_deref(),
                    RatingSource::Screen,
                )
                .await
                .map(|_| ());
            on_ui.later(move |app| {
                app.screen.borrow_mut().answered(result, Utc::now());
                app.render();
            });
        });
    }

    fn render(&self) {
        if let Some(ui) = self.ui.upgrade() {
            render(&ui, &self.screen.borrow());
        }
    }
}

/// Draws the phase.
pub fn render(ui: &RatingWindow, screen: &RatingScreen) {
    let a = ui.global::<RatingAdapter>();
    let why = matches!(screen.phase(), Phase::Why { .. });
    if why {
        let reasons: Vec<slint::SharedString> = screen.reasons().iter().map(Into::into).collect();
        a.set_reasons(slint::ModelRc::new(slint::VecModel::from(reasons)));
    }
    a.set_asking_why(why);
    let (number, vi, en, thanks, sending) = match screen.phase() {
        Phase::Waiting => ("", "", "", false, false),
        Phase::Asking { number, .. } | Phase::Why { number, .. } => {
            (number.as_str(), "", "", false, false)
        }
        Phase::Sending => ("", "", "", false, true),
        Phase::Message { vi, en, thanks, .. } => ("", vi.as_str(), en.as_str(), *thanks, false),
    };
    a.set_number(number.into());
    a.set_message_vi(vi.into());
    a.set_message_en(en.into());
    a.set_thanks(thanks);
    a.set_sending(sending);
}
