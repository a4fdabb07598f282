//! The WebSocket under the stream: the RFC 6455 handshake on the HTTP request,
//! then tokio-tungstenite on the upgraded connection, configured for what the
//! stream needs, and large messages written as fragments.
//!
//! Why not axum's `WebSocket`: it can only send whole messages, and the
//! library keeps its write buffer at the capacity of the largest frame it ever
//! wrote. A snapshot (a whole board, 10–30 KB) then stays allocated in every
//! connection for its life: half of its memory when idle (23 KiB per
//! connection with 12.8 KB boards, 13 KiB with 2.5 KB ones). Written in
//! fragments of [`FRAGMENT`] bytes, no frame is larger than that.

use axum::body::{Body, Bytes};
use axum::extract::Request;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use hyper_util::rt::TokioIo;
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::protocol::frame::Frame;
use tokio_tungstenite::tungstenite::protocol::frame::coding::{Data, OpCode};
use tokio_tungstenite::tungstenite::protocol::{Role, WebSocketConfig};
use tokio_tungstenite::tungstenite::{Message, handshake::derive_accept_key};

use super::MAX_CLIENT_FRAME;

/// The connection as the stream uses it.
pub type Socket = WebSocketStream<TokioIo<hyper::upgrade::Upgraded>>;

/// Largest frame written: a larger text goes out as several frames of one
/// message, which every WebSocket client reassembles.
pub const FRAGMENT: usize = 4096;

/// Why a request is not a WebSocket handshake.
fn refuse(status: StatusCode, message: &str) -> Response {
    (status, message.to_string()).into_response()
}

/// Answers the handshake of `request` and, once the client has the answer,
/// runs `then` on the socket. A request that is not a WebSocket handshake gets
/// a 400 (or 426 for another protocol version).
pub fn upgrade<F, Fut>(mut request: Request, then: F) -> Response
where
    F: FnOnce(Socket) -> Fut + Send + 'static,
    Fut: std::future::Future<Output = ()> + Send + 'static,
{
    let headers = request.headers();
    let has = |name: header::HeaderName, token: &str| {
        headers.get_all(name).iter().any(|v| {
            v.to_str()
                .is_ok_and(|v| v.split(',').any(|t| t.trim().eq_ignore_ascii_case(token)))
        })
    };
    if !has(header::CONNECTION, "upgrade") || !has(header::UPGRADE, "websocket") {
        return refuse(
            StatusCode::BAD_REQUEST,
            "a WebSocket handshake is expected here",
        );
    }
    if headers
        .get(header::SEC_WEBSOCKET_VERSION)
        .is_none_or(|v| v.as_bytes() != b"13")
    {
        let mut r = refuse(StatusCode::UPGRADE_REQUIRED, "WebSocket version 13 only");
        r.headers_mut().insert(
            header::SEC_WEBSOCKET_VERSION,
            HeaderValue::from_static("13"),
        );
        return r;
    }
    let Some(accept) = headers
        .get(header::SEC_WEBSOCKET_KEY)
        .map(|key| derive_accept_key(key.as_bytes()))
    else {
        return refuse(StatusCode::BAD_REQUEST, "Sec-WebSocket-Key is missing");
    };
    let Some(on_upgrade) = request
        .extensions_mut()
        .remove::<hyper::upgrade::OnUpgrade>()
    else {
        return refuse(
            StatusCode::BAD_REQUEST,
            "this connection cannot be upgraded",
        );
    };
    tokio::spawn(async move {
        let Ok(upgraded) = on_upgrade.await else {
            return;
        };
        let config = WebSocketConfig::default()
            .max_message_size(Some(MAX_CLIENT_FRAME))
            .max_frame_size(Some(MAX_CLIENT_FRAME))
            // Client messages are small: a small read buffer (the library's
            // default is 128 KiB) keeps memory per connection low, and frames
            // are written as they come.
            .read_buffer_size(4 * 1024)
            .write_buffer_size(0);
        let socket =
            WebSocketStream::from_raw_socket(TokioIo::new(upgraded), Role::Server, Some(config))
                .await;
        then(socket).await;
    });
    let mut response = Response::new(Body::empty());
    *response.status_mut() = StatusCode::SWITCHING_PROTOCOLS;
    let h: &mut HeaderMap = response.headers_mut();
    h.insert(header::CONNECTION, HeaderValue::from_static("upgrade"));
    h.insert(header::UPGRADE, HeaderValue::from_static("websocket"));
    if let Ok(v) = HeaderValue::from_str(&accept) {
        h.insert(header::SEC_WEBSOCKET_ACCEPT, v);
    }
    response
}

/// The frames of one text message: itself when it is small, else fragments
/// of at most [`FRAGMENT`] bytes (cut anywhere: a message's UTF-8 is checked
/// whole, once reassembled).
pub fn text_frames(json: Bytes) -> Vec<Message> {
    if json.len() <= FRAGMENT {
        return match tokio_tungstenite::tungstenite::Utf8Bytes::try_from(json) {
            Ok(text) => vec![Message::Text(text)],
            Err(_) => Vec::new(),
        };
    }
    let count = json.len().div_ceil(FRAGMENT);
    (0..count)
        .map(|i| {
            let chunk = json.slice(i * FRAGMENT..((i + 1) * FRAGMENT).min(json.len()));
            let op = if i == 0 { Data::Text } else { Data::Continue };
            Message::Frame(Frame::message(chunk, OpCode::Data(op), i + 1 == count))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn large_texts_go_out_in_fragments_of_one_message() {
        assert_eq!(text_frames(Bytes::from_static(b"{}")).len(), 1);
        let big = Bytes::from(vec![b'a'; FRAGMENT * 2 + 10]);
        let frames = text_frames(big);
        assert_eq!(frames.len(), 3);
        let heads: Vec<(bool, bool)> = frames
            .iter()
            .map(|m| match m {
                Message::Frame(f) => (
                    f.header().is_final,
                    f.header().opcode == OpCode::Data(Data::Text),
                ),
                _ => panic!("a frame"),
            })
            .collect();
        assert_eq!(heads, [(false, true), (false, false), (true, false)]);
    }
}
