//! LoRaWAN: arbitrary bytes as a webhook body of ChirpStack and of The Things
//! Stack (the sensor endpoint's input), and every decoded payload through
//! both sensor models: an error or a reading, never a panic.

#![no_main]

use feed_server::sources::lorawan::{NetworkServer, SensorModel, uplink};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    for server in [NetworkServer::ChirpStack, NetworkServer::TheThingsStack] {
        if let Ok(up) = uplink::parse(server, data) {
            for model in [SensorModel::BoschParkingLot, SensorModel::NwaveG4] {
                let _ = model.decode(up.f_port, &up.bytes);
            }
        }
    }
    // The payload decoders alone, on raw bytes (first byte: the port).
    if let Some((&port, bytes)) = data.split_first() {
        for model in [SensorModel::BoschParkingLot, SensorModel::NwaveG4] {
            let _ = model.decode(port, bytes);
        }
    }
});
