//! The accept loop: HTTP/1.1 connections (with WebSocket upgrades) served by
//! hyper, with the limits a server facing the public Internet needs and that
//! `axum::serve` does not offer.
//!
//! - **Connections per address** (`[server] max_connections_per_ip`): a station's
//!   Wi-Fi puts many phones behind one address, so the cap is generous, but one
//!   host cannot take every socket. Beyond it the connection gets a plain `503`
//!   with `Retry-After` and is closed; nothing else is read from it.
//! - **Header read timeout** (`[server] header_read_timeout_s`): a client that
//!   trickles its request headers (slowloris) is cut off once the timeout passes
//!   without a complete header block; it holds no handler meanwhile.
//!
//! Shutdown is explicit: when `stop` fires, the loop stops accepting, every
//! connection is asked to finish its request in flight and close (stream
//! connections close themselves on the same signal), and `serve` returns once
//! all are gone.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto::Builder;
use hyper_util::service::TowerToHyperService;
use tokio::io::AsyncWriteExt as _;
use tokio::net::{TcpListener, TcpStream};
use tokio_util::sync::CancellationToken;

use crate::metrics::Metrics;
use crate::server::AppState;

/// The limits applied to each connection.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub max_connections_per_ip: usize,
    pub header_read_timeout: Duration,
}

/// Open connections per remote address.
#[derive(Debug, Default, Clone)]
struct PerAddress(Arc<Mutex<HashMap<IpAddr, usize>>>);

/// One connection counted against its address; uncounted when dropped.
struct Counted {
    table: PerAddress,
    ip: IpAddr,
}

impl PerAddress {
    fn admit(&self, ip: IpAddr, max: usize) -> Option<Counted> {
        let mut table = self.0.lock().unwrap_or_else(|e| e.into_inner());
        let open = table.entry(ip).or_insert(0);
        if *open >= max {
            return None;
        }
        *open += 1;
        Some(Counted {
            table: self.clone(),
            ip,
        })
    }
}

impl Drop for Counted {
    fn drop(&mut self) {
        let mut table = self.table.0.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(open) = table.get_mut(&self.ip) {
            *open -= 1;
            if *open == 0 {
                table.remove(&self.ip);
            }
        }
    }
}

/// Serves `app` on `listener` until `stop` is cancelled, then waits for the open
/// connections to close.
pub async fn serve(
    listener: TcpListener,
    app: Router,
    limits: Limits,
    state: Arc<AppState>,
    stop: CancellationToken,
) -> std::io::Result<()> {
    let per_address = PerAddress::default();
    // Every connection task holds a receiver; `closed()` completes when the last
    // one is dropped.
    let (open_tx, _) = tokio::sync::watch::channel(());
    let mut builder = Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_read_timeout);
    let builder = Arc::new(builder);
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
        let Some(counted) = per_address.admit(remote.ip(), limits.max_connections_per_ip) else {
            Metrics::count(&state.metrics.connections_refused);
            tracing::debug!(%remote, "too many connections from this address: refused");
            tokio::spawn(refuse(stream, limits.max_connections_per_ip));
            continue;
        };
        let service = TowerToHyperService::new(app.clone());
        let (builder, stop, open) = (builder.clone(), stop.clone(), open_tx.subscribe());
        tokio::spawn(async move {
            let conn = builder.serve_connection_with_upgrades(TokioIo::new(stream), service);
            let mut conn = std::pin::pin!(conn);
            tokio::select! {
                result = conn.as_mut() => finished(remote, result),
                () = stop.cancelled() => {
                    conn.as_mut().graceful_shutdown();
                    finished(remote, conn.await);
                }
            }
            drop((counted, open));
        });
    }
    drop(listener);
    open_tx.closed().await;
    Ok(())
}

fn finished(remote: SocketAddr, result: Result<(), Box<dyn std::error::Error + Send + Sync>>) {
    if let Err(e) = result {
        tracing::debug!(%remote, "connection ended: {e}");
    }
}

/// Answers a connection over the per-address cap with a `503` and closes it.
async fn refuse(mut stream: TcpStream, max: usize) {
    let body = format!(
        "{{\"error\":{{\"code\":\"too_many_connections\",\"message\":\"at most {max} connections from one address\"}}}}"
    );
    let response = format!(
        "HTTP/1.1 503 Service Unavailable\r\ncontent-type: application/json\r\nretry-after: 10\r\nconnection: close\r\ncontent-length: {}\r\n\r\n{body}",
        body.len()
    );
    let write = async {
        stream.write_all(response.as_bytes()).await?;
        stream.shutdown().await
    };
    let _ = tokio::time::timeout(Duration::from_secs(5), write).await;
}
