//! The one support crate of Quai's tests, used by the end-to-end suites here, by
//! feed-server's and display-client's integration tests, and by `quai-load`:
//!
//! - [`server`]: a feed server started in-process on 127.0.0.1;
//! - [`binary`]: the real `feed-server` binary, run or started, and the files its
//!   tests make (demo copies, zips, configurations, a notice store);
//! - [`http`]: the crate's own HTTP client and [`http::Api`], a server's REST API
//!   with typed answers (`Board`, `Health`, `ErrorDetail`, `OperatorNotice`);
//! - [`board`]: reading a typed board (by id, local times, time order);
//! - [`gtfs_rt`]: GTFS-Realtime messages built by parts;
//! - [`changes`]: seeded random realtime changes of the demo timetable;
//! - [`upstream`]: a scriptable fake upstream;
//! - [`stream`]: a client of the live stream;
//! - [`screen`]: the display client, run headless;
//! - [`xsd`]: `xmllint` against the SIRI schema;
//! - [`broadcast`]: the fan-out benchmark's command line (the peer's).

pub mod binary;
pub mod board;
pub mod broadcast;
pub mod changes;
pub mod gtfs_rt;
pub mod http;
pub mod nats;
pub mod package;
pub mod postgres;
pub mod scale;
pub mod schema;
pub mod screen;
pub mod server;
pub mod stream;
pub mod upstream;
pub mod xsd;
