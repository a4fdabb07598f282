//! SIRI: arbitrary bytes as an EstimatedTimetable delivery (XML, SOAP or SIRI Lite JSON),
//! ingested and merged into the board (`siri_common`).

#![no_main]

mod common;
mod siri_common;

use feed_server::config::SiriService;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| siri_common::run(SiriService::EstimatedTimetable, data));
