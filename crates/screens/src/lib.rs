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
pub mod voice;
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

/// A window's place on the screen, in physical pixels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Place {
    pub x: i32,
    pub y: i32,
    pub width: u32,
    pub height: u32,
}

/// The kiosk's layout is no narrower than this at its smallest scale: a window asked
/// to be narrower stays this wide and would cover the display beside it.
const KIOSK_NARROWEST: u32 = 600;

/// Where the demo puts the portrait kiosk (9:16) and the display (16:9) on a screen
/// of `width`×`height` at (`x`, `y`): side by side on a landscape screen, the display
/// above the kiosk on a portrait one, both whole and apart, with room left for
/// title bars and a panel.
pub fn side_by_side(x: i32, y: i32, width: u32, height: u32) -> (Place, Place) {
    // Title bars, a desktop's panel, and a gap between the windows.
    let room = |side: u32| side.saturating_sub(side / 20 + 40);
    let gap = 16;
    let (w, h) = (room(width), room(height));
    let (kiosk, display) = if width >= height {
        let kh = h;
        let kw = (kh * 9 / 16).max(KIOSK_NARROWEST).min(w / 2);
        let dw = w.saturating_sub(kw + gap).min(h * 16 / 9);
        let dh = dw * 9 / 16;
        (
            Place {
                x: 0,
                y: 0,
                width: kw,
                height: kh,
            },
            Place {
                x: (kw + gap) as i32,
                y: 0,
                width: dw,
                height: dh,
            },
        )
    } else {
        let dw = w;
        let dh = (dw * 9 / 16).min(h / 3);
        let dw = dh * 16 / 9;
        let kh = h.saturating_sub(dh + gap);
        let kw = (kh * 9 / 16).max(KIOSK_NARROWEST).min(w);
        (
            Place {
                x: 0,
                y: (dh + gap) as i32,
                width: kw,
                height: kh,
            },
            Place {
                x: 0,
                y: 0,
                width: dw,
                height: dh,
            },
        )
    };
    let at = |p: Place| Place {
        x: x + (width - w) as i32 / 2 + p.x,
        y: y + (height - h) as i32 / 2 + p.y,
        ..p
    };
    (at(kiosk), at(display))
}

/// Sizes and places the demo's kiosk and display on the screen the kiosk opened on
/// (its preferred 1080×1920 would cover the display on a 1920×1080 desktop and hang
/// off the bottom). Call before the event loop runs: the screen is known once it does.
/// A desktop that places windows itself (Wayland) keeps the sizes only.
#[cfg(feature = "desktop")]
pub fn place_demo_windows<K, D>(kiosk: &K, display: &D)
where
    K: slint::ComponentHandle + 'static,
    D: slint::ComponentHandle + 'static,
{
    let (kiosk, display) = (kiosk.as_weak(), display.as_weak());
    let _ = slint::invoke_from_event_loop(move || place_when_known(kiosk, display, 40));
}

#[cfg(feature = "desktop")]
fn place_when_known<K, D>(kiosk: slint::Weak<K>, display: slint::Weak<D>, tries: u32)
where
    K: slint::ComponentHandle + 'static,
    D: slint::ComponentHandle + 'static,
{
    use slint::winit_030::WinitWindowAccessor;
    let (Some(k), Some(d)) = (kiosk.upgrade(), display.upgrade()) else {
        return;
    };
    let screen = k
        .window()
        .with_winit_window(|w| w.current_monitor().or_else(|| w.primary_monitor()))
        .flatten();
    let Some(screen) = screen else {
        if tries > 0 {
            slint::Timer::single_shot(std::time::Duration::from_millis(50), move || {
                place_when_known(kiosk, display, tries - 1)
            });
        }
        return;
    };
    let (size, at) = (screen.size(), screen.position());
    let (kp, dp) = side_by_side(at.x, at.y, size.width, size.height);
    for (window, p) in [(k.window(), kp), (d.window(), dp)] {
        window.set_size(slint::PhysicalSize::new(p.width, p.height));
        window.set_position(slint::PhysicalPosition::new(p.x, p.y));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn inside(p: Place, (x, y, w, h): (i32, i32, u32, u32)) -> bool {
        p.x >= x
            && p.y >= y
            && p.x + p.width as i32 <= x + w as i32
            && p.y + p.height as i32 <= y + h as i32
    }

    fn apart(a: Place, b: Place) -> bool {
        a.x + a.width as i32 <= b.x
            || b.x + b.width as i32 <= a.x
            || a.y + a.height as i32 <= b.y
            || b.y + b.height as i32 <= a.y
    }

    #[test]
    fn the_demo_windows_are_both_whole_on_any_screen() {
        for screen in [
            (0, 0, 1920, 1080),
            (0, 0, 1366, 768),
            (1920, 0, 2560, 1440),
            (0, 0, 1080, 1920),
            (0, 0, 800, 600),
        ] {
            let (kiosk, display) = side_by_side(screen.0, screen.1, screen.2, screen.3);
            assert!(
                inside(kiosk, screen) && inside(display, screen),
                "{screen:?}: {kiosk:?} {display:?}"
            );
            assert!(
                apart(kiosk, display),
                "{screen:?}: {kiosk:?} over {display:?}"
            );
            // Their own shapes, and big enough to be seen.
            assert!(
                kiosk.height > kiosk.width && kiosk.width >= KIOSK_NARROWEST.min(screen.2 * 2 / 5),
                "{kiosk:?}"
            );
            assert!(
                (display.width * 9).abs_diff(display.height * 16) <= 16 * 2,
                "{display:?}"
            );
            assert!(
                kiosk.height >= screen.3 / 2 && display.width >= screen.2 * 2 / 5,
                "{screen:?}: {kiosk:?} {display:?}"
            );
        }
        // The usual desktop: the kiosk nearly as tall as the screen.
        let (kiosk, display) = side_by_side(0, 0, 1920, 1080);
        assert!(
            kiosk.height >= 900 && display.width >= 1100,
            "{kiosk:?} {display:?}"
        );
    }
}
