//! The JSON Schema of the wire (docs/schemas/quai.schema.json), checked by an
//! independent implementation: Python's `jsonschema` (tests/python/validate.py,
//! installed by scripts/deps.sh test).

/// Panics unless `body` is a `definition` of docs/schemas/quai.schema.json
/// (checked by Python's `jsonschema`, tests/python/validate.py).
pub fn conforms(definition: &str, body: &str) {
    use std::io::Write as _;
    let python = std::env::var("QUAI_PYTHON").unwrap_or_else(|_| "python3".into());
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/python/validate.py");
    let mut child = std::process::Command::new(python)
        .arg(script)
        .arg(definition)
        .stdin(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("python3 (scripts/deps.sh test installs it with jsonschema)");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(body.as_bytes())
        .expect("write");
    let out = child.wait_with_output().expect("validate.py");
    assert!(
        out.status.success(),
        "{}\n{body}",
        String::from_utf8_lossy(&out.stderr)
    );
}
