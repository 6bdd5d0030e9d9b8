//! The kiosk's Slint window and its adapter global, compiled from `ui/kiosk.slint`.
#![allow(clippy::all, missing_docs, unused_qualifications)]

slint::include_modules!();
