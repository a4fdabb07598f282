//! docs/openapi.yaml against a running server: valid OpenAPI 3.1, served as
//! JSON, every API route in it, every operation answering as documented
//! (tests/python/openapi_check.py, with openapi-spec-validator and jsonschema).

use quai_tests::server;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_openapi_document_is_valid_complete_and_true() {
    let demo = include_str!("../../feed-server/demo/caudry.toml");
    let s = server::start(demo, server::fixed("2026-07-01T07:30:00+02:00")).await;
    s.wait_fresh("demo:trip-updates").await;
    let token = s.emergency_operator("openapi", &["station:caudry"]);
    let python = std::env::var("QUAI_PYTHON").unwrap_or_else(|_| "python3".into());
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/python/openapi_check.py");
    let out = tokio::process::Command::new(&python)
        .arg(script)
        .arg(&s.base)
        .arg(&token)
        .output()
        .await
        .unwrap_or_else(|e| panic!("cannot run {python}: {e} (scripts/deps.sh installs it)"));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "openapi_check.py failed\nstdout:\n{stdout}\nstderr:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("answered as documented"), "{stdout}");
    print!("{stdout}");
}
