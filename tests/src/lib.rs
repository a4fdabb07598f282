//! Helpers of Quai's end-to-end tests: a feed server started in-process on
//! 127.0.0.1 ([`server`]), a stream client ([`stream`]) and a scriptable fake
//! upstream ([`upstream`]).

pub mod changes;
pub mod server;
pub mod stream;
pub mod upstream;
