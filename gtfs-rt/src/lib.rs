//! GTFS-Realtime messages (`transit_realtime` of the reference
//! `gtfs-realtime.proto`), as prost types with serde derives.
//!
//! The bindings are generated code kept in the repository
//! (`src/transit_realtime.rs`), so that building Quai needs neither `protoc` nor
//! a build script: `cargo build` works on a machine with Rust alone. The test
//! `tests/bindings.rs` regenerates them from `gtfs-realtime.proto` with a
//! pure-Rust protobuf compiler (protox) and fails if they differ;
//! `QUAI_REGENERATE=1 cargo test -p quai-gtfs-rt` rewrites them after the
//! `.proto` is updated from the specification.
//!
//! The library is named `gtfs_realtime`, as the messages are in the
//! specification, so code reads `gtfs_realtime::FeedMessage`.

#![allow(clippy::all, missing_docs, rustdoc::all)]

include!("transit_realtime.rs");
