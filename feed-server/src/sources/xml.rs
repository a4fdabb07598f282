//! A small, defensive XML reader: the document as a tree of elements by local name
//! (namespaces dropped), for the CAP and Atom documents weather services publish
//! and the SIRI deliveries of realtime producers.
//!
//! It refuses what a public feed has no business sending and what would let a
//! hostile one hurt us: any DTD (so no entity can be declared, and external
//! entities never resolve), entity references other than the five predefined ones
//! and character references, nesting deeper than 64, more than 100,000 elements (a caller may allow more:
//! a national SIRI EstimatedTimetable holds millions), and
//! text fields over 64 KiB. Encodings other than UTF-8 (ISO-8859-1...) are decoded
//! as the XML declaration says.

use quick_xml::XmlVersion;
use quick_xml::events::Event;

const MAX_DEPTH: usize = 64;
/// Elements a document may hold unless the caller says otherwise.
pub const MAX_ELEMENTS: usize = 100_000;
const MAX_TEXT: usize = 64 * 1024;
/// Elements whose text is a payload we never use (CAP `derefUri`: a whole image or
/// sound file in base64): their text is dropped instead of counted.
const PAYLOADS: [&str; 1] = ["derefUri"];

/// One element: its local name, attributes, text (concatenated) and children.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Element {
    pub name: String,
    pub attributes: Vec<(String, String)>,
    pub text: String,
    pub children: Vec<Element>,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum XmlError {
    #[error("not well-formed XML: {0}")]
    Syntax(String),
    #[error("a DTD is not accepted (entity declarations could reach outside)")]
    Dtd,
    #[error("unknown entity `&{0};` (only the predefined XML entities are accepted)")]
    Entity(String),
    #[error("more than {MAX_DEPTH} nested elements")]
    TooDeep,
    #[error("more than {0} elements")]
    TooManyElements(usize),
    #[error("a text over {MAX_TEXT} bytes in <{0}>")]
    TextTooLong(String),
    #[error("no root element")]
    Empty,
}

impl Element {
    /// The first child with this local name.
    pub fn child(&self, name: &str) -> Option<&Element> {
        self.children.iter().find(|c| c.name == name)
    }

    /// Every child with this local name.
    pub fn children_named<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Element> + 'a {
        self.children.iter().filter(move |c| c.name == name)
    }

    /// The trimmed text of the first child with this name, if not empty.
    pub fn text_of(&self, name: &str) -> Option<String> {
        self.child(name)
            .map(|c| c.text.trim().to_string())
            .filter(|t| !t.is_empty())
    }

    pub fn attribute(&self, name: &str) -> Option<&str> {
        self.attributes
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// Every element with this local name, this one and all descendants, in document
    /// order.
    pub fn descendants<'a>(&'a self, name: &str, out: &mut Vec<&'a Element>) {
        if self.name == name {
            out.push(self);
        }
        for c in &self.children {
            c.descendants(name, out);
        }
    }
}

/// The document as UTF-8: a byte-order mark or the declaration's `encoding` says
/// how it is written (UTF-8 when neither does).
fn to_utf8(bytes: &[u8]) -> Result<std::borrow::Cow<'_, str>, XmlError> {
    if let Some((encoding, bom)) = encoding_rs::Encoding::for_bom(bytes) {
        let (text, _, bad) = encoding.decode(&bytes[bom..]);
        return if bad {
            Err(XmlError::Syntax(format!("not valid {}", encoding.name())))
        } else {
            Ok(text)
        };
    }
    let head = String::from_utf8_lossy(&bytes[..bytes.len().min(200)]);
    let declared = head
        .strip_prefix("<?xml")
        .and_then(|d| d.split("?>").next())
        .and_then(|d| d.split("encoding").nth(1))
        .and_then(|rest| rest.split(['"', '\'']).nth(1))
        .and_then(|label| encoding_rs::Encoding::for_label(label.trim().as_bytes()));
    match declared {
        Some(encoding) if encoding != encoding_rs::UTF_8 => {
            let (text, bad) = encoding.decode_without_bom_handling(bytes);
            if bad {
                return Err(XmlError::Syntax(format!("not valid {}", encoding.name())));
            }
            Ok(text)
        }
        _ => std::str::from_utf8(bytes)
            .map(std::borrow::Cow::Borrowed)
            .map_err(|e| XmlError::Syntax(format!("not valid UTF-8: {e}"))),
    }
}

/// Parses a whole document into its root element.
pub fn parse(bytes: &[u8]) -> Result<Element, XmlError> {
    parse_with(bytes, MAX_ELEMENTS)
}

/// The same, allowing up to `max_elements` elements.
pub fn parse_with(bytes: &[u8], max_elements: usize) -> Result<Element, XmlError> {
    let text = to_utf8(bytes)?;
    let mut reader = quick_xml::Reader::from_str(&text);
    reader.config_mut().trim_text(false);
    let mut stack: Vec<Element> = Vec::new();
    let mut root: Option<Element> = None;
    let mut count = 0usize;
    let syntax = |e: quick_xml::Error| XmlError::Syntax(e.to_string());
    loop {
        let event = reader.read_event().map_err(syntax)?;
        let is_empty = matches!(event, Event::Empty(_));
        match event {
            Event::DocType(_) => return Err(XmlError::Dtd),
            Event::Start(start) | Event::Empty(start) => {
                count += 1;
                if count > max_elements {
                    return Err(XmlError::TooManyElements(max_elements));
                }
                if stack.len() >= MAX_DEPTH {
                    return Err(XmlError::TooDeep);
                }
                let mut element = Element {
                    name: start.local_name().as_ref().to_string(),
                    ..Element::default()
                };
                for attr in start.attributes() {
                    let attr = attr.map_err(|e| XmlError::Syntax(e.to_string()))?;
                    let value =
                        attr.normalized_value(XmlVersion::Implicit1_0)
                            .map_err(|e| match e {
                                quick_xml::Error::Escape(
                                    quick_xml::escape::EscapeError::UnrecognizedEntity(_, name),
                                ) => XmlError::Entity(name),
                                other => XmlError::Syntax(other.to_string()),
                            })?;
                    element.attributes.push((
                        attr.key.local_name().as_ref().to_string(),
                        value.into_owned(),
                    ));
                }
                if is_empty {
                    close(element, &mut stack, &mut root);
                } else {
                    stack.push(element);
                }
            }
            Event::End(_) => {
                let Some(element) = stack.pop() else {
                    return Err(XmlError::Syntax("unexpected end tag".into()));
                };
                close(element, &mut stack, &mut root);
            }
            Event::Text(text) => push_text(&mut stack, &text.xml10_content())?,
            Event::CData(data) => {
                let data = data.into_inner();
                push_text(&mut stack, &data)?;
            }
            Event::GeneralRef(reference) => {
                let text = match reference.resolve_char_ref().map_err(syntax)? {
                    Some(c) => c.to_string(),
                    None => {
                        let name = reference.xml10_content().into_owned();
                        match name.as_str() {
                            "amp" => "&".into(),
                            "lt" => "<".into(),
                            "gt" => ">".into(),
                            "quot" => "\"".into(),
                            "apos" => "'".into(),
                            _ => return Err(XmlError::Entity(name)),
                        }
                    }
                };
                push_text(&mut stack, &text)?;
            }
            Event::Eof => break,
            Event::Decl(_) | Event::PI(_) | Event::Comment(_) => {}
        }
    }
    if !stack.is_empty() {
        return Err(XmlError::Syntax(format!(
            "<{}> is not closed",
            stack.last().map(|e| e.name.as_str()).unwrap_or_default()
        )));
    }
    root.ok_or(XmlError::Empty)
}

fn close(element: Element, stack: &mut [Element], root: &mut Option<Element>) {
    match stack.last_mut() {
        Some(parent) => parent.children.push(element),
        None => {
            if root.is_none() {
                *root = Some(element);
            }
        }
    }
}

fn push_text(stack: &mut [Element], text: &str) -> Result<(), XmlError> {
    if let Some(current) = stack.last_mut() {
        if PAYLOADS.contains(&current.name.as_str()) {
            return Ok(());
        }
        if current.text.len() + text.len() > MAX_TEXT {
            return Err(XmlError::TextTooLong(current.name.clone()));
        }
        current.text.push_str(text);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn namespaces_are_dropped_and_entities_resolved() {
        let doc = br#"<?xml version="1.0"?><cap:alert xmlns:cap="urn:x"><cap:headline>Orages &amp; gr&#xEA;le</cap:headline><area a="1"/></cap:alert>"#;
        let root = parse(doc).unwrap();
        assert_eq!(root.name, "alert");
        assert_eq!(root.text_of("headline").as_deref(), Some("Orages & grêle"));
        assert_eq!(root.child("area").and_then(|a| a.attribute("a")), Some("1"));
    }

    #[test]
    fn dtds_unknown_entities_and_bombs_are_refused() {
        assert_eq!(
            parse(b"<!DOCTYPE a [<!ENTITY x SYSTEM \"file:///etc/passwd\">]><a>&x;</a>"),
            Err(XmlError::Dtd)
        );
        assert_eq!(parse(b"<a>&x;</a>"), Err(XmlError::Entity("x".into())));
        let deep = "<a>".repeat(100) + &"</a>".repeat(100);
        assert_eq!(parse(deep.as_bytes()), Err(XmlError::TooDeep));
        assert!(matches!(parse(b"<a><b></a>"), Err(XmlError::Syntax(_))));
        assert_eq!(parse(b"   "), Err(XmlError::Empty));
    }

    #[test]
    fn latin1_documents_are_decoded() {
        let mut doc = b"<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><a>".to_vec();
        doc.extend_from_slice(&[0x4D, 0xE9, 0x74, 0xE9, 0x6F]); // "Météo" in Latin-1
        doc.extend_from_slice(b"</a>");
        assert_eq!(parse(&doc).unwrap().text, "Météo");
    }
}
