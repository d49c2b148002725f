#!/usr/bin/env bash
# Builds the browser client: the Go wasm module (./wasm/bridge) and the
# wasm_exec.js glue of the same Go toolchain, into web/static/ (or the
# directory given as the first argument), and writes vellum.wasm.sha256, the
# fingerprint of the bundle. All three files are generated: never commit them.
#
#   scripts/build-wasm.sh            # into web/static/
#   scripts/build-wasm.sh /tmp/out   # elsewhere (the browser tests do this)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
out="${1:-$root/web/static}"
mkdir -p "$out"
out="$(cd "$out" && pwd)"
GO="${GO:-go}"
goroot="$("$GO" env GOROOT)"

cd "$root"
# $VELLUM_LOG_KEY, when set, is the seal log's verifier key to pin in the
# client ("<origin>+<hash>+<base64 key>", as `vellum log-key` and vellumd at
# start print it): the verify and signing pages then check seals with it.
# Without it they use the key the server publishes (SPEC part 90).
ldflags="-s"
if [ -n "${VELLUM_LOG_KEY:-}" ]; then
  case "$VELLUM_LOG_KEY" in
  *[[:space:]\'\"]*)
    echo "build-wasm: VELLUM_LOG_KEY must be one verifier key, with no spaces or quotes" >&2
    exit 1
    ;;
  esac
  ldflags="$ldflags -X main.pinnedLogKey=$VELLUM_LOG_KEY"
fi
GOOS=js GOARCH=wasm "$GO" build -trimpath -ldflags="$ldflags" -o "$out/vellum.wasm.tmp" ./wasm/bridge
mv "$out/vellum.wasm.tmp" "$out/vellum.wasm"

# wasm_exec.js must come from the toolchain that built the module: the two
# are a matched pair. It is copied as is, never edited.
src="$goroot/lib/wasm/wasm_exec.js"
[ -f "$src" ] || src="$goroot/misc/wasm/wasm_exec.js" # Go before 1.24
cp "$src" "$out/wasm_exec.js.tmp"
mv "$out/wasm_exec.js.tmp" "$out/wasm_exec.js"

# The fingerprint is what sha256sum prints for the module.
(cd "$out" && sha256sum vellum.wasm >vellum.wasm.sha256.tmp && mv vellum.wasm.sha256.tmp vellum.wasm.sha256)
echo "built $out/vellum.wasm ($(wc -c <"$out/vellum.wasm") bytes), sha256 $(cut -d' ' -f1 "$out/vellum.wasm.sha256")"

# The pages' third-party code (pdf.js), pinned by web/vendor's lockfile,
# into the same directory: vendor/pdfjs/.
"$root/scripts/vendor-web.sh" "$out"
if [ -n "${VELLUM_LOG_KEY:-}" ]; then
  echo "pinned seal log key ${VELLUM_LOG_KEY%%+*}+$(echo "$VELLUM_LOG_KEY" | cut -d+ -f2)"
fi
