//! Facility documents: arbitrary bytes as BNLC carpool-area CSV files,
//! read as the definitions and as the status document, laid over each other
//! and shown as board lines and in both exports: an error or facilities,
//! never a panic.

#![no_main]

mod facility;

use feed_server::config::FacilityFormat;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    facility::check(FacilityFormat::Bnlc, data);
});
