//! A fake upstream HTTP server on 127.0.0.1 whose replies the test scripts: good
//! bodies with an ETag (answered 304 when the client sends it back), error statuses,
//! `Retry-After`, redirects, hangs, truncated bodies. It records every request it sees.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpListener;

/// What the upstream answers next (until told otherwise).
#[derive(Debug, Clone)]
pub enum Reply {
    /// 200 with this body and an ETag derived from it; 304 when the request carries
    /// that ETag in If-None-Match.
    Body(Vec<u8>),
    /// A status with an empty body and optional `Retry-After` (seconds).
    Status(u16, Option<u64>),
    /// Accept the connection and say nothing.
    Hang,
    /// Announce `declared` bytes, send `body`, close.
    Truncated { body: Vec<u8>, declared: usize },
    /// `302 Found` to this URL.
    Redirect(String),
    /// The reply, once this long has passed (a slow upstream).
    Delayed(Duration, Box<Reply>),
}

/// One request as received.
#[derive(Debug, Clone)]
pub struct Seen {
    pub at: tokio::time::Instant,
    pub method: String,
    pub path: String,
    /// The request body (a POST's), as far as `content-length` says.
    pub body: Vec<u8>,
    pub if_none_match: Option<String>,
    pub headers: Vec<(String, String)>,
}

#[derive(Clone)]
pub struct Upstream {
    pub url: String,
    reply: Arc<Mutex<Reply>>,
    /// Replies for particular paths, before the default one.
    routes: Arc<Mutex<Vec<(String, Reply)>>>,
    seen: Arc<Mutex<Vec<Seen>>>,
}

impl Upstream {
    /// Starts serving `reply` on every path.
    pub async fn start(reply: Reply) -> Upstream {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let url = format!("http://{}", listener.local_addr().expect("addr"));
        let up = Upstream {
            url,
            reply: Arc::new(Mutex::new(reply)),
            routes: Arc::new(Mutex::new(Vec::new())),
            seen: Arc::new(Mutex::new(Vec::new())),
        };
        let (reply, routes, seen) = (up.reply.clone(), up.routes.clone(), up.seen.clone());
        tokio::spawn(async move {
            while let Ok((socket, _)) = listener.accept().await {
                let (reply, routes, seen) = (reply.clone(), routes.clone(), seen.clone());
                tokio::spawn(async move {
                    let _ = answer(socket, reply, routes, seen).await;
                });
            }
        });
        up
    }

    /// The default reply, for every path without its own.
    pub fn set(&self, reply: Reply) {
        *self.reply.lock().expect("reply lock") = reply;
    }

    /// The reply for one path (e.g. `/cap/1.xml`).
    pub fn set_path(&self, path: &str, reply: Reply) {
        let mut routes = self.routes.lock().expect("routes lock");
        routes.retain(|(p, _)| p != path);
        routes.push((path.to_string(), reply));
    }

    pub fn seen(&self) -> Vec<Seen> {
        self.seen.lock().expect("seen lock").clone()
    }

    /// Waits until at least `n` requests have arrived in all.
    pub async fn wait_requests(&self, n: usize) -> Vec<Seen> {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
        loop {
            let seen = self.seen();
            if seen.len() >= n {
                return seen;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "upstream got {} requests, expected {n}",
                seen.len()
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Waits until `n` more requests than now have arrived (the server polled
    /// `n` more times).
    pub async fn polls(&self, n: usize) -> Vec<Seen> {
        let before = self.seen().len();
        self.wait_requests(before + n).await
    }
}

fn etag(body: &[u8]) -> String {
    let sum = body.iter().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
        (h ^ u64::from(*b)).wrapping_mul(0x100_0000_01b3)
    });
    format!("\"{sum:016x}\"")
}

async fn answer(
    mut socket: tokio::net::TcpStream,
    reply: Arc<Mutex<Reply>>,
    routes: Arc<Mutex<Vec<(String, Reply)>>>,
    seen: Arc<Mutex<Vec<Seen>>>,
) -> std::io::Result<()> {
    let mut head = Vec::new();
    let mut buf = [0u8; 1024];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
        let n = socket.read(&mut buf).await?;
        if n == 0 {
            return Ok(());
        }
        head.extend_from_slice(&buf[..n]);
    }
    let end = head
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .map_or(head.len(), |i| i + 4);
    let mut body = head.split_off(end);
    let text = String::from_utf8_lossy(&head).into_owned();
    let mut lines = text.split("\r\n");
    let first = lines.next().unwrap_or_default();
    let method = first.split(' ').next().unwrap_or("GET").to_string();
    let path = first.split(' ').nth(1).unwrap_or("/").to_string();
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    let if_none_match = headers
        .iter()
        .find(|(k, _)| k == "if-none-match")
        .map(|(_, v)| v.clone());
    let length: usize = headers
        .iter()
        .find(|(k, _)| k == "content-length")
        .and_then(|(_, v)| v.parse().ok())
        .unwrap_or(0)
        .min(1 << 20);
    while body.len() < length {
        let n = socket.read(&mut buf).await?;
        if n == 0 {
            break;
        }
        body.extend_from_slice(&buf[..n]);
    }
    let routed = routes
        .lock()
        .expect("routes lock")
        .iter()
        .find(|(p, _)| *p == path)
        .map(|(_, r)| r.clone());
    seen.lock().expect("seen lock").push(Seen {
        at: tokio::time::Instant::now(),
        method,
        path,
        body,
        if_none_match: if_none_match.clone(),
        headers,
    });
    let mut reply = routed.unwrap_or_else(|| reply.lock().expect("reply lock").clone());
    while let Reply::Delayed(delay, then) = reply {
        tokio::time::sleep(delay).await;
        reply = *then;
    }
    match reply {
        Reply::Body(body) => {
            let tag = etag(&body);
            if if_none_match.as_deref() == Some(tag.as_str()) {
                socket
                    .write_all(b"HTTP/1.1 304 Not Modified\r\nconnection: close\r\n\r\n")
                    .await?;
            } else {
                let head = format!(
                    "HTTP/1.1 200 OK\r\ncontent-type: application/x-protobuf\r\netag: {tag}\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
                    body.len()
                );
                socket.write_all(head.as_bytes()).await?;
                socket.write_all(&body).await?;
            }
        }
        Reply::Status(code, retry_after) => {
            let extra = retry_after
                .map(|s| format!("retry-after: {s}\r\n"))
                .unwrap_or_default();
            let head = format!(
                "HTTP/1.1 {code} Whatever\r\n{extra}content-length: 0\r\nconnection: close\r\n\r\n"
            );
            socket.write_all(head.as_bytes()).await?;
        }
        Reply::Redirect(location) => {
            let head = format!(
                "HTTP/1.1 302 Found\r\nlocation: {location}\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"
            );
            socket.write_all(head.as_bytes()).await?;
        }
        Reply::Hang => {
            tokio::time::sleep(Duration::from_secs(60)).await;
        }
        Reply::Delayed(..) => unreachable!("waited for above"),
        Reply::Truncated { body, declared } => {
            let head = format!(
                "HTTP/1.1 200 OK\r\ncontent-length: {declared}\r\nconnection: close\r\n\r\n"
            );
            socket.write_all(head.as_bytes()).await?;
            socket.write_all(&body).await?;
        }
    }
    socket.shutdown().await
}
