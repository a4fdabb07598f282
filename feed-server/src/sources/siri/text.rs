//! Producers' texts as passengers should read them: SIRI texts often carry
//! HTML (`<br />`, `<a href>`, `&nbsp;`), which a screen must neither show as
//! markup nor interpret. Tags are dropped (line breaks and paragraphs kept as
//! new lines), entities decoded, runs of blanks collapsed. Nothing is ever
//! rendered as HTML afterwards: the output is plain text.

/// Longest text read, in bytes (as for one XML text node): a producer's text
/// beyond it is cut before it is cleaned.
pub const MAX_TEXT: usize = 64 * 1024;

/// `text` without its markup. Linear in the text's length, whatever it holds.
pub fn plain(text: &str) -> String {
    let text = match text.char_indices().nth(MAX_TEXT) {
        Some((i, _)) => &text[..i],
        None => text,
    };
    if !text.contains(['<', '&']) {
        return collapse(text);
    }
    let mut out = String::with_capacity(text.len());
    // Where the next `>` is, found once per position (so that a text of many
    // `<` without `>` is not scanned again for each of them).
    let mut next_close: Option<Option<usize>> = None;
    let mut i = 0;
    while i < text.len() {
        let rest = &text[i..];
        let Some(c) = rest.chars().next() else { break };
        match c {
            '<' => {
                let close = match next_close {
                    Some(Some(at)) if at > i => Some(at),
                    Some(None) => None,
                    _ => {
                        let found = text[i..].find('>').map(|j| i + j);
                        next_close = Some(found);
                        found
                    }
                };
                match close {
                    Some(end) if looks_like_tag(&text[i + 1..end]) => {
                        let tag = text[i + 1..end].trim_start_matches('/');
                        let name: String = tag
                            .chars()
                            .take_while(|c| c.is_ascii_alphanumeric())
                            .map(|c| c.to_ascii_lowercase())
                            .collect();
                        if matches!(
                            name.as_str(),
                            "br" | "p" | "div" | "li" | "tr" | "h1" | "h2" | "h3"
                        ) {
                            out.push('\n');
                        }
                        i = end + 1;
                    }
                    _ => {
                        out.push('<');
                        i += 1;
                    }
                }
            }
            '&' => {
                let (decoded, used) = entity(rest);
                out.push_str(&decoded);
                i += used;
            }
            c => {
                out.push(c);
                i += c.len_utf8();
            }
        }
    }
    collapse(&out)
}

fn looks_like_tag(inner: &str) -> bool {
    let inner = inner.trim_start_matches('/');
    inner.starts_with(|c: char| c.is_ascii_alphabetic() || c == '!') && !inner.contains('<')
}

/// The entity at the start of `s` (which starts with `&`), decoded, and how many
/// bytes it used; an unknown one is kept as written.
fn entity(s: &str) -> (String, usize) {
    let Some(end) = s.bytes().take(12).position(|b| b == b';') else {
        return ("&".into(), 1);
    };
    let name = &s[1..end];
    let decoded = match name {
        "amp" => Some('&'),
        "lt" => Some('<'),
        "gt" => Some('>'),
        "quot" => Some('"'),
        "apos" | "#39" => Some('\''),
        "nbsp" => Some(' '),
        "rsquo" => Some('’'),
        "eacute" => Some('é'),
        "egrave" => Some('è'),
        "agrave" => Some('à'),
        "ccedil" => Some('ç'),
        _ => name
            .strip_prefix("#x")
            .or_else(|| name.strip_prefix("#X"))
            .and_then(|h| u32::from_str_radix(h, 16).ok())
            .or_else(|| name.strip_prefix('#').and_then(|d| d.parse().ok()))
            .and_then(char::from_u32)
            .filter(|c| !c.is_control() || *c == '\n'),
    };
    match decoded {
        Some(c) => (c.to_string(), end + 1),
        None => ("&".into(), 1),
    }
}

/// Blanks collapsed to one space, at most one empty line between lines, ends
/// trimmed.
fn collapse(text: &str) -> String {
    let lines: Vec<String> = text
        .lines()
        .map(|l| l.split_whitespace().collect::<Vec<_>>().join(" "))
        .collect();
    let mut out = String::new();
    let mut blank = 0;
    for line in lines {
        if line.is_empty() {
            blank += 1;
            continue;
        }
        if !out.is_empty() {
            out.push_str(if blank > 0 { "\n\n" } else { "\n" });
        }
        blank = 0;
        out.push_str(&line);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::plain;

    #[test]
    fn markup_becomes_plain_text() {
        assert_eq!(
            plain(
                "déplacé.<br /><br />Veuillez rejoindre l&rsquo;arrêt <a href=\"https://x\">ici</a>"
            ),
            "déplacé.\n\nVeuillez rejoindre l’arrêt ici"
        );
        assert_eq!(plain("a < b &amp; c &unknown; d"), "a < b & c &unknown; d");
        assert_eq!(plain("  Ligne   13 \n\n\n\n arrêt  "), "Ligne 13\n\narrêt");
        assert_eq!(plain("<script>x</script>ok"), "xok");
        assert_eq!(plain("&#233;t&#xE9;"), "été");
        // An entity cut inside a multi-byte character, and one unterminated.
        assert_eq!(plain("&nbsp;déviée"), "déviée");
        assert_eq!(plain("a &déviée;"), "a &déviée;");
        // Many `<` without `>`: read once, kept as text.
        let many = "<".repeat(50_000);
        assert_eq!(plain(&many).len(), 50_000);
    }
}
