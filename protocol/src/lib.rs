//! Wire types shared by the feed server, the display client, tools and tests.
//!
//! Everything here is plain data with serde: no tokio, no bevy, so that a mobile or
//! web developer can read this crate as the reference of what Quai sends. Field names
//! are the public contract of `docs/protocol.md`; change them only with it.
//!
//! Instants are kept as RFC 3339 strings (with the station's UTC offset) rather than
//! parsed date types: clients display them as they come, and the crate stays free of a
//! date library.

mod board;
mod emergency;
mod error;
mod facility;
mod notice;
mod push;
mod screen;
mod stream;
mod trip;
mod url;

pub use board::*;
pub use emergency::*;
pub use error::*;
pub use facility::*;
pub use notice::*;
pub use push::*;
pub use screen::*;
pub use stream::*;
pub use trip::*;
pub use url::encode_id;
