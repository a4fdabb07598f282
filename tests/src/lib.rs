//! Shared helpers of the end-to-end tests live in each test target; this crate has no library code.
