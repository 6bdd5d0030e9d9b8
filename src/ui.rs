//! The Slint windows (kiosk, display) and their adapter globals, compiled from `ui/main.slint`.
#![allow(clippy::all, missing_docs, unused_qualifications)]

slint::include_modules!();
