//! How the screen's binary is linked.
//!
//! On Linux with glibc 2.36 or later (Debian 12 on), its relative relocations
//! are packed (`DT_RELR`): the screen is a position-independent executable
//! with Bevy's many tables of pointers, and their relocation records, one of
//! 24 bytes per pointer, took 10 MB of the file, all of it read, so resident,
//! at every start (docs/benchmarks.md); packed, they take under 100 KB. The
//! binary then needs glibc 2.36 where it runs, which the package says
//! (`libc6 (>= 2.36)`, Cargo.toml): on an older glibc here (where it would
//! not start) it is linked as before. The integration tests run this binary.

use std::process::Command;

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    let os = std::env::var("CARGO_CFG_TARGET_OS").unwrap_or_default();
    let env = std::env::var("CARGO_CFG_TARGET_ENV").unwrap_or_default();
    if os == "linux" && env == "gnu" && glibc_here().is_some_and(|v| v >= (2, 36)) {
        println!("cargo:rustc-link-arg-bins=-Wl,-z,pack-relative-relocs");
    }
}

/// This machine's glibc, `getconf GNU_LIBC_VERSION` ("glibc 2.36").
fn glibc_here() -> Option<(u32, u32)> {
    let out = Command::new("getconf")
        .arg("GNU_LIBC_VERSION")
        .output()
        .ok()?;
    let text = String::from_utf8(out.stdout).ok()?;
    let version = text.trim().strip_prefix("glibc ")?;
    let mut parts = version.split('.');
    let major = parts.next()?.parse().ok()?;
    let minor = parts.next()?.parse().ok()?;
    Some((major, minor))
}
