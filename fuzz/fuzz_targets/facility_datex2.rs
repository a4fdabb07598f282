//! Facility documents: arbitrary bytes as DATEX II parking publications (v2.3 and v3: tables, statuses, both),
//! read as the definitions and as the status document, laid over each other
//! and shown as board lines and in both exports: an error or facilities,
//! never a panic.

#![no_main]

mod facility;

use feed_server::config::FacilityFormat;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    facility::check(FacilityFormat::Datex2, data);
});
