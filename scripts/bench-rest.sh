#!/usr/bin/env bash
# REST board throughput, `wrk -t1 -c32` on the demo station, one or more
# feed-server binaries side by side in one run (each with its own demo server on
# 127.0.0.1 at a busy hour, its clock running, the demo simulator changing the
# board every few seconds), alternating binaries between rounds.
#   scripts/bench-rest.sh [SECONDS=10] [ROUNDS=3] [BINARY...]
# Without BINARY: the release build of this tree. Prints requests/s per round and
# binary, and the server's CPU time per request. Needs wrk (Debian `wrk`).
# Results are recorded by hand in docs/benchmarks.md.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-10}"
rounds="${2:-3}"
shift $(( $# > 2 ? 2 : $# ))
command -v wrk >/dev/null || apt-get install -y wrk >/dev/null
binaries=("$@")
if [ ${#binaries[@]} -eq 0 ]; then
  cargo build --release -p feed-server
  target_dir="$(cargo metadata --format-version 1 --no-deps | sed -n 's/.*"target_directory":"\([^"]*\)".*/\1/p')"
  binaries=("$target_dir/release/feed-server")
fi

work="$(mktemp -d)"
pids=()
cleanup() { kill "${pids[@]}" 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT
ports=()
for i in "${!binaries[@]}"; do
  port=$((20000 + RANDOM % 20000))
  "${binaries[$i]}" --listen "127.0.0.1:$port" --data-dir "$work/data-$i" \
    --now "${QUAI_BENCH_NOW:-2026-12-01T07:40:00+01:00}" --clock running >"$work/server-$i.log" 2>&1 &
  pids+=($!)
  ports+=("$port")
  for _ in $(seq 1 100); do (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break; sleep 0.1; done
done
cpu() { awk '{print $14 + $15}' "/proc/$1/stat"; }
for round in $(seq 1 "$rounds"); do
  for i in "${!binaries[@]}"; do
    before=$(cpu "${pids[$i]}")
    out=$(wrk -t1 -c32 -d"${seconds}s" "http://127.0.0.1:${ports[$i]}/v1/stations/caudry/board")
    after=$(cpu "${pids[$i]}")
    rps=$(echo "$out" | awk '/Requests\/sec/ {print $2}')
    total=$(echo "$out" | awk '/requests in/ {print $1}')
    ticks=$(getconf CLK_TCK)
    us=$(awk -v b="$before" -v a="$after" -v n="$total" -v t="$ticks" 'BEGIN { printf "%.1f", (a - b) / t * 1e6 / n }')
    echo "round $round ${binaries[$i]}: $rps req/s, $us µs server CPU per request"
  done
done
