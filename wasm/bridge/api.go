//go:build js && wasm

package main

import (
	"encoding/hex"
	"math"
	"runtime"
	"runtime/debug"
	"syscall/js"
)

var (
	jsObject     = js.Global().Get("Object")
	jsPromise    = js.Global().Get("Promise")
	jsError      = js.Global().Get("Error")
	jsUint8Array = js.Global().Get("Uint8Array")
)

// newAPI returns the frozen object registered as globalThis.vellum. Every
// function but version and memStats returns a Promise; see wasm/README.md
// for the list with types.
func newAPI(b *bridge) js.Value {
	api := jsObject.New()
	// scratch receives pushed chunks: calls never overlap, so one buffer of
	// at most MaxPush bytes serves every stream.
	var scratch []byte

	set := func(name string, fn func(args []js.Value) (any, error)) {
		api.Set(name, js.FuncOf(func(_ js.Value, args []js.Value) (ret any) {
			defer func() {
				if r := recover(); r != nil {
					// The panic value is not shown: it could quote data.
					ret = reject(errorf(CodeInternal, "bridge: internal error in %s", name))
				}
			}()
			v, err := fn(args)
			if err != nil {
				return reject(err)
			}
			return jsPromise.Call("resolve", v)
		}))
	}

	api.Set("apiVersion", APIVersion)
	api.Set("maxPush", MaxPush)
	api.Set("version", js.FuncOf(func(js.Value, []js.Value) any { return version() }))
	api.Set("memStats", js.FuncOf(func(js.Value, []js.Value) any { return memStats(b) }))

	set("generateKey", func(args []js.Value) (any, error) {
		if err := arity(args, 0, 0); err != nil {
			return nil, err
		}
		h, r, err := b.generateKey()
		if err != nil {
			return nil, err
		}
		return keyInfo(h, r.String()), nil
	})
	set("recipient", func(args []js.Value) (any, error) {
		h, err := oneHandle(args, "key")
		if err != nil {
			return nil, err
		}
		r, err := b.recipient(h)
		if err != nil {
			return nil, err
		}
		return r.String(), nil
	})
	set("releaseKey", func(args []js.Value) (any, error) {
		h, err := oneHandle(args, "key")
		if err != nil {
			return nil, err
		}
		return js.Undefined(), b.releaseKey(h)
	})
	set("wrapKey", func(args []js.Value) (any, error) {
		if err := arity(args, 2, 2); err != nil {
			return nil, err
		}
		h, err := handleArg(args[0], "key")
		if err != nil {
			return nil, err
		}
		to, err := stringArg(args[1], "recipient", 256)
		if err != nil {
			return nil, err
		}
		wrapped, err := b.wrapKey(h, to)
		if err != nil {
			return nil, err
		}
		return bytesToJS(wrapped), nil
	})
	set("unwrapKey", func(args []js.Value) (any, error) {
		if err := arity(args, 2, 2); err != nil {
			return nil, err
		}
		wrapped, err := bytesArg(args[0], "wrapped key", maxWrappedKeyArg, nil)
		if err != nil {
			return nil, err
		}
		with, err := handleArg(args[1], "key")
		if err != nil {
			return nil, err
		}
		h, r, err := b.unwrapKey(wrapped, with)
		if err != nil {
			return nil, err
		}
		return keyInfo(h, r.String()), nil
	})

	set("encryptStart", func(args []js.Value) (any, error) {
		if err := arity(args, 1, 2); err != nil {
			return nil, err
		}
		to, err := stringArg(args[0], "recipient", 256)
		if err != nil {
			return nil, err
		}
		hashing, err := optionsArg(args, 1)
		if err != nil {
			return nil, err
		}
		h, err := b.encryptStart(to, hashing)
		return float64(h), err
	})
	set("decryptStart", func(args []js.Value) (any, error) {
		if err := arity(args, 1, 2); err != nil {
			return nil, err
		}
		k, err := handleArg(args[0], "key")
		if err != nil {
			return nil, err
		}
		hashing, err := optionsArg(args, 1)
		if err != nil {
			return nil, err
		}
		h, err := b.decryptStart(k, hashing)
		return float64(h), err
	})
	set("hashStart", func(args []js.Value) (any, error) {
		if err := arity(args, 0, 0); err != nil {
			return nil, err
		}
		h, err := b.hashStart()
		return float64(h), err
	})
	set("push", func(args []js.Value) (any, error) {
		if err := arity(args, 2, 2); err != nil {
			return nil, err
		}
		h, err := handleArg(args[0], "stream")
		if err != nil {
			return nil, err
		}
		chunk, err := bytesArg(args[1], "chunk", MaxPush, scratch)
		if err != nil {
			// A stream that lost a chunk must not go on as if it had not:
			// like every failed push, this one closes the stream.
			if b.abort(h) != nil {
				return nil, errorf(CodeNotFound, "bridge: no open stream has handle %d", h)
			}
			return nil, err
		}
		scratch = chunk[:0]
		out, err := b.push(h, chunk)
		if err != nil {
			return nil, err
		}
		return bytesToJS(out), nil
	})
	set("finish", func(args []js.Value) (any, error) {
		h, err := oneHandle(args, "stream")
		if err != nil {
			return nil, err
		}
		out, digest, err := b.finish(h)
		if err != nil {
			return nil, err
		}
		res := map[string]any{"data": bytesToJS(out)}
		if digest != nil {
			res["sha256"] = hex.EncodeToString(digest)
		}
		return res, nil
	})
	set("abort", func(args []js.Value) (any, error) {
		h, err := oneHandle(args, "stream")
		if err != nil {
			return nil, err
		}
		return js.Undefined(), b.abort(h)
	})

	// The account functions: each checks its arguments now and runs on a
	// goroutine of its own (async.go), so several may be in flight.
	newApp().register(func(name string, fn func(args argv) (runner, error)) {
		api.Set(name, js.FuncOf(func(_ js.Value, args []js.Value) (ret any) {
			defer func() {
				if r := recover(); r != nil {
					ret = reject(errorf(CodeInternal, "bridge: internal error in %s", name))
				}
			}()
			run, err := fn(argv(args))
			if err != nil {
				return reject(err)
			}
			return promise(name, run)
		}))
	})

	jsObject.Call("freeze", api)
	return api
}

// maxWrappedKeyArg lets unwrapKey see a too-large wrapped key and report it
// as CodeTooLarge with its size, rather than refusing it while copying.
const maxWrappedKeyArg = 1 << 20

func keyInfo(h handle, recipient string) map[string]any {
	return map[string]any{"handle": float64(h), "recipient": recipient}
}

// reject returns a Promise rejected with a VellumError for err.
func reject(err error) js.Value {
	return jsPromise.Call("reject", jsErrorOf(err))
}

func arity(args []js.Value, lo, hi int) error {
	if len(args) < lo || len(args) > hi {
		if lo == hi {
			return errorf(CodeBadArgument, "bridge: want %d arguments, got %d", lo, len(args))
		}
		return errorf(CodeBadArgument, "bridge: want %d to %d arguments, got %d", lo, hi, len(args))
	}
	return nil
}

func oneHandle(args []js.Value, what string) (handle, error) {
	if err := arity(args, 1, 1); err != nil {
		return 0, err
	}
	return handleArg(args[0], what)
}

// handleArg reads a handle: an integer Number from 1 to 2³²-1.
func handleArg(v js.Value, what string) (handle, error) {
	if v.Type() != js.TypeNumber {
		return 0, errorf(CodeBadArgument, "bridge: %s handle must be a number, got %s", what, v.Type())
	}
	f := v.Float()
	if f != math.Trunc(f) || f < 1 || f > math.MaxUint32 {
		return 0, errorf(CodeBadArgument, "bridge: %s handle must be a positive integer", what)
	}
	return handle(f), nil
}

func stringArg(v js.Value, what string, limit int) (string, error) {
	if v.Type() != js.TypeString {
		return "", errorf(CodeBadArgument, "bridge: %s must be a string, got %s", what, v.Type())
	}
	str := v.String()
	if len(str) > limit {
		return "", errorf(CodeTooLarge, "bridge: %s of %d bytes, limit %d", what, len(str), limit)
	}
	return str, nil
}

// bytesArg copies a Uint8Array of at most limit bytes into dst's storage
// (growing it if needed) with one js.CopyBytesToGo.
func bytesArg(v js.Value, what string, limit int, dst []byte) ([]byte, error) {
	if v.Type() != js.TypeObject || !v.InstanceOf(jsUint8Array) {
		return nil, errorf(CodeBadArgument, "bridge: %s must be a Uint8Array", what)
	}
	n := v.Get("byteLength").Int()
	if n > limit {
		return nil, errorf(CodeTooLarge, "bridge: %s of %d bytes, limit %d", what, n, limit)
	}
	dst = grow(dst[:0], n)[:n]
	if got := js.CopyBytesToGo(dst, v); got != n {
		return nil, errorf(CodeInternal, "bridge: copied %d of %d bytes", got, n)
	}
	return dst, nil
}

func bytesToJS(b []byte) js.Value {
	a := jsUint8Array.New(len(b))
	if len(b) > 0 {
		js.CopyBytesToJS(a, b)
	}
	return a
}

// optionsArg reads the optional options object of encryptStart and
// decryptStart: undefined, null, or an object whose only known property is
// sha256 (a boolean: also compute the SHA-256 of the plaintext). Unknown
// properties are refused, so a misspelled option is not silently ignored.
func optionsArg(args []js.Value, i int) (hashing bool, err error) {
	if i >= len(args) || args[i].IsUndefined() || args[i].IsNull() {
		return false, nil
	}
	o := args[i]
	if o.Type() != js.TypeObject {
		return false, errorf(CodeBadArgument, "bridge: options must be an object")
	}
	names := jsObject.Call("keys", o)
	for j := range names.Length() {
		if name := names.Index(j).String(); name != "sha256" {
			return false, errorf(CodeBadArgument, "bridge: unknown option %q", truncate(name, 32))
		}
	}
	v := o.Get("sha256")
	switch v.Type() {
	case js.TypeUndefined:
		return false, nil
	case js.TypeBoolean:
		return v.Bool(), nil
	}
	return false, errorf(CodeBadArgument, "bridge: option sha256 must be a boolean")
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n] + "…"
	}
	return s
}

// version describes the module, for diagnostics and the about page.
func version() any {
	v := map[string]any{"api": APIVersion, "go": runtime.Version(), "revision": "", "modified": false}
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				v["revision"] = s.Value
			case "vcs.modified":
				v["modified"] = s.Value == "true"
			}
		}
	}
	return v
}

// memStats reports the Go heap of the worker, so tests and the benchmark
// page can check that streaming keeps memory constant. Sizes are in bytes.
func memStats(b *bridge) any {
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return map[string]any{
		"heapAlloc":  float64(m.HeapAlloc),
		"heapInuse":  float64(m.HeapInuse),
		"heapSys":    float64(m.HeapSys),
		"sys":        float64(m.Sys),
		"totalAlloc": float64(m.TotalAlloc),
		"numGC":      float64(m.NumGC),
		"keys":       len(b.keys),
		"streams":    len(b.streams),
	}
}
