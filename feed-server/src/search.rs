//! Finding a place by its name: the stations of the configuration, the stops
//! and the lines of every loaded feed (`GET /v1/search?q=`).
//!
//! Built once, just after the server starts answering ([`Search`]: folding
//! every stop's name takes milliseconds a first board does not wait for; a
//! search asked before it is built waits for it). Names are folded for matching
//! (lower case, accents and ligatures away, every run of other characters a
//! word break: « Le Cateau-Cambrésis » is `le cateau cambresis`), and a name
//! matches when each word of the query begins one of its words, in any
//! order (« cambresis cat » finds it). Ranked: the whole name first, then a
//! name that begins with the query, then the rest; stations before stops
//! before lines at equal rank, shorter names first. A platform is not listed
//! when its station (its GTFS parent, or the configured station it belongs
//! to) has the same name: the station is.
//! A linear pass over folded names: about 9,000 stops for the SNCF TER feed.

use quai_protocol as wire;

/// Words of a query looked at, at most (a longer query is not a name).
const MAX_WORDS: usize = 8;
use unicode_normalization::char::{decompose_compatible, is_combining_mark};

use crate::feed::{Feeds, StopRef};
use crate::station::Station;

/// What a result is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Kind {
    Station,
    Stop,
    Line,
}

/// One name that can be found.
#[derive(Debug)]
struct Entry {
    kind: Kind,
    /// The station id, `{feed}:{stop_id}` or `{feed}:{route_id}`.
    id: String,
    name: String,
    /// The folded name: its words, one space between them.
    folded: String,
    /// A line's colours and mode.
    route: Option<(wire::RouteRef, wire::Mode)>,
    /// For a stop: the configured station it belongs to.
    station: Option<String>,
}

/// Every place of the deployment, by name.
#[derive(Debug, Default)]
pub struct SearchIndex {
    entries: Vec<Entry>,
}

/// A deployment's [`SearchIndex`], once built. The names are folded after the
/// deployment loads, on a thread of their own ([`crate::deployment::Deployment::index_search`]),
/// not before the first board: SNCF TER's 9,000 stops take 2.6–3.9 ms, a
/// tenth of a warm start (docs/benchmarks.md).
#[derive(Debug, Default)]
pub struct Search(tokio::sync::SetOnce<SearchIndex>);

impl Search {
    /// Builds the index of `feeds` and `stations`, once: a second call keeps
    /// the first index. Whatever happens, an index is set, so that no search
    /// waits forever: should folding the names panic (a bug), the index is
    /// empty and the panic logged.
    pub fn build(&self, feeds: &Feeds, stations: &[Station]) {
        if self.0.get().is_some() {
            return;
        }
        let built = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            SearchIndex::with_stations(FeedNames::fold(feeds), stations)
        }));
        let index = built.unwrap_or_else(|_| {
            tracing::error!("the search index could not be built: searches find nothing");
            SearchIndex::default()
        });
        let _ = self.0.set(index);
    }

    /// The index, waiting for it while it is being built.
    pub async fn ready(&self) -> &SearchIndex {
        self.0.wait().await
    }
}

/// `text` folded for matching: lower case, no accents, ligatures spelt out, words
/// separated by one space.
///
/// Each character is decomposed on its own (NFKD's decomposition; its reordering
/// only moves combining marks, which are dropped), ASCII without a look-up: the
/// index folds every stop name of every feed before the server answers, which
/// `nfkd()` over the whole text made a fifth of a warm start.
pub fn fold(text: &str) -> String {
    let mut folded = Folded {
        out: String::with_capacity(text.len()),
        space: false,
    };
    for c in text.chars() {
        if c.is_ascii() {
            folded.push(c);
        } else {
            decompose_compatible(c, |d| folded.push(d));
        }
    }
    folded.out
}

/// [`fold`]'s output as it is written: a space is written only before a word.
struct Folded {
    out: String,
    space: bool,
}

impl Folded {
    /// Takes one character of the decomposed text.
    fn push(&mut self, c: char) {
        if c.is_ascii_alphanumeric() {
            self.word();
            self.out.push(c.to_ascii_lowercase());
            return;
        }
        if is_combining_mark(c) {
            return;
        }
        let spelt = match c {
            'ø' | 'Ø' => "o",
            'æ' | 'Æ' => "ae",
            'œ' | 'Œ' => "oe",
            'ß' => "ss",
            'ł' | 'Ł' => "l",
            'đ' | 'Đ' => "d",
            c if c.is_alphanumeric() => {
                self.word();
                self.out.extend(c.to_lowercase());
                return;
            }
            _ => {
                self.space = !self.out.is_empty();
                return;
            }
        };
        self.word();
        self.out.push_str(spelt);
    }

    /// A word goes on: the space owed before it first.
    fn word(&mut self) {
        if self.space {
            self.out.push(' ');
            self.space = false;
        }
    }
}

fn entry(
    kind: Kind,
    id: String,
    name: String,
    route: Option<(wire::RouteRef, wire::Mode)>,
    station: Option<String>,
) -> Entry {
    Entry {
        kind,
        id,
        folded: fold(&name),
        name,
        route,
        station,
    }
}

/// The stops and lines of the feeds, their names folded: the slow part of
/// building a [`SearchIndex`], which needs no station.
#[derive(Debug, Default)]
pub struct FeedNames {
    /// Stops, each with its feed and position, then lines.
    stops: Vec<(StopRef, Entry)>,
    lines: Vec<Entry>,
}

impl FeedNames {
    pub fn fold(feeds: &Feeds) -> FeedNames {
        let mut names = FeedNames::default();
        for (fi, feed) in feeds.enumerate() {
            let t = &feed.timetable;
            for (si, stop) in t.stops.enumerate() {
                let name = t.stop_name(si);
                let same_as_parent = stop.parent.is_some_and(|p| t.stops[p].name == name);
                if name.is_empty() || same_as_parent {
                    continue;
                }
                let stop_ref = StopRef { feed: fi, stop: si };
                let id = format!("{}:{}", feed.id, stop.id);
                names.stops.push((
                    stop_ref,
                    entry(Kind::Stop, id, name.to_string(), None, None),
                ));
            }
            for route in t.routes.iter() {
                let name = match (&route.short_name, &route.long_name) {
                    (Some(s), Some(l)) if !l.is_empty() => format!("{s} {l}"),
                    (Some(s), _) => s.clone(),
                    (None, Some(l)) => l.clone(),
                    (None, None) => continue,
                };
                names.lines.push(entry(
                    Kind::Line,
                    format!("{}:{}", feed.id, route.id),
                    name,
                    Some((crate::board::route_ref(route), route.mode)),
                    None,
                ));
            }
        }
        names
    }
}

impl SearchIndex {
    /// The index of the stations and of `names`: a stop of a station is listed
    /// with it, and not at all when it has the station's name (the station is).
    pub fn with_stations(names: FeedNames, stations: &[Station]) -> SearchIndex {
        let mut entries: Vec<Entry> = stations
            .iter()
            .map(|s| entry(Kind::Station, s.id.to_string(), s.name.clone(), None, None))
            .collect();
        for (stop, mut e) in names.stops {
            let station = stations.iter().find(|s| s.has_stop(stop.feed, stop.stop));
            if station.is_some_and(|s| s.name == e.name) {
                continue;
            }
            e.station = station.map(|s| s.id.to_string());
            entries.push(e);
        }
        entries.extend(names.lines);
        SearchIndex { entries }
    }

    /// The places whose names match `query`, best first, at most `limit`.
    pub fn find(&self, query: &str, limit: usize) -> Vec<wire::Place> {
        let folded = fold(query);
        let mut words: Vec<&str> = folded.split(' ').filter(|w| !w.is_empty()).collect();
        words.sort_unstable();
        words.dedup();
        words.truncate(MAX_WORDS);
        if words.is_empty() {
            return Vec::new();
        }
        let mut found: Vec<(u8, Kind, usize, &Entry)> = self
            .entries
            .iter()
            .filter(|e| {
                words
                    .iter()
                    .all(|w| e.folded.split(' ').any(|ew| ew.starts_with(w)))
            })
            .map(|e| {
                let rank = if e.folded == folded {
                    0
                } else if e.folded.starts_with(&folded) {
                    1
                } else {
                    2
                };
                (rank, e.kind, e.name.chars().count(), e)
            })
            .collect();
        found.sort_by(|a, b| (a.0, a.1, a.2, &a.3.name).cmp(&(b.0, b.1, b.2, &b.3.name)));
        found
            .into_iter()
            .take(limit)
            .map(|(_, _, _, e)| place(e))
            .collect()
    }
}

fn place(e: &Entry) -> wire::Place {
    match e.kind {
        Kind::Station => wire::Place::Station {
            id: e.id.clone(),
            name: e.name.clone(),
            board: format!("/v1/stations/{}/board", e.id),
        },
        Kind::Stop => wire::Place::Stop {
            id: e.id.clone(),
            name: e.name.clone(),
            station: e.station.clone(),
            board: match &e.station {
                Some(s) => format!("/v1/stations/{s}/board"),
                None => format!("/v1/stops/{}/board", wire::encode_id(&e.id)),
            },
        },
        Kind::Line => {
            let (route, mode) = e.route.clone().unzip();
            wire::Place::Line {
                id: e.id.clone(),
                name: e.name.clone(),
                mode: mode.unwrap_or(wire::Mode::Bus),
                route: route.unwrap_or_else(|| wire::RouteRef {
                    id: String::new(),
                    short_name: None,
                    long_name: None,
                    color: "#FFFFFF".into(),
                    text_color: "#000000".into(),
                }),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A search asked before the index is built waits for it, then answers.
    #[tokio::test]
    async fn a_search_waits_for_the_index() {
        let search = std::sync::Arc::new(Search::default());
        let asked = tokio::spawn({
            let search = search.clone();
            async move { search.ready().await.find("caudry", 10).len() }
        });
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        assert!(!asked.is_finished(), "answered before the index was built");
        search.build(&Feeds::new(Vec::new()), &[]);
        assert_eq!(asked.await.expect("the search"), 0);
    }

    #[test]
    fn names_fold_to_plain_words() {
        assert_eq!(fold("Le Cateau-Cambrésis"), "le cateau cambresis");
        assert_eq!(
            fold("  Caudry – Pôle d'échanges "),
            "caudry pole d echanges"
        );
        assert_eq!(fold("Bærum Øst"), "baerum ost");
        assert_eq!(fold("CŒUR"), "coeur");
        assert_eq!(fold("Straße"), "strasse");
        // Compatibility forms: a ligature, full-width letters.
        assert_eq!(fold("ﬁlature ＡＢ"), "filature ab");
        assert_eq!(
            wire::encode_id("ter:StopPoint:OCETrain TER-1/2"),
            "ter:StopPoint:OCETrain%20TER-1%2F2"
        );
    }

    /// What [`fold`] does, written the plain way: NFKD over the whole text.
    fn fold_whole(text: &str) -> String {
        use unicode_normalization::UnicodeNormalization;
        let mut out = String::new();
        for c in text.nfkd() {
            if is_combining_mark(c) {
                continue;
            }
            match c {
                'ø' | 'Ø' => out.push('o'),
                'æ' | 'Æ' => out.push_str("ae"),
                'œ' | 'Œ' => out.push_str("oe"),
                'ß' => out.push_str("ss"),
                'ł' | 'Ł' => out.push('l'),
                'đ' | 'Đ' => out.push('d'),
                c if c.is_alphanumeric() => out.extend(c.to_lowercase()),
                _ => out.push(' '),
            }
        }
        out.split_whitespace().collect::<Vec<_>>().join(" ")
    }

    #[test]
    fn folding_char_by_char_is_folding_the_whole_text() {
        for text in [
            "",
            "   ",
            " Saint-Quentin  (Gare) ",
            "ǅemal Bijedić",
            "İstanbul Ω K Å",
            "한국 ｶﾀｶﾅ ①② ½",
            "a\u{301}\u{327}b \u{327}\u{301}",
        ] {
            assert_eq!(fold(text), fold_whole(text), "{text:?}");
        }
        // Every character up to the supplementary planes' end of use, in runs
        // of seven (so that marks meet letters and each other).
        let chars: Vec<char> = (0..0x3_2000).filter_map(char::from_u32).collect();
        for run in chars.chunks(7) {
            let text: String = run.iter().collect();
            assert_eq!(fold(&text), fold_whole(&text), "{text:?}");
        }
    }

    fn index() -> SearchIndex {
        let stop = |name: &str, id: &str| entry(Kind::Stop, id.into(), name.into(), None, None);
        SearchIndex {
            entries: vec![
                stop("Le Cateau-Cambrésis – Gare", "demo:LC"),
                stop("Cambrai – Gare routière", "demo:CG"),
                stop("Cambrai", "demo:C"),
                entry(
                    Kind::Station,
                    "caudry".into(),
                    "Caudry – Pôle d'échanges".into(),
                    None,
                    None,
                ),
                stop("Caudry – Hôtel de Ville", "demo:CH"),
            ],
        }
    }

    fn ids(places: Vec<wire::Place>) -> Vec<String> {
        places
            .into_iter()
            .map(|p| match p {
                wire::Place::Station { id, .. }
                | wire::Place::Stop { id, .. }
                | wire::Place::Line { id, .. } => id,
            })
            .collect()
    }

    #[test]
    fn prefixes_of_words_without_accents_in_any_order_best_first() {
        let i = index();
        assert_eq!(ids(i.find("cambresis", 10)), ["demo:LC"]);
        assert_eq!(ids(i.find("CAMBRÉSIS cat", 10)), ["demo:LC"]);
        // The whole name first, then names that begin with it, shorter first.
        assert_eq!(ids(i.find("cambrai", 10)), ["demo:C", "demo:CG"]);
        // A station before a stop of the same rank.
        assert_eq!(ids(i.find("caud", 10)), ["caudry", "demo:CH"]);
        assert_eq!(ids(i.find("caud", 1)), ["caudry"]);
        assert!(i.find(" – ", 10).is_empty());
        assert!(i.find("zzz", 10).is_empty());
    }
}
