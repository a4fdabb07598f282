#!/usr/bin/env bash
# Idle cost and delta-to-frame latency of the station screen in a window under
# Xvfb (software Vulkan unless the machine has a GPU), against the demo server
# at a busy hour (a Tuesday 07:40, QUAI_BENCH_NOW to change), whose simulator
# changes the board every few seconds.
#   scripts/bench-screen.sh [SECONDS=60] [LAYOUT=layouts/hall-1080p.ron] [PROFILE=release]
# Prints CPU % of one core and RSS of the display-client process over the run,
# and the latency from a stream message's arrival to the frame showing it.
# Results are recorded by hand in docs/benchmarks.md.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-60}"
layout="${2:-layouts/hall-1080p.ron}"
profile="${3:-release}"
bash scripts/deps.sh screen
flag=(); [ "$profile" = release ] && flag=(--release)
cargo build "${flag[@]}" -p feed-server -p display-client
target_dir="$(cargo metadata --format-version 1 --no-deps | sed -n 's/.*"target_directory":"\([^"]*\)".*/\1/p')"
bin="$target_dir/$profile"

work="$(mktemp -d)"
port=$((20000 + RANDOM % 20000))
display=":$((90 + RANDOM % 100))"
cleanup() { kill "${client:-}" "${server:-}" "${xvfb:-}" 2>/dev/null || true; [ -n "${QUAI_BENCH_KEEP:-}" ] || rm -rf "$work"; }
trap cleanup EXIT
Xvfb "$display" -screen 0 1920x1080x24 >/dev/null 2>&1 & xvfb=$!
"$bin/feed-server" --listen "127.0.0.1:$port" --data-dir "$work/data" \
  --now "${QUAI_BENCH_NOW:-2026-12-01T07:40:00+01:00}" --clock running >"$work/server.log" 2>&1 & server=$!
for _ in $(seq 1 100); do (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break; sleep 0.1; done
mkdir -p -m 700 "$work/xdg"
DISPLAY="$display" XDG_RUNTIME_DIR="$work/xdg" RUST_LOG="display_client=debug,warn" \
  "$bin/display-client" --server "ws://127.0.0.1:$port/v1/stream" --layout "$layout" \
  --state-dir "$work/state" >"$work/client.log" 2>&1 & client=$!

sleep 10 # start-up (fonts, first board) is not idle
ticks() { awk '{print $14 + $15}' "/proc/$client/stat"; }
hz=$(getconf CLK_TCK)
t0=$(ticks); start=$(date +%s.%N); rss_sum=0; rss_max=0; n=0
lines0=$(wc -l <"$work/client.log")
for _ in $(seq 1 "$seconds"); do
  sleep 1
  rss=$(awk '/VmRSS/ {print $2}' "/proc/$client/status")
  rss_sum=$((rss_sum + rss)); n=$((n + 1)); [ "$rss" -gt "$rss_max" ] && rss_max=$rss
done
t1=$(ticks); end=$(date +%s.%N)
tail -n +"$((lines0 + 1))" "$work/client.log" | sed 's/\x1b\[[0-9;]*m//g' |
  { grep -o 'latency_ms=[0-9.]*' || true; } | cut -d= -f2 >"$work/latency"
python3 - "$t0" "$t1" "$hz" "$start" "$end" "$rss_sum" "$n" "$rss_max" "$work/latency" "$profile" "$layout" <<'PY'
import sys, statistics
t0, t1, hz, start, end, rss_sum, n, rss_max = map(float, sys.argv[1:9])
lat = [float(x) for x in open(sys.argv[9]) if x.strip()]
cpu = (t1 - t0) / hz / (end - start) * 100
print(f"profile {sys.argv[10]}, layout {sys.argv[11]}, {end - start:.0f} s")
print(f"display-client CPU: {cpu:.1f} % of one core; RSS mean {rss_sum / n / 1024:.0f} MiB, max {rss_max / 1024:.0f} MiB")
if lat:
    lat.sort()
    p = lambda q: lat[min(len(lat) - 1, int(q * len(lat)))]
    print(f"boards drawn: {len(lat)}; message to rendered frame: median {statistics.median(lat):.1f} ms, p95 {p(0.95):.1f} ms, max {lat[-1]:.1f} ms")
else:
    print("no board drawn during the run (no latency figures)")
PY
