//! The live stream's frames: arbitrary text as a client's frame, read as the
//! server reads it; and as a server's frame, applied by a screen's `BoardState`.

#![no_main]

use feed_server::http::stream::read_frame;
use libfuzzer_sys::fuzz_target;
use quai_protocol::{BoardState, ServerMessage};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Err(close) = read_frame(text) {
        assert!((1000..5000).contains(&close.code()), "close code {close:?}");
    }
    // A board state fed the text after a snapshot and before another.
    let mut state = BoardState::new("caudry".to_string());
    if let Ok(message) = serde_json::from_str::<ServerMessage>(text) {
        let _ = state.apply(&message);
        let _ = state.apply(&message);
        let _ = state.board();
    }
});
