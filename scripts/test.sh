#!/usr/bin/env bash
# The README's test command: the whole self-contained suite (no third-party data).
# Installs the system packages the tests need when they are missing (none yet: the
# feed server needs only Rust), then runs `cargo test --workspace`.
set -euo pipefail
cd "$(dirname "$0")/.."
exec cargo test --workspace "$@"
