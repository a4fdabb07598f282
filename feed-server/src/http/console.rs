//! `GET /console`: the operators' console, one self-contained page over the notice
//! API.

use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};

/// `GET /console`: the operators' console (sign in with a token, list, create with a
/// preview of the ticker line, edit, end). Everything it shows goes through
/// `textContent`; the API does the checking.
pub async fn page() -> Response {
    let mut response = include_str!("console.html").into_response();
    let h = response.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; connect-src 'self'",
        ),
    );
    response
}
