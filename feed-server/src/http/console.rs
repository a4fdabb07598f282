//! `GET /console`: the operators' console, one page over the notice API, with its
//! script and style sheet.

use axum::response::Response;

/// `GET /console`: the operators' console (sign in with a token, list, create with a
/// preview of the ticker line, edit, end). Everything it shows goes through
/// `textContent`; the API does the checking.
pub async fn page() -> Response {
    super::page::html(include_str!("console.html").to_string())
}

/// `GET /console.js`.
pub async fn script() -> Response {
    super::page::file(include_str!("console.js"), super::page::JS)
}

/// `GET /console.css`.
pub async fn style() -> Response {
    super::page::file(include_str!("console.css"), super::page::CSS)
}
