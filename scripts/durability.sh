#!/usr/bin/env bash
# The long durability drill: 1,000 rounds of "burst of notice POSTs, SIGKILL at a
# random moment, restart, check every acknowledged notice is there".
# CI runs 24 rounds of the same test.
set -euo pipefail
cd "$(dirname "$0")/.."
QUAI_DURABILITY_ROUNDS="${1:-1000}" exec cargo test --release -p feed-server --test durability -- --nocapture
