//! Screen layouts: arbitrary text as a RON layout, through the display client's
//! parser (its `layout` and `contrast` modules, included as they are: the client's Bevy side is not
//! built for this).

#![no_main]

#[path = "../../display-client/src/contrast.rs"]
#[allow(dead_code)]
mod contrast;
#[path = "../../display-client/src/layout.rs"]
#[allow(dead_code)]
mod layout;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Err(e) = layout::Layout::parse(text, "fuzz.ron") {
        // Every refusal names the file.
        assert!(e.to_string().contains("fuzz.ron"), "{e}");
    }
});
