//! The rating screen in a window: follows the hall's events on the tokio runtime,
//! sends taps as ratings, and draws the controller's phase on the UI thread.

use std::rc::Rc;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::Utc;
use slint::ComponentHandle;

use super::controller::{Phase, RatingScreen, Send};
use crate::ui::{RatingAdapter, RatingWindow};
use motcua_client::HallClient;
use motcua_client::follow::{Update, follow};
use motcua_core::domain::{CounterId, RatingSource, Satisfaction};

pub struct RatingOptions {
    pub server: String,
    /// The counter's token (ratings are recorded at that counter).
    pub token: Option<String>,
    pub counter: CounterId,
}

type Shared = Arc<Mutex<RatingScreen>>;

fn lock(s: &Shared) -> std::sync::MutexGuard<'_, RatingScreen> {
    s.lock().unwrap_or_else(|e| e.into_inner())
}

/// Creates the window and starts following the service. Call on the UI thread.
pub fn start(
    opts: RatingOptions,
    rt: &tokio::runtime::Handle,
) -> Result<RatingWindow, slint::PlatformError> {
    let ui = RatingWindow::new()?;
    let screen: Shared = Arc::new(Mutex::new(RatingScreen::new(opts.counter)));
    let client = HallClient::new(&opts.server, opts.token);
    let adapter = ui.global::<RatingAdapter>();
    adapter.set_counter_name(format!("Quầy {}", opts.counter).into());
    adapter.set_hall_name("".into());
    render(&ui, &lock(&screen));

    // The hall's and the counter's names.
    {
        let (client, weak, counter) = (client.clone(), ui.as_weak(), opts.counter);
        let screen = screen.clone();
        rt.spawn(async move {
            loop {
                if let (Ok(h), Ok(counters)) = (client.hall().await, client.counters().await) {
                    let name = counters
                        .into_iter()
                        .find(|c| c.id == counter)
                        .map(|c| c.name)
                        .unwrap_or_else(|| format!("Quầy {counter}"));
                    lock(&screen).set_reasons(h.rating_reasons.clone());
                    let _ = weak.upgrade_in_event_loop(move |ui| {
                        let a = ui.global::<RatingAdapter>();
                        a.set_hall_name(h.name.into());
                        a.set_counter_name(name.into());
                    });
                    return;
                }
                tokio::time::sleep(Duration::from_secs(3)).await;
            }
        });
    }

    // Events: a finished ticket at this counter is asked about.
    {
        let (screen, weak) = (screen.clone(), ui.as_weak());
        rt.spawn(follow(client.clone(), move |update| {
            let connected = !matches!(update, Update::Stale);
            if let Update::Event(e) = &update {
                lock(&screen).on_event(e, Utc::now());
            }
            let screen = screen.clone();
            let _ = weak.upgrade_in_event_loop(move |ui| {
                ui.global::<RatingAdapter>().set_connected(connected);
                render(&ui, &lock(&screen));
            });
            false
        }));
    }

    // A rating on its way: sent on the runtime, the answer drawn.
    let dispatch = {
        let (screen, weak, rt) = (screen.clone(), ui.as_weak(), rt.clone());
        let counter = opts.counter;
        Rc::new(move |send: Send| {
            let (screen, weak, client) = (screen.clone(), weak.clone(), client.clone());
            rt.spawn(async move {
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
                lock(&screen).answered(result, Utc::now());
                let _ = weak.upgrade_in_event_loop(move |ui| render(&ui, &lock(&screen)));
            });
        })
    };

    // Taps: a face, then (for "not satisfied") a reason or "skip" (-1).
    {
        let (screen, weak, dispatch) = (screen.clone(), ui.as_weak(), dispatch.clone());
        adapter.on_rate(move |i| {
            let Some(level) = Satisfaction::ALL.get(i as usize).copied() else {
                return;
            };
            let send = lock(&screen).tap(level, Utc::now());
            if let Some(ui) = weak.upgrade() {
                render(&ui, &lock(&screen));
            }
            if let Some(send) = send {
                dispatch(send);
            }
        });
    }
    {
        let (screen, weak, dispatch) = (screen.clone(), ui.as_weak(), dispatch.clone());
        adapter.on_reason(move |i| {
            let send = lock(&screen).reason(usize::try_from(i).ok());
            if let Some(ui) = weak.upgrade() {
                render(&ui, &lock(&screen));
            }
            if let Some(send) = send {
                dispatch(send);
            }
        });
    }

    // The clock: questions and messages time out; an unanswered "why?" sends.
    let timer = slint::Timer::default();
    {
        let (screen, weak) = (screen.clone(), ui.as_weak());
        timer.start(
            slint::TimerMode::Repeated,
            Duration::from_secs(1),
            move || {
                let mut s = lock(&screen);
                let before = s.phase().clone();
                let send = s.tick(Utc::now());
                if *s.phase() != before
                    && let Some(ui) = weak.upgrade()
                {
                    render(&ui, &s);
                }
                drop(s);
                if let Some(send) = send {
                    dispatch(send);
                }
            },
        );
    }
    // The window's close handler owns the clock, so it ticks as long as the window lives.
    ui.window().on_close_requested(move || {
        let _clock = &timer;
        slint::CloseRequestResponse::HideWindow
    });
    Ok(ui)
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
