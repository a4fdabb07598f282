//! Ids in addresses: a line, a stop or a departure id (`demo:CA2C:1`,
//! `ter:StopPoint:OCETrain TER-87345561`) put in a URL path segment or a
//! query value, as the REST API, the Wi-Fi page and the app write them.

/// `id` percent-encoded for a path segment or a query value: ASCII letters,
/// digits, `-_.~` and `:` (which every id holds, and which both places
/// allow) stay as they are; every other byte is `%XX`.
pub fn encode_id(id: &str) -> String {
    let mut out = String::with_capacity(id.len());
    for b in id.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b':' => {
                out.push(char::from(b));
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_keep_their_colons_and_lose_nothing() {
        assert_eq!(encode_id("demo:CA2C:1"), "demo:CA2C:1");
        assert_eq!(
            encode_id("ter:StopPoint:OCETrain TER-1/2&x=é"),
            "ter:StopPoint:OCETrain%20TER-1%2F2%26x%3D%C3%A9"
        );
    }
}
