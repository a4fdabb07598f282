//! Conformance suite: the feed server on real third-party data.
//!
//! Reads the folder named by `QUAI_FIXTURES` (CI: `../shared/fixtures`, see its
//! SOURCES.md) and fails loudly when it is unset: a suite that skips itself proves
//! nothing. Expected departures were worked out by hand from the raw CSV files
//! (Python's csv module, noon-minus-12h arithmetic in UTC), independently of this
//! code; each test says what it checked.
//!
//! Run: `QUAI_FIXTURES=../shared/fixtures cargo test -p quai-tests --features conformance`

mod support;

mod cap;
mod gtfs_caltrain;
mod gtfs_feeds_load;
mod gtfs_frequencies;
mod gtfs_rt;
mod gtfs_sncf_ter;
mod gtfs_zip_edges;
mod lorawan;
mod parking;
mod siri;
