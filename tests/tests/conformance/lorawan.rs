//! LoRaWAN parking sensors (`lorawan/`): each webhook body of both network
//! servers (ChirpStack v4, The Things Stack v3) for both vendors (Bosch
//! Parking Lot Sensor, Nwave G4 NPS flush mount) read and decoded by Quai, and
//! compared with the decoded result published beside it (`result*.json`,
//! ThingsBoard's converter output): the frame's type, the occupancy, and
//! every other value it gives. The bodies are the converter authors'
//! examples, not live captures (SOURCES.md).

use feed_server::sources::lorawan::{NetworkServer, Reading, ReadingKind, SensorModel, uplink};
use serde_json::{Value, json};

use crate::support::fixtures;

/// Our reading, in the words of the vendor's converter.
fn as_published(model: SensorModel, r: &Reading) -> Value {
    let kind = |bosch: &str, nwave: &str| match model {
        SensorModel::BoschParkingLot => bosch.to_string(),
        SensorModel::NwaveG4 | SensorModel::NetworkServerCodec => nwave.to_string(),
    };
    let mut v = serde_json::Map::new();
    v.insert(
        "type".into(),
        json!(match r.kind {
            Some(ReadingKind::Status) => kind("parking status", "parking_status"),
            Some(ReadingKind::Heartbeat) => "heartbeat".into(),
            Some(ReadingKind::Startup) => "startup".into(),
            _ => "other".into(),
        }),
    );
    let mut put = |k: &str, x: Value| {
        if !x.is_null() {
            v.insert(k.into(), x);
        }
    };
    put("occupied", json!(r.occupied));
    match model {
        SensorModel::BoschParkingLot => {
            put("temperature", json!(r.temperature_c.map(|t| t as i64)));
            put("resetCause", json!(r.reset_cause));
            put("firmwareVersion", json!(r.firmware));
            put("debugInfo", json!(r.debug));
        }
        SensorModel::NetworkServerCodec => {}
        SensorModel::NwaveG4 => {
            put("temperature", json!(r.temperature_c.map(|t| t as i64)));
            put("battery_voltage", json!(r.battery_v));
            put("battery_health", json!(r.battery_health));
            put("firmware_version", json!(r.firmware));
            put("reset_cause", json!(r.reset_cause));
            put("previous_state_duration", json!(r.previous_state_min));
            if r.previous_state_min.is_some() {
                put(
                    "previous_state_duration_error",
                    json!(r.previous_state_error_min),
                );
                put(
                    "previous_state_duration_overflow",
                    json!(r.previous_state_overflow),
                );
            }
        }
    }
    Value::Object(v)
}

#[test]
fn both_vendors_through_both_network_servers_decode_as_published() {
    let mut checked = 0;
    for (folder, model) in [
        (
            "thingsboard-bosch-parking-lot-sensor",
            SensorModel::BoschParkingLot,
        ),
        ("thingsboard-nwave-g4-nps-fm", SensorModel::NwaveG4),
    ] {
        for (server_folder, server) in [
            ("ChirpStack", NetworkServer::ChirpStack),
            ("ThingsStackIndustries", NetworkServer::TheThingsStack),
        ] {
            for case in ["", "_1", "_2"] {
                let dir = fixtures().join("lorawan").join(folder).join(server_folder);
                let read = |name: String| std::fs::read(dir.join(&name)).expect(&name);
                let body = read(format!("payload{case}.json"));
                let expected: Value =
                    serde_json::from_slice(&read(format!("result{case}.json"))).expect("result");
                let up = uplink::parse(server, &body)
                    .unwrap_or_else(|e| panic!("{folder}/{server_folder}/payload{case}: {e}"));
                assert_eq!(up.dev_eui, "1000000000000001");
                assert_eq!(
                    Some(u64::from(up.f_port)),
                    expected["attributes"]["fPort"].as_u64(),
                    "{folder}/{server_folder}{case}"
                );
                let reading = model
                    .decode(up.f_port, &up.bytes)
                    .unwrap_or_else(|e| panic!("{folder}/{server_folder}/payload{case}: {e}"));
                let mut want = expected["telemetry"][0]["values"].clone();
                // The Nwave heartbeat's hardware health is the status byte's
                // low bits, which Quai does not keep.
                if let Some(o) = want.as_object_mut() {
                    o.remove("hw_health_status");
                }
                assert_eq!(
                    as_published(model, &reading),
                    want,
                    "{folder}/{server_folder}/payload{case}"
                );
                checked += 1;
            }
        }
    }
    assert_eq!(checked, 12);
}
