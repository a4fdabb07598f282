//! Where things are fetched from, written once: every URL of the configuration
//! goes through these rules, so that they cannot disagree from one section to
//! the next.

use std::path::{Path, PathBuf};

/// The scheme of the GTFS source embedded in the binary (the Caudry demo network).
pub const BUILTIN_DEMO_GTFS: &str = "builtin:caudry-demo";

/// An `http://` or `https://` URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpUrl(String);

impl HttpUrl {
    pub fn parse(value: &str) -> Result<HttpUrl, String> {
        if value.starts_with("http://") || value.starts_with("https://") {
            Ok(HttpUrl(value.to_string()))
        } else {
            Err(format!("`{value}` is not an http(s) URL"))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for HttpUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// An upstream that is polled: an http(s) URL, or a path on this very server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EndpointUrl {
    Http(HttpUrl),
    /// `self:/path`: a path on this server (the demo simulators), resolved once
    /// the listening address is known.
    SelfPath(String),
}

impl EndpointUrl {
    pub fn parse(value: &str) -> Result<EndpointUrl, String> {
        match value.strip_prefix("self:") {
            Some(path) if path.starts_with('/') => Ok(EndpointUrl::SelfPath(path.to_string())),
            Some(_) => Err(format!("`{value}`: write self:/path")),
            None => HttpUrl::parse(value)
                .map(EndpointUrl::Http)
                .map_err(|_| format!("`{value}` is not an http(s) URL")),
        }
    }
}

/// Which redirects of an upstream are followed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Redirects {
    /// None: a redirect is a failed fetch.
    None,
    /// Only within the configured URL's origin (scheme, host and port).
    SameOrigin,
    /// To any origin (for downloads that carry no credentials), but never to a
    /// non-public address the configuration does not name.
    Any,
}

impl Redirects {
    pub fn parse(value: &str) -> Result<Redirects, String> {
        match value {
            "none" => Ok(Redirects::None),
            "same-origin" => Ok(Redirects::SameOrigin),
            "any" => Ok(Redirects::Any),
            other => Err(format!("`{other}`: write none, same-origin or any")),
        }
    }

    /// Refuses `any` for a source that sends credentials (configured headers
    /// or query values): a redirect would carry them to another host.
    pub fn allows_secrets(self, has_secrets: bool) -> Result<Redirects, String> {
        if self == Redirects::Any && has_secrets {
            return Err(
                "\"any\" would send the configured headers and query to another origin: use same-origin or none"
                    .into(),
            );
        }
        Ok(self)
    }
}

/// Where a feed's static GTFS comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GtfsSource {
    /// A zip file or a folder of `.txt` files.
    Path(PathBuf),
    /// A zip archive over HTTP(S).
    Url(HttpUrl),
    /// The demo network compiled into the binary.
    BuiltinDemo,
}

impl GtfsSource {
    /// Relative paths are resolved against `base`, the configuration's folder.
    pub fn parse(value: &str, base: &Path) -> Result<GtfsSource, String> {
        if value == BUILTIN_DEMO_GTFS {
            Ok(GtfsSource::BuiltinDemo)
        } else if let Ok(url) = HttpUrl::parse(value) {
            Ok(GtfsSource::Url(url))
        } else if value.contains("://") || value.starts_with("builtin:") {
            Err(format!(
                "`{value}`: use a file path, a folder, an http(s) URL or `{BUILTIN_DEMO_GTFS}`"
            ))
        } else if value.trim().is_empty() {
            Err("must not be empty".into())
        } else {
            Ok(GtfsSource::Path(base.join(value)))
        }
    }

    /// Where the feed is read from, for messages.
    pub fn location(&self) -> String {
        match self {
            GtfsSource::Path(p) => p.display().to_string(),
            GtfsSource::Url(u) => u.to_string(),
            GtfsSource::BuiltinDemo => BUILTIN_DEMO_GTFS.to_string(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_rule_for_every_polled_url() {
        assert!(matches!(
            EndpointUrl::parse("https://x.example/rt"),
            Ok(EndpointUrl::Http(_))
        ));
        assert_eq!(
            EndpointUrl::parse("self:/demo/cap/heatwave"),
            Ok(EndpointUrl::SelfPath("/demo/cap/heatwave".into()))
        );
        assert!(EndpointUrl::parse("self:demo").is_err());
        assert_eq!(
            EndpointUrl::parse("ftp://x").unwrap_err(),
            "`ftp://x` is not an http(s) URL"
        );
    }
}
