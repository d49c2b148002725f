//go:build js && wasm

// Command bridge is Vellum's client compiled to WebAssembly for the browser.
// It runs in one long-lived module Web Worker (web/static/worker.js) and
// registers plain syscall/js functions on globalThis.vellum; the page never
// calls them directly but through web/static/vellum-client.js, which turns
// them into Promises and TransformStreams.
//
// Three rules shape the API (DESIGN.md §5, §9):
//
//   - Data crosses in chunks, never whole files: a Uint8Array passed whole is
//     copied twice, so push takes at most MaxPush bytes and returns what that
//     chunk produced, and a 10 GiB file streams with constant memory.
//   - Private keys stay in the worker. The page holds numeric handles; a key
//     leaves only wrapped (age-encrypted) to a recipient, via wrapKey.
//   - Every fallible function returns a Promise. A failure is a rejected
//     Promise of an Error named "VellumError" with a stable code property
//     (see codes.go) and a message for people that never holds a secret.
//
// Build it with scripts/build-wasm.sh; the API is listed in wasm/README.md.
package main

import "syscall/js"

// APIVersion is the version of the function set registered on
// globalThis.vellum. It changes when a function is removed or changes
// meaning; adding a function or an error code does not change it.
const APIVersion = 1

func main() {
	js.Global().Set("vellum", newAPI(newBridge()))
	// Block forever: the worker calls in through the registered functions.
	select {}
}
