#!/usr/bin/env bash
# Builds Quai's Debian packages (docs/deployment.md) into target/debian/ of the
# cargo target dir: quai-feed-server (the server, its systemd unit, a default
# configuration in /etc/quai/) and quai-screen (the station screen and kiosk,
# run full screen under cage by its unit), from release builds.
#
#   scripts/package.sh                  # both
#   scripts/package.sh feed-server      # one (feed-server or display-client)
#
# Needs cargo-deb (scripts/deps.sh test installs it, or `cargo install
# cargo-deb --locked`) and dpkg-dev (dpkg-shlibdeps). Whoever distributes the
# packages names itself as their maintainer: DEB_MAINTAINER="Name <address>".
set -euo pipefail
cd "$(dirname "$0")/.."

if ! cargo deb --version >/dev/null 2>&1; then
  echo "error: cargo-deb is missing: cargo install cargo-deb --locked (or scripts/deps.sh test)" >&2
  exit 2
fi
packages=("$@")
[ ${#packages[@]} -gt 0 ] || packages=(feed-server display-client)
maintainer=()
[ -z "${DEB_MAINTAINER:-}" ] || maintainer=(--maintainer "$DEB_MAINTAINER")
for p in "${packages[@]}"; do
  case "$p" in
    feed-server | display-client) ;;
    *)
      echo "usage: scripts/package.sh [feed-server] [display-client]" >&2
      exit 2
      ;;
  esac
  # Prints the path of the .deb it made.
  cargo deb -p "$p" "${maintainer[@]}"
done
