//! The HTTP client every upstream fetch goes through.

use std::sync::Once;
use std::time::Duration;

static CRYPTO: Once = Once::new();

/// A client with the given total timeout, gzip, and TLS through rustls (ring).
pub fn client(timeout: Duration) -> Result<reqwest::Client, reqwest::Error> {
    CRYPTO.call_once(|| {
        // Fails only if another provider was installed first, which is as good.
        let _ = rustls::crypto::ring::default_provider().install_default();
    });
    reqwest::Client::builder()
        .timeout(timeout)
        .connect_timeout(timeout.min(Duration::from_secs(10)))
        .user_agent(concat!("quai-feed-server/", env!("CARGO_PKG_VERSION")))
        .gzip(true)
        .build()
}

/// Why a body could not be read.
#[derive(Debug, thiserror::Error)]
pub enum BodyError {
    #[error("larger than the {0}-byte limit")]
    TooLarge(u64),
    #[error("{0}")]
    Transport(String),
}

/// Reads a response body, refusing it as soon as it passes `max_bytes` (a declared
/// Content-Length over the limit is refused before reading anything).
pub async fn read_capped(
    response: reqwest::Response,
    max_bytes: u64,
) -> Result<Vec<u8>, BodyError> {
    use futures_util::StreamExt as _;
    if response.content_length().is_some_and(|n| n > max_bytes) {
        return Err(BodyError::TooLarge(max_bytes));
    }
    let mut body = Vec::new();
    let mut stream = response.bytes_stream();
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|e| BodyError::Transport(describe(&e)))?;
        if body.len() as u64 + chunk.len() as u64 > max_bytes {
            return Err(BodyError::TooLarge(max_bytes));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// A reqwest error with its causes, and a plain word for timeouts.
pub fn describe(e: &reqwest::Error) -> String {
    if e.is_timeout() {
        return "timed out".to_string();
    }
    let mut text = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}
