//! Fingerprints the code that turns a GTFS archive into a compiled timetable
//! (`src/timetable/`, `src/sources/gtfs_static/`), so that the compiled-timetable
//! cache never serves a timetable compiled by other rules: the fingerprint is part
//! of every cache key (`timetable::cache`), and it changes with any edit there,
//! released or not.

use std::path::Path;

fn main() {
    let mut files = Vec::new();
    for dir in ["src/timetable", "src/sources/gtfs_static"] {
        println!("cargo:rerun-if-changed={dir}");
        collect(Path::new(dir), &mut files);
    }
    files.sort();
    // FNV-1a, 64 bits: stable from one toolchain to the next, which the standard
    // library's hasher does not promise.
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for file in files {
        let bytes = std::fs::read(&file).unwrap_or_default();
        for b in file
            .to_string_lossy()
            .as_bytes()
            .iter()
            .chain(&[0])
            .chain(&bytes)
        {
            hash ^= u64::from(*b);
            hash = hash.wrapping_mul(0x0100_0000_01b3);
        }
    }
    println!("cargo:rustc-env=QUAI_COMPILER_FINGERPRINT={hash:016x}");
}

fn collect(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            collect(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}
