package web

import "embed"

// Static is web/static, embedded into vellumd. The WebAssembly module and
// wasm_exec.js are generated (scripts/build-wasm.sh) and are in it only when
// they were built before vellumd.
//
//go:embed static
var Static embed.FS
