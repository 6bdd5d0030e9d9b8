//! Compiles the Slint UI. Debug info keeps element ids and accessible labels
//! queryable, which the headless UI tests rely on.

fn main() {
    let config = slint_build::CompilerConfiguration::new()
        .with_debug_info(true)
        .with_bundled_translations("../../ui/translations")
        .with_default_translation_context(slint_build::DefaultTranslationContext::None);
    slint_build::compile_with_config("../../ui/main.slint", config).expect("the UI compiles");
}
