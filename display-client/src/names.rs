//! Long names: a destination too wide for its column is shortened by the
//! network's abbreviation table (`layouts/abbreviations.ron`, tried in
//! order: « Gare routière » → « Gare rout. »), then set on two lines at a
//! smaller size, then, only if it still does not fit, cut after its last
//! whole word with « … ». Never cut inside a word. Widths are measured with
//! the font the screen draws with (its glyph advances, from the font file).

use std::path::Path;

use bevy::prelude::*;
use serde::Deserialize;
use skrifa::MetadataProvider as _;

/// The network's abbreviations, tried in order.
#[derive(Resource, Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Abbreviations {
    /// (long, short): `long` is replaced where it stands as whole words.
    pub rules: Vec<(String, String)>,
}

#[derive(Debug, thiserror::Error)]
pub enum AbbreviationsError {
    #[error("cannot read abbreviations {path}: {reason}")]
    Read { path: String, reason: String },
    #[error("{path}:{line}:{column}: {reason}")]
    Syntax {
        path: String,
        line: usize,
        column: usize,
        reason: String,
    },
}

impl Abbreviations {
    pub fn load(path: &Path) -> Result<Abbreviations, AbbreviationsError> {
        let text = std::fs::read_to_string(path).map_err(|e| AbbreviationsError::Read {
            path: path.display().to_string(),
            reason: e.to_string(),
        })?;
        ron::from_str(&text).map_err(|e| AbbreviationsError::Syntax {
            path: path.display().to_string(),
            line: e.span.start.line,
            column: e.span.start.col,
            reason: e.code.to_string(),
        })
    }

    /// `text` with rule `rule` applied where its long form stands as whole
    /// words (not inside a longer word: « Placette » keeps its « Place »).
    fn apply(&self, rule: usize, text: &str) -> String {
        let Some((long, short)) = self.rules.get(rule) else {
            return text.to_string();
        };
        let word = |c: Option<char>| c.is_some_and(char::is_alphanumeric);
        let mut out = String::new();
        let mut rest = text;
        while let Some(at) = rest.find(long.as_str()) {
            let before = rest[..at].chars().next_back();
            let after = rest[at + long.len()..].chars().next();
            // A long form ending with a hyphen ("Saint-") may be followed by a letter.
            let ends_open = long.ends_with(['-', '\'', '’', ' ']);
            out.push_str(&rest[..at]);
            if !word(before) && (ends_open || !word(after)) {
                out.push_str(short);
            } else {
                out.push_str(long);
            }
            rest = &rest[at + long.len()..];
        }
        out.push_str(rest);
        out
    }
}

/// Text widths with one font.
pub struct Measure<'a> {
    font: skrifa::FontRef<'a>,
}

impl<'a> Measure<'a> {
    /// From a font file's bytes; None when they are not a font.
    pub fn new(data: &'a [u8]) -> Option<Measure<'a>> {
        skrifa::FontRef::new(data).ok().map(|font| Measure { font })
    }

    /// The width of `text` at `size` px: the sum of its glyph advances (a
    /// little wider than the shaped text, which kerning tightens: safe).
    pub fn width(&self, text: &str, size: f32) -> f32 {
        let charmap = self.font.charmap();
        let metrics = self.font.glyph_metrics(
            skrifa::instance::Size::new(size),
            skrifa::instance::LocationRef::default(),
        );
        text.chars()
            .map(|c| {
                charmap
                    .map(c)
                    .and_then(|g| metrics.advance_width(g))
                    .unwrap_or(size * 0.6)
            })
            .sum()
    }
}

/// A name set to fit its column: one or two lines (joined by `\n`) at `size`.
#[derive(Debug, Clone, PartialEq)]
pub struct Fitted {
    pub text: String,
    pub size: f32,
}

/// The smallest size two lines may take, as a share of the row's size.
const TWO_LINES_SHARE: f32 = 0.6;

/// Where a name may go to the next line: after a space, or after a hyphen
/// (« Couzon-Au-Mont-D'Or- / Arret-Tcl-Gare »); its pieces, each with
/// whether a space follows it.
fn pieces(text: &str) -> Vec<(&str, bool)> {
    let mut out = Vec::new();
    for word in text.split_whitespace() {
        let mut rest = word;
        while let Some(at) = rest.get(1..).and_then(|r| r.find('-')).map(|i| i + 2) {
            if at >= rest.len() {
                break;
            }
            out.push((&rest[..at], false));
            rest = &rest[at..];
        }
        out.push((rest, true));
    }
    out
}

/// Pieces `a..b` as one line.
fn line(pieces: &[(&str, bool)]) -> String {
    let mut out = String::new();
    for (i, (piece, spaced)) in pieces.iter().enumerate() {
        out.push_str(piece);
        if *spaced && i + 1 < pieces.len() {
            out.push(' ');
        }
    }
    out
}

/// `name` set in `width` px at `size` px (`two_lines_size`: the size two
/// lines of the row take; under 60 % of `size`, one line only).
pub fn fit(
    name: &str,
    width: f32,
    size: f32,
    two_lines_size: f32,
    measure: &Measure<'_>,
    abbreviations: &Abbreviations,
) -> Fitted {
    let fits = |t: &str, s: f32| measure.width(t, s) <= width;
    let mut text = name.to_string();
    if fits(&text, size) {
        return Fitted { text, size };
    }
    for rule in 0..abbreviations.rules.len() {
        text = abbreviations.apply(rule, &text);
        if fits(&text, size) {
            return Fitted { text, size };
        }
    }
    let small = two_lines_size.min(size);
    let two = small >= size * TWO_LINES_SHARE;
    let parts = pieces(&text);
    if two {
        // Two lines: the first takes as many whole pieces as fit.
        if let Some(k) = (1..parts.len())
            .rev()
            .find(|&k| fits(&line(&parts[..k]), small))
        {
            let (first, second) = (line(&parts[..k]), line(&parts[k..]));
            if fits(&second, small) {
                return Fitted {
                    text: format!("{first}\n{second}"),
                    size: small,
                };
            }
        }
    }
    // Still too long: whole pieces, then « … » (on two lines when the row
    // has room: the first full, the second cut).
    let size = if two { small } else { size };
    let cut = |from: usize| {
        (from + 1..=parts.len())
            .rev()
            .map(|k| format!("{}…", line(&parts[from..k])))
            .find(|t| fits(t, size))
    };
    let first_full = (1..parts.len())
        .rev()
        .find(|&k| fits(&line(&parts[..k]), size));
    let text = match (two, first_full) {
        (true, Some(k)) => match cut(k) {
            Some(rest) => format!("{}\n{rest}", line(&parts[..k])),
            None => format!("{}…", line(&parts[..k])),
        },
        _ => cut(0).unwrap_or_else(|| parts.first().map_or(String::new(), |p| format!("{}…", p.0))),
    };
    Fitted { text, size }
}

/// What a cell keeps free at its right, so that a name does not touch the
/// next column.
const CELL_MARGIN: f32 = 12.0;

/// The width a destination may take in layout `l`'s table, in px.
pub fn destination_width(l: &crate::Layout) -> f32 {
    crate::departures::width_of(
        crate::layout::Column::Destination,
        l.departures.region.width,
    ) - CELL_MARGIN
}

/// A destination as layout `l`'s table sets it (two lines take 2.5 lines'
/// height of a row).
pub fn destination(
    l: &crate::Layout,
    name: &str,
    measure: &Measure<'_>,
    abbreviations: &Abbreviations,
) -> Fitted {
    let row_height = l.departures.region.height / l.departures.rows_per_page as f32;
    fit(
        name,
        destination_width(l),
        l.theme.sizes.row,
        row_height / 2.5,
        measure,
        abbreviations,
    )
}

/// Whether `fitted` sets `name` within `width` at its size, in whole
/// pieces (of the name or of an abbreviated form of it: what its lines make
/// once joined again is that form, or its start up to a break, then « … »);
/// the reason when not.
pub fn check(
    name: &str,
    fitted: &Fitted,
    width: f32,
    measure: &Measure<'_>,
    abbreviations: &Abbreviations,
) -> Result<(), String> {
    let mut forms = vec![name.to_string()];
    for rule in 0..abbreviations.rules.len() {
        let next = abbreviations.apply(rule, forms.last().map_or(name, |s| s.as_str()));
        forms.push(next);
    }
    let lines: Vec<&str> = fitted.text.lines().collect();
    if lines.len() > 2 {
        return Err(format!("`{}` takes more than two lines", fitted.text));
    }
    for l in &lines {
        if measure.width(l, fitted.size) > width {
            return Err(format!(
                "`{l}` is wider than {width} px at {} px",
                fitted.size
            ));
        }
    }
    // Two lines join again with a space, or without one after a hyphen
    // that ended a piece.
    let joins: Vec<String> = if lines.len() == 2 {
        let mut j = vec![format!("{} {}", lines[0], lines[1])];
        if lines[0].ends_with('-') {
            j.push(format!("{}{}", lines[0], lines[1]));
        }
        j
    } else {
        vec![lines.concat()]
    };
    let whole = forms.iter().any(|f| {
        let normal = line(&pieces(f));
        joins.iter().any(|joined| match joined.strip_suffix('…') {
            None => *joined == normal,
            Some(start) => {
                normal.starts_with(start)
                    && (start.ends_with('-') || normal[start.len()..].starts_with(' '))
            }
        })
    });
    if whole {
        Ok(())
    } else {
        Err(format!("`{}` cuts a word of `{name}`", fitted.text))
    }
}

pub fn plugin(app: &mut App) {
    app.init_resource::<Abbreviations>()
        .add_systems(Startup, load);
}

fn load(mut commands: Commands, options: Option<Res<crate::speech::SpeechOptions>>) {
    let Some(options) = options else { return };
    let path = options.layout_dir.join("abbreviations.ron");
    if !path.exists() {
        return;
    }
    match Abbreviations::load(&path) {
        Ok(a) => commands.insert_resource(a),
        Err(e) => warn!("{e}; long names are not abbreviated"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn font() -> Vec<u8> {
        std::fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join("../assets/fonts/DejaVuSans.ttf"))
            .expect("the shipped font")
    }

    pub fn shipped() -> Abbreviations {
        Abbreviations::load(
            &Path::new(env!("CARGO_MANIFEST_DIR")).join("../layouts/abbreviations.ron"),
        )
        .expect("layouts/abbreviations.ron")
    }

    /// Every shipped table sets the demo's longest names (its stops, as
    /// destinations) within its column, in whole words. (The TER feed's
    /// longest: `tests/long_names.rs`, with the conformance suite.)
    #[test]
    fn every_shipped_layout_sets_long_names_in_whole_words() {
        let data = font();
        let m = Measure::new(&data).unwrap();
        let a = shipped();
        let names = [
            "Caudry – Basilique Sainte-Maxellende",
            "Le Cateau-Cambrésis – Hôtel de Ville",
            "Beauvois-en-Cambrésis – Mairie",
            "Saint-Quentin – Gare routière",
            "Caudry – Pôle d'échanges",
        ];
        for layout in [
            "hall-1080p.ron",
            "portrait-1080x1920.ron",
            "platform-sign.ron",
        ] {
            let l = crate::Layout::load(
                &Path::new(env!("CARGO_MANIFEST_DIR"))
                    .join("../layouts")
                    .join(layout),
            )
            .unwrap();
            for name in names {
                let f = destination(&l, name, &m, &a);
                check(name, &f, destination_width(&l), &m, &a)
                    .unwrap_or_else(|e| panic!("{layout}: {e} ({f:?})"));
            }
        }
    }

    #[test]
    fn abbreviations_replace_whole_words_only() {
        let a = Abbreviations {
            rules: vec![
                ("Place".into(), "Pl.".into()),
                ("Saint-".into(), "St-".into()),
            ],
        };
        assert_eq!(a.apply(0, "Place Jean Jaurès"), "Pl. Jean Jaurès");
        assert_eq!(a.apply(0, "La Placette"), "La Placette");
        assert_eq!(a.apply(0, "Replace"), "Replace");
        assert_eq!(a.apply(1, "Saint-Quentin"), "St-Quentin");
        assert_eq!(a.apply(1, "Pont-Saint-Esprit"), "Pont-St-Esprit");
        assert_eq!(a.apply(1, "Toussaint-Lès"), "Toussaint-Lès");
    }

    #[test]
    fn a_long_name_is_abbreviated_then_set_on_two_lines_never_cut_in_a_word() {
        let data = font();
        let m = Measure::new(&data).unwrap();
        let a = shipped();
        let short = fit("Cambrai", 400.0, 46.0, 33.0, &m, &a);
        assert_eq!(
            short,
            Fitted {
                text: "Cambrai".into(),
                size: 46.0
            }
        );
        let name = "Saint-Quentin – Gare routière";
        let wide = m.width(name, 46.0);
        // A little too wide: the table shortens it.
        let abbreviated = fit(name, wide - 10.0, 46.0, 33.0, &m, &a);
        assert!(
            abbreviated.text.contains("rout.") || abbreviated.text.starts_with("St-"),
            "{abbreviated:?}"
        );
        assert_eq!(abbreviated.size, 46.0);
        // Far too wide: two lines, at the smaller size, whole words.
        let two = fit(name, wide / 2.0, 46.0, 33.0, &m, &a);
        assert!(two.text.contains('\n'), "{two:?}");
        assert_eq!(two.size, 33.0);
        for line in two.text.lines() {
            assert!(m.width(line, 33.0) <= wide / 2.0, "{line}");
        }
        // No room at all: whole words and « … ».
        let cut = fit(
            "Beauvois-en-Cambrésis – Mairie annexe",
            300.0,
            46.0,
            0.0,
            &m,
            &a,
        );
        assert!(cut.text.ends_with('…'), "{cut:?}");
        assert!(m.width(&cut.text, 46.0) <= 300.0, "{cut:?}");
        check("Beauvois-en-Cambrésis – Mairie annexe", &cut, 300.0, &m, &a).unwrap();
        // A hyphen is a place to break a name too long for a line.
        let hyphens = fit(
            "Couzon-Au-Mont-D'Or-Arret-Tcl-Gare",
            300.0,
            46.0,
            33.0,
            &m,
            &a,
        );
        check(
            "Couzon-Au-Mont-D'Or-Arret-Tcl-Gare",
            &hyphens,
            300.0,
            &m,
            &a,
        )
        .unwrap();
        // And the check catches a name cut inside a word.
        let broken = Fitted {
            text: "Cam\nbrai".into(),
            size: 46.0,
        };
        assert!(check("Cambrai", &broken, 300.0, &m, &a).is_err());
        assert!(hyphens.text.contains("-\n"), "{hyphens:?}");
    }
}
