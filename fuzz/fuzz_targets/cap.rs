//! CAP and Atom/RSS: arbitrary XML (entities, DTDs, depth, encodings) through the
//! weather source's reader.

#![no_main]

use feed_server::sources::weather::cap::parse_document;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = parse_document(data);
});
