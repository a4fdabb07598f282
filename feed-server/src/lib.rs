//! Quai's feed server as a library: the binary (`src/main.rs`) is a thin shell over
//! it, and the end-to-end tests start it in-process on 127.0.0.1.
//!
//! # Layout
//!
//! Data flows one way, from upstream feeds to screens; a module imports only the
//! stages before it (and the shared leaves), never those after it:
//!
//! | stage | where | what |
//! |---|---|---|
//! | configuration | [`config`], [`id`], [`clock`] | the validated station file; typed ids; the server's "now" |
//! | sources | [`sources`] | fetch and parse upstreams: static GTFS, GTFS-Realtime and CAP pollers |
//! | timetable | [`timetable`], [`feed`], [`station`], [`deployment`] | each feed compiled, the registry of feeds, stations resolved against them |
//! | realtime | [`realtime`] | the last accepted GTFS-RT messages, indexed, with their freshness ([`freshness`]); stores are [`watched`] maps |
//! | advisories | [`advisory`] | CAP warnings in force and the advice for passengers |
//! | notices | [`notice`], [`store`] | operator notices: validation, scopes, the SQLite store |
//! | board | [`board`] | the merge, a pure function, into the internal board model |
//! | publication | [`publish`], [`hub`] | boards built when inputs change, numbered, diffed and fanned out |
//! | edge | [`http`], [`accept`], [`metrics`] | REST, the stream, exports, pages; the accept loop; counters |
//! | wiring | [`server`], [`demo`], [`cli`], [`check`] | starts and stops it all; the demo network; the command line |
//!
//! `docs/architecture.md` draws the same flow.

pub mod accept;
pub mod advisory;
pub mod archive;
pub mod board;
pub mod check;
pub mod cli;
pub mod clock;
pub mod config;
pub mod demo;
pub mod deployment;
pub mod edge;
pub mod emergency;
pub mod facility;
pub mod feed;
pub mod fleet;
pub mod followed;
pub mod freshness;
pub mod http;
pub mod hub;
pub mod id;
pub mod ingest;
pub mod lease;
pub mod line;
pub mod metrics;
pub mod node;
pub mod notice;
pub mod publish;
pub mod push;
pub mod realtime;
pub mod search;
pub mod server;
pub mod service_manager;
pub mod sources;
pub mod station;
pub mod stop_station;
pub mod store;
pub mod timetable;
pub mod trip;
pub mod watched;
