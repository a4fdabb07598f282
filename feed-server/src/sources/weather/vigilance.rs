//! Météo-France's vigilance map, as the `DPVigilance` API of its API portal
//! publishes it (`cartevigilance/encours`, JSON): per département (`domain_id`
//! "59"; coastal strips such as "5910" too), for today (`echeance` "J") and
//! tomorrow ("J1"), per phenomenon, a colour and its time slices.
//!
//! Read from the published description of the product (no stored copy of a
//! real file exists: the tests use documents made to that description):
//!
//! ```text
//! {"product": {"update_time": "…Z", "periods": [
//!   {"echeance": "J", "begin_validity_time": "…Z", "end_validity_time": "…Z",
//!    "timelaps": {"domain_ids": [
//!      {"domain_id": "59", "max_color_id": 3, "phenomenon_items": [
//!        {"phenomenon_id": "6", "phenomenon_max_color_id": 3,
//!         "timelaps_items": [{"begin_time": "…Z", "end_time": "…Z", "color_id": 3}]}]}]}}]}}
//! ```
//!
//! Phenomena: 1 vent violent, 2 pluie-inondation, 3 orages, 4 crues,
//! 5 neige-verglas, 6 canicule, 7 grand froid, 8 avalanches, 9
//! vagues-submersion. Colours: 1 green, 2 yellow, 3 orange, 4 red.
//!
//! Each phenomenon at yellow or above in a département becomes one warning,
//! written in the store's model (a CAP alert, which is what Météo-France's own
//! CAP feed would say): its level the highest colour of its slices over both
//! days, its onset and expiry the first and last of the slices at yellow or
//! above (the period's validity when it gives none), its area the geocode
//! `DEPARTEMENT=<domain_id>`. The map lists every warning in force: one it no
//! longer lists is over.

use chrono::{DateTime, FixedOffset};
use serde::Deserialize;

use crate::advisory::cap::{Area, CapAlert, Certainty, Info, MsgType, Severity, Status, Urgency};

/// The CAP sender of the warnings made from the map.
pub const SENDER: &str = "vigilance.meteofrance.fr";

/// The geocode name stations use to name their département (`DEPARTEMENT=59`).
pub const GEOCODE: &str = "DEPARTEMENT";

/// The parameter that names the phenomenon (`advisory::classify` reads it).
pub const PHENOMENON: &str = "meteofrance_phenomenon_id";

/// Why a document is not a vigilance map.
#[derive(Debug, thiserror::Error)]
#[error("not a Météo-France vigilance map: {0}")]
pub struct VigilanceError(String);

#[derive(Debug, Deserialize)]
struct Document {
    product: Product,
}

#[derive(Debug, Deserialize)]
struct Product {
    update_time: Option<String>,
    #[serde(default)]
    periods: Vec<Period>,
}

#[derive(Debug, Deserialize)]
struct Period {
    begin_validity_time: Option<String>,
    end_validity_time: Option<String>,
    #[serde(default)]
    timelaps: Timelaps,
}

#[derive(Debug, Default, Deserialize)]
struct Timelaps {
    #[serde(default)]
    domain_ids: Vec<Domain>,
}

#[derive(Debug, Deserialize)]
struct Domain {
    #[serde(deserialize_with = "text_or_number")]
    domain_id: String,
    #[serde(default)]
    phenomenon_items: Vec<Phenomenon>,
}

#[derive(Debug, Deserialize)]
struct Phenomenon {
    #[serde(deserialize_with = "text_or_number")]
    phenomenon_id: String,
    phenomenon_max_color_id: Option<u8>,
    #[serde(default)]
    timelaps_items: Vec<Slice>,
}

#[derive(Debug, Deserialize)]
struct Slice {
    begin_time: Option<String>,
    end_time: Option<String>,
    color_id: Option<u8>,
}

/// Ids are strings in the description ("6"), numbers in some copies (6).
fn text_or_number<'de, D: serde::Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Id {
        Text(String),
        Number(u64),
    }
    Ok(match Id::deserialize(d)? {
        Id::Text(t) => t,
        Id::Number(n) => n.to_string(),
    })
}

/// The French name of a phenomenon, None for an id outside the nine.
pub fn phenomenon_name(id: &str) -> Option<&'static str> {
    Some(match id {
        "1" => "Vent violent",
        "2" => "Pluie-inondation",
        "3" => "Orages",
        "4" => "Crues",
        "5" => "Neige-verglas",
        "6" => "Canicule",
        "7" => "Grand froid",
        "8" => "Avalanches",
        "9" => "Vagues-submersion",
        _ => return None,
    })
}

fn instant(text: Option<&str>) -> Option<DateTime<FixedOffset>> {
    DateTime::parse_from_rfc3339(text?).ok()
}

/// One warning being gathered over the periods.
struct Gathered {
    domain: String,
    phenomenon: String,
    color: u8,
    onset: Option<DateTime<FixedOffset>>,
    expires: Option<DateTime<FixedOffset>>,
}

/// The warnings in force on the map (yellow and above), as CAP alerts.
pub fn parse(body: &[u8]) -> Result<Vec<CapAlert>, VigilanceError> {
    let doc: Document = serde_json::from_slice(body).map_err(|e| VigilanceError(e.to_string()))?;
    let product = doc.product;
    let mut gathered: Vec<Gathered> = Vec::new();
    for period in &product.periods {
        let valid = (
            instant(period.begin_validity_time.as_deref()),
            instant(period.end_validity_time.as_deref()),
        );
        for domain in &period.timelaps.domain_ids {
            for item in &domain.phenomenon_items {
                if phenomenon_name(&item.phenomenon_id).is_none() {
                    continue;
                }
                let slices: Vec<(u8, Option<_>, Option<_>)> = item
                    .timelaps_items
                    .iter()
                    .filter_map(|s| {
                        let color = s.color_id.filter(|c| (2..=4).contains(c))?;
                        Some((
                            color,
                            instant(s.begin_time.as_deref()),
                            instant(s.end_time.as_deref()),
                        ))
                    })
                    .collect();
                let slices = if slices.is_empty() {
                    match item.phenomenon_max_color_id.filter(|c| (2..=4).contains(c)) {
                        Some(color) => vec![(color, valid.0, valid.1)],
                        None => continue,
                    }
                } else {
                    slices
                };
                let entry = match gathered
                    .iter_mut()
                    .find(|g| g.domain == domain.domain_id && g.phenomenon == item.phenomenon_id)
                {
                    Some(g) => g,
                    None => {
                        gathered.push(Gathered {
                            domain: domain.domain_id.clone(),
                            phenomenon: item.phenomenon_id.clone(),
                            color: 0,
                            onset: None,
                            expires: None,
                        });
                        gathered.last_mut().expect("just pushed")
                    }
                };
                for (color, begin, end) in slices {
                    entry.color = entry.color.max(color);
                    entry.onset = match (entry.onset, begin) {
                        (Some(a), Some(b)) => Some(a.min(b)),
                        (a, b) => a.or(b),
                    };
                    entry.expires = match (entry.expires, end) {
                        (Some(a), Some(b)) => Some(a.max(b)),
                        (a, b) => a.or(b),
                    };
                }
            }
        }
    }
    let sent = instant(product.update_time.as_deref())
        .or_else(|| gathered.iter().filter_map(|g| g.onset).min())
        .unwrap_or_default();
    Ok(gathered.into_iter().map(|g| alert(g, sent)).collect())
}

fn alert(g: Gathered, sent: DateTime<FixedOffset>) -> CapAlert {
    let name = phenomenon_name(&g.phenomenon).unwrap_or("Vigilance");
    let (severity, colour) = match g.color {
        4 => (Severity::Extreme, "rouge"),
        3 => (Severity::Severe, "orange"),
        _ => (Severity::Moderate, "jaune"),
    };
    CapAlert {
        identifier: format!("{}-{}", g.domain, g.phenomenon),
        sender: SENDER.into(),
        sent,
        status: Status::Actual,
        msg_type: MsgType::Alert,
        references: Vec::new(),
        infos: vec![Info {
            language: "fr".into(),
            event: name.to_lowercase(),
            severity,
            urgency: Urgency::Expected,
            certainty: Certainty::Likely,
            parameters: vec![(PHENOMENON.into(), g.phenomenon.clone())],
            onset: g.onset,
            expires: g.expires,
            sender_name: Some("Météo-France".into()),
            headline: Some(format!(
                "Vigilance {colour} {} – département {}",
                name.to_lowercase(),
                g.domain
            )),
            areas: vec![Area {
                description: format!("Département {}", g.domain),
                geocodes: vec![(GEOCODE.into(), g.domain.clone())],
                ..Area::default()
            }],
            ..Info::default()
        }],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A map made to the published description: Nord (59) orange for
    /// heatwave today, yellow tomorrow, green for wind; its coastal strip
    /// (5910) yellow for waves; ids as strings and as numbers; a tenth
    /// phenomenon nobody knows.
    const MAP: &str = r#"{"product": {"warning_type": "vigilance", "update_time": "2026-07-01T04:00:00Z",
      "periods": [
        {"echeance": "J", "begin_validity_time": "2026-06-30T22:00:00Z", "end_validity_time": "2026-07-01T22:00:00Z",
         "timelaps": {"domain_ids": [
           {"domain_id": "59", "max_color_id": 3, "phenomenon_items": [
             {"phenomenon_id": "6", "phenomenon_max_color_id": 3, "timelaps_items": [
               {"begin_time": "2026-06-30T22:00:00Z", "end_time": "2026-07-01T10:00:00Z", "color_id": 1},
               {"begin_time": "2026-07-01T10:00:00Z", "end_time": "2026-07-01T22:00:00Z", "color_id": 3}]},
             {"phenomenon_id": "1", "phenomenon_max_color_id": 1, "timelaps_items": [
               {"begin_time": "2026-06-30T22:00:00Z", "end_time": "2026-07-01T22:00:00Z", "color_id": 1}]},
             {"phenomenon_id": "10", "phenomenon_max_color_id": 4, "timelaps_items": []}]},
           {"domain_id": 5910, "max_color_id": 2, "phenomenon_items": [
             {"phenomenon_id": 9, "phenomenon_max_color_id": 2}]}]}},
        {"echeance": "J1", "begin_validity_time": "2026-07-01T22:00:00Z", "end_validity_time": "2026-07-02T22:00:00Z",
         "timelaps": {"domain_ids": [
           {"domain_id": "59", "max_color_id": 2, "phenomenon_items": [
             {"phenomenon_id": "6", "phenomenon_max_color_id": 2, "timelaps_items": [
               {"begin_time": "2026-07-01T22:00:00Z", "end_time": "2026-07-02T18:00:00Z", "color_id": 2},
               {"begin_time": "2026-07-02T18:00:00Z", "end_time": "2026-07-02T22:00:00Z", "color_id": 1}]}]}]}}]}}"#;

    fn at(text: &str) -> Option<DateTime<FixedOffset>> {
        DateTime::parse_from_rfc3339(text).ok()
    }

    #[test]
    fn each_phenomenon_at_yellow_or_above_is_one_warning_over_both_days() {
        let alerts = parse(MAP.as_bytes()).expect("a map");
        let ids: Vec<&str> = alerts.iter().map(|a| a.identifier.as_str()).collect();
        assert_eq!(ids, ["59-6", "5910-9"]);
        let heat = &alerts[0];
        assert_eq!(heat.sender, SENDER);
        assert_eq!(heat.sent, at("2026-07-01T04:00:00Z").expect("time"));
        let info = &heat.infos[0];
        // Orange at its worst, from the first orange-or-yellow slice to the last.
        assert_eq!(info.severity, Severity::Severe);
        assert_eq!(info.onset, at("2026-07-01T10:00:00Z"));
        assert_eq!(info.expires, at("2026-07-02T18:00:00Z"));
        assert_eq!(info.parameter(PHENOMENON), Some("6"));
        assert_eq!(
            info.areas[0].geocodes,
            [(GEOCODE.to_string(), "59".to_string())]
        );
        // Without slices: the period's validity, at the phenomenon's colour.
        let waves = &alerts[1].infos[0];
        assert_eq!(waves.severity, Severity::Moderate);
        assert_eq!(waves.onset, at("2026-06-30T22:00:00Z"));
        assert_eq!(waves.expires, at("2026-07-01T22:00:00Z"));
    }

    #[test]
    fn a_document_of_another_kind_is_refused_with_the_reason() {
        let e = parse(br#"{"type": "FeatureCollection"}"#).expect_err("not a map");
        assert!(e.to_string().contains("missing field `product`"), "{e}");
        assert!(parse(b"<alert/>").is_err());
        // A map with nothing in force says so: no warning.
        assert!(
            parse(br#"{"product": {"periods": []}}"#)
                .expect("empty")
                .is_empty()
        );
    }
}
