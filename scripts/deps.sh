#!/usr/bin/env bash
# Installs what Quai's build and tests need, when it is missing. Debian/Ubuntu;
# runs apt-get as root (directly, or through sudo).
#   protobuf-compiler: `protoc`, used at build time by the gtfs-realtime bindings.
#   Python `websockets` and `jsonschema`: the Python stream client test
#   (tests/python/stream_client.py), run with python3 (or $QUAI_PYTHON).
#   Python `gtfs-realtime-bindings`: decodes the GTFS-RT export in its test.
#   chromium, chromium-driver and Python `selenium`: the Wi-Fi splash page test.
#   mesa-vulkan-drivers, libvulkan1: software Vulkan (lavapipe) for the screen's
#   rendering, windowed or headless (a GPU driver does better where there is one).
#   xvfb: a virtual X server, for the test of the window mode (and the screen bench).
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
command -v Xvfb >/dev/null 2>&1 || apt_install xvfb
if ! ls /usr/share/vulkan/icd.d/lvp_icd*.json >/dev/null 2>&1 || ! ldconfig -p | grep -q libvulkan.so.1; then
  apt_install mesa-vulkan-drivers libvulkan1
fi
if ! command -v chromium >/dev/null 2>&1 || ! command -v chromedriver >/dev/null 2>&1; then
  apt_install chromium chromium-driver
fi

python="${QUAI_PYTHON:-python3}"
command -v "$python" >/dev/null 2>&1 || apt_install python3
modules='import websockets, jsonschema, selenium; from google.transit import gtfs_realtime_pb2'
packages=('websockets>=13' 'jsonschema>=4.18' 'selenium>=4.10' 'gtfs-realtime-bindings>=1.0')
if ! "$python" -c "$modules" 2>/dev/null; then
  echo "installing Python packages: ${packages[*]}" >&2
  "$python" -m pip install --quiet --disable-pip-version-check "${packages[@]}" 2>/dev/null ||
    "$python" -m pip install --quiet --disable-pip-version-check --break-system-packages "${packages[@]}" 2>/dev/null ||
    apt_install python3-websockets python3-jsonschema python3-selenium python3-protobuf
  "$python" -c "$modules" || {
    echo "error: could not install the Python packages ${packages[*]} for $python" >&2
    exit 1
  }
fi
