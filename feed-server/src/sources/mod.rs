//! Upstream data sources, one module per kind of feed.
//!
//! Each source fetches, parses and validates its upstream and hands over plain data;
//! it never touches a board. A source that fails keeps nothing half-read.

pub mod builtin;
pub mod facilities;
pub mod gtfs_rt;
pub mod gtfs_static;
pub mod http;
pub mod lorawan;
pub mod poll;
pub mod siri;
pub mod weather;
pub mod xml;
