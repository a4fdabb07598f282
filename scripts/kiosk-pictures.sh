#!/usr/bin/env bash
# The README's pictures of the kiosk, made by the client itself: the demo
# server at a fixed instant (07:30 on a Wednesday), the kiosk driven
# headless by docs/screens/kiosk-tour.ron, the chosen steps copied to
# docs/screens/kiosk-*.png. Needs what scripts/demo.sh needs.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/deps.sh demo
cargo build -p feed-server -p display-client
target_dir="$(cargo metadata --format-version 1 --no-deps | sed -n 's/.*"target_directory":"\([^"]*\)".*/\1/p')"
work="$(mktemp -d)"
"$target_dir/debug/feed-server" --listen 127.0.0.1:0 --now 2026-07-01T07:30:00+02:00 \
  --data-dir "$work/data" > "$work/server.out" 2> "$work/server.log" &
server=$!
trap 'kill "$server" 2>/dev/null; wait "$server" 2>/dev/null; rm -rf "$work"' EXIT
for _ in $(seq 1 300); do
  addr="$(grep -m1 -oE '127\.0\.0\.1:[0-9]+' "$work/server.out" || true)"
  [ -n "$addr" ] && break
  sleep 0.2
done
[ -n "$addr" ] || { cat "$work/server.log" >&2; echo "error: the feed server did not start" >&2; exit 1; }
sleep 2 # its realtime simulators polled once
XDG_RUNTIME_DIR="$work" "$target_dir/debug/display-client" --mode kiosk --headless --mute \
  --server "ws://$addr/v1/stream" --state-dir "$work/state" \
  --input-script docs/screens/kiosk-tour.ron \
  --screenshot "$work/kiosk.png" --dump-text "$work/kiosk.json"
for pair in 00:home 01:trip 03:lines 04:line 06:disruptions 08:parking 10:english-large 11:focus; do
  cp "$work/kiosk-${pair%%:*}.png" "docs/screens/kiosk-${pair##*:}.png"
done
echo "wrote docs/screens/kiosk-*.png" >&2
