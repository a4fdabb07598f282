//! Colour contrast (WCAG 2): a line badge must stay readable from 5 m, whatever
//! colours the feed gives.

/// `#RRGGBB` (or `RRGGBB`) to components.
pub fn parse_hex(colour: &str) -> Option<[u8; 3]> {
    let hex = colour.strip_prefix('#').unwrap_or(colour);
    if hex.len() != 6 || !hex.is_ascii() {
        return None;
    }
    let c = |i: usize| u8::from_str_radix(&hex[i..i + 2], 16).ok();
    Some([c(0)?, c(2)?, c(4)?])
}

fn luminance([r, g, b]: [u8; 3]) -> f64 {
    let lin = |c: u8| {
        let c = f64::from(c) / 255.0;
        if c <= 0.03928 {
            c / 12.92
        } else {
            ((c + 0.055) / 1.055).powf(2.4)
        }
    };
    0.2126 * lin(r) + 0.7152 * lin(g) + 0.0722 * lin(b)
}

/// The WCAG contrast ratio of two colours, from 1 to 21.
pub fn ratio(a: [u8; 3], b: [u8; 3]) -> f64 {
    let (la, lb) = (luminance(a), luminance(b));
    (la.max(lb) + 0.05) / (la.min(lb) + 0.05)
}

/// `background` moved `share` of the way to white: the kiosk's surface for
/// what one can touch, a shade lighter than the page and still dark enough
/// for every text colour of the theme (checked by a test on the shipped
/// kiosk layout).
pub fn lighten([r, g, b]: [u8; 3], share: f64) -> [u8; 3] {
    let up = |c: u8| (f64::from(c) + (255.0 - f64::from(c)) * share).round() as u8;
    [up(r), up(g), up(b)]
}

/// The text colour to draw on `background`: the feed's if it contrasts enough
/// (4.5:1, WCAG AA), else black or white, whichever contrasts more.
pub fn readable_text(background: [u8; 3], text: [u8; 3]) -> [u8; 3] {
    if ratio(background, text) >= 4.5 {
        return text;
    }
    let (black, white) = ([0, 0, 0], [255, 255, 255]);
    if ratio(background, black) >= ratio(background, white) {
        black
    } else {
        white
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn contrast_ratios_match_wcag() {
        assert!((ratio([0, 0, 0], [255, 255, 255]) - 21.0).abs() < 0.01);
        assert!((ratio([255, 255, 255], [255, 255, 255]) - 1.0).abs() < 0.01);
        assert_eq!(parse_hex("#1D4E89"), Some([0x1D, 0x4E, 0x89]));
        assert_eq!(parse_hex("zz0000"), None);
    }

    #[test]
    fn unreadable_feed_colours_are_replaced() {
        // Yellow on white (a real feed mistake): black instead.
        assert_eq!(
            readable_text([0xF9, 0xA8, 0x25], [0xFF, 0xFF, 0xFF]),
            [0, 0, 0]
        );
        // Dark blue with white text is fine as it is.
        assert_eq!(
            readable_text([0x1D, 0x4E, 0x89], [0xFF, 0xFF, 0xFF]),
            [0xFF, 0xFF, 0xFF]
        );
    }
}
