#!/usr/bin/env bash
# Fetches axe-core (Deque's accessibility rules engine, MPL-2.0) once, and
# prints the path of its axe.min.js. The passenger app's browser test runs it
# in Chromium over each view (WCAG 2.0, 2.1 and 2.2 A and AA rules).
#
# From the npm registry's tarball (no npm needed), checked against the
# SHA-256 we took of it, kept in $QUAI_TOOLS (default /var/cache/quai/tools).
# Nothing of it is shipped with Quai.
set -euo pipefail
version=4.14.1
sha256=e6b0ce02b84d892e2e33e403485e7f3d6c29e2be6df65daf44d89ba564139745
tools="${QUAI_TOOLS:-/var/cache/quai/tools}"
dir="$tools/axe-core-$version"
if [ ! -f "$dir/axe.min.js" ]; then
  mkdir -p "$tools"
  tmp="$(mktemp -d "$tools/axe-core.XXXXXX")"
  trap 'rm -rf "$tmp"' EXIT
  curl -sSfL --retry 3 -o "$tmp/axe-core.tgz" "https://registry.npmjs.org/axe-core/-/axe-core-$version.tgz"
  echo "$sha256  $tmp/axe-core.tgz" | sha256sum -c --quiet - >&2
  tar -xzf "$tmp/axe-core.tgz" -C "$tmp" package/axe.min.js package/LICENSE
  rm -rf "$dir"
  mkdir -p "$dir"
  mv "$tmp/package/axe.min.js" "$tmp/package/LICENSE" "$dir/"
fi
echo "$dir/axe.min.js"
