//! The committed bindings are exactly what the `.proto` generates.

use std::path::Path;

/// How the bindings are generated: every message and enum also derives serde
/// (the GTFS-RT export's `?format=json`), with snake_case field names.
fn generate(out: &Path) -> String {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let descriptors = protox::compile([root.join("gtfs-realtime.proto")], [root])
        .unwrap_or_else(|e| panic!("gtfs-realtime.proto does not compile: {e}"));
    prost_build::Config::new()
        .type_attribute(
            ".",
            "#[derive(::serde::Deserialize, ::serde::Serialize)] #[serde(rename_all = \"snake_case\")]",
        )
        .out_dir(out)
        .compile_fds(descriptors)
        .unwrap_or_else(|e| panic!("prost-build: {e}"));
    std::fs::read_to_string(out.join("transit_realtime.rs")).expect("generated bindings")
}

#[test]
fn the_committed_bindings_match_the_proto() {
    let dir = tempfile::tempdir().expect("temp dir");
    let generated = generate(dir.path());
    let committed_path = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/transit_realtime.rs");
    let committed = std::fs::read_to_string(&committed_path).unwrap_or_default();
    if generated == committed {
        return;
    }
    if std::env::var_os("QUAI_REGENERATE").is_some() {
        std::fs::write(&committed_path, &generated).expect("write bindings");
        return;
    }
    panic!(
        "src/transit_realtime.rs does not match gtfs-realtime.proto: \
         run `QUAI_REGENERATE=1 cargo test -p quai-gtfs-rt` and commit the result"
    );
}
