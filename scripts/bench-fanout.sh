#!/usr/bin/env bash
# Stream fan-out, measured as the peer is (issue 17): the release feed-server on
# the demo (clock running), N WebSocket clients of `ws-load` (from
# ../shared/peers, built in a copy) subscribed to Caudry, then M operator
# notices posted one after the other as fast as the server answers, each one a
# delta to every client (INTERVAL_MS apart, 0: back to back). ws-load reads each
# delta's `server_time` and reports latency, deliveries/s and the server's memory
# per idle connection.
#   scripts/bench-fanout.sh [CONNECTIONS=1000] [MESSAGES=50] [PEERS=<copy of ../shared/peers>] [INTERVAL_MS=0]
# FEED_SERVER=path runs that binary instead of building this tree's.
# The peer itself: PEERS/ws_broadcast_node --connections N --scenarios burst:M:0
# (or paced:M:INTERVAL_MS)
# Results are recorded by hand in docs/benchmarks.md.
set -euo pipefail
cd "$(dirname "$0")/.."
n="${1:-1000}"
m="${2:-50}"
peers="${3:-}"
interval_ms="${4:-0}"
if [ -z "$peers" ]; then
  peers="$(mktemp -d)/peers"
  cp -r ../shared/peers "$peers"
fi
load="$peers/ws-load/target/release/ws-load"
[ -x "$load" ] || cargo build --release --manifest-path "$peers/ws-load/Cargo.toml"
if [ -n "${FEED_SERVER:-}" ]; then
  bin="$FEED_SERVER"
else
  cargo build --release -p feed-server
  target_dir="$(cargo metadata --format-version 1 --no-deps | sed -n 's/.*"target_directory":"\([^"]*\)".*/\1/p')"
  bin="$target_dir/release/feed-server"
fi

work="$(mktemp -d)"
cleanup() { kill "${server:-}" 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT
# One address may hold at most half the server's connections, which are three
# quarters of its descriptors: 10,000 clients from 127.0.0.1 need ~27,000.
ulimit -Hn 65536 2>/dev/null || true
ulimit -n "$(ulimit -Hn)"
port=$((20000 + RANDOM % 20000))
cat >"$work/quai.toml" <<EOF
[server]
max_connections_per_ip = 1000000
[notices]
writes_per_minute = 1000000
$(cat feed-server/demo/caudry.toml)
EOF
token=$("$bin" operator add bench --scope station:caudry --data-dir "$work/data" --config "$work/quai.toml")
"$bin" --config "$work/quai.toml" --listen "127.0.0.1:$port" --data-dir "$work/data" \
  --now 2026-12-01T07:40:00+01:00 --clock running >"$work/server.log" 2>&1 & server=$!
for _ in $(seq 1 100); do (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break; sleep 0.1; done

"$load" --url "ws://127.0.0.1:$port/v1/stream" --connections "$n" --messages "$m" \
  --subscribe '{"op":"subscribe","station":"caudry"}' --field server_time \
  --duration-s 120 --connect-timeout-s 60 --settle-ms 1000 --server-pid "$server" >"$work/load.json" &
client=$!
# Wait until every client is up (the server counts open stream connections).
for _ in $(seq 1 600); do
  up=$(curl -s "http://127.0.0.1:$port/metrics" | awk '/^quai_stream_connections /{print $2}')
  [ "${up:-0}" -ge "$n" ] && break
  sleep 0.1
done
sleep 2
for i in $(seq 1 "$m"); do
  curl -s -o /dev/null -X POST "http://127.0.0.1:$port/v1/notices" \
    -H "Authorization: Bearer $token" -H 'Content-Type: application/json' \
    -d "{\"severity\":\"info\",\"cause\":\"maintenance\",\"effect\":\"other_effect\",\"header\":{\"fr\":\"Avis $i\"},\"informed_entities\":[{\"station\":\"caudry\"}]}"
  if [ "$interval_ms" -gt 0 ]; then sleep "$(awk -v ms="$interval_ms" 'BEGIN { print ms / 1000 }')"; fi
done
wait "$client"
tail -n 1 "$work/load.json"
