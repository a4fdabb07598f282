//! What every page served to a browser (the operators' console, the Wi-Fi splash
//! page) is sent with: a strict Content-Security-Policy (scripts and styles only
//! from this server's own files, no inline script or style, no frames, no
//! outside connection), `nosniff`, and no referrer. The pages' scripts and styles
//! are files of their own, served here.

use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};

/// The policy of every page.
pub const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; \
    connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; \
    frame-ancestors 'none'";

/// The passenger app's policy: the same, plus its manifest, its service
/// worker, and its search form sent to itself (without JavaScript).
pub const APP_CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; \
    connect-src 'self'; img-src 'self' data:; manifest-src 'self'; worker-src 'self'; \
    base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

fn harden(h: &mut HeaderMap) {
    harden_with(h, CSP);
}

fn harden_with(h: &mut HeaderMap, csp: &'static str) {
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(csp),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
}

/// An HTML page with the policy.
pub fn html(body: String) -> Response {
    let mut response = body.into_response();
    let h = response.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    harden(h);
    response
}

/// An HTML page with the passenger app's policy.
pub fn app_html(body: String) -> Response {
    let mut response = body.into_response();
    let h = response.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    harden_with(h, APP_CSP);
    response
}

/// A page's own script or style sheet.
pub fn file(body: &'static str, content_type: &'static str) -> Response {
    let mut response = body.into_response();
    let h = response.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=300"),
    );
    harden(h);
    response
}

/// `text` escaped for an HTML attribute value in double quotes.
pub fn attribute(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            c => out.push(c),
        }
    }
    out
}

/// `text` escaped for HTML text (between tags).
pub fn text(text: &str) -> String {
    attribute(text)
}

pub const JS: &str = "text/javascript; charset=utf-8";
pub const CSS: &str = "text/css; charset=utf-8";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_attribute_cannot_be_closed_from_inside() {
        let json = r#"{"name":"a\" onload=\"x","t":"</body><script>"}"#;
        let escaped = attribute(json);
        assert!(
            !escaped.contains('"') && !escaped.contains('<'),
            "{escaped}"
        );
        assert_eq!(
            escaped
                .replace("&quot;", "\"")
                .replace("&lt;", "<")
                .replace("&gt;", ">")
                .replace("&#39;", "'")
                .replace("&amp;", "&"),
            json
        );
    }

    #[test]
    fn the_policy_allows_no_inline_script_or_style() {
        assert!(!CSP.contains("unsafe-inline") && !CSP.contains("unsafe-eval"));
        assert!(CSP.contains("script-src 'self'") && CSP.contains("frame-ancestors 'none'"));
    }
}
