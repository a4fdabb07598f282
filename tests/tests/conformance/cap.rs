//! CAP weather alerts as published: every document of `cap/` parses, or is refused
//! with a clear reason.

use feed_server::sources::weather::cap::{Document, parse_document};

use crate::support::fixtures;

/// Every file, with what it became: `alerts N (langs)`, `index N`, or `refused: …`.
fn outcomes() -> Vec<(String, String)> {
    let root = fixtures().join("cap");
    let mut files = Vec::new();
    let mut dirs = vec![root.clone()];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).expect("cap folder") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                dirs.push(path);
            } else if path.extension().is_some_and(|e| e != "pem") {
                files.push(path);
            }
        }
    }
    files.sort();
    files
        .into_iter()
        .map(|path| {
            let name = path
                .strip_prefix(&root)
                .expect("prefix")
                .to_string_lossy()
                .into_owned();
            let bytes = std::fs::read(&path).expect("read");
            let outcome = match parse_document(&bytes) {
                Ok(Document::Alerts(alerts)) | Ok(Document::Feed(alerts)) => {
                    let mut langs: Vec<String> = alerts
                        .iter()
                        .flat_map(|a| a.infos.iter().map(|i| i.language.clone()))
                        .collect();
                    langs.sort();
                    langs.dedup();
                    format!("alerts {} ({})", alerts.len(), langs.join(","))
                }
                Ok(Document::Index(links)) => format!("index {}", links.len()),
                Err(e) => format!("refused: {e}"),
            };
            (name, outcome)
        })
        .collect()
}

/// What each fixture must become. Refusals are the documents the fixtures' authors
/// made invalid on purpose (missing scope or identifier, empty references, an
/// identifier with a comma), the XXE attempts (any DTD is refused), a file that is
/// not XML, and Météo-France's pre-CAP vigilance format. Languages are kept: the
/// Canadian alerts (signed or not) in English and French, the Amber alert in
/// English and Spanish.
const EXPECTED: &[(&str, &str)] = &[
    ("google-cap-library/amber.atom", "alerts 1 (en)"),
    ("google-cap-library/australia.cap", "alerts 1 (en)"),
    (
        "google-cap-library/bushfire_invalid.edxlde",
        "refused: CAP alert (no identifier): <identifier> is missing",
    ),
    ("google-cap-library/bushfire_valid.edxlde", "alerts 7 (en)"),
    ("google-cap-library/canada.cap", "alerts 1 (en,fr)"),
    (
        "google-cap-library/canada_errors.cap",
        "refused: CAP alert 2.49.0.1.124.6bddbc91.2012: <references> is empty",
    ),
    ("google-cap-library/canada_signed.atom", "alerts 1 (en,fr)"),
    ("google-cap-library/canada_signed.cap", "alerts 1 (en,fr)"),
    (
        "google-cap-library/earthquake-iso8859-1.cap",
        "alerts 1 (en)",
    ),
    ("google-cap-library/earthquake.cap", "alerts 1 (en)"),
    ("google-cap-library/earthquake_index.atom", "index 1"),
    ("google-cap-library/earthquake_signed.cap", "alerts 1 (en)"),
    ("google-cap-library/empty_weather_index.atom", "index 0"),
    (
        "google-cap-library/invalid.cap",
        "refused: CAP alert 12345: <scope> is missing",
    ),
    ("google-cap-library/invalid.rss", "index 0"),
    ("google-cap-library/invalid_element.atom", "index 0"),
    ("google-cap-library/no_entries.atom", "index 0"),
    ("google-cap-library/no_id.atom", "index 0"),
    ("google-cap-library/no_link.atom", "index 1"),
    ("google-cap-library/no_optional_fields.cap", "alerts 1 ()"),
    ("google-cap-library/no_title.atom", "index 1"),
    (
        "google-cap-library/noaa_errors.cap",
        "refused: CAP alert NOAA-NWS-ALERTS-NV20110710035200FloodWarning20110812031500NV.LKNFLWLKN.b246748c7bbfa7c65ae9b960569510dd: <references> is empty",
    ),
    ("google-cap-library/ny_index.rss", "index 2"),
    (
        "google-cap-library/validator-examples/43b080713727.cap",
        "alerts 1 (en)",
    ),
    (
        "google-cap-library/validator-examples/KAR0-0306112239-SW.cap",
        "alerts 1 (en)",
    ),
    ("google-cap-library/validator-examples/amber.rss", "index 1"),
    (
        "google-cap-library/validator-examples/earthquake.atom",
        "alerts 1 (en)",
    ),
    (
        "google-cap-library/validator-examples/thunderstorm.cap",
        "alerts 1 (en)",
    ),
    ("google-cap-library/wcatwc-warning.cap", "alerts 1 (en)"),
    ("google-cap-library/weather.atom", "alerts 1 (en)"),
    ("google-cap-library/weather.cap", "alerts 1 (en)"),
    ("google-cap-library/weather_index.atom", "index 2"),
    (
        "google-cap-library/weather_invalid.atom",
        "refused: CAP alert INVALID,: <identifier> contains a space, a comma, '<' or '&'",
    ),
    (
        "google-cap-library/xee.atom",
        "refused: a DTD is not accepted (entity declarations could reach outside)",
    ),
    (
        "google-cap-library/xee.cap",
        "refused: a DTD is not accepted (entity declarations could reach outside)",
    ),
    ("gull-nws-atom/alerts.xml", "index 3"),
    ("gull-nws-atom/bad.xml", "refused: no root element"),
    ("gull-nws-atom/empty.xml", "index 0"),
    ("gull-nws-atom/missing_cap.xml", "index 1"),
    ("ibm-cap/cap_amber_alert_example.xml", "alerts 1 (en,es)"),
    ("ibm-cap/nws_atom_feed_example.xml", "index 163"),
    (
        "meteofrance-vigilance-legacy-not-cap/NXFR33_LFPW_.xml",
        "refused: not a CAP alert nor an Atom/RSS index of alerts (root element <CV>)",
    ),
    ("oasiscap/google-PAAQ-4-mg5a94.xml", "alerts 1 (en)"),
    (
        "oasiscap/ipaws-5e6dd964023f1930ef638846.xml",
        "alerts 1 (en)",
    ),
    ("oasiscap/ipaws-5e6dd9de023f1930ef6548d9.xml", "alerts 1 ()"),
    (
        "oasiscap/ipaws-5e6ddbad023f1930ef6c1a5a.xml",
        "alerts 1 (en)",
    ),
    (
        "oasiscap/ipaws-5e7e0fc5023f1930efcf3deb.xml",
        "alerts 1 (en)",
    ),
    (
        "oasiscap/ipaws-5ea321f39fc226a7b44b6874.xml",
        "alerts 1 (en)",
    ),
    (
        "oasiscap/nws-5c2cf27b1f56885d61654dc47fa411d5.xml",
        "alerts 1 (en)",
    ),
    ("oasiscap/v1dot0_appendix_adot1.xml", "alerts 1 (en)"),
    ("oasiscap/v1dot0_appendix_adot2.xml", "alerts 1 (en)"),
    ("oasiscap/v1dot0_appendix_adot3.xml", "alerts 1 (en)"),
    ("oasiscap/v1dot0_appendix_adot4.xml", "alerts 1 (en)"),
    ("oasiscap/v1dot1_appendix_adot1.xml", "alerts 1 (en)"),
    ("oasiscap/v1dot1_appendix_adot2.xml", "alerts 1 (en)"),
    ("oasiscap/v1dot1_appendix_adot3.xml", "alerts 1 (en)"),
    ("oasiscap/v1dot1_appendix_adot4.xml", "alerts 1 (en)"),
    ("oasiscap/v1dot2_appendix_adot1.xml", "alerts 1 (en)"),
    ("oasiscap/v1dot2_appendix_adot2.xml", "alerts 1 (en)"),
    ("oasiscap/v1dot2_appendix_adot3.xml", "alerts 1 (en)"),
    ("oasiscap/v1dot2_appendix_adot4.xml", "alerts 1 (en,es)"),
];

#[test]
fn every_cap_fixture_parses_or_is_refused_clearly() {
    let got = outcomes();
    let names: Vec<&str> = got.iter().map(|(n, _)| n.as_str()).collect();
    let expected: Vec<&str> = EXPECTED.iter().map(|(n, _)| *n).collect();
    assert_eq!(names, expected, "the fixture files changed");
    for ((name, outcome), (_, want)) in got.iter().zip(EXPECTED) {
        assert_eq!(outcome, want, "{name}");
    }
}
