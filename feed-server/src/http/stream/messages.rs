//! What a stream connection reads and writes, apart from the connection itself:
//! a client frame checked and parsed (or the close it earns), an error message,
//! and a message cut to the subscriber's languages.

use quai_protocol::{ClientMessage, ServerMessage, Translated};

use super::{Close, MAX_CLIENT_FRAME};
use crate::hub::now_micros;

/// An `error` message.
pub(super) fn error(code: &str, message: String) -> ServerMessage {
    ServerMessage::Error {
        code: code.to_string(),
        message,
        server_time: now_micros(),
    }
}

/// Reads one text frame from a client: its message, or how the connection is
/// closed for it (too large, not JSON, unknown op, invalid message).
pub fn read_frame(text: &str) -> Result<ClientMessage, Close> {
    if text.len() > MAX_CLIENT_FRAME {
        return Err(Close::with_error(
            1009,
            "frame too large",
            "frame_too_large",
            format!("client frames are limited to {MAX_CLIENT_FRAME} bytes"),
        ));
    }
    serde_json::from_str::<ClientMessage>(text).map_err(|e| refusal(text, &e))
}

fn refusal(text: &str, e: &serde_json::Error) -> Close {
    const OPS: [&str; 3] = ["subscribe", "unsubscribe", "ping"];
    match serde_json::from_str::<serde_json::Value>(text) {
        Err(_) => Close::with_error(
            1007,
            "invalid JSON",
            "invalid_json",
            format!("not JSON: {e}"),
        ),
        Ok(v) => match v.get("op").and_then(|op| op.as_str()) {
            Some(op) if !OPS.contains(&op) => Close::with_error(
                1008,
                "unknown op",
                "unknown_op",
                format!("unknown op `{op}`; expected one of subscribe, unsubscribe, ping"),
            ),
            _ => Close::with_error(1008, "invalid message", "invalid_message", e.to_string()),
        },
    }
}

/// The message with every text limited to `langs` (when a text has none of them, it
/// is kept whole rather than emptied).
pub(super) fn only_languages(message: &ServerMessage, langs: &[String]) -> ServerMessage {
    let keep = |t: &Translated| -> Translated {
        let kept: Translated = t
            .iter()
            .filter(|(k, _)| langs.iter().any(|l| l == *k))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        if kept.is_empty() { t.clone() } else { kept }
    };
    let mut m = message.clone();
    // A followed trip's notices.
    let trip_notices = match &mut m {
        ServerMessage::TripSnapshot { state, .. } => Some(&mut state.notices),
        ServerMessage::TripDelta(d) => d.notices.as_mut(),
        _ => None,
    };
    if let Some(notices) = trip_notices {
        for n in notices.iter_mut() {
            n.header = keep(&n.header);
            n.description = keep(&n.description);
            n.screen_text = keep(&n.screen_text);
            n.tts_text = keep(&n.tts_text);
        }
        return m;
    }
    let (notices, advisories, emergency) = match &mut m {
        ServerMessage::Snapshot { board, .. } => (
            &mut board.notices,
            &mut board.advisories,
            &mut board.emergency,
        ),
        ServerMessage::Delta(d) => (
            &mut d.upsert.notices,
            &mut d.upsert.advisories,
            &mut d.emergency,
        ),
        _ => return m,
    };
    for n in notices.iter_mut() {
        n.header = keep(&n.header);
        n.description = keep(&n.description);
        n.screen_text = keep(&n.screen_text);
        n.tts_text = keep(&n.tts_text);
    }
    if let Some(e) = emergency {
        e.screen_text = keep(&e.screen_text);
        e.tts_text = keep(&e.tts_text);
    }
    for a in advisories.iter_mut() {
        a.headline = keep(&a.headline);
        let advice: std::collections::BTreeMap<String, Vec<String>> = a
            .advice
            .iter()
            .filter(|(k, _)| langs.iter().any(|l| l == *k))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        if !advice.is_empty() {
            a.advice = advice;
        }
    }
    m
}

#[cfg(test)]
mod tests {
    use super::*;
    use quai_protocol::{Delta, NoticeSource, Removals, Severity, Upserts};

    fn text(pairs: &[(&str, &str)]) -> Translated {
        pairs
            .iter()
            .map(|(l, t)| (l.to_string(), t.to_string()))
            .collect()
    }

    #[test]
    fn a_language_filter_applies_to_every_text_of_a_notice() {
        let fr_en = [("fr", "Quai C fermé"), ("en", "Bay C closed")];
        let notice = quai_protocol::Notice {
            id: "n-1".into(),
            source: NoticeSource::Operator,
            severity: Severity::Warning,
            cause: "construction".into(),
            effect: "stop_moved".into(),
            header: text(&fr_en),
            description: text(&fr_en),
            screen_text: text(&fr_en),
            tts_text: text(&fr_en),
            active_periods: Vec::new(),
            informed_entities: Vec::new(),
            updated_at: "2026-07-01T07:30:00+02:00".into(),
            accessibility: false,
        };
        let delta = ServerMessage::Delta(Delta {
            station: "caudry".into(),
            seq: 2,
            prev_seq: 1,
            upsert: Upserts {
                notices: vec![notice],
                ..Upserts::default()
            },
            remove: Removals::default(),
            order: None,
            arrival_order: None,
            notice_order: None,
            advisory_order: None,
            next_service: None,
            emergency: None,
            facilities: None,
            feeds: None,
            generated_at: String::new(),
            server_time: String::new(),
        });
        let ServerMessage::Delta(filtered) = only_languages(&delta, &["en".to_string()]) else {
            panic!("a delta stays a delta");
        };
        let n = &filtered.upsert.notices[0];
        let english = text(&[("en", "Bay C closed")]);
        assert_eq!(n.header, english);
        assert_eq!(n.description, english);
        assert_eq!(n.screen_text, english, "the ticker line too");
    }
}
