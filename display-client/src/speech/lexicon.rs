//! The pronunciation lexicon: names the speech engine reads wrongly, written
//! as they should sound, per language (`layouts/lexicon.ron`). Entries
//! replace whole words only ("K40" in "Ligne K40", not in "K400"), longest
//! first, so "Le Cateau-Cambrésis" wins over "Le Cateau".

use std::collections::BTreeMap;
use std::path::Path;

/// Per language, written form → spoken form.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Lexicon(BTreeMap<String, Vec<(String, String)>>);

#[derive(Debug, thiserror::Error)]
pub enum LexiconError {
    #[error("cannot read lexicon {path}: {reason}")]
    Read { path: String, reason: String },
    #[error("{path}: {reason}")]
    Syntax { path: String, reason: String },
}

impl Lexicon {
    pub fn load(path: &Path) -> Result<Lexicon, LexiconError> {
        let text = std::fs::read_to_string(path).map_err(|e| LexiconError::Read {
            path: path.display().to_string(),
            reason: e.to_string(),
        })?;
        Lexicon::parse(&text).map_err(|reason| LexiconError::Syntax {
            path: path.display().to_string(),
            reason,
        })
    }

    pub fn parse(text: &str) -> Result<Lexicon, String> {
        let map: BTreeMap<String, BTreeMap<String, String>> =
            ron::from_str(text).map_err(|e| e.to_string())?;
        Ok(Lexicon(
            map.into_iter()
                .map(|(lang, entries)| {
                    let mut entries: Vec<(String, String)> = entries
                        .into_iter()
                        .filter(|(written, _)| !written.is_empty())
                        .collect();
                    entries.sort_by_key(|(w, _)| std::cmp::Reverse(w.chars().count()));
                    (lang, entries)
                })
                .collect(),
        ))
    }

    /// `text` with the lexicon's words of `lang` replaced by how they sound.
    pub fn apply(&self, lang: &str, text: &str) -> String {
        let Some(entries) = self.0.get(lang) else {
            return text.to_string();
        };
        let mut out = String::with_capacity(text.len());
        let mut rest = text;
        let mut previous: Option<char> = None;
        'scan: while let Some(c) = rest.chars().next() {
            let at_word_start = previous.is_none_or(|p| !p.is_alphanumeric());
            if at_word_start {
                for (written, spoken) in entries {
                    if let Some(after) = rest.strip_prefix(written.as_str())
                        && after.chars().next().is_none_or(|n| !n.is_alphanumeric())
                    {
                        out.push_str(spoken);
                        previous = written.chars().last();
                        rest = after;
                        continue 'scan;
                    }
                }
            }
            out.push(c);
            previous = Some(c);
            rest = &rest[c.len_utf8()..];
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn whole_words_longest_first_per_language() {
        let lexicon = Lexicon::parse(
            r#"{ "fr": { "K40": "K quarante", "Le Cateau": "Le Cato", "Le Cateau-Cambrésis": "Le Cato Cambrézi" },
                 "en": { "TER": "T E R" } }"#,
        )
        .expect("lexicon");
        assert_eq!(
            lexicon.apply("fr", "Ligne K40, direction Le Cateau-Cambrésis."),
            "Ligne K quarante, direction Le Cato Cambrézi."
        );
        assert_eq!(lexicon.apply("fr", "K400 et XK40"), "K400 et XK40");
        assert_eq!(lexicon.apply("fr", "Le Cateau."), "Le Cato.");
        assert_eq!(
            lexicon.apply("en", "Line TER to Lille"),
            "Line T E R to Lille"
        );
        assert_eq!(lexicon.apply("de", "TER"), "TER");
    }

    #[test]
    fn the_shipped_lexicon_reads() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../layouts/lexicon.ron");
        let lexicon = Lexicon::load(&path).expect("layouts/lexicon.ron");
        assert_ne!(lexicon.apply("fr", "K40"), "K40");
    }
}
