#!/usr/bin/env bash
# Fetches the SIRI XML Schema (CEN EN 15531: siri.xsd and everything it
# includes) once, and prints the path of siri.xsd. The tests validate Quai's
# SIRI-SX export against it with xmllint.
#
# CEN publishes the schema on GitHub (SIRI-CEN/SIRI), which test machines do
# not reach; the crates.io package `siri-rs` carries a verbatim copy of the
# SIRI v2.2 release (30 October 2025; its siri.xsd still says version 2.1, and
# 2.2 only adds to 2.1). It is fetched from crates.io's static host like any
# crate, checked against the checksum crates.io lists for it, and kept in
# $QUAI_TOOLS (default /var/cache/quai/tools). No Rust code of it is built.
set -euo pipefail
version=2.2.0
sha256=9066716399489a96a0ca80495fe05db9bdf978986fafbde7b092418481bd0415
tools="${QUAI_TOOLS:-/var/cache/quai/tools}"
dir="$tools/siri-xsd-$version"
if [ ! -f "$dir/xsd/siri.xsd" ]; then
  mkdir -p "$tools"
  tmp="$(mktemp -d "$tools/siri-xsd.XXXXXX")"
  trap 'rm -rf "$tmp"' EXIT
  curl -sSfL --retry 3 -o "$tmp/siri-rs.crate" "https://static.crates.io/crates/siri-rs/siri-rs-$version.crate"
  echo "$sha256  $tmp/siri-rs.crate" | sha256sum -c --quiet - >&2
  tar -xzf "$tmp/siri-rs.crate" -C "$tmp" "siri-rs-$version/tests/fixtures/xsd"
  rm -rf "$dir"
  mkdir -p "$dir"
  mv "$tmp/siri-rs-$version/tests/fixtures/xsd" "$dir/xsd"
fi
echo "$dir/xsd/siri.xsd"
