#!/usr/bin/env bash
# Installs the system packages one of Quai's commands needs, when they are
# missing, and only those. Debian/Ubuntu; runs apt-get as root (directly, or
# through sudo). Building needs none of them: Rust and a C compiler suffice.
#
#   scripts/deps.sh demo     what scripts/demo.sh needs to show a screen:
#                            mesa-vulkan-drivers, libvulkan1 (software Vulkan,
#                            lavapipe; a GPU driver does better where there is one);
#                            espeak-ng (the screen's voice, French and English) and,
#                            without PipeWire or PulseAudio, alsa-utils (aplay).
#   scripts/deps.sh screen   the same, plus xvfb (a virtual X server) for the
#                            screen's window test and bench, and xdotool (clicks
#                            and keys in the kiosk's window test).
#   scripts/deps.sh test     everything the test suite runs besides cargo:
#                            the screen's packages above; chromium, chromium-driver
#                            and Python `selenium` (the Wi-Fi page and console
#                            tests); Python `websockets` and `jsonschema` (the
#                            Python stream client test); Python
#                            `gtfs-realtime-bindings` (decodes the GTFS-RT export);
#                            libxml2-utils (xmllint validates the SIRI-SX export
#                            against the SIRI XSD that scripts/siri-xsd.sh fetches);
#                            zbar-tools (zbarimg reads the screen's QR codes off
#                            its pictures);
#                            Python `pyyaml` and `openapi-spec-validator` (the
#                            OpenAPI document checked against the running server);
#                            the packages' tests (docs/deployment.md): cargo-deb
#                            (from crates.io, into cargo's bin dir), dpkg-dev
#                            (dpkg-shlibdeps), systemd (systemd-analyze,
#                            -sysusers, -tmpfiles), and what the screen's
#                            package depends on that the screen tests do not
#                            bring: cage and xwayland; nats-server (JetStream,
#                            the ingest role's tests start their own) and
#                            postgresql (the shared store's tests make their
#                            own cluster with initdb) and openssl (its
#                            certificates, for TLS).
#                            Python runs as python3, or $QUAI_PYTHON.
set -euo pipefail

role="${1:-test}"
case "$role" in
  demo | screen | test) ;;
  *)
    echo "usage: scripts/deps.sh demo|screen|test" >&2
    exit 2
    ;;
esac

if [ "$(id -u)" -eq 0 ]; then
  sudo=()
elif command -v sudo >/dev/null 2>&1; then
  sudo=(sudo)
else
  sudo=(false)
fi
updated=false
apt_install() {
  echo "installing system packages: $*" >&2
  export DEBIAN_FRONTEND=noninteractive
  $updated || "${sudo[@]}" apt-get update -qq
  updated=true
  "${sudo[@]}" apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

# Every role shows a screen: software Vulkan.
if ! ls /usr/share/vulkan/icd.d/lvp_icd*.json >/dev/null 2>&1 || ! ldconfig -p | grep -q libvulkan.so.1; then
  apt_install mesa-vulkan-drivers libvulkan1
fi
# Every role speaks: the screen's voice, and a player for it (PipeWire's or
# PulseAudio's where the desktop has one, else ALSA's aplay).
command -v espeak-ng >/dev/null 2>&1 || apt_install espeak-ng
if ! command -v pw-play >/dev/null 2>&1 && ! command -v paplay >/dev/null 2>&1 && ! command -v aplay >/dev/null 2>&1; then
  apt_install alsa-utils
fi
[ "$role" = demo ] && exit 0

command -v Xvfb >/dev/null 2>&1 || apt_install xvfb xauth
# The kiosk's window test clicks and types in it.
command -v xdotool >/dev/null 2>&1 || apt_install xdotool
[ "$role" = screen ] && exit 0

if ! command -v chromium >/dev/null 2>&1 || ! command -v chromedriver >/dev/null 2>&1; then
  apt_install chromium chromium-driver
fi

command -v xmllint >/dev/null 2>&1 || apt_install libxml2-utils
# The screen's QR codes read off its pictures, as a phone would.
command -v zbarimg >/dev/null 2>&1 || apt_install zbar-tools

# The Debian packages' tests build them, install them in a throwaway root and
# run the screen's under cage there.
command -v dpkg-shlibdeps >/dev/null 2>&1 || apt_install dpkg-dev
command -v systemd-analyze >/dev/null 2>&1 || apt_install systemd
if ! command -v cage >/dev/null 2>&1 || ! command -v Xwayland >/dev/null 2>&1; then
  apt_install cage xwayland
fi
# The scale-out tests start their own NATS server with JetStream.
command -v nats-server >/dev/null 2>&1 || apt_install nats-server
# ... and their own PostgreSQL (initdb and postgres, run as the postgres user).
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || apt_install postgresql
# ... one of which takes TLS only, its certificates made with openssl.
command -v openssl >/dev/null 2>&1 || apt_install openssl
deb_version=3.8.0
if ! cargo deb --version >/dev/null 2>&1; then
  echo "installing cargo-deb $deb_version" >&2
  env -u CARGO_TARGET_DIR cargo install cargo-deb --version "$deb_version" --locked --quiet
fi

python="${QUAI_PYTHON:-python3}"
command -v "$python" >/dev/null 2>&1 || apt_install python3 python3-pip
# http_ece (with cryptography): the browser's side of Web Push in tests/python/push_check.py.
modules='import websockets, jsonschema, selenium, yaml, openapi_spec_validator, http_ece, cryptography; from google.transit import gtfs_realtime_pb2'
packages=('websockets>=13' 'jsonschema>=4.18' 'selenium>=4.10' 'gtfs-realtime-bindings>=1.0' 'pyyaml>=6' 'openapi-spec-validator>=0.7' 'http-ece>=1.1')
if ! "$python" -c "$modules" 2>/dev/null; then
  "$python" -m pip --version >/dev/null 2>&1 || apt_install python3-pip
  echo "installing Python packages: ${packages[*]}" >&2
  "$python" -m pip install --quiet --disable-pip-version-check "${packages[@]}" 2>/dev/null ||
    "$python" -m pip install --quiet --disable-pip-version-check --break-system-packages "${packages[@]}" 2>/dev/null ||
    apt_install python3-websockets python3-jsonschema python3-selenium python3-protobuf python3-yaml python3-openapi-spec-validator python3-http-ece python3-cryptography
  "$python" -c "$modules" || {
    echo "error: could not install the Python packages ${packages[*]} for $python" >&2
    exit 1
  }
fi
