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
    let count = std::cell::Cell::new(0usize);
    let mut de = serde_json::Deserializer::from_slice(body);
    let members = serde::de::DeserializeSeed::deserialize(
        Member {
            name: "document",
            count: &count,
            depth: 0,
        },
        &mut de,
    )
    .and_then(|m| de.end().map(|()| m))
    .map_err(|e| {
        let text = e.to_string();
        if text.starts_with(TOO_MANY) {
            DocumentError::TooManyElements
        } else if text.starts_with(TOO_DEEP) {
            DocumentError::TooDeep
        } else {
            DocumentError::Json(text)
        }
    })?;
    let mut root = members.into_iter().next().unwrap_or_else(|| Element {
        name: "document".into(),
        ..Element::default()
    });
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

const TOO_MANY: &str = "too many elements";
const TOO_DEEP: &str = "nested too deep";

/// A JSON value read straight into elements named `name`, counted as they are
/// made (no intermediate `serde_json::Value`, so the caps bound what is held):
/// an object is one element of its members (`value`/`Value` its text,
/// `lang`/`Lang` its `lang` attribute), an array one element per item, a
/// scalar one element with that text, `null` none.
struct Member<'a> {
    name: &'a str,
    count: &'a std::cell::Cell<usize>,
    depth: usize,
}

impl Member<'_> {
    fn element(&self, text: String) -> Result<Element, String> {
        self.count.set(self.count.get() + 1);
        if self.count.get() > MAX_ELEMENTS {
            return Err(format!("{TOO_MANY} (more than {MAX_ELEMENTS})"));
        }
        if self.depth > MAX_DEPTH {
            return Err(format!("{TOO_DEEP} (more than {MAX_DEPTH} levels)"));
        }
        Ok(Element {
            name: self.name.to_string(),
            text,
            ..Element::default()
        })
    }
}

impl<'de> serde::de::DeserializeSeed<'de> for Member<'_> {
    type Value = Vec<Element>;

    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<Vec<Element>, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> serde::de::Visitor<'de> for Member<'_> {
    type Value = Vec<Element>;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a SIRI JSON value")
    }

    fn visit_unit<E: serde::de::Error>(self) -> Result<Vec<Element>, E> {
        Ok(Vec::new())
    }

    fn visit_none<E: serde::de::Error>(self) -> Result<Vec<Element>, E> {
        Ok(Vec::new())
    }

    fn visit_bool<E: serde::de::Error>(self, v: bool) -> Result<Vec<Element>, E> {
        self.element(v.to_string())
            .map(|e| vec![e])
            .map_err(E::custom)
    }

    fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<Vec<Element>, E> {
        self.element(v.to_string())
            .map(|e| vec![e])
            .map_err(E::custom)
    }

    fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<Vec<Element>, E> {
        self.element(v.to_string())
            .map(|e| vec![e])
            .map_err(E::custom)
    }

    fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<Vec<Element>, E> {
        self.element(v.to_string())
            .map(|e| vec![e])
            .map_err(E::custom)
    }

    fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Vec<Element>, E> {
        if v.len() > crate::sources::siri::text::MAX_TEXT {
            return Err(E::custom(format!(
                "a text over {} bytes in \"{}\"",
                crate::sources::siri::text::MAX_TEXT,
                self.name
            )));
        }
        self.element(v.to_string())
            .map(|e| vec![e])
            .map_err(E::custom)
    }

    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Vec<Element>, A::Error> {
        if self.depth > MAX_DEPTH {
            return Err(serde::de::Error::custom(format!(
                "{TOO_DEEP} (more than {MAX_DEPTH} levels)"
            )));
        }
        let mut out = Vec::new();
        while let Some(items) = seq.next_element_seed(Member {
            name: self.name,
            count: self.count,
            depth: self.depth + 1,
        })? {
            out.extend(items);
        }
        Ok(out)
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Vec<Element>, A::Error> {
        use serde::de::Error as _;
        let mut element = self.element(String::new()).map_err(A::Error::custom)?;
        while let Some(key) = map.next_key::<String>()? {
            let children = map.next_value_seed(Member {
                name: &key,
                count: self.count,
                depth: self.depth + 1,
            })?;
            let leaf = |c: &Element| c.children.is_empty() && c.attributes.is_empty();
            match key.as_str() {
                "value" | "Value" if children.len() == 1 && leaf(&children[0]) => {
                    element.text = children.into_iter().map(|c| c.text).collect();
                }
                "lang" | "Lang" | "xml:lang" if children.len() == 1 && leaf(&children[0]) => {
                    let lang = children.into_iter().map(|c| c.text).collect();
                    element.attributes.push(("lang".into(), lang));
                }
                _ => element.children.extend(children),
            }
        }
        Ok(vec![element])
    }
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
        assert_eq!(read(deep.as_bytes()), Err(DocumentError::TooDeep));
        let deep = "{\"a\":".repeat(100) + "1" + &"}".repeat(100);
        assert_eq!(read(deep.as_bytes()), Err(DocumentError::TooDeep));
        let long = format!("{{\"a\": \"{}\"}}", "x".repeat(70_000));
        assert!(matches!(read(long.as_bytes()), Err(DocumentError::Json(_))));
    }
}
