//! The sensor endpoint through the server's own router: arbitrary bytes as
//! the body of `POST /v1/sensors/{integration}` with the integration's
//! token, for a ChirpStack and a The Things Stack integration (first byte),
//! each with one facility of two sensors. Every answer must be JSON (kept,
//! ignored with a reason, or an error that says why), never a panic nor a
//! 5xx.

#![no_main]

mod common;

use std::sync::OnceLock;

use axum::body::Body;
use axum::http::{Request, header};
use feed_server::clock::Clock;
use feed_server::server::Server;
use libfuzzer_sys::fuzz_target;
use tower_service::Service as _;

const TOKEN_CS: &str = "fuzz-chirpstack-token-0123456789abcdef";
const TOKEN_TTS: &str = "fuzz-things-stack-token-0123456789abcdef";

struct Target {
    runtime: tokio::runtime::Runtime,
    app: axum::Router,
}

static TARGET: OnceLock<Target> = OnceLock::new();

fn target() -> Target {
    let cs = feed_server::store::token_hash(TOKEN_CS);
    let tts = feed_server::store::token_hash(TOKEN_TTS);
    let text = format!(
        "{}\n[[sensor_integrations]]\nid = \"cs\"\nserver = \"chirpstack\"\ntoken_sha256 = \"{cs}\"\n\
         [[sensor_integrations]]\nid = \"tts\"\nserver = \"things-stack\"\ntoken_sha256 = \"{tts}\"\n\
         [[facilities]]\nid = \"aire\"\nname = \"Aire\"\nkind = \"carpool\"\nstations = [\"caudry\"]\ncapacity = 4\n\
         [facilities.sensors]\nintegration = \"cs\"\nmodel = \"nwave-g4\"\n\
         spaces = {{ \"1000000000000001\" = \"P1\" }}\n\
         [[facilities]]\nid = \"parking\"\nname = \"Parking\"\nkind = \"car_park\"\nstations = [\"caudry\"]\ncapacity = 4\n\
         [facilities.sensors]\nintegration = \"tts\"\nmodel = \"bosch-pls\"\n\
         spaces = {{ \"1000000000000002\" = \"P2\" }}\n",
        common::CONFIG
    );
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let app = Server::new(common::deployment_of(&text), Clock::Fixed(common::now())).router();
    Target { runtime, app }
}

fuzz_target!(|data: &[u8]| {
    let target = TARGET.get_or_init(target);
    let Some((&selector, body)) = data.split_first() else {
        return;
    };
    let (path, token) = if selector % 2 == 0 {
        ("/v1/sensors/cs", TOKEN_CS)
    } else {
        ("/v1/sensors/tts", TOKEN_TTS)
    };
    let request = Request::builder()
        .method("POST")
        .uri(path)
        .header(header::AUTHORIZATION, format!("Bearer {token}"))
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(body.to_vec()))
        .expect("request");
    let mut app = target.app.clone();
    let (status, text) = target.runtime.block_on(async move {
        let response = app.call(request).await.expect("infallible");
        let status = response.status().as_u16();
        let bytes = axum::body::to_bytes(response.into_body(), 1 << 20)
            .await
            .expect("answer");
        (status, String::from_utf8_lossy(&bytes).into_owned())
    });
    assert!(
        serde_json::from_str::<serde_json::Value>(&text).is_ok(),
        "{status}: {text}"
    );
    assert!(status < 500, "{status}: {text}");
});
