//! Reading a request body without letting the client decide what it costs.
//!
//! A body is read only after the request is authorised (a handler calls
//! [`read`] once it knows who is asking), and:
//! - its declared length over the limit is refused without being kept
//!   (`413 body_too_large`, JSON like every error); up to [`DRAIN_MAX`] of it is
//!   read and thrown away first, within the deadline, so that the client, still
//!   sending, reads the answer instead of a connection reset;
//! - the whole body must arrive within `[server] body_read_timeout_s` (10 s): a
//!   client that sends headers and then nothing, or trickles, holds its
//!   connection that long at most (`408 body_timeout`);
//! - it is copied into one buffer sized for it as it comes, each piece dropped
//!   at once: a body trickled one byte per TCP segment would otherwise keep
//!   every segment's read buffer (about 4 KiB each) alive until the end;
//! - it may come in at most [`pieces_allowed`] pieces; a body cut into more is
//!   refused as fragmented (`400 body_fragmented`).

use std::time::Duration;

use axum::body::Body;
use axum::http::{HeaderMap, StatusCode, header};
use futures_util::StreamExt as _;
use tokio::time::Instant;

use super::ApiError;

/// The most of a refused body read (and dropped) so that its sender gets the
/// 413: beyond it the connection is closed under the sender's feet.
pub const DRAIN_MAX: u64 = 4 * 1024 * 1024;

/// The pieces a body of `len` bytes may arrive in: a real client sends a few
/// segments of a kilobyte or more; a trickle sends thousands of tiny ones.
pub fn pieces_allowed(len: usize) -> usize {
    32 + len / 256
}

/// Reads `body` (at most `max` bytes) within `timeout`.
pub async fn read(
    body: Body,
    headers: &HeaderMap,
    max: usize,
    timeout: Duration,
) -> Result<Vec<u8>, ApiError> {
    let too_large = || {
        ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "body_too_large",
            format!("bodies are limited to {max} bytes"),
        )
    };
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    let deadline = Instant::now() + timeout;
    let mut stream = body.into_data_stream();
    if declared.is_some_and(|n| n > max as u64) {
        drain(&mut stream, 0, deadline).await;
        return Err(too_large());
    }
    let mut buffer = Vec::with_capacity(declared.map_or(4096, |n| n as usize).min(max));
    let mut pieces = 0usize;
    loop {
        let data = match tokio::time::timeout_at(deadline, stream.next()).await {
            Err(_) => {
                return Err(ApiError::new(
                    StatusCode::REQUEST_TIMEOUT,
                    "body_timeout",
                    format!("the body did not arrive within {} s", timeout.as_secs_f64()),
                ));
            }
            Ok(None) => break,
            Ok(Some(Err(e))) => {
                return Err(ApiError::new(
                    StatusCode::BAD_REQUEST,
                    "body_unreadable",
                    format!("the body could not be read: {e}"),
                ));
            }
            Ok(Some(Ok(data))) => data,
        };
        pieces += 1;
        if buffer.len() + data.len() > max {
            let read = (buffer.len() + data.len()) as u64;
            drop(buffer);
            drain(&mut stream, read, deadline).await;
            return Err(too_large());
        }
        buffer.extend_from_slice(&data);
        drop(data);
        if pieces > pieces_allowed(buffer.len()) {
            return Err(ApiError::new(
                StatusCode::BAD_REQUEST,
                "body_fragmented",
                "the body came in too many tiny pieces; send it in one go",
            ));
        }
    }
    Ok(buffer)
}

/// Reads and drops what is left of a refused body, until it ends, the deadline
/// passes or [`DRAIN_MAX`] bytes have come in all (`read` already).
async fn drain(stream: &mut axum::body::BodyDataStream, mut read: u64, deadline: Instant) {
    while read < DRAIN_MAX {
        match tokio::time::timeout_at(deadline, stream.next()).await {
            Ok(Some(Ok(data))) => read += data.len() as u64,
            _ => return,
        }
    }
}
