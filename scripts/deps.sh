#!/usr/bin/env bash
# Installs what Quai's build and tests need, when it is missing. Debian/Ubuntu;
# runs apt-get as root (directly, or through sudo).
#   protobuf-compiler: `protoc`, used at build time by the gtfs-realtime bindings.
#   Python `websockets` and `jsonschema`: the Python stream client test
#   (tests/python/stream_client.py), run with python3 (or $QUAI_PYTHON).
set -euo pipefail

if [ "$(id -u)" -eq 0 ]; then
  sudo=()
elif command -v sudo >/dev/null 2>&1; then
  sudo=(sudo)
else
  sudo=(false)
fi
apt_install() {
  echo "installing system packages: $*" >&2
  export DEBIAN_FRONTEND=noninteractive
  "${sudo[@]}" apt-get update -qq
  "${sudo[@]}" apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

command -v protoc >/dev/null 2>&1 || apt_install protobuf-compiler

python="${QUAI_PYTHON:-python3}"
command -v "$python" >/dev/null 2>&1 || apt_install python3
if ! "$python" -c 'import websockets, jsonschema' 2>/dev/null; then
  echo "installing Python packages: websockets jsonschema" >&2
  "$python" -m pip install --quiet --disable-pip-version-check 'websockets>=13' 'jsonschema>=4.18' 2>/dev/null ||
    "$python" -m pip install --quiet --disable-pip-version-check --break-system-packages 'websockets>=13' 'jsonschema>=4.18' 2>/dev/null ||
    apt_install python3-websockets python3-jsonschema
  "$python" -c 'import websockets, jsonschema' || {
    echo "error: could not install the Python packages websockets and jsonschema for $python" >&2
    exit 1
  }
fi
