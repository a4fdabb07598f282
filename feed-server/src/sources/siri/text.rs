//! Producers' texts as passengers should read them: SIRI texts often carry
//! HTML (`<br />`, `<a href>`, `&nbsp;`), which a screen must neither show as
//! markup nor interpret. Tags are dropped (line breaks and paragraphs kept as
//! new lines), entities decoded, runs of blanks collapsed. Nothing is ever
//! rendered as HTML afterwards: the output is plain text.

/// `text` without its markup.
pub fn plain(text: &str) -> String {
    if !text.contains(['<', '&']) {
        return collapse(text);
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = rest.find(['<', '&']) {
        out.push_str(&rest[..i]);
        rest = &rest[i..];
        if rest.starts_with('<') {
            // A tag runs to the next `>`; a lone `<` (as in "a < b") is text.
            match rest.find('>') {
                Some(end) if looks_like_tag(&rest[1..end]) => {
                    let tag = rest[1..end].trim_start_matches('/').to_ascii_lowercase();
                    let name: String = tag
                        .chars()
                        .take_while(|c| c.is_ascii_alphanumeric())
                        .collect();
                    if matches!(
                        name.as_str(),
                        "br" | "p" | "div" | "li" | "tr" | "h1" | "h2" | "h3"
                    ) {
                        out.push('\n');
                    }
                    rest = &rest[end + 1..];
                }
                _ => {
                    out.push('<');
                    rest = &rest[1..];
                }
            }
        } else {
            let (decoded, used) = entity(rest);
            out.push_str(&decoded);
            rest = &rest[used..];
        }
    }
    out.push_str(rest);
    collapse(&out)
}

fn looks_like_tag(inner: &str) -> bool {
    let inner = inner.trim_start_matches('/');
    inner.starts_with(|c: char| c.is_ascii_alphabetic() || c == '!') && !inner.contains('<')
}

/// The entity at the start of `s` (which starts with `&`), decoded, and how many
/// bytes it used; an unknown one is kept as written.
fn entity(s: &str) -> (String, usize) {
    let Some(end) = s[..s.len().min(12)].find(';') else {
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
    }
}
