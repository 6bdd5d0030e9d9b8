//! motcua's screens: the citizen kiosk, the waiting-room display (with its voice) and
//! the rating screen, as Slint apps. Each has a controller or model that decides and
//! can be tested without a window, an `app` that wires it to its window, and a
//! runner for its `motcua` subcommand. They talk to the hall service only through
//! `motcua-client`; nothing here depends on the service or the store.
//!
//! Features pick the apps (`kiosk`, `display`, `rating`) and the Slint backend
//! (`desktop`: winit; `pi`: DRM/KMS with libinput touch).

#[cfg(feature = "display")]
pub mod display;
#[cfg(feature = "kiosk")]
pub mod kiosk;
#[cfg(feature = "rating")]
pub mod rating;
pub mod snapshot;
pub mod ui;
pub mod wiring;

use anyhow::{Context, Result};

/// What to do when Slint finds no system font.
const NO_FONT: &str = "no system font was found, and the windows cannot start without one \
    (they draw with the bundled Noto Sans, but Slint needs fontconfig and at least one \
    installed font): install them, e.g. `apt-get install fontconfig fonts-dejavu-core`";

/// Makes a window. Without any system font Slint panics deep inside its font loading;
/// that is said here in words, with what to install, instead of a backtrace.
pub fn new_window<T>(
    make: impl FnOnce() -> Result<T, slint::PlatformError>,
) -> Result<T, slint::PlatformError> {
    let hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    let made = std::panic::catch_unwind(std::panic::AssertUnwindSafe(make));
    std::panic::set_hook(hook);
    match made {
        Ok(window) => window,
        Err(panic) => {
            let what = panic
                .downcast_ref::<String>()
                .map(String::as_str)
                .or_else(|| panic.downcast_ref::<&str>().copied())
                .unwrap_or("");
            if what.contains("NoMatch") {
                Err(slint::PlatformError::Other(NO_FONT.into()))
            } else {
                std::panic::resume_unwind(panic)
            }
        }
    }
}

/// Shows a window (full screen if asked) and runs until it closes or `stop` resolves.
pub fn run_window(
    runtime: &tokio::runtime::Runtime,
    window: impl slint::ComponentHandle,
    fullscreen: bool,
    what: &str,
    stop: impl Future<Output = ()> + Send + 'static,
) -> Result<()> {
    window.window().set_fullscreen(fullscreen);
    window.show()?;
    quit_on(runtime, stop);
    let _watchdog = tell_systemd();
    slint::run_event_loop_until_quit().with_context(|| format!("the {what} window failed"))?;
    motcua_hardware::systemd::notify("STOPPING=1");
    drop(window);
    Ok(())
}

/// Under systemd: "ready" once the event loop runs, and watchdog pings from a timer
/// on the UI thread, so a frozen screen stops feeding the watchdog and is restarted
/// (a ping from another thread would hide it behind a live process).
fn tell_systemd() -> slint::Timer {
    use motcua_hardware::systemd;
    let timer = slint::Timer::default();
    let _ = slint::invoke_from_event_loop(|| {
        systemd::notify("READY=1");
    });
    if let Some(every) = systemd::watchdog_interval() {
        timer.start(slint::TimerMode::Repeated, every, || {
            systemd::notify("WATCHDOG=1");
        });
    }
    timer
}

/// Closes the windows when `stop` resolves (Ctrl+C, SIGTERM), so the program ends cleanly.
pub fn quit_on(runtime: &tokio::runtime::Runtime, stop: impl Future<Output = ()> + Send + 'static) {
    runtime.spawn(async {
        stop.await;
        let _ = slint::invoke_from_event_loop(|| {
            let _ = slint::quit_event_loop();
        });
    });
}
