//! A kiosk machine without any system font (a minimal install): the window cannot
//! start, and the program says what to install instead of panicking with a backtrace.
//! Its own process, since the font set is read once per process.

use i_slint_backend_testing::{TestingBackend, TestingBackendOptions};

#[test]
fn without_a_system_font_the_window_says_what_to_install() {
    let dir = tempfile::tempdir().unwrap();
    let conf = dir.path().join("fonts.conf");
    std::fs::write(
        &conf,
        format!(
            "<?xml version=\"1.0\"?>\n<fontconfig><cachedir>{}</cachedir></fontconfig>\n",
            dir.path().join("cache").display()
        ),
    )
    .unwrap();
    // SAFETY: set before anything reads the environment or starts a thread here.
    unsafe { std::env::set_var("FONTCONFIG_FILE", &conf) };
    // With a desktop backend the fonts are read when the window is made; the testing
    // backend reads them when it is set up, so that goes inside too.
    let made = motcua_screens::new_window(|| {
        slint::platform::set_platform(Box::new(TestingBackend::new(TestingBackendOptions {
            mock_time: true,
            threading: false,
            renderer_name: Some("software".into()),
        })))
        .map_err(|e| slint::PlatformError::Other(e.to_string()))?;
        motcua_screens::ui::KioskWindow::new()
    });
    let err = match made {
        Ok(_) => panic!("a window started without any font"),
        Err(e) => e.to_string(),
    };
    assert!(
        err.contains("no system font") && err.contains("apt-get install fontconfig"),
        "{err}"
    );
}
