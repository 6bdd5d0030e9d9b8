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
pub mod ui;
pub mod wiring;

use anyhow::{Context, Result};

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
    slint::run_event_loop_until_quit().with_context(|| format!("the {what} window failed"))?;
    drop(window);
    Ok(())
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
