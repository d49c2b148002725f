#!/usr/bin/env bash
# Installs the third-party browser code the pages load, pinned exactly by
# web/vendor/package-lock.json (npm ci checks each package's integrity), and
# copies the files the pages use into <out>/vendor/ (web/static/ by default,
# or the directory given as the first argument, like build-wasm.sh, which
# calls this script). The copies are generated: never commit them.
#
#   vendor/pdfjs/pdf.min.mjs, pdf.worker.min.mjs, LICENSE.txt   (pdfjs-dist)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
out="${1:-$root/web/static}"
mkdir -p "$out"
out="$(cd "$out" && pwd)"
vendor="$root/web/vendor"

"$root/scripts/ensure-node.sh" >&2
if ! command -v npm >/dev/null 2>&1; then
  echo "npm not found: installing Debian's npm" >&2
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq npm >/dev/null
fi

# Browser tests build the client in parallel: one npm ci at a time, and
# none at all when node_modules already holds this lockfile's install.
exec 9>"$vendor/.install.lock"
flock 9
stamp="$vendor/node_modules/.vellum-lock.sha256"
want="$(sha256sum "$vendor/package-lock.json" | cut -d' ' -f1)"
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  # No install scripts run, and the optional native canvas (pdf.js in Node
  # only) is not installed: the pages need the browser builds alone. The
  # lockfile lists only the canvas platform packages the registry here
  # serves (linux x64 and arm64), so that npm ci finds it in sync.
  (cd "$vendor" && npm ci --ignore-scripts --omit=optional --no-audit --no-fund --loglevel=error) >&2
  echo "$want" >"$stamp"
fi

pdfjs="$vendor/node_modules/pdfjs-dist"
dest="$out/vendor/pdfjs"
mkdir -p "$dest"
for f in build/pdf.min.mjs build/pdf.worker.min.mjs LICENSE; do
  name="$(basename "$f")"
  [ "$name" = LICENSE ] && name=LICENSE.txt # served only with a known extension
  cp "$pdfjs/$f" "$dest/$name.tmp"
  mv "$dest/$name.tmp" "$dest/$name"
done
echo "vendored pdfjs-dist $(node -p "require('$pdfjs/package.json').version") into $dest" >&2
