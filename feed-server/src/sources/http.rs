//! The HTTP client every upstream fetch goes through, and what it will not do
//! for an upstream:
//! - follow a redirect out of the configured origin when the requests carry
//!   configured credentials (`redirects = "same-origin"`, the default of
//!   realtime and weather sources), or at all (`"none"`): configured headers
//!   and query values are never sent to another origin;
//! - connect to a loopback, private or link-local address that the
//!   configuration did not name itself: a redirect, an index link or a DNS
//!   answer cannot make the server reach into its own network.

use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Once};
use std::time::Duration;

use reqwest::Url;
use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use reqwest::redirect::{Attempt, Policy};

use crate::config::Redirects;

static CRYPTO: Once = Once::new();

/// Redirects followed at most.
const MAX_REDIRECTS: usize = 5;

/// A client with the given total timeout, gzip, and TLS through rustls (ring).
pub fn client(timeout: Duration) -> Result<reqwest::Client, reqwest::Error> {
    builder(timeout).build()
}

/// A client for the upstream at `configured`: redirects as `redirects` allows,
/// and no connection to a non-public address but `configured`'s own host.
pub fn upstream_client(
    timeout: Duration,
    configured: &str,
    redirects: Redirects,
) -> Result<reqwest::Client, reqwest::Error> {
    let origin = Url::parse(configured).ok();
    let host = origin
        .as_ref()
        .and_then(|u| u.host_str())
        .unwrap_or_default()
        .to_string();
    builder(timeout)
        .redirect(redirect_policy(redirects, origin))
        .dns_resolver(Arc::new(PublicOnly {
            configured_host: host,
        }))
        .build()
}

/// A client for push services: no redirects (a push service answers, it
/// does not send elsewhere).
pub fn push_client(timeout: Duration) -> Result<reqwest::Client, reqwest::Error> {
    builder(timeout).redirect(Policy::none()).build()
}

fn builder(timeout: Duration) -> reqwest::ClientBuilder {
    CRYPTO.call_once(|| {
        // Fails only if another provider was installed first, which is as good.
        let _ = rustls::crypto::ring::default_provider().install_default();
    });
    reqwest::Client::builder()
        .timeout(timeout)
        .connect_timeout(timeout.min(Duration::from_secs(10)))
        .user_agent(concat!("quai-feed-server/", env!("CARGO_PKG_VERSION")))
        .gzip(true)
}

fn redirect_policy(redirects: Redirects, configured: Option<Url>) -> Policy {
    Policy::custom(move |attempt: Attempt<'_>| {
        if attempt.previous().len() > MAX_REDIRECTS {
            return attempt.error(format!("more than {MAX_REDIRECTS} redirects"));
        }
        let to = attempt.url();
        let same_origin = configured.as_ref().map(Url::origin) == Some(to.origin());
        let refused = match redirects {
            Redirects::None => Some("redirects are not followed (redirects = \"none\")"),
            Redirects::SameOrigin if !same_origin => {
                Some("a redirect to another origin is not followed (redirects = \"same-origin\")")
            }
            _ if !same_origin && to.host_str().is_some_and(non_public_literal) => {
                Some("a redirect to a non-public address is not followed")
            }
            _ => None,
        };
        match refused {
            Some(reason) => {
                let target = format!("{}://{}", to.scheme(), to.host_str().unwrap_or("?"));
                attempt.error(format!("{reason}: {target}"))
            }
            None => attempt.follow(),
        }
    })
}

/// Whether `host` is an address (not a name) that is not public.
fn non_public_literal(host: &str) -> bool {
    host.trim_matches(['[', ']'])
        .parse::<IpAddr>()
        .is_ok_and(|ip| !is_public(ip))
}

/// Whether an address is on the public Internet: not loopback, private,
/// link-local, unique-local, shared (CGNAT), unspecified or broadcast.
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            let [a, b, ..] = v4.octets();
            !(v4.is_loopback()
                || v4.is_private()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_broadcast()
                || (a == 100 && (64..128).contains(&b)))
        }
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => is_public(IpAddr::V4(v4)),
            None => {
                !(v6.is_loopback()
                    || v6.is_unspecified()
                    || v6.is_unique_local()
                    || v6.is_unicast_link_local())
            }
        },
    }
}

/// Resolves names as the system does, but keeps only public addresses for any
/// host other than the one the configuration names.
struct PublicOnly {
    configured_host: String,
}

impl Resolve for PublicOnly {
    fn resolve(&self, name: Name) -> Resolving {
        let host = name.as_str().to_string();
        let trusted = host.eq_ignore_ascii_case(&self.configured_host);
        Box::pin(async move {
            let found: Vec<SocketAddr> =
                tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            let kept: Vec<SocketAddr> = found
                .iter()
                .copied()
                .filter(|a| trusted || is_public(a.ip()))
                .collect();
            if kept.is_empty() && !found.is_empty() {
                return Err(format!("{host} resolves only to non-public addresses").into());
            }
            Ok(Box::new(kept.into_iter()) as Addrs)
        })
    }
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

/// `text` with every secret in it replaced by `***` (the values of configured
/// headers and query parameters: API keys end up in error messages through
/// the URLs they are sent in).
pub fn redact(text: &str, secrets: &[String]) -> String {
    let mut out = text.to_string();
    for secret in secrets.iter().filter(|s| !s.is_empty()) {
        out = out.replace(secret.as_str(), "***");
        // As a URL writes it (a query string writes spaces as `+`).
        let encoded = url_encoded(secret);
        for form in [encoded.clone(), encoded.replace("%20", "+")] {
            if form != *secret {
                out = out.replace(&form, "***");
            }
        }
    }
    out
}

fn url_encoded(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_public_addresses_are_public() {
        for ip in [
            "127.0.0.1",
            "10.1.2.3",
            "192.168.0.1",
            "172.20.0.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "::1",
            "fe80::1",
            "fd00::1",
            "::ffff:10.0.0.1",
        ] {
            assert!(!is_public(ip.parse().unwrap()), "{ip}");
        }
        for ip in ["8.8.8.8", "2a00:1450:4007:80e::200e", "193.51.24.1"] {
            assert!(is_public(ip.parse().unwrap()), "{ip}");
        }
        assert!(non_public_literal("[::1]") && non_public_literal("127.0.0.1"));
        assert!(!non_public_literal("example.org"));
    }

    #[test]
    fn secrets_are_redacted_as_written_and_as_url_encoded() {
        let secrets = vec!["s3cr&t key".to_string(), "k1".to_string()];
        assert_eq!(
            redact("GET http://x/rt?token=s3cr%26t%20key&b=k1 failed", &secrets),
            "GET http://x/rt?token=***&b=*** failed"
        );
    }
}
