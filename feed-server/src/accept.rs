//! The accept loop: HTTP/1.1 connections (with WebSocket upgrades) served by
//! hyper, with the limits a server facing the public Internet needs and that
//! `axum::serve` does not offer.
//!
//! - **File descriptors**: at start the soft limit of open files is raised to
//!   the hard limit where the system allows it, and the caps below are derived
//!   from it, so that connections can never take the descriptors that upstream
//!   polls, the notice store and logs need ([`Limits::derive`]).
//! - **Connections in all** (`[server] max_connections`, default three quarters
//!   of the descriptor limit) and **per address** (`max_connections_per_ip`,
//!   default 1,024 and at most half of the total; a configured number is kept
//!   up to the total, for a reverse proxy): a station's Wi-Fi puts many phones
//!   behind one address, so the cap is generous, but by default one host cannot
//!   take every socket. Beyond either the connection gets a `503` with `Retry-After`
//!   and is closed (at most [`MAX_REFUSING`] answers at once; past that it is
//!   closed at once). A WebSocket counts for as long as it is open, not only
//!   during its handshake: the [`Hold`] of its connection travels with the
//!   request into the stream's task.
//! - **Header read timeout** (`[server] header_read_timeout_s`): a client that
//!   sends nothing, or trickles its request headers (slowloris), is cut off once
//!   the timeout passes without a complete header block. The same timer closes a
//!   keep-alive connection left idle that long.
//!
//! Shutdown is explicit: when `stop` fires, the loop stops accepting, every
//! connection is asked to finish its request in flight and close (stream
//! connections close themselves on the same signal, with a 1001), and `serve`
//! returns once all are gone, or after [`GRACE`] if some client does not let go.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::{TcpListener, TcpStream};
use tokio_util::sync::CancellationToken;
use tower_service::Service as _;

use crate::config::ServerSettings;
use crate::config::defaults::MAX_CONNECTIONS_PER_IP;
use crate::metrics::Metrics;

/// How long connections get to finish once the server stops.
pub const GRACE: Duration = Duration::from_secs(10);

/// Refused connections answered at once; more are closed without an answer.
pub const MAX_REFUSING: usize = 64;

/// Descriptors kept for everything but client connections (upstream polls, the
/// notice store, logs, the listener).
const RESERVED_DESCRIPTORS: u64 = 64;

/// The limits applied to each connection.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub max_connections_per_ip: usize,
    pub max_connections: usize,
    pub header_read_timeout: Duration,
}

impl Limits {
    /// Raises the open-files soft limit to the hard limit (where allowed) and
    /// derives the caps from it: connections in all at most three quarters of
    /// the descriptors (less a reserve), one address at most half of that.
    pub fn derive(settings: &ServerSettings) -> Limits {
        let descriptors = raise_open_files();
        let (max_connections, max_connections_per_ip) = caps(descriptors, settings);
        tracing::info!(
            open_files = descriptors,
            max_connections,
            max_connections_per_ip,
            "connection limits"
        );
        Limits {
            max_connections_per_ip,
            max_connections,
            header_read_timeout: settings.header_read_timeout,
        }
    }
}

/// (connections in all, per address) for a descriptor limit: in all, three
/// quarters of the descriptors less the reserve (or the configured number if it
/// is lower); per address, the configured number up to that, else 1,024 and at
/// most half of it, so that one host cannot take every socket by default.
fn caps(descriptors: Option<u64>, settings: &ServerSettings) -> (usize, usize) {
    let derived = descriptors
        .map(|n| (n.saturating_sub(RESERVED_DESCRIPTORS) * 3 / 4).max(16) as usize)
        .unwrap_or(usize::MAX);
    let max_connections = settings.max_connections.unwrap_or(derived).min(derived);
    let per_ip = match settings.max_connections_per_ip {
        Some(n) => n.min(max_connections),
        None => MAX_CONNECTIONS_PER_IP.min((max_connections / 2).max(1)),
    };
    (max_connections, per_ip)
}

/// The soft limit of open files after raising it to the hard limit (None when
/// unlimited or unknown).
fn raise_open_files() -> Option<u64> {
    use rustix::process::{Resource, getrlimit, setrlimit};
    let limit = getrlimit(Resource::Nofile);
    if limit.current != limit.maximum {
        let raised = rustix::process::Rlimit {
            current: limit.maximum,
            maximum: limit.maximum,
        };
        if let Err(e) = setrlimit(Resource::Nofile, raised) {
            tracing::warn!("cannot raise the open-files limit: {e}");
        }
    }
    getrlimit(Resource::Nofile).current
}

/// Open connections per remote address, and in all.
#[derive(Debug, Default, Clone)]
struct PerAddress(Arc<Mutex<Table>>);

#[derive(Debug, Default)]
struct Table {
    by_ip: HashMap<IpAddr, usize>,
    total: usize,
}

/// The peer of a connection, in every request's extensions (for logs).
#[derive(Debug, Clone, Copy)]
pub struct Remote(pub SocketAddr);

/// One connection, counted against its address and awaited at shutdown, for as
/// long as a clone of it lives (the connection's task, and a WebSocket's task
/// after the upgrade).
#[derive(Debug, Clone)]
pub struct Hold(#[allow(dead_code)] Arc<Counted>);

#[derive(Debug)]
struct Counted {
    table: PerAddress,
    ip: IpAddr,
    /// Dropped with the last clone: `serve` waits for all of them.
    _open: tokio::sync::watch::Receiver<()>,
}

impl PerAddress {
    fn admit(
        &self,
        ip: IpAddr,
        limits: &Limits,
        open: tokio::sync::watch::Receiver<()>,
    ) -> Option<Hold> {
        let mut table = self.0.lock().unwrap_or_else(|e| e.into_inner());
        if table.total >= limits.max_connections {
            return None;
        }
        let count = table.by_ip.entry(ip).or_insert(0);
        if *count >= limits.max_connections_per_ip {
            return None;
        }
        *count += 1;
        table.total += 1;
        Some(Hold(Arc::new(Counted {
            table: self.clone(),
            ip,
            _open: open,
        })))
    }
}

impl Drop for Counted {
    fn drop(&mut self) {
        let mut table = self.table.0.lock().unwrap_or_else(|e| e.into_inner());
        table.total = table.total.saturating_sub(1);
        if let Some(count) = table.by_ip.get_mut(&self.ip) {
            *count -= 1;
            if *count == 0 {
                table.by_ip.remove(&self.ip);
            }
        }
    }
}

/// Serves `app` on `listener` until `stop` is cancelled, then waits (at most
/// [`GRACE`]) for the open connections to close. Refused connections are counted
/// in `metrics`.
pub async fn serve(
    listener: TcpListener,
    app: Router,
    limits: Limits,
    metrics: Arc<Metrics>,
    stop: CancellationToken,
) -> std::io::Result<()> {
    let per_address = PerAddress::default();
    let refusing = Arc::new(tokio::sync::Semaphore::new(MAX_REFUSING));
    let (open_tx, _) = tokio::sync::watch::channel(());
    let mut builder = http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_read_timeout);
    loop {
        let (stream, remote) = tokio::select! {
            () = stop.cancelled() => break,
            accepted = listener.accept() => match accepted {
                Ok(a) => a,
                Err(e) => {
                    // Out of file descriptors and the like: wait a little rather
                    // than spin; the connections already open keep working.
                    tracing::warn!("accept failed: {e}");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
        };
        prepare(&stream);
        let Some(hold) = per_address.admit(remote.ip(), &limits, open_tx.subscribe()) else {
            Metrics::count(&metrics.connections_refused);
            tracing::debug!(%remote, "too many connections: refused");
            // Answering takes a descriptor for up to a second: past a few dozen
            // at once, close at once rather than run out of descriptors.
            if let Ok(permit) = refusing.clone().try_acquire_owned() {
                tokio::spawn(async move {
                    refuse(stream).await;
                    drop(permit);
                });
            }
            continue;
        };
        let (builder, stop, app) = (builder.clone(), stop.clone(), app.clone());
        tokio::spawn(async move {
            let request_hold = hold.clone();
            let service =
                hyper::service::service_fn(move |mut request: hyper::Request<Incoming>| {
                    request.extensions_mut().insert(request_hold.clone());
                    request.extensions_mut().insert(Remote(remote));
                    let mut app = app.clone();
                    async move { app.call(request.map(Body::new)).await }
                });
            let conn = builder
                .serve_connection(TokioIo::new(stream), service)
                .with_upgrades();
            let mut conn = std::pin::pin!(conn);
            tokio::select! {
                result = conn.as_mut() => finished(remote, result),
                () = stop.cancelled() => {
                    conn.as_mut().graceful_shutdown();
                    match tokio::time::timeout(GRACE, conn).await {
                        Ok(result) => finished(remote, result),
                        Err(_) => tracing::debug!(%remote, "connection cut at shutdown"),
                    }
                }
            }
            drop(hold);
        });
    }
    drop(listener);
    if tokio::time::timeout(GRACE, open_tx.closed()).await.is_err() {
        tracing::warn!("some connections were still open {GRACE:?} after the stop");
    }
    Ok(())
}

/// Turns Nagle's algorithm off on an accepted socket. The stream writes small
/// messages that must leave at once: with Nagle, a delta written while the
/// previous one is unacknowledged waits for that ACK, which the client delays
/// by up to 40 ms (back-to-back deltas to 1,000 clients: p50/p99 27/86 ms with
/// it, 9/31 ms without, as measured for issue 17).
fn prepare(stream: &TcpStream) {
    if let Err(e) = stream.set_nodelay(true) {
        tracing::debug!("TCP_NODELAY: {e}");
    }
}

fn finished(remote: SocketAddr, result: Result<(), hyper::Error>) {
    if let Err(e) = result {
        tracing::debug!(%remote, "connection ended: {e}");
    }
}

/// Answers a connection over a cap with a `503` and closes it, reading what the
/// client sent meanwhile (a socket closed with unread input is reset, and the
/// reset can destroy the answer before the client reads it).
async fn refuse(mut stream: TcpStream) {
    let body = "{\"error\":{\"code\":\"too_many_connections\",\"message\":\"too many connections from this address, or in all: try again later\"}}";
    let response = format!(
        "HTTP/1.1 503 Service Unavailable\r\ncontent-type: application/json\r\nretry-after: 10\r\nconnection: close\r\ncontent-length: {}\r\n\r\n{body}",
        body.len()
    );
    let answer = async {
        stream.write_all(response.as_bytes()).await?;
        stream.shutdown().await?;
        let mut sink = [0u8; 1024];
        while stream.read(&mut sink).await? > 0 {}
        Ok::<(), std::io::Error>(())
    };
    let _ = tokio::time::timeout(Duration::from_secs(1), answer).await;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn caps_follow_the_descriptor_limit_and_the_configuration() {
        let default = ServerSettings::default();
        // 1,024 descriptors: 720 connections, 360 from one address.
        assert_eq!(caps(Some(1024), &default), (720, 360));
        // 65,536: the per-address default, 1,024.
        assert_eq!(caps(Some(65_536), &default), (49_104, 1024));
        // Configured (a reverse proxy): kept, up to the connections in all.
        let proxy = ServerSettings {
            max_connections_per_ip: Some(1_000_000),
            ..ServerSettings::default()
        };
        assert_eq!(caps(Some(20_000), &proxy), (14_952, 14_952));
        let lower = ServerSettings {
            max_connections: Some(100),
            max_connections_per_ip: Some(3),
            ..ServerSettings::default()
        };
        assert_eq!(caps(Some(20_000), &lower), (100, 3));
    }

    #[tokio::test]
    async fn accepted_sockets_send_at_once() {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        let _client = TcpStream::connect(addr).await.expect("connect");
        let (stream, _) = listener.accept().await.expect("accept");
        assert!(
            !stream.nodelay().expect("nodelay"),
            "Nagle is on by default"
        );
        prepare(&stream);
        assert!(stream.nodelay().expect("nodelay"));
    }
}
