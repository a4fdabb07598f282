//! How the screen's binary is linked.
//!
//! On Linux with glibc, its relative relocations are packed (`DT_RELR`, glibc
//! 2.36 and later: Debian 12 on): the screen is a position-independent
//! executable with Bevy's many tables of pointers, and their relocation
//! records, one of 24 bytes per pointer, took 10 MB of the file, all of it
//! read, so resident, at every start (docs/benchmarks.md); packed, they take a
//! few hundred kilobytes. Tests' binaries are left as they are.

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    let os = std::env::var("CARGO_CFG_TARGET_OS").unwrap_or_default();
    let env = std::env::var("CARGO_CFG_TARGET_ENV").unwrap_or_default();
    if os == "linux" && env == "gnu" {
        println!("cargo:rustc-link-arg-bins=-Wl,-z,pack-relative-relocs");
    }
}
