#!/usr/bin/env bash
# The README's test command: the whole self-contained suite (no third-party data).
# Installs the system packages the build and tests need when they are missing
# (scripts/deps.sh test), then runs `cargo test --workspace`.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/deps.sh test
exec cargo test --workspace "$@"
