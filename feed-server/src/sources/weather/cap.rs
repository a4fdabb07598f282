//! CAP documents (1.0, 1.1, 1.2) and the Atom/RSS indexes that list them.
//!
//! Any `<alert>` element is read, wherever it sits: a bare CAP document, an EDXL-DE
//! envelope, or an Atom entry that embeds one. A document without alerts whose root
//! is an Atom `feed` or an RSS `rss` is an index: the CAP documents it links to are
//! fetched one by one.

use chrono::{DateTime, FixedOffset};

pub use crate::advisory::cap::{
    AlertScope, Area, CapAlert, Certainty, Info, MsgType, Severity, Status, Urgency,
};
use crate::sources::xml::{self, Element, XmlError};

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum CapError {
    #[error(transparent)]
    Xml(#[from] XmlError),
    #[error("not a CAP alert nor an Atom/RSS index of alerts (root element <{0}>)")]
    NotCap(String),
    #[error("CAP alert {identifier}: {reason}")]
    Invalid { identifier: String, reason: String },
}

/// What a fetched document turned out to be.
#[derive(Debug, Clone, PartialEq)]
pub enum Document {
    Alerts(Vec<CapAlert>),
    /// An Atom feed with the alerts in its entries: every alert in force.
    Feed(Vec<CapAlert>),
    /// URLs of CAP documents.
    Index(Vec<String>),
}

pub fn parse_document(bytes: &[u8]) -> Result<Document, CapError> {
    let root = xml::parse(bytes)?;
    let mut alerts = Vec::new();
    match root.name.as_str() {
        // Atom: alerts embedded in entries, else the entries' links.
        "feed" => {
            for entry in root.children_named("entry") {
                entry.descendants("alert", &mut alerts);
            }
            if alerts.is_empty() {
                return Ok(Document::Index(atom_links(&root)));
            }
        }
        "rss" | "RDF" => return Ok(Document::Index(rss_links(&root))),
        _ => root.descendants("alert", &mut alerts),
    }
    if alerts.is_empty() {
        return Err(CapError::NotCap(root.name.clone()));
    }
    let alerts = alerts
        .into_iter()
        .map(parse_alert)
        .collect::<Result<Vec<_>, _>>()?;
    Ok(if root.name == "feed" {
        Document::Feed(alerts)
    } else {
        Document::Alerts(alerts)
    })
}

fn atom_links(feed: &Element) -> Vec<String> {
    feed.children_named("entry")
        .filter_map(|entry| {
            let links: Vec<&Element> = entry.children_named("link").collect();
            let href = |l: &&Element| l.attribute("href").map(str::to_string);
            links
                .iter()
                .find(|l| l.attribute("type").is_some_and(|t| t.contains("cap")))
                .and_then(href)
                .or_else(|| {
                    links
                        .iter()
                        .find(|l| l.attribute("rel").is_none_or(|r| r == "alternate"))
                        .and_then(href)
                })
                .or_else(|| entry.text_of("id").filter(|id| id.starts_with("http")))
        })
        .collect()
}

fn rss_links(rss: &Element) -> Vec<String> {
    let mut items = Vec::new();
    rss.descendants("item", &mut items);
    items
        .into_iter()
        .filter_map(|item| {
            item.text_of("link").or_else(|| {
                item.child("enclosure")
                    .and_then(|e| e.attribute("url"))
                    .map(str::to_string)
            })
        })
        .collect()
}

fn time(text: Option<String>) -> Option<DateTime<FixedOffset>> {
    text.and_then(|t| DateTime::parse_from_rfc3339(t.trim()).ok())
}

fn pairs(parent: &Element, name: &str) -> Vec<(String, String)> {
    parent
        .children_named(name)
        .filter_map(|p| Some((p.text_of("valueName")?, p.text_of("value")?)))
        .collect()
}

fn parse_alert(alert: &Element) -> Result<CapAlert, CapError> {
    let identifier = alert.text_of("identifier").unwrap_or_default();
    let invalid = |reason: &str| CapError::Invalid {
        identifier: if identifier.is_empty() {
            "(no identifier)".into()
        } else {
            identifier.clone()
        },
        reason: reason.to_string(),
    };
    if identifier.is_empty() {
        return Err(invalid("<identifier> is missing"));
    }
    // CAP: identifiers and senders contain no spaces, commas, '<' or '&', since
    // <references> lists them separated by those.
    let plain = |v: &str| {
        !v.chars()
            .any(|c| c.is_whitespace() || matches!(c, ',' | '<' | '&'))
    };
    if !plain(&identifier) {
        return Err(invalid(
            "<identifier> contains a space, a comma, '<' or '&'",
        ));
    }
    let sender = alert
        .text_of("sender")
        .ok_or_else(|| invalid("<sender> is missing"))?;
    if !plain(&sender) {
        return Err(invalid("<sender> contains a space, a comma, '<' or '&'"));
    }
    let sent = alert
        .text_of("sent")
        .ok_or_else(|| invalid("<sent> is missing"))?;
    let sent = DateTime::parse_from_rfc3339(&sent)
        .map_err(|_| invalid(&format!("<sent> `{sent}` is not a date-time")))?;
    let status = alert
        .text_of("status")
        .ok_or_else(|| invalid("<status> is missing"))?;
    let status = one_of(&status, Status::parse, Status::NAMES)
        .map_err(|r| invalid(&format!("<status> {r}")))?;
    let scope = alert
        .text_of("scope")
        .ok_or_else(|| invalid("<scope> is missing"))?;
    one_of(&scope, AlertScope::parse, AlertScope::NAMES)
        .map_err(|r| invalid(&format!("<scope> {r}")))?;
    let msg_type = match alert.text_of("msgType") {
        Some(text) => MsgType::parse(&text)
            .ok_or_else(|| invalid(&format!("<msgType> `{text}` is not a CAP message type")))?,
        None => return Err(invalid("<msgType> is missing")),
    };
    // "sender,identifier,sent sender,identifier,sent ..."
    let references: Vec<(String, String)> = match alert.child("references") {
        None => Vec::new(),
        Some(r) => {
            let refs: Vec<(String, String)> = r
                .text
                .split_whitespace()
                .filter_map(|triple| {
                    let mut parts = triple.split(',');
                    Some((parts.next()?.to_string(), parts.next()?.to_string()))
                })
                .collect();
            if refs.is_empty() {
                return Err(invalid("<references> is empty"));
            }
            refs
        }
    };
    if matches!(msg_type, MsgType::Update | MsgType::Cancel) && references.is_empty() {
        return Err(invalid("an Update or Cancel needs <references>"));
    }
    let infos = alert
        .children_named("info")
        .map(|info| parse_info(info).map_err(|r| invalid(&r)))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(CapAlert {
        identifier,
        sender,
        sent,
        status,
        msg_type,
        references,
        infos,
    })
}

/// A value of one of CAP's lists, or why not.
fn one_of<T>(value: &str, parse: fn(&str) -> Option<T>, names: &[&str]) -> Result<T, String> {
    parse(value).ok_or_else(|| format!("`{value}` is not one of {}", names.join(", ")))
}

/// A required `<info>` field from one of CAP's lists.
fn info_value<T>(
    info: &Element,
    name: &str,
    parse: fn(&str) -> Option<T>,
    names: &[&str],
) -> Result<T, String> {
    let text = info
        .text_of(name)
        .ok_or_else(|| format!("<info><{name}> is missing or empty"))?;
    one_of(&text, parse, names).map_err(|r| format!("<info><{name}> {r}"))
}

/// An `<info>` block, its required fields checked against CAP's values.
fn parse_info(info: &Element) -> Result<Info, String> {
    let required = |name: &str| {
        info.text_of(name)
            .ok_or_else(|| format!("<info><{name}> is missing or empty"))
    };
    if info.child("category").is_none() {
        return Err("<info><category> is missing".into());
    }
    let event = required("event")?;
    let urgency = info_value(info, "urgency", Urgency::parse, Urgency::NAMES)?;
    let severity = info_value(info, "severity", Severity::parse, Severity::NAMES)?;
    let certainty = info_value(info, "certainty", Certainty::parse, Certainty::NAMES)?;
    let language = info
        .text_of("language")
        .unwrap_or_else(|| "en-US".into())
        .split(['-', '_'])
        .next()
        .unwrap_or("en")
        .to_ascii_lowercase();
    Ok(Info {
        language,
        event,
        severity,
        urgency,
        certainty,
        event_codes: pairs(info, "eventCode"),
        parameters: pairs(info, "parameter"),
        effective: time(info.text_of("effective")),
        onset: time(info.text_of("onset")),
        expires: time(info.text_of("expires")),
        sender_name: info.text_of("senderName"),
        headline: info.text_of("headline"),
        description: info.text_of("description"),
        instruction: info.text_of("instruction"),
        areas: info.children_named("area").map(parse_area).collect(),
    })
}

fn parse_area(area: &Element) -> Area {
    let point = |p: &str| -> Option<(f64, f64)> {
        let (lat, lon) = p.split_once(',')?;
        let (lat, lon) = (lat.trim().parse().ok()?, lon.trim().parse().ok()?);
        ((-90.0..=90.0).contains(&lat) && (-180.0..=180.0).contains(&lon)).then_some((lat, lon))
    };
    Area {
        description: area.text_of("areaDesc").unwrap_or_default(),
        polygons: area
            .children_named("polygon")
            .filter_map(|p| {
                let ring: Option<Vec<(f64, f64)>> = p.text.split_whitespace().map(point).collect();
                ring.filter(|r| r.len() >= 3)
            })
            .collect(),
        circles: area
            .children_named("circle")
            .filter_map(|c| {
                let (centre, radius) = c.text.trim().rsplit_once(' ')?;
                let (lat, lon) = point(centre)?;
                Some((lat, lon, radius.trim().parse().ok()?))
            })
            .collect(),
        geocodes: pairs(area, "geocode"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ALERT: &str = r#"<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2">
      <identifier>ID-2</identifier><sender>meteo@example.fr</sender>
      <sent>2026-07-01T06:00:00+02:00</sent><status>Actual</status><msgType>Update</msgType>
      <scope>Public</scope>
      <references>meteo@example.fr,ID-1,2026-06-30T06:00:00+02:00</references>
      <info><language>fr-FR</language><category>Met</category><event>Canicule</event>
        <urgency>Immediate</urgency><severity>Severe</severity><certainty>Likely</certainty>
        <onset>2026-07-01T12:00:00+02:00</onset><expires>2026-07-02T21:00:00+02:00</expires>
        <parameter><valueName>awareness_level</valueName><value>3; orange; Severe</value></parameter>
        <area><areaDesc>Nord</areaDesc><polygon>50,3 51,3 51,4 50,4 50,3</polygon>
          <circle>50.1,3.4 10</circle>
          <geocode><valueName>EMMA_ID</valueName><value>FR059</value></geocode></area>
      </info></alert>"#;

    #[test]
    fn a_cap_alert_is_read_with_its_references_and_area() {
        let Document::Alerts(alerts) = parse_document(ALERT.as_bytes()).unwrap() else {
            panic!("not alerts")
        };
        let a = &alerts[0];
        assert_eq!(a.msg_type, MsgType::Update);
        assert_eq!(
            a.references,
            vec![("meteo@example.fr".into(), "ID-1".into())]
        );
        let info = &a.infos[0];
        assert_eq!(info.language, "fr");
        assert_eq!(info.parameter("awareness_level"), Some("3; orange; Severe"));
        assert_eq!(info.areas[0].polygons[0].len(), 5);
        assert_eq!(info.areas[0].circles, vec![(50.1, 3.4, 10.0)]);
        assert_eq!(
            info.areas[0].geocodes,
            vec![("EMMA_ID".into(), "FR059".into())]
        );
    }

    #[test]
    fn missing_fields_and_foreign_documents_are_named() {
        let e = parse_document(
            ALERT
                .replace("<sender>meteo@example.fr</sender>", "")
                .as_bytes(),
        );
        assert_eq!(
            e.unwrap_err().to_string(),
            "CAP alert ID-2: <sender> is missing"
        );
        assert_eq!(
            parse_document(b"<CV><DV/></CV>").unwrap_err(),
            CapError::NotCap("CV".into())
        );
    }
}
