//! Every default of the configuration, in one place: the file shapes
//! ([`super::file`]) and the settings' `Default`s read them from here, and
//! `docs/configuration.md` lists them.

use std::time::Duration;

/// Where the server listens when neither `--listen` nor `[server] listen` says.
pub const LISTEN: &str = "127.0.0.1:8080";
/// Open connections per remote address: generous, since a station's Wi-Fi puts
/// hundreds of phones behind one public address.
pub const MAX_CONNECTIONS_PER_IP: usize = 1024;
/// How long a client has to send its request headers.
pub const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(10);
/// How long a client has to send a request body, once its headers are in.
pub const BODY_READ_TIMEOUT: Duration = Duration::from_secs(10);
/// Who may read `/metrics` without a token: loopback peers only.
pub const METRICS_TOKEN: Option<&str> = None;

/// Departures in a REST board when the request names no `limit`.
pub const BOARD_LIMIT: usize = 12;
/// Departures in the published board, and the largest `limit`.
pub const BOARD_MAX_LIMIT: usize = 30;
pub const BOARD_HORIZON: Duration = Duration::from_secs(3 * 3600);
pub const BOARD_ON_TIME: Duration = Duration::from_secs(60);
pub const BOARD_DEPARTED_KEEP: Duration = Duration::from_secs(60);
pub const BOARD_REALTIME_LOOKBACK: Duration = Duration::from_secs(2 * 3600);

/// Messages waiting for one stream connection before it is dropped as too slow.
pub const STREAM_QUEUE: usize = 256;
pub const STREAM_REPLAY_DELTAS: usize = 512;
pub const STREAM_REPLAY_AGE: Duration = Duration::from_secs(15 * 60);
pub const STREAM_MAX_MESSAGES_PER_S: u32 = 20;
pub const STREAM_HEARTBEAT: Duration = Duration::from_secs(15);
pub const STREAM_WRITE_TIMEOUT: Duration = Duration::from_secs(10);

/// Notice writes one operator may make per minute.
pub const NOTICE_WRITES_PER_MINUTE: usize = 60;
/// Wrong operator tokens one address may send per minute before its tokens are
/// no longer looked up until the minute passes.
pub const AUTH_FAILURES_PER_MINUTE: usize = 10;

pub const FEED_TIMEOUT: Duration = Duration::from_secs(60);
pub const FEED_MAX_MB: u64 = 512;

pub const REALTIME_POLL: Duration = Duration::from_secs(30);
pub const REALTIME_TIMEOUT: Duration = Duration::from_secs(10);
pub const REALTIME_MAX_MB: u64 = 16;
/// A SIRI EstimatedTimetable is XML, several times the size of the same
/// GTFS-Realtime: a region's trains are tens of megabytes.
pub const SIRI_MAX_MB: u64 = 64;
/// Entities one GTFS-Realtime message may hold (a large real feed: ~10,000).
pub const REALTIME_MAX_ENTITIES: usize = 20_000;
/// Minutes late beyond which a predicted time is a producer's error.
pub const REALTIME_MAX_LATE_MIN: u32 = 180;
/// Minutes early beyond which a predicted time is a producer's error.
pub const REALTIME_MAX_EARLY_MIN: u32 = 60;
/// Below this share of trip updates attached to a running trip, a feed is
/// degraded.
pub const REALTIME_MIN_ATTACHED_PERCENT: u32 = 50;
pub const REALTIME_STALE_AFTER: Duration = Duration::from_secs(90);
pub const ALERTS_STALE_AFTER: Duration = Duration::from_secs(600);
pub const MAX_BACKOFF: Duration = Duration::from_secs(300);

pub const WEATHER_POLL: Duration = Duration::from_secs(300);
pub const WEATHER_TIMEOUT: Duration = Duration::from_secs(10);
pub const WEATHER_MAX_MB: u64 = 4;

/// Where operators, notices and the audit log are kept without `--data-dir` or
/// `[store] data_dir` (relative to the working directory).
pub const DATA_DIR: &str = "quai-data";

/// A parking sensor silent this long (seconds) is `unknown`: the two sensor
/// families Quai decodes send a heartbeat at least once a day.
pub const FACILITY_STALE_AFTER_S: u64 = 25 * 3600;
/// A polled facility count is shown for this long after it was measured.
pub const FACILITY_SOURCE_STALE_AFTER: Duration = Duration::from_secs(30 * 60);
pub const FACILITY_SOURCE_POLL: Duration = Duration::from_secs(60);
