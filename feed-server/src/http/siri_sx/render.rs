//! An [`Element`] tree written out as SIRI XML or SIRI Lite JSON.
//!
//! The JSON follows the shape most SIRI Lite producers serve (and that
//! `sources::siri` reads): an element is an object of its children, an
//! element that may repeat is always an array, a text with a language is
//! `{"value": …, "lang": …}`, a plain text is a string.

use serde_json::{Map, Value};

use crate::sources::xml::Element;

/// Elements written as arrays in JSON, whether one or many.
const REPEATED: [&str; 12] = [
    "SituationExchangeDelivery",
    "PtSituationElement",
    "ValidityPeriod",
    "PublicationWindow",
    "Summary",
    "Description",
    "AffectedNetwork",
    "AffectedLine",
    "AffectedStopPoint",
    "AffectedStopPlace",
    "AffectedVehicleJourney",
    "DatedVehicleJourneyRef",
];

/// `root` as an XML document (UTF-8, with its declaration).
pub fn xml(root: &Element) -> String {
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    write(root, &mut out);
    out.push('\n');
    out
}

fn write(e: &Element, out: &mut String) {
    out.push('<');
    out.push_str(&e.name);
    for (k, v) in &e.attributes {
        out.push(' ');
        out.push_str(k);
        out.push_str("=\"");
        out.push_str(&quick_xml::escape::escape(v.as_str()));
        out.push('"');
    }
    if e.children.is_empty() && e.text.is_empty() {
        out.push_str("/>");
        return;
    }
    out.push('>');
    out.push_str(&quick_xml::escape::escape(e.text.as_str()));
    for c in &e.children {
        write(c, out);
    }
    out.push_str("</");
    out.push_str(&e.name);
    out.push('>');
}

/// `root` as SIRI Lite JSON: `{"Siri": {...}}`.
pub fn json(root: &Element) -> Value {
    let mut top = Map::new();
    top.insert(root.name.clone(), value(root));
    Value::Object(top)
}

fn value(e: &Element) -> Value {
    let lang = e.attribute("xml:lang");
    if e.children.is_empty() {
        return match lang {
            Some(l) => serde_json::json!({ "value": e.text, "lang": l }),
            // A container with nothing in it (no situations): an empty object.
            None if e.text.is_empty() => Value::Object(Map::new()),
            None => Value::String(e.text.clone()),
        };
    }
    let mut map = Map::new();
    for (k, v) in &e.attributes {
        if !k.starts_with("xmlns") {
            map.insert(k.clone(), Value::String(v.clone()));
        }
    }
    for c in &e.children {
        let v = value(c);
        if REPEATED.contains(&c.name.as_str()) {
            match map
                .entry(c.name.clone())
                .or_insert_with(|| Value::Array(Vec::new()))
            {
                Value::Array(items) => items.push(v),
                other => *other = Value::Array(vec![other.clone(), v]),
            }
        } else {
            map.insert(c.name.clone(), v);
        }
    }
    Value::Object(map)
}

/// An element with text.
pub fn text(name: &str, text: impl Into<String>) -> Element {
    Element {
        name: name.into(),
        text: text.into(),
        ..Element::default()
    }
}

/// An element with children.
pub fn node(name: &str, children: Vec<Element>) -> Element {
    Element {
        name: name.into(),
        children,
        ..Element::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn texts_are_escaped_and_repeated_elements_are_arrays() {
        let mut summary = text("Summary", "Quai <C> & D");
        summary.attributes.push(("xml:lang".into(), "fr".into()));
        let root = node("Siri", vec![node("PtSituationElement", vec![summary])]);
        assert_eq!(
            xml(&root),
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Siri><PtSituationElement><Summary xml:lang=\"fr\">Quai &lt;C&gt; &amp; D</Summary></PtSituationElement></Siri>\n"
        );
        assert_eq!(
            json(&root),
            serde_json::json!({"Siri": {"PtSituationElement": [{"Summary": [{"value": "Quai <C> & D", "lang": "fr"}]}]}})
        );
    }
}
