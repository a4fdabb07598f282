//! Operator notices: arbitrary JSON bodies read as the API reads them, then
//! validated against the demo deployment.

#![no_main]

mod common;

use std::sync::OnceLock;

use feed_server::deployment::Deployment;
use feed_server::notice::validate;
use libfuzzer_sys::fuzz_target;
use quai_protocol::NoticeInput;

static DEPLOYMENT: OnceLock<Deployment> = OnceLock::new();

fuzz_target!(|data: &[u8]| {
    let deployment = DEPLOYMENT.get_or_init(common::deployment);
    if let Ok(input) = serde_json::from_slice::<NoticeInput>(data) {
        let _ = validate(&input, deployment);
    }
});
