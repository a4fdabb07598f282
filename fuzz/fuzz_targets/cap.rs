//! Weather documents: arbitrary bytes through both readers of weather sources,
//! CAP and Atom/RSS XML (entities, DTDs, depth, encodings) and Météo-France's
//! vigilance map (JSON).

#![no_main]

use feed_server::sources::weather::cap::parse_document;
use feed_server::sources::weather::vigilance;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = parse_document(data);
    let _ = vigilance::parse(data);
});
