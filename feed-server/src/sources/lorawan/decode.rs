//! Payload decoders of the parking sensors Quai knows, written from the
//! vendors' frame layouts (ThingsBoard's converters for them, in
//! `../shared/fixtures/lorawan/`, were read to check them; their expected
//! outputs are the conformance test's):
//! - Bosch Parking Lot Sensor: port 1 status (bit 0 occupied), port 2
//!   heartbeat (bit 0 occupied, then temperature, signed °C), port 3
//!   start-up (17 bytes: debug bytes 0–11, firmware 14.13.12, reset cause
//!   15, occupied 16).
//! - Nwave G4 parking sensors (NPS, NCC; flush or surface mount): port 1
//!   status (bit 0 occupied, bits 1–7 the previous state's duration,
//!   compressed), port 2 heartbeat (bit 0 occupied, battery, temperature),
//!   port 3 start-up (firmware 0.1.2, reset cause 3, occupied 4), port 6
//!   debug, port 10 a user tag registration.
//!
//! What a space's state needs is `occupied`; the rest (temperature, battery,
//! firmware) is kept for the technician.

/// A sensor model, as a facility's configuration names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SensorModel {
    /// `bosch-pls`
    BoschParkingLot,
    /// `nwave-g4`
    NwaveG4,
    /// `codec`: the network server decodes (a ChirpStack device-profile
    /// codec, a The Things Stack payload formatter) and gives `occupied`;
    /// Quai never decodes the bytes.
    NetworkServerCodec,
}

impl std::str::FromStr for SensorModel {
    type Err = String;
    fn from_str(s: &str) -> Result<SensorModel, String> {
        match s {
            "bosch-pls" => Ok(SensorModel::BoschParkingLot),
            "nwave-g4" => Ok(SensorModel::NwaveG4),
            "codec" => Ok(SensorModel::NetworkServerCodec),
            other => Err(format!(
                "`{other}`: Quai decodes bosch-pls and nwave-g4; write codec when the network server decodes and gives `occupied`"
            )),
        }
    }
}

/// What kind of frame it was.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReadingKind {
    /// A change of state.
    Status,
    /// The periodic "still here" with the state.
    Heartbeat,
    /// After a reset.
    Startup,
    /// Vendor debug bytes, or a tag registration: no state.
    Other,
}

/// One decoded frame.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Reading {
    pub kind: Option<ReadingKind>,
    /// None: the frame does not say.
    pub occupied: Option<bool>,
    pub temperature_c: Option<f64>,
    pub battery_v: Option<f64>,
    /// "normal", "low" or "critical" (Nwave, by temperature).
    pub battery_health: Option<&'static str>,
    pub firmware: Option<String>,
    pub reset_cause: Option<&'static str>,
    /// Nwave: minutes the space was in its previous state, and the error.
    pub previous_state_min: Option<u32>,
    pub previous_state_error_min: Option<u32>,
    /// Nwave: the previous state lasted longer than the counter holds.
    pub previous_state_overflow: bool,
    /// Bosch start-up: bytes 0–11 in hex, space separated.
    pub debug: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{model:?} port {port}: {reason}")]
pub struct DecodeError {
    pub model: SensorModel,
    pub port: u8,
    pub reason: String,
}

impl SensorModel {
    /// Decodes the payload `bytes` sent on `port`.
    pub fn decode(self, port: u8, bytes: &[u8]) -> Result<Reading, DecodeError> {
        let short = |need: usize| DecodeError {
            model: self,
            port,
            reason: format!("{} bytes, {need} expected", bytes.len()),
        };
        let at = |i: usize, need: usize| bytes.get(i).copied().ok_or_else(|| short(need));
        match self {
            SensorModel::BoschParkingLot => bosch(port, bytes, &at),
            SensorModel::NwaveG4 => nwave(port, bytes, &at),
            SensorModel::NetworkServerCodec => Err(Some(DecodeError {
                model: self,
                port,
                reason: "decoded by the network server, whose decoding gave no `occupied`".into(),
            })),
        }
        .map_err(|e| {
            e.unwrap_or_else(|| DecodeError {
                model: self,
                port,
                reason: "not a port this sensor uses".into(),
            })
        })
    }
}

type At<'a> = &'a dyn Fn(usize, usize) -> Result<u8, DecodeError>;

/// `Err(None)`: an unknown port.
fn bosch(port: u8, bytes: &[u8], at: At<'_>) -> Result<Reading, Option<DecodeError>> {
    let mut r = Reading::default();
    match port {
        1 => {
            r.kind = Some(ReadingKind::Status);
            r.occupied = Some(at(0, 1)? & 1 == 1);
        }
        2 => {
            r.kind = Some(ReadingKind::Heartbeat);
            r.occupied = Some(at(0, 1)? & 1 == 1);
            r.temperature_c = bytes.get(1).map(|&t| f64::from(t as i8));
        }
        3 => {
            r.kind = Some(ReadingKind::Startup);
            r.occupied = Some(at(16, 17)? & 1 == 1);
            r.reset_cause = Some(match at(15, 17)? {
                1 => "Watchdog reset",
                2 => "Power On Reset",
                3 => "System Request Reset",
                4 => "External Pin Reset",
                5 => "Lockup Reset",
                6 => "Brownout Reset",
                _ => "Unknown",
            });
            r.firmware = Some(format!("{}.{}.{}", at(14, 17)?, at(13, 17)?, at(12, 17)?));
            r.debug = Some(
                bytes[..12]
                    .iter()
                    .map(|b| format!("{b:02x}"))
                    .collect::<Vec<_>>()
                    .join(" "),
            );
        }
        _ => return Err(None),
    }
    Ok(r)
}

fn nwave(port: u8, bytes: &[u8], at: At<'_>) -> Result<Reading, Option<DecodeError>> {
    let mut r = Reading::default();
    let previous = |r: &mut Reading, compressed: u8| {
        // Minutes: exact below 90, then by 5 up to 4 h, then by the hour up
        // to 11 h; 127 is "longer".
        let (minutes, error, overflow) = match compressed {
            0..=89 => (u32::from(compressed), Some(0), false),
            90..=119 => (90 + u32::from(compressed - 90) * 5, Some(4), false),
            120..=126 => (240 + u32::from(compressed - 120) * 60, Some(59), false),
            _ => (660, None, true),
        };
        r.previous_state_min = Some(minutes);
        r.previous_state_error_min = error;
        r.previous_state_overflow = overflow;
    };
    match port {
        1 => {
            let b = at(0, 1)?;
            r.kind = Some(ReadingKind::Status);
            r.occupied = Some(b & 1 == 1);
            previous(&mut r, (b >> 1) & 0x7f);
        }
        2 => {
            let (state, battery, temperature) = (at(0, 3)?, at(1, 3)?, at(2, 3)?);
            r.kind = Some(ReadingKind::Heartbeat);
            r.occupied = Some(state & 1 == 1);
            let celsius = f64::from(temperature as i8) / 2.0 + 10.0;
            r.temperature_c = Some(celsius);
            // Read as a signed byte, as the vendor's converter does (its
            // published outputs say 2.32 V for 0xD3).
            let millivolts = 2500 + i32::from(battery as i8) * 4;
            r.battery_v = Some(f64::from(millivolts) / 1000.0);
            let (critical, low) = if celsius >= -5.0 {
                (2900, 3000)
            } else {
                (2800, 2900)
            };
            r.battery_health = Some(if millivolts >= low {
                "normal"
            } else if millivolts >= critical {
                "low"
            } else {
                "critical"
            });
        }
        3 => {
            r.kind = Some(ReadingKind::Startup);
            r.firmware = Some(format!("{}.{}.{}", at(0, 5)?, at(1, 5)?, at(2, 5)?));
            r.reset_cause = Some(match at(3, 5)? {
                0 => "rejoining_lorawan_network",
                1 => "watchdog",
                2 => "power_on",
                3 => "user_request",
                6 => "brownout",
                7 => "other",
                _ => "unknown",
            });
            r.occupied = Some(at(4, 5)? & 1 == 1);
        }
        6 | 10 => {
            r.kind = Some(ReadingKind::Other);
            // A registration with bit 0 set is made in an occupied space.
            if port == 10 && at(0, 1)? & 1 == 1 {
                r.occupied = Some(true);
                previous(&mut r, (bytes[0] >> 1) & 0x7f);
            }
        }
        _ => return Err(None),
    }
    Ok(r)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_frames_and_unknown_ports_are_errors_not_panics() {
        for model in [SensorModel::BoschParkingLot, SensorModel::NwaveG4] {
            for port in 0..=255u8 {
                for len in 0..20 {
                    let _ = model.decode(port, &vec![0xff; len]);
                }
            }
        }
        let e = SensorModel::BoschParkingLot.decode(3, &[0; 5]).unwrap_err();
        assert!(e.reason.contains("17 expected"), "{e}");
        assert!(SensorModel::NwaveG4.decode(4, &[1]).is_err());
    }

    #[test]
    fn nwave_durations_by_range() {
        let d = |c: u8| {
            let r = SensorModel::NwaveG4
                .decode(1, &[c << 1 | 1])
                .expect("status");
            (
                r.previous_state_min,
                r.previous_state_error_min,
                r.previous_state_overflow,
            )
        };
        assert_eq!(d(74), (Some(74), Some(0), false));
        assert_eq!(d(91), (Some(95), Some(4), false));
        assert_eq!(d(121), (Some(300), Some(59), false));
        assert_eq!(d(127), (Some(660), None, true));
    }
}
