//! The hall service: the one authority for a hall's ticket numbers. It holds the
//! queue (decide → commit → apply → publish, in `hall`), serves the JSON API, the
//! event stream and the counter page (`http`), runs the background jobs (`jobs`), and
//! reads its configuration (`config`).
//!
//! Builds on `motcua-core` (the engine), `motcua-store` (durable storage) and
//! `motcua-api` (the wire types). No GUI: nothing here depends on Slint.

pub mod config;
pub mod demo;
pub mod hall;
pub mod http;
pub mod jobs;
pub mod notify;
pub mod report;
pub mod run;
pub mod upstream;
