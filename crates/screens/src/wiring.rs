//! How every screen is wired — the kiosk, the display and the rating screen alike:
//!
//! - `start(options, runtime)` makes the window and the app: an `App` on the UI thread
//!   holding the controller (which decides, and is tested without a window) and what
//!   it talks to (the hall client, the printer, the voice);
//! - `connect(&window, &app)` turns the window's callbacks into controller calls;
//! - work on the tokio runtime (the network, the printer) comes back to the app on the
//!   UI thread through its `OnUi` handle, and the app redraws. The UI thread never
//!   waits on the network or a device.

use std::any::Any;
use std::cell::RefCell;
use std::collections::HashMap;
use std::marker::PhantomData;
use std::rc::Rc;
use std::sync::atomic::{AtomicU64, Ordering};

thread_local! {
    /// Every live app on this (the UI) thread, by its handle's id.
    static APPS: RefCell<HashMap<u64, Rc<dyn Any>>> = RefCell::new(HashMap::new());
}

static NEXT_ID: AtomicU64 = AtomicU64::new(1);

/// A handle that any thread may hold to reach an app of type `T` on the UI thread.
pub struct OnUi<T> {
    id: u64,
    _app: PhantomData<fn() -> T>,
}

impl<T> Clone for OnUi<T> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<T> Copy for OnUi<T> {}

impl<T: 'static> OnUi<T> {
    /// A handle for an app not made yet (apps keep their own handle).
    pub fn reserve() -> Self {
        OnUi {
            id: NEXT_ID.fetch_add(1, Ordering::Relaxed),
            _app: PhantomData,
        }
    }

    /// Makes `app` reachable through this handle until `release`. Call on the UI thread.
    pub fn attach(self, app: &Rc<T>) {
        let app: Rc<dyn Any> = app.clone();
        APPS.with(|a| a.borrow_mut().insert(self.id, app));
    }

    /// Forgets the app (its window closed): what is still under way finds nobody.
    pub fn release(self) {
        APPS.with(|a| a.borrow_mut().remove(&self.id));
    }

    /// Runs `f` with the app if it is still there. Call on the UI thread.
    pub fn with(self, f: impl FnOnce(&Rc<T>)) {
        let app = APPS.with(|a| a.borrow().get(&self.id).cloned());
        if let Some(app) = app.and_then(|a| a.downcast::<T>().ok()) {
            f(&app);
        }
    }

    /// Runs `f` with the app on the UI thread, from any thread; nothing happens once
    /// the app or the event loop is gone.
    pub fn later(self, f: impl FnOnce(&Rc<T>) + Send + 'static) {
        let _ = slint::invoke_from_event_loop(move || self.with(f));
    }
}

/// Calls `tick` on the app once a second while the app lives (clocks, timeouts).
pub fn every_second<T: 'static>(timer: &slint::Timer, app: &Rc<T>, tick: fn(&Rc<T>)) {
    let app = Rc::downgrade(app);
    timer.start(
        slint::TimerMode::Repeated,
        std::time::Duration::from_secs(1),
        move || {
            if let Some(app) = app.upgrade() {
                tick(&app);
            }
        },
    );
}

/// Closing the window lets the app go: its timers stop, late answers find nobody.
pub fn release_on_close<T: 'static>(window: &slint::Window, on_ui: OnUi<T>) {
    window.on_close_requested(move || {
        on_ui.release();
        slint::CloseRequestResponse::HideWindow
    });
}
