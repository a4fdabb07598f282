#!/usr/bin/env bash
# Checks every crate in Cargo.lock (and fuzz/Cargo.lock) against the RustSec
# advisory database with cargo-audit; any advisory, unmaintained or yanked crate
# fails it (-D warnings). Accepted advisories, if ever, go in .cargo/audit.toml
# with their reason, and in docs/reliability.md.
#
#   scripts/audit.sh                      # fetches the database from GitHub
#   QUAI_ADVISORY_DB=DIR scripts/audit.sh # a local clone of rustsec/advisory-db
#
# It is not in .ci/run: the CI machines reach crates.io but not GitHub, where the
# database lives (docs/reliability.md).
set -euo pipefail
cd "$(dirname "$0")/.."
command -v cargo-audit >/dev/null 2>&1 || cargo install cargo-audit --locked
args=(-D warnings)
if [ -n "${QUAI_ADVISORY_DB:-}" ]; then
  args+=(--db "$QUAI_ADVISORY_DB" --no-fetch)
  echo "advisory database: $QUAI_ADVISORY_DB ($(git -C "$QUAI_ADVISORY_DB" log -1 --format=%cs 2>/dev/null || echo 'date unknown'))" >&2
fi
cargo audit "${args[@]}"
if [ -f fuzz/Cargo.lock ]; then
  cargo audit "${args[@]}" --file fuzz/Cargo.lock
fi
