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
GOOS=js GOARCH=wasm "$GO" build -trimpath -ldflags=-s -o "$out/vellum.wasm.tmp" ./wasm/bridge
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
