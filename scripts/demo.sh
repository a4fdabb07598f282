#!/usr/bin/env bash
# The README's run command: the feed server on the embedded Caudry demo network at
# http://127.0.0.1:8080 (try /v1/stations/caudry/board). Ctrl-C stops it.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/deps.sh
exec cargo run --release -p feed-server -- "$@"
