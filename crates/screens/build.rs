//! Compiles the windows of the apps this build has (features `kiosk`, `display`,
//! `rating`) from `ui/<role>/<role>.slint`, so a kiosk's build carries no display.
//! Debug info keeps element ids and accessible labels queryable, which the headless
//! UI tests rely on.

use std::path::Path;

fn main() {
    let ui = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../ui");
    let mut windows = String::from("// The windows this build has; written by build.rs.\n");
    // What each role's window file gives the Rust side: its window, its adapter and
    // the types they carry.
    let roles = [
        (
            "kiosk",
            "KioskWindow, KioskAdapter, Screen, Theme, Choice, PrintStatus, ProcedureDetail, \
             Said, SaidKind, TicketCard, ServiceTile",
        ),
        (
            "display",
            "DisplayWindow, DisplayAdapter, CounterCard, CallRow, LineRow, ResultRow",
        ),
        ("rating", "RatingWindow, RatingAdapter"),
    ];
    for (role, names) in roles {
        if std::env::var_os(format!("CARGO_FEATURE_{}", role.to_uppercase())).is_some() {
            let file = ui.join(role).join(format!("{role}.slint"));
            windows.push_str(&format!(
                "export {{ {names} }} from {:?};\n",
                file.display().to_string()
            ));
        }
    }
    let out =
        Path::new(&std::env::var("OUT_DIR").expect("cargo sets OUT_DIR")).join("windows.slint");
    std::fs::write(&out, windows).expect("OUT_DIR is writable");
    let config = slint_build::CompilerConfiguration::new()
        .with_debug_info(true)
        .with_bundled_translations(ui.join("translations"))
        .with_default_translation_context(slint_build::DefaultTranslationContext::None);
    slint_build::compile_with_config(&out, config).expect("the UI compiles");
}
