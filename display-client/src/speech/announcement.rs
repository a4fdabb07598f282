//! One announcement, composed when it is said: from a request (the board,
//! some urgent rows, the takeover), the board and the rows on screen, in
//! each language, through the lexicon, with its SSML; and what is urgent on
//! a board.

use quai_protocol::{Board, Departure, DepartureStatus};
use serde::Serialize;

use super::lexicon::Lexicon;
use super::queue::{Reason, Request};
use super::sentences;

/// A departure as the dump lists it, to compare with `--dump-text`.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct SpokenDeparture {
    pub line: String,
    pub headsign: String,
    pub time: String,
    pub platform: Option<String>,
}

/// One language's part of an announcement.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Utterance {
    pub lang: String,
    /// As composed.
    pub text: String,
    /// As given to the engine (through the lexicon).
    pub spoken: String,
    pub ssml: String,
}

/// What `--dump-speech` writes.
#[derive(Debug, Clone, Serialize)]
pub struct Announcement {
    /// How many announcements this screen made, this one included.
    pub n: u64,
    pub reason: Reason,
    /// What asked for it: start, key, touch, announce, input, schedule,
    /// platform_change, cancellation, severe_notice, emergency.
    pub trigger: String,
    pub chime: bool,
    pub utterances: Vec<Utterance>,
    pub departures: Vec<SpokenDeparture>,
}

/// What a request will say, composed when it is said.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Content {
    /// The board as shown.
    Board,
    /// These departures (ids) and severe notices (ids) only.
    Items {
        departures: Vec<String>,
        notices: Vec<String>,
    },
    /// The takeover's message.
    Emergency,
    /// These sentences, in this language (a kiosk's view).
    Text {
        lang: String,
        sentences: Vec<String>,
    },
}

#[derive(Debug, Clone, PartialEq)]
pub(super) struct Asked {
    pub(super) content: Content,
    pub(super) trigger: String,
}

/// The languages of an announcement: French first, then the others the
/// layout turns through.
pub(super) fn languages(layout_languages: &[String]) -> Vec<String> {
    let mut langs: Vec<String> = vec!["fr".into()];
    langs.extend(layout_languages.iter().filter(|l| *l != "fr").cloned());
    langs
}

fn ssml(lang: &str, sentences: &[String]) -> String {
    let escape = |s: &str| {
        s.replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;")
    };
    let body: String = sentences
        .iter()
        .map(|s| format!("<s>{}</s>", escape(s)))
        .collect();
    format!("<speak version=\"1.1\" xml:lang=\"{lang}\">{body}</speak>")
}

/// The announcement `request` makes of `board`, whose rows on screen are
/// `shown`, in `langs`, numbered `n`; None when there is nothing to say.
pub(super) fn compose(
    request: &Request<Asked>,
    board: &Board,
    shown: &[&Departure],
    arrivals: bool,
    langs: &[String],
    lexicon: &Lexicon,
    n: u64,
) -> Option<Announcement> {
    let (per_lang, departures): (Vec<(String, Vec<String>)>, Vec<&Departure>) = match &request
        .content
        .content
    {
        Content::Board => (
            langs
                .iter()
                .map(|lang| (lang.clone(), sentences::board(lang, board, shown, arrivals)))
                .collect(),
            shown.to_vec(),
        ),
        Content::Items {
            departures,
            notices,
        } => {
            let ds: Vec<&Departure> = board
                .departures
                .iter()
                .filter(|d| {
                    departures
                        .iter()
                        .any(|id| id.starts_with(&format!("{}:", d.id)))
                })
                .collect();
            let per_lang = langs
                .iter()
                .map(|lang| {
                    let mut s: Vec<String> = ds
                        .iter()
                        .map(|d| match arrivals {
                            true => sentences::arrival(lang, d),
                            false => sentences::departure(lang, d),
                        })
                        .collect();
                    s.extend(
                        board
                            .notices
                            .iter()
                            .filter(|n| notices.contains(&n.id))
                            .filter_map(|n| sentences::notice(lang, n)),
                    );
                    (lang.clone(), s)
                })
                .collect();
            (per_lang, ds)
        }
        Content::Text { lang, sentences } => (vec![(lang.clone(), sentences.clone())], Vec::new()),
        Content::Emergency => (
            board
                .emergency
                .iter()
                .flat_map(|e| {
                    langs.iter().filter_map(move |lang| {
                        e.tts_text
                            .get(lang)
                            .map(|t| (lang.clone(), vec![t.clone()]))
                    })
                })
                .collect(),
            Vec::new(),
        ),
    };
    let utterances: Vec<Utterance> = per_lang
        .into_iter()
        .filter(|(_, s)| !s.is_empty())
        .map(|(lang, sentences)| {
            let text = sentences.join(" ");
            let spoken = lexicon.apply(&lang, &text);
            let ssml = ssml(&lang, &sentences);
            Utterance {
                lang,
                text,
                spoken,
                ssml,
            }
        })
        .collect();
    if utterances.is_empty() {
        return None;
    }
    let chime = matches!(request.reason, Reason::Urgent | Reason::Emergency);
    Some(Announcement {
        n,
        reason: request.reason,
        trigger: request.content.trigger.clone(),
        chime,
        departures: departures
            .iter()
            .map(|d| SpokenDeparture {
                line: d
                    .route
                    .short_name
                    .clone()
                    .or_else(|| d.route.long_name.clone())
                    .unwrap_or_default(),
                headsign: d.headsign.clone(),
                time: crate::wording::clock_time(&d.scheduled),
                platform: d.platform.clone(),
            })
            .collect(),
        utterances,
    })
}

/// Minutes from the board's time to a departure (expected, else scheduled).
fn minutes_until(board: &Board, d: &Departure) -> Option<i64> {
    let now = chrono::DateTime::parse_from_rfc3339(&board.generated_at).ok()?;
    let at =
        chrono::DateTime::parse_from_rfc3339(d.expected.as_deref().unwrap_or(&d.scheduled)).ok()?;
    Some((at - now).num_minutes())
}

/// Departures in the next 15 minutes whose platform changed or that were
/// cancelled: an id for each change, and what it is.
pub(super) fn urgent(board: &Board) -> Vec<(String, &'static str)> {
    board
        .departures
        .iter()
        .filter(|d| minutes_until(board, d).is_some_and(|m| (-1..=15).contains(&m)))
        .filter_map(|d| {
            if d.status == DepartureStatus::Cancelled {
                Some((format!("{}:cancelled", d.id), "cancellation"))
            } else if d.platform_changed {
                Some((
                    format!("{}:platform:{}", d.id, d.platform.as_deref().unwrap_or("")),
                    "platform_change",
                ))
            } else {
                None
            }
        })
        .collect()
}
