//! Stop times as the cache keeps them: a compact byte format of our own, decoded
//! in a tight loop (on the second thread, while the trips are read), since they
//! are most of a timetable.
//!
//! As LEB128 varints: the number of calls, then the [`Bounds`] they were written
//! with (the number of stops, of stop headsigns); per call
//! `stop << 2 | no_drop_off << 1 | no_pickup`, `stop_sequence`, the arrival minus
//! the previous call's departure (zigzag: it may be negative between trips), the
//! departure minus the arrival (zigzag), the stop headsign (0: none, else its
//! position + 1). TER: 300,000 calls in about 2 MB.
//!
//! Every call is checked against the bounds as it is decoded (the tables they
//! refer to are decoded after them); the caller then checks the bounds against
//! those tables.

use std::io::Write;

use crate::timetable::{HeadsignIdx, Idx, MAX_TIME, StopIdx, StopTime, StopTimeIdx, Table};

/// The lengths of the tables the stop times point into.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Bounds {
    pub stops: usize,
    pub headsigns: usize,
}

/// Writes `table` to `out` (a buffered writer: a few bytes at a time).
pub(super) fn encode(
    table: &Table<StopTimeIdx, StopTime>,
    bounds: Bounds,
    out: &mut impl Write,
) -> std::io::Result<()> {
    put(out, table.len() as u64)?;
    put(out, bounds.stops as u64)?;
    put(out, bounds.headsigns as u64)?;
    let mut previous = 0u32;
    for st in table.iter() {
        put(
            out,
            (st.stop.position() as u64) << 2 | u64::from(!st.drop_off) << 1 | u64::from(!st.pickup),
        )?;
        put(out, u64::from(st.sequence))?;
        put(out, zigzag(i64::from(st.arrival) - i64::from(previous)))?;
        put(out, zigzag(i64::from(st.departure) - i64::from(st.arrival)))?;
        put(out, st.headsign.map_or(0, |h| h.position() as u64 + 1))?;
        previous = st.departure;
    }
    Ok(())
}

/// The stop times of `bytes`, each within the bounds written with them and its
/// times within [`MAX_TIME`]; and those bounds, for the caller to compare with the
/// tables read beside them.
pub(super) fn decode(mut bytes: &[u8]) -> Result<(Table<StopTimeIdx, StopTime>, Bounds), String> {
    let input = &mut bytes;
    let truncated = || "stop times truncated".to_string();
    let mut count = || {
        get(input)
            .ok_or_else(truncated)
            .and_then(|n| usize::try_from(n).map_err(|e| e.to_string()))
    };
    let (n, stops, headsigns) = (count()?, count()?, count()?);
    let bounds = Bounds { stops, headsigns };
    // Each call takes 5 bytes at least: a count beyond that is damage, not a feed.
    if n > input.len() / 5 {
        return Err(format!("{n} stop times in {} bytes", input.len()));
    }
    let mut rows = Vec::with_capacity(n);
    let mut previous = 0i64;
    for _ in 0..n {
        let fields = [get(input), get(input), get(input), get(input), get(input)];
        let [
            Some(flags),
            Some(sequence),
            Some(gap),
            Some(dwell),
            Some(headsign),
        ] = fields
        else {
            return Err(truncated());
        };
        let overflow = || "time out of range".to_string();
        let arrival = previous.checked_add(unzigzag(gap)).ok_or_else(overflow)?;
        let departure = arrival.checked_add(unzigzag(dwell)).ok_or_else(overflow)?;
        let time = |t: i64| {
            u32::try_from(t)
                .ok()
                .filter(|&t| t <= MAX_TIME)
                .ok_or_else(|| format!("time {t} out of range"))
        };
        let headsign = match headsign {
            0 => None,
            h => Some(
                usize::try_from(h - 1)
                    .ok()
                    .filter(|&h| h < bounds.headsigns)
                    .and_then(HeadsignIdx::nth)
                    .ok_or("stop headsign out of range")?,
            ),
        };
        let stop = usize::try_from(flags >> 2)
            .ok()
            .filter(|&s| s < bounds.stops)
            .ok_or_else(|| format!("stop {} of {}", flags >> 2, bounds.stops))?;
        rows.push(StopTime {
            stop: StopIdx::new(stop),
            sequence: u32::try_from(sequence).map_err(|e| e.to_string())?,
            arrival: time(arrival)?,
            departure: time(departure)?,
            pickup: flags & 1 == 0,
            drop_off: flags & 2 == 0,
            headsign,
        });
        previous = departure;
    }
    if !input.is_empty() {
        return Err(format!("{} bytes after the stop times", input.len()));
    }
    Ok((rows.into_iter().collect(), bounds))
}

fn put(out: &mut impl Write, mut v: u64) -> std::io::Result<()> {
    let mut bytes = [0u8; 10];
    let mut n = 0;
    while v >= 0x80 {
        bytes[n] = v as u8 | 0x80;
        v >>= 7;
        n += 1;
    }
    bytes[n] = v as u8;
    out.write_all(&bytes[..=n])
}

#[inline]
fn get(input: &mut &[u8]) -> Option<u64> {
    // Most fields are under 128: one byte.
    if let Some((&first, rest)) = input.split_first()
        && first < 0x80
    {
        *input = rest;
        return Some(u64::from(first));
    }
    let mut v = 0u64;
    for (i, &b) in input.iter().enumerate().take(10) {
        v |= u64::from(b & 0x7f) << (7 * i);
        if b & 0x80 == 0 {
            *input = &input[i + 1..];
            return Some(v);
        }
    }
    None
}

fn zigzag(v: i64) -> u64 {
    ((v << 1) ^ (v >> 63)) as u64
}

fn unzigzag(v: u64) -> i64 {
    (v >> 1) as i64 ^ -((v & 1) as i64)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn encode(table: &Table<StopTimeIdx, StopTime>, bounds: Bounds) -> Vec<u8> {
        let mut out = Vec::new();
        super::encode(table, bounds, &mut out).expect("a Vec takes it");
        out
    }

    fn st(stop: usize, seq: u32, arr: u32, dep: u32, pickup: bool, h: Option<usize>) -> StopTime {
        StopTime {
            stop: StopIdx::new(stop),
            sequence: seq,
            arrival: arr,
            departure: dep,
            pickup,
            drop_off: !stop.is_multiple_of(3),
            headsign: h.and_then(HeadsignIdx::nth),
        }
    }

    /// Every length of varint comes back, whatever follows it; cut short, it
    /// is refused.
    #[test]
    fn varints_come_back_whatever_follows() {
        let mut values: Vec<u64> = vec![0, 1, 127, 128, 255, 300, 16_383, 16_384, u64::MAX];
        for bits in 1..64 {
            values.extend([(1u64 << bits) - 1, 1u64 << bits, (1u64 << bits) + 1]);
        }
        values.push(0x0123_4567_89ab_cdef);
        for v in values {
            let mut bytes = Vec::new();
            put(&mut bytes, v).expect("a Vec takes it");
            let len = bytes.len();
            for after in [0usize, 1, 3, 7, 8, 12] {
                let mut buf = bytes.clone();
                buf.extend(std::iter::repeat_n(0x81, after));
                let mut input = buf.as_slice();
                assert_eq!(get(&mut input), Some(v), "{v} with {after} bytes after");
                assert_eq!(input.len(), after, "{v} with {after} bytes after");
            }
            if len > 1 {
                assert_eq!(get(&mut &bytes[..len - 1]), None, "{v} cut short");
            }
        }
        // Continuation bytes only: refused.
        assert_eq!(get(&mut [0x80u8; 12].as_slice()), None);
        assert_eq!(get(&mut [0xffu8; 8].as_slice()), None);
    }

    #[test]
    fn stop_times_come_back_as_they_went() {
        let table: Table<StopTimeIdx, StopTime> = [
            st(3, 1, 25_200, 25_260, true, None),
            st(70_000, 2, 25_500, 25_500, false, Some(0)),
            // The next trip starts earlier; a departure before the arrival is kept.
            st(0, 10, 3_600, 3_500, true, None),
            st(u32::MAX as usize >> 2, u32::MAX, MAX_TIME, 0, true, Some(7)),
        ]
        .into_iter()
        .collect();
        let bounds = Bounds {
            stops: (u32::MAX as usize >> 2) + 1,
            headsigns: 8,
        };
        let bytes = encode(&table, bounds);
        let (back, read) = decode(&bytes).expect("decodes");
        let dump = |t: &Table<StopTimeIdx, StopTime>| format!("{:?}", t.iter().collect::<Vec<_>>());
        assert_eq!(dump(&back), dump(&table));
        assert_eq!(read, bounds);
        for cut in 0..bytes.len() {
            assert!(decode(&bytes[..cut]).is_err(), "cut at {cut}");
        }
        assert!(decode(&[bytes.as_slice(), &[0]].concat()).is_err());
    }

    #[test]
    fn a_call_out_of_bounds_is_damage() {
        let table: Table<StopTimeIdx, StopTime> = [st(3, 1, 25_200, 25_260, true, Some(1))]
            .into_iter()
            .collect();
        let fits = Bounds {
            stops: 4,
            headsigns: 2,
        };
        assert!(decode(&encode(&table, fits)).is_ok());
        for bounds in [
            Bounds { stops: 3, ..fits },
            Bounds {
                headsigns: 1,
                ..fits
            },
        ] {
            assert!(decode(&encode(&table, bounds)).is_err(), "{bounds:?}");
        }
        let late: Table<StopTimeIdx, StopTime> = [st(3, 1, MAX_TIME, MAX_TIME + 1, true, None)]
            .into_iter()
            .collect();
        assert!(decode(&encode(&late, fits)).is_err());
    }
}
