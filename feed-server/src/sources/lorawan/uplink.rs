//! One uplink, from the webhook body of either network server:
//! - ChirpStack v4 (HTTP integration, `event=up`): `deviceInfo.devEui`,
//!   `fCnt`, `fPort`, `data` (base64), `time`, `object` (decoded by the
//!   device profile's codec, when there is one);
//! - The Things Stack v3 (webhook "uplink message"): `end_device_ids.dev_eui`,
//!   `uplink_message.{f_cnt, f_port, frm_payload, decoded_payload}`,
//!   `received_at`.
//!
//! Bodies are capped by the endpoint; here every field is checked, and what
//! is missing or malformed is an error that says which field.

use base64::Engine as _;
use chrono::{DateTime, Utc};
use serde_json::Value;

/// Which network server's form a body is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NetworkServer {
    ChirpStack,
    TheThingsStack,
}

impl std::str::FromStr for NetworkServer {
    type Err = String;
    fn from_str(s: &str) -> Result<NetworkServer, String> {
        match s {
            "chirpstack" => Ok(NetworkServer::ChirpStack),
            "things-stack" => Ok(NetworkServer::TheThingsStack),
            other => Err(format!("`{other}`: write chirpstack or things-stack")),
        }
    }
}

/// One uplink of one device.
#[derive(Debug, Clone, PartialEq)]
pub struct Uplink {
    /// 16 lower-case hex digits.
    pub dev_eui: String,
    /// The frame counter: a repeated or older one is not news.
    pub f_cnt: u32,
    pub f_port: u8,
    pub bytes: Vec<u8>,
    /// When the network server received it.
    pub received_at: Option<DateTime<Utc>>,
    /// The network server's own decoding, when it has a codec for the device.
    pub decoded: Option<Value>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UplinkError {
    #[error("not JSON: {0}")]
    Json(String),
    #[error("`{field}`: {reason}")]
    Field { field: &'static str, reason: String },
    /// A body of another kind (a join, a status, an ack): nothing to read.
    #[error("not an uplink (no `{0}`)")]
    NotAnUplink(&'static str),
}

fn field(field: &'static str, reason: impl Into<String>) -> UplinkError {
    UplinkError::Field {
        field,
        reason: reason.into(),
    }
}

/// Reads a webhook body of `server`.
pub fn parse(server: NetworkServer, body: &[u8]) -> Result<Uplink, UplinkError> {
    let v: Value = serde_json::from_slice(body).map_err(|e| UplinkError::Json(e.to_string()))?;
    match server {
        NetworkServer::ChirpStack => chirpstack(&v),
        NetworkServer::TheThingsStack => things_stack(&v),
    }
}

fn chirpstack(v: &Value) -> Result<Uplink, UplinkError> {
    let data = v.get("data").ok_or(UplinkError::NotAnUplink("data"))?;
    Ok(Uplink {
        dev_eui: dev_eui("deviceInfo.devEui", v.pointer("/deviceInfo/devEui"))?,
        // ChirpStack leaves `fCnt` out when it is 0 (protobuf JSON).
        f_cnt: counter("fCnt", v.get("fCnt"))?,
        f_port: port("fPort", v.get("fPort"))?,
        bytes: payload("data", data)?,
        received_at: v.get("time").and_then(Value::as_str).and_then(instant),
        decoded: v.get("object").filter(|o| o.is_object()).cloned(),
    })
}

fn things_stack(v: &Value) -> Result<Uplink, UplinkError> {
    let up = v
        .get("uplink_message")
        .ok_or(UplinkError::NotAnUplink("uplink_message"))?;
    // An uplink without application payload (a MAC-only frame) has no
    // `frm_payload`: nothing to read.
    let data = up
        .get("frm_payload")
        .ok_or(UplinkError::NotAnUplink("uplink_message.frm_payload"))?;
    Ok(Uplink {
        dev_eui: dev_eui(
            "end_device_ids.dev_eui",
            v.pointer("/end_device_ids/dev_eui"),
        )?,
        f_cnt: counter("uplink_message.f_cnt", up.get("f_cnt"))?,
        f_port: port("uplink_message.f_port", up.get("f_port"))?,
        bytes: payload("uplink_message.frm_payload", data)?,
        received_at: v
            .get("received_at")
            .and_then(Value::as_str)
            .and_then(instant),
        decoded: up.get("decoded_payload").filter(|o| o.is_object()).cloned(),
    })
}

fn dev_eui(name: &'static str, v: Option<&Value>) -> Result<String, UplinkError> {
    let text = v
        .and_then(Value::as_str)
        .ok_or_else(|| field(name, "missing"))?;
    if text.len() != 16 || !text.chars().all(|c| c.is_ascii_hexdigit()) {
        return Err(field(name, "16 hex digits expected"));
    }
    Ok(text.to_ascii_lowercase())
}

fn counter(name: &'static str, v: Option<&Value>) -> Result<u32, UplinkError> {
    match v {
        None => Ok(0),
        Some(v) => v
            .as_u64()
            .and_then(|n| u32::try_from(n).ok())
            .ok_or_else(|| field(name, "a frame counter (0 to 2^32 - 1) expected")),
    }
}

fn port(name: &'static str, v: Option<&Value>) -> Result<u8, UplinkError> {
    v.and_then(Value::as_u64)
        .and_then(|n| u8::try_from(n).ok())
        .filter(|&p| p >= 1)
        .ok_or_else(|| field(name, "a port from 1 to 255 expected"))
}

/// The payload: base64, at most 242 bytes (LoRaWAN's largest in EU868).
fn payload(name: &'static str, v: &Value) -> Result<Vec<u8>, UplinkError> {
    let text = v
        .as_str()
        .ok_or_else(|| field(name, "base64 text expected"))?;
    if text.len() > 400 {
        return Err(field(name, "longer than any LoRaWAN payload"));
    }
    base64::engine::general_purpose::STANDARD
        .decode(text)
        .map_err(|e| field(name, format!("not base64: {e}")))
}

fn instant(text: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(text).ok().map(|t| t.to_utc())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bodies_of_each_server_and_what_they_lack() {
        let cs = br#"{"deviceInfo":{"devEui":"A81758FFFE0312AB"},"fCnt":7,"fPort":1,"data":"AQ==","time":"2026-12-03T07:00:00Z"}"#;
        let up = parse(NetworkServer::ChirpStack, cs).expect("chirpstack");
        assert_eq!(up.dev_eui, "a81758fffe0312ab");
        assert_eq!(
            (up.f_cnt, up.f_port, up.bytes.as_slice()),
            (7, 1, &[1u8][..])
        );
        let tts = br#"{"end_device_ids":{"dev_eui":"A81758FFFE0312AB"},"uplink_message":{"f_port":2,"frm_payload":"ARI=","decoded_payload":{"occupied":true}}}"#;
        let up = parse(NetworkServer::TheThingsStack, tts).expect("tts");
        assert_eq!((up.f_cnt, up.f_port), (0, 2), "f_cnt 0 is left out");
        assert_eq!(up.decoded, Some(serde_json::json!({"occupied": true})));
        // A join event, a bad EUI, a bad port, bad base64.
        assert_eq!(
            parse(
                NetworkServer::ChirpStack,
                br#"{"deviceInfo":{"devEui":"a81758fffe0312ab"}}"#
            ),
            Err(UplinkError::NotAnUplink("data"))
        );
        for body in [
            r#"{"deviceInfo":{"devEui":"xyz"},"fPort":1,"data":"AQ=="}"#,
            r#"{"deviceInfo":{"devEui":"a81758fffe0312ab"},"fPort":0,"data":"AQ=="}"#,
            r#"{"deviceInfo":{"devEui":"a81758fffe0312ab"},"fPort":1,"data":"%%"}"#,
            r#"{"deviceInfo":{"devEui":"a81758fffe0312ab"},"fPort":1,"fCnt":-1,"data":"AQ=="}"#,
        ] {
            assert!(
                matches!(
                    parse(NetworkServer::ChirpStack, body.as_bytes()),
                    Err(UplinkError::Field { .. })
                ),
                "{body}"
            );
        }
        assert!(matches!(
            parse(NetworkServer::ChirpStack, b"{"),
            Err(UplinkError::Json(_))
        ));
    }
}
