//! Request bodies through the HTTP layer: arbitrary bytes as the body of a
//! notice write (POST, or PATCH of an existing notice, chosen by the first
//! byte), with a valid operator's token, answered by the server's own router
//! (routing, extractors, the body reader, JSON, validation, the store). Every
//! answer must be a JSON error or a notice, never a panic.

#![no_main]

mod common;

use std::sync::OnceLock;

use axum::body::Body;
use axum::http::{Request, header};
use feed_server::clock::Clock;
use feed_server::server::Server;
use libfuzzer_sys::fuzz_target;
use tower_service::Service as _;

struct Target {
    runtime: tokio::runtime::Runtime,
    app: axum::Router,
    token: String,
    notice: String,
    _data: tempfile::TempDir,
}

static TARGET: OnceLock<Target> = OnceLock::new();

fn target() -> Target {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let data = tempfile::tempdir().expect("data dir");
    let server = Server::new(common::deployment(), Clock::Fixed(common::now()))
        .with_store(data.path())
        .expect("store");
    let store = server.store().expect("store");
    let token = store
        .operator_add("fuzz", &["*".parse().expect("scope")], false)
        .expect("operator");
    let app = server.router();
    let mut target = Target {
        runtime,
        app,
        token,
        notice: String::new(),
        _data: data,
    };
    let body = r#"{"severity":"warning","cause":"construction","effect":"stop_moved","header":{"fr":"Quai C fermé"},"informed_entities":[{"station":"caudry"}]}"#;
    let (status, text) = target.call("POST", "/v1/notices", None, body.as_bytes().to_vec());
    assert_eq!(status, 201, "{text}");
    let id = serde_json::from_str::<serde_json::Value>(&text).expect("notice")["id"]
        .as_str()
        .expect("id")
        .to_string();
    target.notice = format!("/v1/notices/{id}");
    target
}

impl Target {
    fn call(&self, method: &str, path: &str, version: Option<u64>, body: Vec<u8>) -> (u16, String) {
        let mut request = Request::builder()
            .method(method)
            .uri(path)
            .header(header::AUTHORIZATION, format!("Bearer {}", self.token))
            .header(header::CONTENT_TYPE, "application/json");
        if let Some(v) = version {
            request = request.header(header::IF_MATCH, format!("\"{v}\""));
        }
        let request = request.body(Body::from(body)).expect("request");
        let mut app = self.app.clone();
        self.runtime.block_on(async move {
            let response = app.call(request).await.expect("infallible");
            let status = response.status().as_u16();
            let bytes = axum::body::to_bytes(response.into_body(), 1 << 20)
                .await
                .expect("answer");
            (status, String::from_utf8_lossy(&bytes).into_owned())
        })
    }
}

fuzz_target!(|data: &[u8]| {
    let target = TARGET.get_or_init(target);
    let Some((&selector, body)) = data.split_first() else {
        return;
    };
    let (status, text) = if selector % 2 == 0 {
        target.call("POST", "/v1/notices", None, body.to_vec())
    } else {
        target.call("PATCH", &target.notice, Some(1), body.to_vec())
    };
    // Every answer is JSON: a notice, or an error that says why.
    assert!(
        serde_json::from_str::<serde_json::Value>(&text).is_ok(),
        "{status}: {text}"
    );
    assert!(status < 500 || status == 503, "{status}: {text}");
});
