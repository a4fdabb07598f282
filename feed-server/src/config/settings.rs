//! The server-wide settings: `[server]`, `[board]`, `[stream]`, `[notices]`.

use std::net::SocketAddr;
use std::time::Duration;

use super::file::{BoardSection, ServerSection, StreamSection};
use super::{Invalid, defaults as d, units};

/// How the server listens and what each connection may cost (`[server]`).
#[derive(Debug, Clone, PartialEq)]
pub struct ServerSettings {
    pub listen: Option<SocketAddr>,
    /// Kernel send buffer of each connection, in KiB (None: the system's autotuning).
    /// A small fixed buffer bounds kernel memory per client and makes a client that
    /// stopped reading show up sooner.
    pub send_buffer_kb: Option<u32>,
    /// Open connections one remote address may hold (503 beyond). None: 1,024,
    /// and at most half of the connections in all; set, it is kept up to the
    /// connections in all (behind a reverse proxy every client has one address).
    /// See `accept::Limits`.
    pub max_connections_per_ip: Option<usize>,
    /// Open connections in all; None: derived from the descriptor limit.
    pub max_connections: Option<usize>,
    /// How long a client has to send its request headers (slowloris).
    pub header_read_timeout: Duration,
    /// How long a client has to send a request body (a silent or trickled POST).
    pub body_read_timeout: Duration,
    /// A bearer token that lets any peer read `/metrics` (else loopback only).
    pub metrics_token: Option<String>,
}

impl Default for ServerSettings {
    fn default() -> Self {
        ServerSettings {
            listen: None,
            send_buffer_kb: None,
            max_connections_per_ip: None,
            max_connections: None,
            header_read_timeout: d::HEADER_READ_TIMEOUT,
            body_read_timeout: d::BODY_READ_TIMEOUT,
            metrics_token: d::METRICS_TOKEN.map(str::to_string),
        }
    }
}

impl ServerSettings {
    pub(super) fn from_file(s: &ServerSection) -> Result<ServerSettings, Invalid> {
        let field = |key: &str| format!("server.{key}");
        let send_buffer_kb = s
            .send_buffer_kb
            .map(|kb| units::count(kb, 4, 65_536))
            .transpose()
            .map_err(|r| Invalid::new(field("send_buffer_kb"), r))?;
        let max_connections_per_ip = s
            .max_connections_per_ip
            .map(|n| units::count(n, 1, 1_000_000))
            .transpose()
            .map_err(|r| Invalid::new(field("max_connections_per_ip"), r))?;
        let max_connections = s
            .max_connections
            .map(|n| units::count(n, 16, 10_000_000))
            .transpose()
            .map_err(|r| Invalid::new(field("max_connections"), r))?;
        let seconds = |key: &str, v: Option<f64>, default: Duration| {
            v.map(|v| units::seconds(v, 0.1, 600.0))
                .transpose()
                .map_err(|r| Invalid::new(field(key), r))
                .map(|v| v.unwrap_or(default))
        };
        let metrics_token = match &s.metrics_token {
            Some(t) if t.len() < 16 || t.chars().any(|c| !c.is_ascii_graphic()) => {
                return Err(Invalid::new(
                    field("metrics_token"),
                    "at least 16 printable ASCII characters, no spaces",
                ));
            }
            t => t.clone(),
        };
        Ok(ServerSettings {
            listen: s.listen,
            send_buffer_kb,
            max_connections_per_ip,
            max_connections,
            header_read_timeout: seconds(
                "header_read_timeout_s",
                s.header_read_timeout_s,
                d::HEADER_READ_TIMEOUT,
            )?,
            body_read_timeout: seconds(
                "body_read_timeout_s",
                s.body_read_timeout_s,
                d::BODY_READ_TIMEOUT,
            )?,
            metrics_token,
        })
    }
}

/// Board defaults for every station (`[board]`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BoardSettings {
    /// Departures returned when a request names no `limit`.
    pub limit: usize,
    /// Departures in the published board (what the stream carries); the largest `limit`.
    pub max_limit: usize,
    /// How far ahead a board looks.
    pub horizon: Duration,
    /// A departure within this of its schedule is on time.
    pub on_time: Duration,
    /// How long a departure stays on the board, marked departed, once it has left.
    pub departed_keep: Duration,
    /// How far back to look for late departures that are still to come.
    pub realtime_lookback: Duration,
}

impl Default for BoardSettings {
    fn default() -> Self {
        BoardSettings {
            limit: d::BOARD_LIMIT,
            max_limit: d::BOARD_MAX_LIMIT,
            horizon: d::BOARD_HORIZON,
            on_time: d::BOARD_ON_TIME,
            departed_keep: d::BOARD_DEPARTED_KEEP,
            realtime_lookback: d::BOARD_REALTIME_LOOKBACK,
        }
    }
}

impl BoardSettings {
    pub(super) fn from_file(b: &BoardSection) -> Result<BoardSettings, Invalid> {
        if b.limit == 0 || b.limit > b.max_limit {
            return Err(Invalid::new(
                "board.limit",
                format!("must be between 1 and board.max_limit ({})", b.max_limit),
            ));
        }
        if b.max_limit > 500 {
            return Err(Invalid::new("board.max_limit", "must be at most 500"));
        }
        Ok(BoardSettings {
            limit: b.limit,
            max_limit: b.max_limit,
            horizon: units::minutes(b.horizon_min, 1, 48 * 60)
                .map_err(|r| Invalid::new("board.horizon_min", r))?,
            on_time: Duration::from_secs(u64::from(b.on_time_s)),
            departed_keep: Duration::from_secs(u64::from(b.departed_keep_s)),
            realtime_lookback: units::minutes(b.realtime_lookback_min, 0, 24 * 60)
                .map_err(|r| Invalid::new("board.realtime_lookback_min", r))?,
        })
    }
}

/// The live stream's limits (`[stream]`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct StreamSettings {
    /// Messages waiting for one connection before it is dropped as too slow.
    pub queue: usize,
    /// Deltas kept per station for resuming with `since`...
    pub replay_deltas: usize,
    /// ...and for how long.
    pub replay_age: Duration,
    /// Client messages allowed per second and connection.
    pub max_messages_per_s: u32,
    /// Heartbeat and WebSocket ping interval.
    pub heartbeat: Duration,
    /// Longest a write to one client may take before it is dropped.
    pub write_timeout: Duration,
}

impl Default for StreamSettings {
    fn default() -> Self {
        StreamSettings {
            queue: d::STREAM_QUEUE,
            replay_deltas: d::STREAM_REPLAY_DELTAS,
            replay_age: d::STREAM_REPLAY_AGE,
            max_messages_per_s: d::STREAM_MAX_MESSAGES_PER_S,
            heartbeat: d::STREAM_HEARTBEAT,
            write_timeout: d::STREAM_WRITE_TIMEOUT,
        }
    }
}

impl StreamSettings {
    pub(super) fn from_file(s: &StreamSection) -> Result<StreamSettings, Invalid> {
        let field = |key: &str| format!("stream.{key}");
        let seconds = |key: &str, v: f64| {
            units::seconds(v, 0.05, 3600.0).map_err(|r| Invalid::new(field(key), r))
        };
        Ok(StreamSettings {
            queue: units::count(s.queue, 2, 65_536).map_err(|r| Invalid::new(field("queue"), r))?,
            replay_deltas: s.replay_deltas,
            replay_age: Duration::from_secs(s.replay_minutes.saturating_mul(60)),
            max_messages_per_s: units::count(s.max_messages_per_s, 1, u32::MAX)
                .map_err(|_| Invalid::new(field("max_messages_per_s"), "must be positive"))?,
            heartbeat: seconds("heartbeat_s", s.heartbeat_s)?,
            write_timeout: seconds("write_timeout_s", s.write_timeout_s)?,
        })
    }
}
