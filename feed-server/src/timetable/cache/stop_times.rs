//! Stop times as the cache keeps them: a compact byte format of our own, decoded
//! in a tight loop (on a thread of its own while the rest of the timetable is
//! read), since they are most of a timetable.
//!
//! Per call, as LEB128 varints: `stop << 2 | no_drop_off << 1 | no_pickup`, `stop_sequence`, the
//! arrival minus the previous call's departure (zigzag: it may be negative between
//! trips), the departure minus the arrival (zigzag), the stop headsign (0: none,
//! else its position + 1). TER: 300,000 calls in about 2 MB.

use crate::timetable::{HeadsignIdx, Idx, StopIdx, StopTime, StopTimeIdx, Table};

pub(super) fn encode(table: &Table<StopTimeIdx, StopTime>) -> Vec<u8> {
    let mut out = Vec::with_capacity(table.len() * 8 + 16);
    put(&mut out, table.len() as u64);
    let mut previous = 0u32;
    for st in table.iter() {
        put(
            &mut out,
            (st.stop.position() as u64) << 2 | u64::from(!st.drop_off) << 1 | u64::from(!st.pickup),
        );
        put(&mut out, u64::from(st.sequence));
        put(
            &mut out,
            zigzag(i64::from(st.arrival) - i64::from(previous)),
        );
        put(
            &mut out,
            zigzag(i64::from(st.departure) - i64::from(st.arrival)),
        );
        put(&mut out, st.headsign.map_or(0, |h| h.position() as u64 + 1));
        previous = st.departure;
    }
    out
}

/// The stop times of `bytes`. Positions are not checked against the other tables
/// here (they are read at the same time): the caller does.
pub(super) fn decode(mut bytes: &[u8]) -> Result<Table<StopTimeIdx, StopTime>, String> {
    let input = &mut bytes;
    let truncated = || "stop times truncated".to_string();
    let n = usize::try_from(get(input).ok_or_else(truncated)?).map_err(|e| e.to_string())?;
    // Each call takes 5 bytes at least: a count beyond that is damage, not a feed.
    if n > input.len() / 5 {
        return Err(format!("{n} stop times in {} bytes", input.len()));
    }
    let mut rows = Vec::with_capacity(n);
    let mut previous = 0i64;
    for _ in 0..n {
        let fields = [get(input), get(input), get(input), get(input), get(input)];
        let [
            Some(stop),
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
        let time = |t: i64| u32::try_from(t).map_err(|_| format!("time {t} out of range"));
        let headsign = match headsign {
            0 => None,
            h => Some(
                usize::try_from(h - 1)
                    .ok()
                    .and_then(HeadsignIdx::nth)
                    .ok_or("headsign out of range")?,
            ),
        };
        rows.push(StopTime {
            stop: StopIdx::new(usize::try_from(stop >> 2).map_err(|e| e.to_string())?),
            sequence: u32::try_from(sequence).map_err(|e| e.to_string())?,
            arrival: time(arrival)?,
            departure: time(departure)?,
            pickup: stop & 1 == 0,
            drop_off: stop & 2 == 0,
            headsign,
        });
        previous = departure;
    }
    if !input.is_empty() {
        return Err(format!("{} bytes after the stop times", input.len()));
    }
    Ok(rows.into_iter().collect())
}

fn put(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push(v as u8 | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
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

    #[test]
    fn stop_times_come_back_as_they_went() {
        let table: Table<StopTimeIdx, StopTime> = [
            st(3, 1, 25_200, 25_260, true, None),
            st(70_000, 2, 25_500, 25_500, false, Some(0)),
            // The next trip starts earlier; a departure before the arrival is kept.
            st(0, 10, 3_600, 3_500, true, None),
            st(u32::MAX as usize >> 2, u32::MAX, u32::MAX, 0, true, Some(7)),
        ]
        .into_iter()
        .collect();
        let bytes = encode(&table);
        let back = decode(&bytes).expect("decodes");
        let dump = |t: &Table<StopTimeIdx, StopTime>| format!("{:?}", t.iter().collect::<Vec<_>>());
        assert_eq!(dump(&back), dump(&table));
        for cut in 0..bytes.len() {
            assert!(decode(&bytes[..cut]).is_err(), "cut at {cut}");
        }
        assert!(decode(&[bytes.as_slice(), &[0]].concat()).is_err());
    }
}
