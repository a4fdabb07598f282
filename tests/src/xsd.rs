//! `xmllint` against the SIRI XSD (CEN EN 15531, fetched once by
//! `scripts/siri-xsd.sh`): the exports' validity, checked by the schema's
//! own rules rather than ours.

/// The path of siri.xsd, fetched once by scripts/siri-xsd.sh.
pub fn siri_xsd() -> String {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/../scripts/siri-xsd.sh");
    let out = std::process::Command::new("bash")
        .arg(script)
        .output()
        .expect("run scripts/siri-xsd.sh");
    assert!(
        out.status.success(),
        "scripts/siri-xsd.sh: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .expect("path")
        .trim()
        .to_string()
}

/// `xmllint`'s verdict on `xml` against the SIRI XSD: Ok, or what it said.
pub fn validate_siri(xml: &str) -> Result<(), String> {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("siri.xml");
    std::fs::write(&file, xml).expect("write");
    let out = std::process::Command::new("xmllint")
        .args(["--noout", "--nonet", "--schema", &siri_xsd()])
        .arg(&file)
        .output()
        .expect("xmllint (scripts/deps.sh test installs libxml2-utils)");
    if out.status.success() {
        Ok(())
    } else {
        Err(String::from_utf8_lossy(&out.stderr).into_owned())
    }
}
