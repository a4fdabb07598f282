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
        let table: Abbreviations =
            ron::from_str(&text).map_err(|e| AbbreviationsError::Syntax {
                path: path.display().to_string(),
                line: e.span.start.line,
                column: e.span.start.col,
                reason: e.code.to_string(),
            })?;
        if let Some(i) = table
            .rules
            .iter()
            .position(|(long, _)| long.trim().is_empty())
        {
            return Err(AbbreviationsError::Syntax {
                path: path.display().to_string(),
                line: 0,
                column: 0,
                reason: format!("rule {} has no long form to replace", i + 1),
            });
        }
        Ok(table)
    }

    /// `text` with rule `rule` applied where its long form stands as whole
    /// words (not inside a longer word: « Placette » keeps its « Place »).
    fn apply(&self, rule: usize, text: &str) -> String {
        let Some((long, short)) = self.rules.get(rule) else {
            return text.to_string();
        };
        // An empty long form would match everywhere, forever.
        if long.is_empty() {
            return text.to_string();
        }
        let word = |c: Option<char>| c.is_some_and(char::is_alphanumeric);
        // A long form ending with a hyphen ("Saint-") may be followed by a letter.
        let ends_open = long.ends_with(['-', '\'', '’', ' ']);
        let mut out = String::new();
        // Where the text not yet copied starts; neighbours are read in the
        // whole text, not in what is left of it.
        let mut copied = 0;
        for (at, _) in text.match_indices(long.as_str()) {
            if at < copied {
                continue;
            }
            let before = text[..at].chars().next_back();
            let after = text[at + long.len()..].chars().next();
            if !word(before) && (ends_open || !word(after)) {
                out.push_str(&text[copied..at]);
                out.push_str(short);
                copied = at + long.len();
            }
        }
        out.push_str(&text[copied..]);
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
        // After a hyphen that is neither the word's first character nor its last.
        while let Some(at) = rest
            .char_indices()
            .skip(1)
            .find(|&(_, c)| c == '-')
            .map(|(i, _)| i + 1)
            .filter(|&at| at < rest.len())
        {
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
    // Whole on one line at the smaller size (a single long piece).
    if two && fits(&text, small) {
        return Fitted { text, size: small };
    }
    // Still too long: whole pieces, then « … » (on two lines when the row
    // has room: the first full, the second cut).
    let size = if two { small } else { size };
    // The longest run of pieces from..k (k ≤ to) that fits with « … ».
    let cut = |from: usize, to: usize| {
        (from + 1..=to)
            .rev()
            .map(|k| format!("{}…", line(&parts[from..k])))
            .find(|t| fits(t, size))
    };
    let first_full = (1..parts.len())
        .rev()
        .find(|&k| fits(&line(&parts[..k]), size));
    let text = match (two, first_full) {
        (true, Some(k)) => match cut(k, parts.len()) {
            Some(rest) => format!("{}\n{rest}", line(&parts[..k])),
            None => cut(0, k).unwrap_or_else(|| line(&parts[..k])),
        },
        // Not even one piece and « … »: the first piece alone (its cell
        // clips what does not fit; no better can be done).
        _ => cut(0, parts.len())
            .unwrap_or_else(|| parts.first().map_or(String::new(), |p| p.0.to_string())),
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
    check_sized(
        name,
        fitted,
        width,
        f32::INFINITY,
        f32::INFINITY,
        measure,
        abbreviations,
    )
}

/// [`check`] in layout `l`'s table: also no bigger than its rows' size, and
/// two lines no bigger than two lines of a row take.
pub fn check_in(
    l: &crate::Layout,
    name: &str,
    fitted: &Fitted,
    measure: &Measure<'_>,
    abbreviations: &Abbreviations,
) -> Result<(), String> {
    let row_height = l.departures.region.height / l.departures.rows_per_page as f32;
    check_sized(
        name,
        fitted,
        destination_width(l),
        l.theme.sizes.row,
        row_height / 2.5,
        measure,
        abbreviations,
    )
}

fn check_sized(
    name: &str,
    fitted: &Fitted,
    width: f32,
    row_size: f32,
    two_lines_size: f32,
    measure: &Measure<'_>,
    abbreviations: &Abbreviations,
) -> Result<(), String> {
    let too_small = row_size.is_finite() && fitted.size < row_size * 0.5;
    if fitted.size > row_size || too_small {
        return Err(format!(
            "`{}` at {} px in rows of {row_size} px",
            fitted.text, fitted.size
        ));
    }
    if fitted.text.contains('\n') && fitted.size > two_lines_size {
        return Err(format!(
            "`{}`: two lines at {} px where two take {two_lines_size} px",
            fitted.text, fitted.size
        ));
    }
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
        // (Spaces as pieces join them: a producer's double space is no cut.)
        joins.iter().any(|joined| match joined.strip_suffix('…') {
            None => line(&pieces(joined)) == normal,
            Some(start) => {
                let start = line(&pieces(start));
                normal.starts_with(&start)
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
pub(crate) mod tests {
    use super::*;

    /// The shipped regular face's bytes.
    pub(crate) fn font() -> Vec<u8> {
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
    /// stop names, every one: `tests/long_names.rs`, with the conformance suite.)
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
            // A word that starts with a letter of two bytes (SNCF TER).
            "Étival-Clairefontaine",
            "Quartier de la Gare de Nord Est Évry-Courcouronnes-Centre-Agora",
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
                check_in(&l, name, &f, &m, &a).unwrap_or_else(|e| panic!("{layout}: {e} ({f:?})"));
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
        // Neighbours are read in the whole text: a second match right after
        // a first one still needs a word boundary.
        assert_eq!(a.apply(0, "Place Placette"), "Pl. Placette");
        assert_eq!(a.apply(0, "XPlace Place"), "XPlace Pl.");
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
        // A first letter of two bytes does not hide the hyphens after it.
        assert_eq!(
            pieces("Étival-Clairefontaine"),
            [("Étival-", false), ("Clairefontaine", true)]
        );
        // An empty rule is no rule.
        let empty = Abbreviations {
            rules: vec![(String::new(), "x".into())],
        };
        assert_eq!(empty.apply(0, "Cambrai"), "Cambrai");
        // And the check catches a name cut inside a word.
        let broken = Fitted {
            text: "Cam\nbrai".into(),
            size: 46.0,
        };
        assert!(check("Cambrai", &broken, 300.0, &m, &a).is_err());
        assert!(hyphens.text.contains("-\n"), "{hyphens:?}");
    }
}
