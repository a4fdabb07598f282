//! The WebSocket under the stream: the RFC 6455 handshake on the HTTP request,
//! then the upgraded TCP socket driven without waiting, with tungstenite's
//! protocol state for what clients send and an outbox of ready-made frames for
//! what the server sends.
//!
//! Why not a WebSocket library's stream type (axum's, or tokio-tungstenite's):
//! each copies every message into a write buffer of its own per connection,
//! and keeps that buffer at the size of the largest frame it ever wrote (a
//! snapshot, 10–30 KB), so a delta sent to 10,000 clients was copied 10,000
//! times and an idle connection held 14–23 KiB. Here a delta is framed once
//! ([`text_frame`]) and every connection queues the same reference-counted
//! bytes; a connection writes all it has queued in one vectored system call
//! (`writev`), and holds no buffer while idle. The protocol's own state machine
//! ([`WebSocketContext`]: reassembly of fragments, pings and pongs, the closing
//! handshake, the size limits) stays tungstenite's.

use std::collections::VecDeque;
use std::io::{self, IoSlice, Read, Write};
use std::time::Instant;

use axum::body::{Body, Bytes};
use axum::extract::Request;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use hyper_util::rt::TokioIo;
use tokio::io::{Interest, Ready};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::protocol::frame::FrameHeader;
use tokio_tungstenite::tungstenite::protocol::frame::coding::{Data, OpCode};
use tokio_tungstenite::tungstenite::protocol::{
    CloseFrame, Role, WebSocketConfig, WebSocketContext,
};
use tokio_tungstenite::tungstenite::{self, Message, handshake::derive_accept_key};

use super::MAX_CLIENT_FRAME;

/// Most frames handed to one `writev` (a burst of deltas goes out together).
const WRITE_BATCH: usize = 64;

/// What is read from the socket at once: client messages are small (a
/// subscribe is ~50 bytes); a larger one is read in several steps.
const READ_BUFFER: usize = 256;

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
        // The accept loop serves every connection on a `TcpStream`: take it
        // back, with any bytes the client sent after its handshake.
        let Ok(parts) = upgraded.downcast::<TokioIo<TcpStream>>() else {
            tracing::warn!("a WebSocket upgrade on a connection that is not TCP: closed");
            return;
        };
        // Copied out: the bytes are a view of hyper's 8 KiB read buffer, which
        // they would keep alive for the connection's life.
        let early = parts.read_buf.to_vec();
        let tcp = parts.io.into_inner();
        drop(parts.read_buf);
        then(Socket::from_tcp(tcp, early)).await;
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

/// One text message as a WebSocket frame from the server (unmasked, final),
/// ready to be written to any number of connections.
pub fn text_frame(payload: &[u8]) -> Bytes {
    let header = FrameHeader {
        opcode: OpCode::Data(Data::Text),
        ..FrameHeader::default()
    };
    let length = payload.len() as u64;
    let mut frame = Vec::with_capacity(header.len(length) + payload.len());
    // Formatting into a Vec cannot fail.
    let _ = header.format(length, &mut frame);
    frame.extend_from_slice(payload);
    frame.into()
}

/// An upgraded stream connection.
#[derive(Debug)]
pub struct Socket {
    tcp: TcpStream,
    /// What the client sent so far, and the protocol's state (tungstenite).
    protocol: WebSocketContext,
    outbox: Outbox,
}

/// Frames waiting for the socket, in order: shared ones (a delta framed once
/// for every connection) and this connection's own (replies, pings, pongs,
/// the close).
#[derive(Debug, Default)]
struct Outbox {
    frames: VecDeque<Bytes>,
    /// When a write last found the socket full with frames still waiting.
    stalled_since: Option<Instant>,
}

/// The protocol's view of the connection: reads take what the socket has
/// without waiting; writes (pongs, closes) go to the outbox.
struct Wire<'a> {
    tcp: &'a TcpStream,
    frames: &'a mut VecDeque<Bytes>,
}

impl Read for Wire<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.tcp.try_read(buf)
    }
}

impl Write for Wire<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.frames.push_back(Bytes::copy_from_slice(buf));
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl Socket {
    /// The stream's WebSocket on an upgraded connection; `early`: what the
    /// client sent after its handshake, already read.
    pub fn from_tcp(tcp: TcpStream, early: Vec<u8>) -> Socket {
        let config = WebSocketConfig::default()
            .max_message_size(Some(MAX_CLIENT_FRAME))
            .max_frame_size(Some(MAX_CLIENT_FRAME))
            .read_buffer_size(READ_BUFFER)
            .write_buffer_size(0);
        Socket {
            tcp,
            protocol: WebSocketContext::from_partially_read(early, Role::Server, Some(config)),
            outbox: Outbox::default(),
        }
    }

    /// Waits until the client has sent something (or gone), or, with
    /// `to_write`, until the socket takes more bytes.
    pub async fn ready(&self, to_write: bool) -> io::Result<Ready> {
        let interest = if to_write {
            Interest::READABLE | Interest::WRITABLE
        } else {
            Interest::READABLE
        };
        self.tcp.ready(interest).await
    }

    /// The next complete client message, or `None` when none has fully
    /// arrived yet. Pings are answered and a client's close is echoed (into
    /// the outbox) on the way.
    pub fn read(&mut self) -> tungstenite::Result<Option<Message>> {
        match self.with_protocol(|protocol, wire| protocol.read(wire)) {
            Ok(message) => Ok(Some(message)),
            Err(tungstenite::Error::Io(e)) if e.kind() == io::ErrorKind::WouldBlock => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Queues a frame made by [`text_frame`].
    pub fn queue_frame(&mut self, frame: Bytes) {
        self.outbox.frames.push_back(frame);
    }

    /// Queues a WebSocket ping.
    pub fn queue_ping(&mut self) -> tungstenite::Result<()> {
        self.with_protocol(|protocol, wire| {
            protocol.write(wire, Message::Ping(Bytes::new()))?;
            protocol.flush(wire)
        })
    }

    /// Queues the closing frame with `code` and `reason`.
    pub fn queue_close(&mut self, code: u16, reason: &'static str) -> tungstenite::Result<()> {
        let frame = CloseFrame {
            code: code.into(),
            reason: reason.into(),
        };
        self.with_protocol(|protocol, wire| {
            protocol.close(wire, Some(frame))?;
            protocol.flush(wire)
        })
    }

    fn with_protocol<T>(&mut self, f: impl FnOnce(&mut WebSocketContext, &mut Wire<'_>) -> T) -> T {
        let mut wire = Wire {
            tcp: &self.tcp,
            frames: &mut self.outbox.frames,
        };
        f(&mut self.protocol, &mut wire)
    }

    /// Whether frames are waiting for the socket.
    pub fn unsent(&self) -> bool {
        !self.outbox.frames.is_empty()
    }

    /// Since when the socket has been too full to take the waiting frames.
    pub fn stalled_since(&self) -> Option<Instant> {
        self.outbox.stalled_since
    }

    /// Writes as much of the outbox as the socket takes now, in vectored
    /// writes of up to [`WRITE_BATCH`] frames. `Err` when the peer is gone.
    pub fn flush(&mut self) -> io::Result<()> {
        let outbox = &mut self.outbox;
        while !outbox.frames.is_empty() {
            let mut slices = [IoSlice::new(&[]); WRITE_BATCH];
            let mut count = 0;
            for (slot, frame) in slices.iter_mut().zip(outbox.frames.iter()) {
                *slot = IoSlice::new(frame);
                count += 1;
            }
            match self.tcp.try_write_vectored(&slices[..count]) {
                Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
                Ok(mut written) => {
                    while written > 0 {
                        let Some(front) = outbox.frames.front_mut() else {
                            break;
                        };
                        if written >= front.len() {
                            written -= front.len();
                            outbox.frames.pop_front();
                        } else {
                            *front = front.slice(written..);
                            written = 0;
                        }
                    }
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    outbox.stalled_since.get_or_insert_with(Instant::now);
                    return Ok(());
                }
                Err(e) => return Err(e),
            }
        }
        outbox.stalled_since = None;
        // An idle connection keeps no queue (a burst may have grown it).
        outbox.frames = VecDeque::new();
        Ok(())
    }

    /// Writes the whole outbox, waiting for the socket as needed.
    pub async fn flush_all(&mut self) -> io::Result<()> {
        loop {
            self.flush()?;
            if !self.unsent() {
                return Ok(());
            }
            self.ready(true).await?;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Cursor;

    #[test]
    fn a_text_frame_is_the_header_then_the_payload() {
        let small = text_frame(b"{}");
        assert_eq!(&small[..], b"\x81\x02{}");
        // 16-bit length from 126 bytes on, 64-bit from 65,536.
        for (size, header) in [(125, 2), (126, 4), (65_535, 4), (65_536, 10)] {
            let payload = vec![b'a'; size];
            let frame = text_frame(&payload);
            assert_eq!(frame.len(), header + size, "{size}");
            let (parsed, length) = FrameHeader::parse(&mut Cursor::new(&frame[..]))
                .expect("parses")
                .expect("complete");
            assert_eq!(length, size as u64);
            assert!(parsed.is_final);
            assert_eq!(parsed.opcode, OpCode::Data(Data::Text));
            assert_eq!(parsed.mask, None);
            assert_eq!(&frame[header..], &payload[..]);
        }
    }
}
