//! Helpers of Quai's end-to-end tests: a feed server started in-process on
//! 127.0.0.1 ([`server`]), a stream client ([`stream`]), a scriptable fake
//! upstream ([`upstream`]) and a headless screen left running ([`screen`]).

pub mod changes;
pub mod screen;
pub mod server;
pub mod stream;
pub mod upstream;
