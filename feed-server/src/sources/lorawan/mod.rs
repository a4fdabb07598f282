//! LoRaWAN parking sensors, as their network server pushes them: the
//! uplink events of ChirpStack v4 and The Things Stack v3 read into one
//! [`Uplink`] ([`uplink`]), and the payload bytes of the sensor models Quai
//! knows decoded into one [`Reading`] ([`decode`]). Where the network server
//! already decoded the payload (its `object` / `decoded_payload`), its
//! `occupied` is used.
//!
//! This is the reading side of the sensor endpoint (issue: carpool areas and
//! facilities); nothing here touches a board.

pub mod decode;
pub mod uplink;

pub use decode::{Reading, ReadingKind, SensorModel};
pub use uplink::{NetworkServer, Uplink, UplinkError};
