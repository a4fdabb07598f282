//! Weather advisories: the CAP alerts in force, and what each station's board says
//! about them.
//!
//! The store keeps, per weather source, the alerts in force by (sender, identifier):
//! an Alert adds one, an Update replaces those it references, a Cancel removes them.
//! Which alerts reach a board is decided when the board is built: `Actual` status,
//! not expired at `now`, an area covering the station, and a level above green.

pub mod advice;
pub mod area;
pub mod cap;
mod classify;

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use quai_protocol::{AdvisoryEvent, AdvisoryLevel, Translated};

use crate::config::Place;
use crate::id::SourceId;
use crate::watched::Watched;
pub use advice::AdviceTable;
use cap::{CapAlert, Info, MsgType, Status};
pub use classify::classify;

/// What a board says of one warning in force at the station.
#[derive(Debug, Clone, PartialEq)]
pub struct Advisory {
    /// `{source}:{sender}:{identifier}`.
    pub id: String,
    pub event: AdvisoryEvent,
    pub level: AdvisoryLevel,
    pub headline: Translated,
    pub advice: BTreeMap<String, Vec<String>>,
    pub onset: Option<DateTime<Utc>>,
    pub expires: Option<DateTime<Utc>>,
    /// The source's display name.
    pub source: String,
}

/// The alerts in force of one source, by (sender, identifier).
type InForce = BTreeMap<(String, String), Arc<CapAlert>>;

/// Alerts in force per source; its version moves when they change (the board
/// publisher listens to it). A cheap handle.
#[derive(Debug, Clone, Default)]
pub struct WeatherStore {
    sources: Watched<SourceId, InForce>,
}

impl WeatherStore {
    /// Applies documents of `source` in the order they were sent. With `replace`, the
    /// source's alerts are rebuilt from these documents alone (an index lists every
    /// alert in force: what it no longer lists is over).
    pub fn apply(&self, source: &SourceId, mut alerts: Vec<CapAlert>, replace: bool) {
        alerts.sort_by_key(|a| a.sent);
        self.sources.update(source, |map| {
            let before = map.clone();
            if replace {
                map.clear();
            }
            for alert in alerts {
                match alert.msg_type {
                    MsgType::Alert => {
                        map.insert(alert.key(), Arc::new(alert));
                    }
                    MsgType::Update => {
                        for r in &alert.references {
                            map.remove(r);
                        }
                        map.insert(alert.key(), Arc::new(alert));
                    }
                    MsgType::Cancel => {
                        for r in &alert.references {
                            map.remove(r);
                        }
                    }
                    MsgType::Ack | MsgType::Error => {}
                }
            }
            *map != before
        });
    }

    /// Moves on each time the alerts in force change.
    pub fn version(&self) -> u64 {
        self.sources.version()
    }

    /// Moves on each time the alerts in force change.
    pub fn subscribe(&self) -> tokio::sync::watch::Receiver<u64> {
        self.sources.subscribe()
    }

    /// The advisories for a station at `place`, at `now`, most severe first.
    /// `name` gives a source's display name.
    pub fn advisories(
        &self,
        place: &Place,
        now: DateTime<Utc>,
        table: &AdviceTable,
        name: &dyn Fn(&SourceId) -> Option<String>,
    ) -> Vec<Advisory> {
        let sources = self.sources.read();
        let mut out = Vec::new();
        for (source, alerts) in sources.iter() {
            for alert in alerts.values() {
                if let Some(a) = advisory(source, alert, place, now, table, name) {
                    out.push(a);
                }
            }
        }
        out.sort_by(|a, b| b.level.cmp(&a.level).then(a.id.cmp(&b.id)));
        out
    }
}

fn advisory(
    source: &SourceId,
    alert: &CapAlert,
    place: &Place,
    now: DateTime<Utc>,
    table: &AdviceTable,
    name: &dyn Fn(&SourceId) -> Option<String>,
) -> Option<Advisory> {
    if alert.status != Status::Actual {
        return None;
    }
    let infos: Vec<&Info> = alert
        .infos
        .iter()
        .filter(|i| i.expires.is_none_or(|e| e > now))
        .filter(|i| i.areas.iter().any(|a| place.covered_by(a)))
        .collect();
    let first = infos.first()?;
    let (event, level) = infos
        .iter()
        .find_map(|i| classify(i))
        .or_else(|| classify(first))?;
    let advice = table.advice(event, level);
    let mut headline = advice.headline;
    let mut lines = advice.lines;
    for info in &infos {
        // The authority's own instructions, in each language it gave them.
        if let Some(instruction) = &info.instruction {
            let short: String = instruction.chars().take(200).collect();
            lines.entry(info.language.clone()).or_default().push(short);
        }
        if let Some(h) = &info.headline {
            headline
                .entry(info.language.clone())
                .or_insert_with(|| h.clone());
        }
    }
    let at = |t: Option<DateTime<chrono::FixedOffset>>| t.map(|t| t.with_timezone(&Utc));
    Some(Advisory {
        // CAP identifiers are unique per sender only: an aggregated feed
        // (MeteoAlarm) carries several senders, and two of them may use the same.
        id: format!("{source}:{}:{}", alert.sender, alert.identifier),
        event,
        level,
        headline,
        advice: lines,
        onset: at(first.onset.or(first.effective).or(Some(alert.sent))),
        expires: at(first.expires),
        source: name(source)
            .or_else(|| first.sender_name.clone())
            .unwrap_or_else(|| source.to_string()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sources::weather::cap::{Document, parse_document};
    use cap::Severity;

    fn id(s: &str) -> SourceId {
        s.parse().unwrap()
    }

    fn alert(id: &str, msg_type: &str, references: &str, level: &str, expires: &str) -> CapAlert {
        let references = if references.is_empty() {
            String::new()
        } else {
            format!("<references>{references}</references>")
        };
        let doc = format!(
            r#"<alert><identifier>{id}</identifier><sender>mf</sender>
            <sent>2026-07-01T06:00:00+02:00</sent><status>Actual</status><msgType>{msg_type}</msgType>
            <scope>Public</scope>{references}
            <info><language>fr-FR</language><category>Met</category><event>Canicule</event>
              <urgency>Immediate</urgency><severity>Severe</severity><certainty>Likely</certainty>
              <expires>{expires}</expires>
              <parameter><valueName>awareness_level</valueName><value>{level}</value></parameter>
              <area><areaDesc>Nord</areaDesc><geocode><valueName>EMMA_ID</valueName><value>FR059</value></geocode></area>
            </info></alert>"#
        );
        match parse_document(doc.as_bytes()) {
            Ok(Document::Alerts(mut a)) => a.remove(0),
            other => panic!("{other:?}"),
        }
    }

    fn place() -> Place {
        Place {
            lat: 50.1116,
            lon: 3.4098,
            codes: vec!["EMMA_ID=FR059".into()],
        }
    }

    fn now(t: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(t).unwrap().with_timezone(&Utc)
    }

    fn levels(store: &WeatherStore, at: &str) -> Vec<(String, AdvisoryLevel)> {
        let table = AdviceTable::builtin().unwrap();
        store
            .advisories(&place(), now(at), &table, &|_| None)
            .into_iter()
            .map(|a| (a.id, a.level))
            .collect()
    }

    const NOON: &str = "2026-07-01T12:00:00+02:00";
    const LATER: &str = "2026-07-03T12:00:00+02:00";

    #[test]
    fn update_replaces_cancel_removes_and_expiry_drops() {
        let store = WeatherStore::default();
        store.apply(
            &id("mf"),
            vec![alert("A1", "Alert", "", "2; yellow; Moderate", LATER)],
            false,
        );
        assert_eq!(
            levels(&store, NOON),
            vec![("mf:mf:A1".into(), AdvisoryLevel::Yellow)]
        );

        store.apply(
            &id("mf"),
            vec![alert(
                "A2",
                "Update",
                "mf,A1,2026-07-01T06:00:00+02:00",
                "3; orange; Severe",
                LATER,
            )],
            false,
        );
        assert_eq!(
            levels(&store, NOON),
            vec![("mf:mf:A2".into(), AdvisoryLevel::Orange)]
        );

        // Expired at its `expires`.
        assert!(levels(&store, "2026-07-03T12:00:01+02:00").is_empty());

        store.apply(
            &id("mf"),
            vec![alert(
                "A3",
                "Cancel",
                "mf,A2,2026-07-01T06:00:00+02:00",
                "3; orange; Severe",
                LATER,
            )],
            false,
        );
        assert!(levels(&store, NOON).is_empty());
    }

    #[test]
    fn two_senders_with_the_same_identifier_are_two_advisories() {
        let store = WeatherStore::default();
        let mut other = alert("A1", "Alert", "", "4; red; Extreme", LATER);
        other.sender = "dwd".into();
        store.apply(
            &id("meteoalarm"),
            vec![
                alert("A1", "Alert", "", "2; yellow; Moderate", LATER),
                other,
            ],
            true,
        );
        assert_eq!(
            levels(&store, NOON),
            vec![
                ("meteoalarm:dwd:A1".into(), AdvisoryLevel::Red),
                ("meteoalarm:mf:A1".into(), AdvisoryLevel::Yellow)
            ]
        );
    }

    #[test]
    fn an_index_lists_every_alert_in_force() {
        let store = WeatherStore::default();
        store.apply(
            &id("idx"),
            vec![
                alert("A1", "Alert", "", "2; yellow; Moderate", LATER),
                alert("B1", "Alert", "", "4; red; Extreme", LATER),
            ],
            true,
        );
        assert_eq!(levels(&store, NOON).len(), 2);
        // The next index no longer lists A1: it is over.
        store.apply(
            &id("idx"),
            vec![alert("B1", "Alert", "", "4; red; Extreme", LATER)],
            true,
        );
        assert_eq!(
            levels(&store, NOON),
            vec![("idx:mf:B1".into(), AdvisoryLevel::Red)]
        );
    }

    #[test]
    fn green_tests_and_other_areas_stay_off_the_board() {
        let store = WeatherStore::default();
        store.apply(
            &id("mf"),
            vec![alert("G", "Alert", "", "1; green; Minor", LATER)],
            false,
        );
        let mut test = alert("T", "Alert", "", "3; orange; Severe", LATER);
        test.status = Status::Test;
        let mut elsewhere = alert("E", "Alert", "", "3; orange; Severe", LATER);
        elsewhere.infos[0].areas[0].geocodes[0].1 = "FR062".into();
        store.apply(&id("mf"), vec![test, elsewhere], false);
        assert!(levels(&store, NOON).is_empty());
    }

    #[test]
    fn kinds_of_warning_from_parameters_or_words() {
        let mut info = Info {
            event: "Severe Thunderstorm Warning".into(),
            severity: Severity::Severe,
            ..Info::default()
        };
        assert_eq!(
            classify(&info),
            Some((AdvisoryEvent::Thunderstorm, AdvisoryLevel::Orange))
        );
        info.event = "Avis de tempête".into();
        info.severity = Severity::Extreme;
        assert_eq!(
            classify(&info),
            Some((AdvisoryEvent::Storm, AdvisoryLevel::Red))
        );
        info.parameters = vec![("awareness_type".into(), "2; snow-ice".into())];
        assert_eq!(classify(&info).map(|c| c.0), Some(AdvisoryEvent::SnowIce));
        info.severity = Severity::Minor;
        info.parameters.clear();
        assert_eq!(classify(&info), None);
    }
}
