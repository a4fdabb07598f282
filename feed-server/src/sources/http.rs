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
