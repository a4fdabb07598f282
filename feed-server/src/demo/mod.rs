//! The Caudry demo network, compiled into the binary so that `feed-server` with no
//! configuration serves something real-looking at once (see
//! `feed-server/demo/README.md`): its GTFS (read by `sources::builtin`), a
//! GTFS-Realtime simulator ([`realtime`]), a SIRI Lite simulator for its trains
//! ([`siri`]), the sensors of a carpool area ([`sensors`]) and a CAP heatwave warning
//! ([`weather`]), both served by the server itself under `/demo/` and polled
//! like real feeds.

pub mod realtime;
pub mod sensors;
pub mod siri;
pub mod weather;
