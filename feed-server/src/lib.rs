//! Quai's feed server as a library: the binary (`src/main.rs`) is a thin shell over
//! it, and the end-to-end tests start it in-process on 127.0.0.1.

pub mod accept;
pub mod advisory;
pub mod board;
pub mod check;
pub mod cli;
pub mod clock;
pub mod config;
pub mod demo;
pub mod demo_realtime;
pub mod demo_weather;
pub mod deployment;
pub mod http;
pub mod hub;
pub mod metrics;
pub mod notice;
pub mod realtime;
pub mod server;
pub mod sources;
pub mod store;
pub mod timetable;
