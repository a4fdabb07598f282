#!/usr/bin/env bash
# The README's run command: the feed server on the embedded Caudry demo network
# (http://127.0.0.1:8080, try /v1/stations/caudry/board) and a station screen
# showing its live board in a window. Ctrl-C (or closing the window) stops both.
#
# Arguments go to the server, e.g. `scripts/demo.sh --listen 127.0.0.1:9000`.
# QUAI_DEMO_SCREEN=none runs the server alone; QUAI_DEMO_SCREEN=kiosk starts
# the touch kiosk instead of the screen (docs/kiosk.md); QUAI_DEMO_LAYOUT picks
# another layout (layouts/portrait-1080x1920.ron, layouts/platform-sign.ron).
# Without a display (no DISPLAY or WAYLAND_DISPLAY) the screen is rendered once,
# offscreen, to quai-demo-screen.png, and the server keeps running.
set -euo pipefail
cd "$(dirname "$0")/.."

listen=127.0.0.1:8080
args=("$@")
for ((i = 0; i < ${#args[@]}; i++)); do
  case "${args[i]}" in
    --listen) listen="${args[i + 1]:-$listen}" ;;
    --listen=*) listen="${args[i]#--listen=}" ;;
  esac
done
has_listen=false
for a in "$@"; do case "$a" in --listen | --listen=*) has_listen=true ;; esac; done
$has_listen || args+=(--listen "$listen")

screen="${QUAI_DEMO_SCREEN:-window}"
mode=screen
default_layout=layouts/hall-1080p.ron
if [ "$screen" = kiosk ]; then
  mode=kiosk
  default_layout=layouts/kiosk-portrait-1080x1920.ron
fi
layout="${QUAI_DEMO_LAYOUT:-$default_layout}"
# The server needs nothing but what cargo builds; the screen needs a Vulkan driver.
[ "$screen" = none ] || bash scripts/deps.sh demo

# The server in release; the screen in the dev profile, which builds in a few
# minutes instead of a quarter of an hour and is quick enough for a board that
# redraws about once a second.
cargo build --release -p feed-server
[ "$screen" = none ] || cargo build -p display-client
target_dir="$(cargo metadata --format-version 1 --no-deps | sed -n 's/.*"target_directory":"\([^"]*\)".*/\1/p')"

"$target_dir/release/feed-server" "${args[@]}" &
server=$!
trap 'kill "$server" 2>/dev/null; wait "$server" 2>/dev/null' EXIT INT TERM

host="${listen%:*}"
port="${listen##*:}"
[ "$host" = 0.0.0.0 ] && host=127.0.0.1
for _ in $(seq 1 300); do
  kill -0 "$server" 2>/dev/null || { echo "error: the feed server stopped (see above)" >&2; exit 1; }
  (exec 3<>"/dev/tcp/$host/$port") 2>/dev/null && break
  sleep 0.2
done
echo "feed server: http://$listen (board: http://$listen/v1/stations/caudry/board)" >&2

stream="ws://$host:$port/v1/stream"
case "$screen" in
  none) wait "$server" ;;
  *)
    if [ -n "${DISPLAY:-}" ] || [ -n "${WAYLAND_DISPLAY:-}" ]; then
      "$target_dir/debug/display-client" --server "$stream" --layout "$layout" --mode "$mode" || true
    else
      echo "no display here: rendering the screen once to quai-demo-screen.png" >&2
      "$target_dir/debug/display-client" --server "$stream" --layout "$layout" --mode "$mode" \
        --headless --screenshot quai-demo-screen.png &&
        echo "wrote $(pwd)/quai-demo-screen.png; the server keeps running (Ctrl-C stops it)" >&2
      wait "$server"
    fi
    ;;
esac
