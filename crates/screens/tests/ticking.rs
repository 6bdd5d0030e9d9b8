//! Both windows of the demo in one process, drawn the way a desktop draws them: each
//! into a buffer it keeps, repainting only what changed, and presenting only the
//! damage the renderer reports (the winit software renderer on X11). Ten minutes of
//! once-a-second ticks on a mock clock, with a citizen going through the kiosk's
//! screens and calls coming and going on the display: each window's clock on screen
//! must follow, and when the minute turns the whole window must be presented anew.
//! (Under winit on X11 the demo's clocks were seen to stop being repainted after a
//! few minutes while the rest updated; `Repaint` in ui/shared draws the whole window
//! each minute. This offscreen renderer never showed the freeze itself.)

use std::cell::{Cell, RefCell};
use std::rc::Rc;
use std::time::Duration;

use slint::ComponentHandle;
use slint::platform::software_renderer::{
    MinimalSoftwareWindow, PremultipliedRgbaColor, RepaintBufferType,
};

use motcua_screens::ui::{CallRow, DisplayAdapter, DisplayWindow, KioskAdapter, KioskWindow};
use motcua_screens::ui::{ResultRow, Screen as KioskScreen};

struct Desktop {
    windows: Rc<RefCell<Vec<Rc<MinimalSoftwareWindow>>>>,
    clock: Rc<Cell<Duration>>,
}

impl slint::platform::Platform for Desktop {
    fn create_window_adapter(
        &self,
    ) -> Result<Rc<dyn slint::platform::WindowAdapter>, slint::PlatformError> {
        let w = MinimalSoftwareWindow::new(RepaintBufferType::ReusedBuffer);
        self.windows.borrow_mut().push(w.clone());
        Ok(w)
    }

    fn duration_since_start(&self) -> Duration {
        self.clock.get()
    }
}

struct Screen {
    window: Rc<MinimalSoftwareWindow>,
    width: usize,
    height: usize,
    /// The buffer the renderer draws into and keeps.
    kept: Vec<PremultipliedRgbaColor>,
    /// What the screen shows: the parts of `kept` the renderer said it changed.
    shown: Vec<PremultipliedRgbaColor>,
    /// How many pixels the last frame presented.
    presented: usize,
}

impl Screen {
    fn new(window: Rc<MinimalSoftwareWindow>, width: u32, height: u32) -> Self {
        window.set_size(slint::PhysicalSize::new(width, height));
        let n = (width * height) as usize;
        Screen {
            window,
            width: width as usize,
            height: height as usize,
            kept: vec![Default::default(); n],
            shown: vec![Default::default(); n],
            presented: 0,
        }
    }

    /// What a desktop does each frame: repaint what changed, present the damage.
    fn frame(&mut self) {
        let (kept, shown, width) = (&mut self.kept, &mut self.shown, self.width);
        let mut presented = 0;
        self.window.draw_if_needed(|r| {
            let damage = r.render(kept, width);
            for (at, size) in damage.iter() {
                let (x, w) = (at.x as usize, size.width as usize);
                for y in at.y as usize..at.y as usize + size.height as usize {
                    let row = y * width + x..y * width + x + w;
                    shown[row.clone()].copy_from_slice(&kept[row]);
                }
                presented += w * size.height as usize;
            }
        });
        self.presented = presented;
    }

    /// Pixels of the top `rows` (the header with the clock) that differ from a fresh
    /// drawing of the window.
    fn stale_header_pixels(&mut self, rows: usize) -> usize {
        let mut fresh = vec![PremultipliedRgbaColor::default(); self.kept.len()];
        self.window.request_redraw();
        self.window.draw_if_needed(|r| {
            r.set_repaint_buffer_type(RepaintBufferType::NewBuffer);
            r.render(&mut fresh, self.width);
            r.set_repaint_buffer_type(RepaintBufferType::ReusedBuffer);
        });
        let n = (0..rows * self.width)
            .filter(|&i| rgba(&fresh[i]) != rgba(&self.shown[i]))
            .count();
        // The fresh drawing reset the renderer's memory: the next frame repaints all.
        self.kept = fresh.clone();
        self.shown = fresh;
        n
    }
}

fn rgba(p: &PremultipliedRgbaColor) -> [u8; 4] {
    [p.red, p.green, p.blue, p.alpha]
}

#[test]
fn ten_minutes_of_ticks_keep_both_clocks_on_screen() {
    let clock = Rc::new(Cell::new(Duration::ZERO));
    let windows = Rc::new(RefCell::new(Vec::new()));
    slint::platform::set_platform(Box::new(Desktop {
        windows: windows.clone(),
        clock: clock.clone(),
    }))
    .unwrap();
    let kiosk = KioskWindow::new().unwrap();
    let display = DisplayWindow::new().unwrap();
    kiosk.show().unwrap();
    display.show().unwrap();
    // A result waits for pickup: the display's panel takes turns with the latest calls.
    display
        .global::<DisplayAdapter>()
        .set_results(slint::ModelRc::new(slint::VecModel::from(vec![
            ResultRow {
                name: "Nguyễn Thị H.".into(),
                code: "…261203-0042".into(),
                counter: "Quầy 8".into(),
            },
        ])));
    let mut screens = {
        let w = windows.borrow();
        [
            Screen::new(w[0].clone(), 1080, 1920),
            Screen::new(w[1].clone(), 1920, 1080),
        ]
    };

    // The apps' once-a-second tick, from 08:41:50 on the wall.
    let seconds = Rc::new(Cell::new(8 * 3600 + 41 * 60 + 50));
    let ticker = slint::Timer::default();
    let (k, d, s) = (kiosk.as_weak(), display.as_weak(), seconds.clone());
    ticker.start(
        slint::TimerMode::Repeated,
        Duration::from_secs(1),
        move || {
            s.set(s.get() + 1);
            let now = s.get();
            let text: slint::SharedString =
                format!("{:02}:{:02}", now / 3600, now / 60 % 60).into();
            let (k, d) = (k.unwrap(), d.unwrap());
            // A citizen goes through the kiosk's screens; calls come and go.
            let ka = k.global::<KioskAdapter>();
            ka.set_clock(text.clone());
            ka.set_screen(match now % 12 {
                0..3 => KioskScreen::Home,
                3..5 => KioskScreen::Priority,
                5..10 => KioskScreen::Ticket,
                _ => KioskScreen::Lookup,
            });
            let da = d.global::<DisplayAdapter>();
            da.set_clock(text);
            let calls: Vec<CallRow> = (0..now % 5)
                .map(|i| CallRow {
                    number: format!("A{:03}", now % 100 + i).into(),
                    counter: format!("Quầy {i}").into(),
                })
                .collect();
            da.set_calls(slint::ModelRc::new(slint::VecModel::from(calls)));
            // A call flashes for a few seconds, then stays lit.
            let age = now % 30;
            da.set_spotlight_on(age < 20);
            da.set_spotlight_flash(age >= 6 || age % 2 == 0);
        },
    );

    let frame = Duration::from_millis(100);
    let mut stale = Vec::new();
    let mut minute_turns = 0;
    let mut last_clock = kiosk.global::<KioskAdapter>().get_clock();
    for step in 1..=(600_000 / frame.as_millis() as u64) {
        clock.set(clock.get() + frame);
        slint::platform::update_timers_and_animations();
        for s in &mut screens {
            s.frame();
        }
        let now = kiosk.global::<KioskAdapter>().get_clock();
        if now != last_clock {
            // The minute turned: both windows were presented whole.
            minute_turns += 1;
            for s in &screens {
                assert_eq!(
                    s.presented,
                    s.width * s.height,
                    "at {now} a window was not drawn afresh"
                );
            }
            last_clock = now;
        }
        // Now and then, the clocks on screen are what a fresh drawing shows.
        if step % 600 == 300 {
            let n = screens.each_mut().map(|s| s.stale_header_pixels(120));
            stale.push((step, n));
        }
    }
    assert_eq!(minute_turns, 10);
    assert_eq!(kiosk.global::<KioskAdapter>().get_clock(), "08:51");
    assert_eq!(display.global::<DisplayAdapter>().get_clock(), "08:51");
    assert!(
        stale.iter().all(|(_, n)| *n == [0, 0]),
        "header pixels on screen that a fresh drawing does not have (step, [kiosk, display]): {stale:?}"
    );
}
