//! A SIRI body as one tree, whatever its encoding: XML (plain, or wrapped in a
//! SOAP envelope) or SIRI Lite JSON in any of the shapes producers serve.
//!
//! The JSON shapes differ from the XML in ways that only change the spelling:
//! an element repeated is an array, a text with attributes is an object holding
//! `value` (IDFM: `{"value": "STIF:Line::C00680:"}`) or `Value` and `Lang`
//! (CTS), a missing element may be `null`, and the `Siri` wrapper may be absent
//! (CTS starts at `ServiceDelivery`). All of them become the same
//! [`Element`] tree as the XML would, so one reader serves both.

use crate::sources::xml::{self, Element, XmlError};

/// Elements one document may hold: a region's EstimatedTimetable (every
/// train, every call) is a few hundred thousand, Entur's 2 MB sample 50,000.
/// Each costs about 130 bytes while the tree is read, so the cap also bounds
/// what a hostile body can make us hold (about 250 MiB).
pub const MAX_ELEMENTS: usize = 2_000_000;

/// Why a body is not a SIRI delivery.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum DocumentError {
    #[error(transparent)]
    Xml(#[from] XmlError),
    #[error("not valid JSON: {0}")]
    Json(String),
    #[error("JSON nested deeper than {MAX_DEPTH} levels")]
    TooDeep,
    #[error("more than {MAX_ELEMENTS} elements")]
    TooManyElements,
    #[error("the producer answered with an error: {0}")]
    ErrorBody(String),
    #[error("no ServiceDelivery in the document (root <{0}>)")]
    NoDelivery(String),
}

/// Nesting a JSON document may have (the XML reader has the same cap).
const MAX_DEPTH: usize = 64;

/// The body's tree: JSON when its first character is `{` or `[`, XML otherwise.
pub fn read(body: &[u8]) -> Result<Element, DocumentError> {
    let start = body
        .iter()
        .position(|b| !b.is_ascii_whitespace() && *b != 0xEF && *b != 0xBB && *b != 0xBF);
    match start.map(|i| body[i]) {
        Some(b'{') | Some(b'[') => from_json(body),
        _ => Ok(xml::parse_with(body, MAX_ELEMENTS)?),
    }
}

fn from_json(body: &[u8]) -> Result<Element, DocumentError> {
    let body = body.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(body);
    // serde_json refuses nesting past 128 on its own; ours is checked below.
    let value: serde_json::Value =
        serde_json::from_slice(body).map_err(|e| DocumentError::Json(e.to_string()))?;
    let mut count = 0usize;
    let mut root = Element {
        name: "document".into(),
        ..Element::default()
    };
    fill(&mut root, &value, 0, &mut count)?;
    // An error body (`{"message": "no Route matched"}`, `{"error": …}`): say what
    // the producer said.
    if root.children.len() <= 2
        && let Some(message) = ["message", "error", "Message", "Error", "detail"]
            .iter()
            .find_map(|k| root.text_of(k))
    {
        return Err(DocumentError::ErrorBody(
            message.chars().take(300).collect(),
        ));
    }
    Ok(match root.children.iter().position(|c| c.name == "Siri") {
        Some(i) if root.children.len() == 1 => root.children.swap_remove(i),
        _ => Element {
            name: "Siri".into(),
            ..root
        },
    })
}

/// Writes `value` into `element`: object members become children (arrays,
/// repeated children), `value`/`Value` its text, `lang`/`Lang` its `lang`
/// attribute; scalars its text; `null` nothing.
fn fill(
    element: &mut Element,
    value: &serde_json::Value,
    depth: usize,
    count: &mut usize,
) -> Result<(), DocumentError> {
    use serde_json::Value;
    if depth > MAX_DEPTH {
        return Err(DocumentError::TooDeep);
    }
    match value {
        Value::Null => {}
        Value::Bool(b) => element.text = b.to_string(),
        Value::Number(n) => element.text = n.to_string(),
        Value::String(s) => element.text = s.clone(),
        Value::Array(items) => {
            // An array directly inside an array (rare): its items are the
            // element's text joined, or nested elements of the same name.
            for item in items {
                let mut child = Element {
                    name: element.name.clone(),
                    ..Element::default()
                };
                fill(&mut child, item, depth + 1, count)?;
                element.children.push(child);
            }
        }
        Value::Object(members) => {
            for (key, member) in members {
                match (key.as_str(), member) {
                    ("value" | "Value", Value::String(_) | Value::Number(_) | Value::Bool(_)) => {
                        let mut text = Element::default();
                        fill(&mut text, member, depth + 1, count)?;
                        element.text = text.text;
                    }
                    ("lang" | "Lang" | "xml:lang", Value::String(lang)) => {
                        element.attributes.push(("lang".into(), lang.clone()));
                    }
                    (_, Value::Array(items)) => {
                        for item in items {
                            push(element, key, item, depth, count)?;
                        }
                    }
                    _ => push(element, key, member, depth, count)?,
                }
            }
        }
    }
    Ok(())
}

fn push(
    parent: &mut Element,
    name: &str,
    value: &serde_json::Value,
    depth: usize,
    count: &mut usize,
) -> Result<(), DocumentError> {
    if value.is_null() {
        return Ok(());
    }
    *count += 1;
    if *count > MAX_ELEMENTS {
        return Err(DocumentError::TooManyElements);
    }
    let mut child = Element {
        name: name.to_string(),
        ..Element::default()
    };
    fill(&mut child, value, depth + 1, count)?;
    parent.children.push(child);
    Ok(())
}

/// What readers of the tree use: the trimmed text of a child, and of a child's
/// child, by local name.
pub trait Read {
    fn text(&self, name: &str) -> Option<String>;
    fn path(&self, names: &[&str]) -> Option<&Element>;
    fn all<'a>(&'a self, path: &[&str]) -> Vec<&'a Element>;
    fn flag(&self, name: &str) -> bool;
}

impl Read for Element {
    fn text(&self, name: &str) -> Option<String> {
        self.text_of(name)
    }

    fn path(&self, names: &[&str]) -> Option<&Element> {
        let mut at = self;
        for name in names {
            at = at.child(name)?;
        }
        Some(at)
    }

    /// The elements at the end of `path`, every branch followed (a repeated
    /// container and a repeated element alike).
    fn all<'a>(&'a self, path: &[&str]) -> Vec<&'a Element> {
        let mut level = vec![self];
        for name in path {
            level = level
                .into_iter()
                .flat_map(|e| e.children.iter().filter(|c| c.name == *name))
                .collect();
        }
        level
    }

    fn flag(&self, name: &str) -> bool {
        self.text(name)
            .is_some_and(|t| t.eq_ignore_ascii_case("true"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_shapes_read_as_the_xml_would() {
        let idfm = br#"{"Siri":{"ServiceDelivery":{"EstimatedTimetableDelivery":[{"EstimatedJourneyVersionFrame":[{"EstimatedVehicleJourney":[{"LineRef":{"value":"L1"},"VehicleMode":["BUS"],"RouteRef":{}}]}]}]}}}"#;
        let root = read(idfm).unwrap();
        assert_eq!(root.name, "Siri");
        let journey = root.all(&[
            "ServiceDelivery",
            "EstimatedTimetableDelivery",
            "EstimatedJourneyVersionFrame",
            "EstimatedVehicleJourney",
        ]);
        assert_eq!(journey.len(), 1);
        assert_eq!(journey[0].text("LineRef").as_deref(), Some("L1"));
        assert_eq!(journey[0].text("VehicleMode").as_deref(), Some("BUS"));
        let cts = br#"{"ServiceDelivery":{"RequestMessageRef":null,"X":[{"MessageText":[{"Value":"Ligne 13","Lang":"FR"}]}]}}"#;
        let root = read(cts).unwrap();
        let text = root.path(&["ServiceDelivery", "X", "MessageText"]).unwrap();
        assert_eq!(text.text, "Ligne 13");
        assert_eq!(text.attribute("lang"), Some("FR"));
        assert!(
            root.path(&["ServiceDelivery", "RequestMessageRef"])
                .is_none()
        );
    }

    #[test]
    fn error_bodies_and_garbage_say_why() {
        assert_eq!(
            read(br#"{"message": "no Route matched"}"#),
            Err(DocumentError::ErrorBody("no Route matched".into()))
        );
        assert!(matches!(read(b"{\"a\": "), Err(DocumentError::Json(_))));
        assert!(matches!(
            read(b"<?xml v INVALID"),
            Err(DocumentError::Xml(_))
        ));
        let deep = "[".repeat(100) + &"]".repeat(100);
        assert!(read(deep.as_bytes()).is_err());
    }
}
