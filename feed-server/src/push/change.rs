//! What a follower was last told ([`Seen`], kept in the store as JSON) and
//! what to tell them now: a notice published, changed or ended; a followed
//! trip cancelled (or running again), on another platform, late by more than
//! the threshold (or by as much more, or less). What was told is what the
//! next look compares with: one change, one push.

use std::collections::BTreeMap;

use quai_protocol::{Notice, PushMessage};
use serde::{Deserialize, Serialize};

use super::follow::Subject;

/// What a follower knows.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Seen {
    /// Each notice told of, by id, with the fingerprint of its content.
    pub notices: BTreeMap<String, u32>,
    #[serde(default)]
    pub cancelled: bool,
    #[serde(default)]
    pub platform: Option<String>,
    /// The delay last told, seconds (0: on time).
    #[serde(default)]
    pub delay_s: i64,
}

/// A notice's content as passengers read it (not when it was written): a
/// new fingerprint is a change to tell.
fn fingerprint(n: &Notice) -> u32 {
    let content = serde_json::json!([
        n.severity,
        n.effect,
        n.header,
        n.description,
        n.active_periods
    ]);
    crc32fast::hash(content.to_string().as_bytes())
}

/// One push to send: its tag and its message (before the quiet hours).
#[derive(Debug, Clone, PartialEq)]
pub struct Tell {
    pub tag: String,
    pub message: PushMessage,
    /// A trip's change (time-critical) rather than a notice.
    pub urgent: bool,
}

fn pick(texts: &BTreeMap<String, String>, lang: &str) -> String {
    texts
        .get(lang)
        .or_else(|| texts.get("fr"))
        .or_else(|| texts.values().next())
        .cloned()
        .unwrap_or_default()
}

/// At most this many characters of a body (a push carries at most 4 KB,
/// encrypted; a notification shows a few lines).
const MAX_BODY: usize = 400;

fn cut(text: String) -> String {
    if text.chars().count() <= MAX_BODY {
        return text;
    }
    let mut t: String = text.chars().take(MAX_BODY - 1).collect();
    t.push('…');
    t
}

/// What `seen` (None: never looked at) must be told of `now`, and what it
/// then knows. The first look tells nothing: the app showed the follower
/// what there was when they subscribed.
pub fn changes(
    seen: Option<&Seen>,
    now: &Subject,
    lang: &str,
    threshold_s: i64,
) -> (Seen, Vec<Tell>) {
    let fresh = Seen {
        notices: now
            .notices
            .iter()
            .map(|(id, n)| (id.clone(), fingerprint(n)))
            .collect(),
        cancelled: now.trip.as_ref().is_some_and(|t| t.cancelled),
        platform: now.trip.as_ref().and_then(|t| t.platform.clone()),
        delay_s: now.trip.as_ref().and_then(|t| t.delay_s).unwrap_or(0),
    };
    let Some(seen) = seen else {
        return (fresh, Vec::new());
    };
    let en = lang == "en";
    let name = now
        .name
        .get(if en { "en" } else { "fr" })
        .cloned()
        .unwrap_or_default();
    let message = |tag: String, title: String, body: String| PushMessage {
        title,
        body: cut(body),
        url: format!("{}{}", now.url, if en { "&lang=en" } else { "" }),
        tag,
        lang: if en { "en" } else { "fr" }.to_string(),
        silent: false,
    };
    let mut tells = Vec::new();
    for (id, n) in &now.notices {
        let print = fresh.notices[id];
        let told = seen.notices.get(id);
        if told == Some(&print) {
            continue;
        }
        let header = pick(&n.header, lang);
        let what = match (told.is_some(), en) {
            (false, false) => "Perturbation",
            (false, true) => "Disruption",
            (true, false) => "Mise à jour",
            (true, true) => "Update",
        };
        let description = pick(&n.description, lang);
        let sep = if en { ": " } else { " : " };
        let body = if description.is_empty() {
            format!("{what}{sep}{header}")
        } else {
            format!("{what}{sep}{header}\n{description}")
        };
        tells.push(Tell {
            tag: format!("notice:{id}"),
            message: message(format!("notice:{id}"), name.clone(), body),
            urgent: false,
        });
    }
    let trip_over = now.trip.as_ref().is_some_and(|t| t.over);
    for id in seen
        .notices
        .keys()
        .filter(|id| !now.notices.contains_key(*id))
    {
        if trip_over {
            break;
        }
        let body = if en {
            "A disruption is over.".to_string()
        } else {
            "Une perturbation est terminée.".to_string()
        };
        tells.push(Tell {
            tag: format!("notice:{id}"),
            message: message(format!("notice:{id}"), name.clone(), body),
            urgent: false,
        });
    }
    let mut knows = fresh.clone();
    if let Some(trip) = now.trip.as_ref().filter(|t| !t.over && t.realtime) {
        let mut lines = Vec::new();
        if trip.cancelled != seen.cancelled {
            lines.push(match (trip.cancelled, en) {
                (true, false) => "Supprimé.".to_string(),
                (true, true) => "Cancelled.".to_string(),
                (false, false) => "Rétabli : il circule.".to_string(),
                (false, true) => "Running again.".to_string(),
            });
        }
        match (&trip.platform, &seen.platform) {
            (Some(new), Some(old)) if new != old && !trip.cancelled => lines.push(if en {
                format!("Platform change: {new} (not {old}).")
            } else {
                format!("Changement de quai : {new} (au lieu de {old}).")
            }),
            // First heard of (quietly), or not said now: the one told stays.
            (Some(_), None) => {}
            _ => knows.platform = seen.platform.clone(),
        }
        // Without a time for the call, the delay told stays the reference.
        let delay = trip.delay_s.unwrap_or(seen.delay_s);
        let moved = (delay - seen.delay_s).abs() >= threshold_s;
        if !trip.cancelled && moved && (delay >= threshold_s || seen.delay_s >= threshold_s) {
            let minutes = (delay + 30) / 60;
            lines.push(match (delay >= threshold_s, en) {
                (true, false) => format!("Retard : {minutes} min."),
                (true, true) => format!("Delayed: {minutes} min."),
                (false, false) => "De nouveau à l'heure (ou presque).".to_string(),
                (false, true) => "Back on time (or nearly).".to_string(),
            });
        } else {
            // Not worth a push: what was told stays the reference.
            knows.delay_s = seen.delay_s;
        }
        if !lines.is_empty() {
            tells.push(Tell {
                tag: format!("trip:{}", now.key),
                message: message(format!("trip:{}", now.key), name.clone(), lines.join("\n")),
                urgent: true,
            });
        }
    } else {
        knows.cancelled = seen.cancelled;
        knows.platform = seen.platform.clone();
        knows.delay_s = seen.delay_s;
    }
    (knows, tells)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::push::follow::TripNow;

    fn notice(id: &str, header: &str) -> Notice {
        serde_json::from_value(serde_json::json!({
            "id": id, "source": "operator", "severity": "warning", "cause": "construction",
            "effect": "detour", "header": {"fr": header}, "description": {},
            "active_periods": [], "informed_entities": [], "updated_at": "2026-07-01T07:30:00+02:00"
        }))
        .unwrap()
    }

    fn trip(cancelled: bool, platform: &str, delay_s: i64) -> Subject {
        Subject {
            key: "x".into(),
            name: BTreeMap::from([("fr", "Train K40 · 07:42 → Lille".to_string())]),
            url: "/app?trip=x".into(),
            notices: BTreeMap::new(),
            trip: Some(TripNow {
                realtime: true,
                cancelled,
                platform: Some(platform.into()),
                delay_s: Some(delay_s),
                over: false,
            }),
        }
    }

    #[test]
    fn a_notice_is_told_once_per_change_and_when_it_ends() {
        let mut line = Subject {
            key: "demo:4".into(),
            name: BTreeMap::from([("fr", "Ligne 4".to_string())]),
            url: "/app?line=demo%3A4".into(),
            notices: BTreeMap::new(),
            trip: None,
        };
        let (seen, tells) = changes(None, &line, "fr", 300);
        assert!(tells.is_empty());
        line.notices
            .insert("n-1".into(), notice("n-1", "Déviation rue Foch"));
        let (seen, tells) = changes(Some(&seen), &line, "fr", 300);
        assert_eq!(tells.len(), 1);
        assert_eq!(tells[0].message.title, "Ligne 4");
        assert_eq!(tells[0].message.body, "Perturbation : Déviation rue Foch");
        let (seen, again) = changes(Some(&seen), &line, "fr", 300);
        assert!(again.is_empty(), "{again:?}");
        line.notices
            .insert("n-1".into(), notice("n-1", "Déviation prolongée"));
        let (seen, tells) = changes(Some(&seen), &line, "fr", 300);
        assert_eq!(tells[0].message.body, "Mise à jour : Déviation prolongée");
        line.notices.clear();
        let (_, tells) = changes(Some(&seen), &line, "fr", 300);
        assert_eq!(tells[0].message.body, "Une perturbation est terminée.");
        assert_eq!(tells[0].tag, "notice:n-1");
    }

    #[test]
    fn a_trip_is_told_of_its_platform_and_of_delays_past_the_threshold() {
        let (seen, _) = changes(None, &trip(false, "1", 0), "fr", 300);
        // Two minutes late: not worth a push, and still "on time" as told.
        let (seen, tells) = changes(Some(&seen), &trip(false, "1", 120), "fr", 300);
        assert!(tells.is_empty());
        assert_eq!(seen.delay_s, 0);
        let (seen, tells) = changes(Some(&seen), &trip(false, "2", 420), "fr", 300);
        assert_eq!(
            tells[0].message.body,
            "Changement de quai : 2 (au lieu de 1).\nRetard : 7 min."
        );
        assert!(tells[0].urgent);
        // 9 minutes: 2 more than told, under the threshold: nothing.
        let (seen, tells) = changes(Some(&seen), &trip(false, "2", 540), "fr", 300);
        assert!(tells.is_empty());
        let (seen, tells) = changes(Some(&seen), &trip(true, "2", 540), "en", 300);
        assert_eq!(tells[0].message.body, "Cancelled.");
        let (_, tells) = changes(Some(&seen), &trip(true, "2", 600), "en", 300);
        assert!(tells.is_empty());
    }

    #[test]
    fn a_realtime_gap_is_not_news() {
        let (seen, _) = changes(None, &trip(false, "1", 0), "fr", 300);
        let (seen, tells) = changes(Some(&seen), &trip(false, "1", 420), "fr", 300);
        assert_eq!(tells[0].message.body, "Retard : 7 min.");
        let (seen, _) = changes(Some(&seen), &trip(true, "1", 420), "fr", 300);
        assert!(seen.cancelled);
        // The feed goes stale: no realtime, no time. Nothing said, nothing forgotten.
        let mut gap = trip(false, "1", 0);
        if let Some(t) = gap.trip.as_mut() {
            t.realtime = false;
            t.delay_s = None;
        }
        let (during, tells) = changes(Some(&seen), &gap, "fr", 300);
        assert!(tells.is_empty(), "{tells:?}");
        assert_eq!(during, seen);
        // Back, as it was: still nothing.
        let (_, tells) = changes(Some(&during), &trip(true, "1", 420), "fr", 300);
        assert!(tells.is_empty(), "{tells:?}");
        // Realtime, but no time for the call: the delay told stays.
        let mut untimed = trip(false, "1", 0);
        if let Some(t) = untimed.trip.as_mut() {
            t.delay_s = None;
        }
        let (_, tells) = changes(Some(&seen), &untimed, "fr", 300);
        assert_eq!(tells[0].message.body, "Rétabli : il circule.");
    }
}
