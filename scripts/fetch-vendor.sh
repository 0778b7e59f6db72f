#!/usr/bin/env bash
# Fetch pinned front-end files from the npm registry into static/vendor/ (git-ignored).
set -euo pipefail
cd "$(dirname "$0")/.."

HTMX_VERSION=2.0.11
HTMX_INTEGRITY="sha512-Thx/WtpeOQqSrqBCw/A1cwGJGg4UrVa3+sW0GmrM3p4gJgO89ecH4qtbnyzDDWFvBTqjnIMCgELTNt636dtamA=="

dest=static/vendor
stamp="$dest/.htmx-$HTMX_VERSION"
[ -f "$stamp" ] && [ -f "$dest/htmx.min.js" ] && exit 0

if ! command -v npm >/dev/null 2>&1; then
  echo "Error: npm is needed once, to fetch htmx $HTMX_VERSION from the npm registry." >&2
  echo "Install Node.js and npm (Debian: apt-get install npm), then run this again." >&2
  exit 1
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
tarball=$(cd "$work" && npm pack --silent "htmx.org@$HTMX_VERSION")
actual="sha512-$(openssl dgst -sha512 -binary "$work/$tarball" | base64 -w0)"
if [ "$actual" != "$HTMX_INTEGRITY" ]; then
  echo "Error: htmx.org@$HTMX_VERSION does not match its pinned integrity hash." >&2
  echo "  expected $HTMX_INTEGRITY" >&2
  echo "  got      $actual" >&2
  exit 1
fi
tar -xzf "$work/$tarball" -C "$work" package/dist/htmx.min.js
mkdir -p "$dest"
rm -f "$dest"/.htmx-*
cp "$work/package/dist/htmx.min.js" "$dest/htmx.min.js"
touch "$stamp"
echo "Fetched htmx $HTMX_VERSION into $dest/."
