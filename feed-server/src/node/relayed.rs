//! The shape of a value the lease holder relays to the edges in the bucket
//! of relayed exports (`ingest::exports`, `ingest::relay`): a head of JSON
//! on one line (what the value is: validators, instants, lengths), then
//! the bytes deflated. A value that stands for bytes not relayed (too
//! large for NATS) is its head alone, and reads back with no bytes.

use std::io::{Read as _, Write as _};

use serde::Serialize;
use serde::de::DeserializeOwned;

/// `head` on one line, then `parts` one after the other, deflated.
pub fn pack<H: Serialize>(head: &H, parts: &[&[u8]]) -> std::io::Result<Vec<u8>> {
    let out = marker(head)?;
    let mut deflate = flate2::write::DeflateEncoder::new(out, flate2::Compression::default());
    for part in parts {
        deflate.write_all(part)?;
    }
    deflate.finish()
}

/// `head` alone: nothing follows.
pub fn marker<H: Serialize>(head: &H) -> std::io::Result<Vec<u8>> {
    let mut out = serde_json::to_vec(head)?;
    out.push(b'\n');
    Ok(out)
}

/// The head of `value` and its bytes inflated (none after a [`marker`]),
/// refused past `largest` bytes.
pub fn unpack<H: DeserializeOwned>(value: &[u8], largest: u64) -> std::io::Result<(H, Vec<u8>)> {
    let bad = |e: String| std::io::Error::new(std::io::ErrorKind::InvalidData, e);
    let end = value
        .iter()
        .position(|b| *b == b'\n')
        .ok_or_else(|| bad("no head".into()))?;
    let head: H = serde_json::from_slice(&value[..end]).map_err(|e| bad(e.to_string()))?;
    let deflated = &value[end + 1..];
    let mut bytes = Vec::new();
    if !deflated.is_empty() {
        flate2::read::DeflateDecoder::new(deflated)
            .take(largest.saturating_add(1))
            .read_to_end(&mut bytes)?;
    }
    if bytes.len() as u64 > largest {
        return Err(bad(format!("more than {largest} bytes")));
    }
    Ok((head, bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_value_reads_back_and_a_marker_has_no_bytes() {
        let value = pack(&"head", &[b"ab", b"", b"c"]).expect("pack");
        let (head, bytes): (String, Vec<u8>) = unpack(&value, 3).expect("unpack");
        assert_eq!((head.as_str(), bytes.as_slice()), ("head", &b"abc"[..]));
        assert!(unpack::<String>(&value, 2).is_err(), "past the largest");
        let (head, bytes): (String, Vec<u8>) =
            unpack(&marker(&"alone").expect("marker"), 3).expect("a marker");
        assert_eq!((head.as_str(), bytes.len()), ("alone", 0));
        assert!(unpack::<String>(b"no head at all", 3).is_err());
    }
}
