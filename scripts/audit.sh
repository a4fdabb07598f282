#!/usr/bin/env bash
# Checks every crate in Cargo.lock (and fuzz/Cargo.lock) against the RustSec
# advisory database with cargo-audit; any advisory, unmaintained or yanked crate
# fails it (-D warnings). Accepted advisories, if ever, go in .cargo/audit.toml
# with their reason, and in docs/reliability.md.
#
#   scripts/audit.sh                      # ../shared/advisory-db if there, else
#                                         # fetches the database from GitHub
#   QUAI_ADVISORY_DB=DIR scripts/audit.sh # a copy of rustsec/advisory-db (a git
#                                         # clone or a plain folder), used offline;
#                                         # a relative DIR is from the repository root
#
# .ci/run calls it when a copy is provided: the CI machines reach crates.io but
# not GitHub, where the database lives (docs/reliability.md).
set -euo pipefail
cd "$(dirname "$0")/.."

# cargo-audit from crates.io (the version this was checked with), installed into
# QUAI_TOOLS (.ci/run keeps it beside its build cache), else cargo's own bin dir.
audit_version=0.22.2
tools="${QUAI_TOOLS:-${CARGO_HOME:-$HOME/.cargo}}"
export PATH="$tools/bin:$PATH"
if ! command -v cargo-audit >/dev/null 2>&1; then
  echo "installing cargo-audit $audit_version into $tools" >&2
  env -u CARGO_TARGET_DIR cargo install cargo-audit --version "$audit_version" --locked --root "$tools"
fi

db="${QUAI_ADVISORY_DB:-}"
if [ -z "$db" ] && [ -d ../shared/advisory-db ]; then
  db=../shared/advisory-db
fi
args=(-D warnings)
if [ -n "$db" ]; then
  if [ ! -d "$db/crates" ]; then
    echo "error: $db is not a copy of rustsec/advisory-db (no crates/ folder)" >&2
    exit 2
  fi
  # How old the copy is: its newest advisory (a stale copy misses new ones).
  newest="$({ grep -rhoE '^date = "[0-9]{4}-[0-9]{2}-[0-9]{2}"' "$db/crates" 2>/dev/null || true; } | sort | tail -1 | cut -d'"' -f2)"
  if [ -z "$newest" ]; then
    echo "error: no advisory in $db/crates: an empty copy would pass everything" >&2
    exit 2
  fi
  echo "advisory database: $db (offline copy; newest advisory dated $newest)" >&2
  age_days=$(( ($(date +%s) - $(date -d "$newest" +%s)) / 86400 ))
  if [ "$age_days" -gt 90 ]; then
    echo "WARNING: the newest advisory is $age_days days old: this copy misses what came since; refresh it" >&2
  fi
  args+=(--db "$db" --no-fetch)
fi
cargo audit "${args[@]}"
if [ -f fuzz/Cargo.lock ]; then
  cargo audit "${args[@]}" --file fuzz/Cargo.lock
fi
