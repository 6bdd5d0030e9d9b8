//! Draws one screen once, with no display, through Slint's software renderer, into a
//! PNG: how a Pi build shows it can draw (under qemu in CI, before any Pi), how a
//! technician checks the fonts on a new device, and how long a first frame takes.
//! The windows carry their preview data (`ui/`), so no hall service is needed.

use std::path::Path;
use std::rc::Rc;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use slint::ComponentHandle;
use slint::platform::software_renderer::{
    MinimalSoftwareWindow, PremultipliedRgbaColor, RepaintBufferType,
};

/// A platform whose one window is a buffer in memory, on a clock of its own: the
/// frame is drawn as it stands a set time after the window opened, whatever the
/// machine's speed (an emulated Pi's frame equals an x86 one's).
struct Offscreen {
    window: Rc<MinimalSoftwareWindow>,
    clock: Rc<std::cell::Cell<Duration>>,
}

impl slint::platform::Platform for Offscreen {
    fn create_window_adapter(
        &self,
    ) -> Result<Rc<dyn slint::platform::WindowAdapter>, slint::PlatformError> {
        Ok(self.window.clone())
    }

    fn duration_since_start(&self) -> Duration {
        self.clock.get()
    }
}

/// Animations (a call's flash, the panels taking turns) have settled by then.
const SETTLED: Duration = Duration::from_secs(3);

/// The roles this build can draw.
pub fn roles() -> Vec<&'static str> {
    [
        cfg!(feature = "kiosk").then_some("kiosk"),
        cfg!(feature = "display").then_some("display"),
        cfg!(feature = "rating").then_some("rating"),
    ]
    .into_iter()
    .flatten()
    .collect()
}

/// Draws `role`'s window at `width`×`height` into the PNG `out`; says how long it took
/// from here to the drawn frame (making the window, laying it out, rendering).
/// Must be the first window of the process: it takes over Slint's platform.
pub fn render(role: &str, width: u32, height: u32, out: &Path) -> Result<Duration> {
    if !(16..=8192).contains(&width) || !(16..=8192).contains(&height) {
        bail!("{width}×{height}: a screen is 16 to 8192 pixels each way");
    }
    let started = Instant::now();
    let window = MinimalSoftwareWindow::new(RepaintBufferType::NewBuffer);
    let clock = Rc::new(std::cell::Cell::new(Duration::ZERO));
    slint::platform::set_platform(Box::new(Offscreen {
        window: window.clone(),
        clock: clock.clone(),
    }))
    .map_err(|e| anyhow::anyhow!("cannot draw off-screen: {e}"))?;
    window.set_size(slint::PhysicalSize::new(width, height));
    // Kept alive until drawn.
    let _shown: Box<dyn std::any::Any> = match role {
        #[cfg(feature = "kiosk")]
        "kiosk" => Box::new(show(crate::ui::KioskWindow::new)?),
        #[cfg(feature = "display")]
        "display" => Box::new(show(crate::ui::DisplayWindow::new)?),
        #[cfg(feature = "rating")]
        "rating" => Box::new(show(crate::ui::RatingWindow::new)?),
        other => bail!("this build draws {} (not {other:?})", roles().join(", ")),
    };
    slint::platform::update_timers_and_animations();
    clock.set(SETTLED);
    slint::platform::update_timers_and_animations();
    let mut pixels = vec![PremultipliedRgbaColor::default(); (width * height) as usize];
    let drawn = window.draw_if_needed(|renderer| {
        renderer.render(&mut pixels, width as usize);
    });
    let took = started.elapsed();
    if !drawn {
        bail!("the {role} window drew nothing");
    }
    let rgba: Vec<u8> = pixels
        .iter()
        .flat_map(|p| [p.red, p.green, p.blue, p.alpha])
        .collect();
    let image =
        image::RgbaImage::from_raw(width, height, rgba).context("the frame has the wrong size")?;
    image
        .save(out)
        .with_context(|| format!("cannot write {}", out.display()))?;
    Ok(took)
}

fn show<T: ComponentHandle>(make: impl FnOnce() -> Result<T, slint::PlatformError>) -> Result<T> {
    let window = crate::new_window(make)?;
    window.show()?;
    Ok(window)
}
