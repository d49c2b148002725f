//go:build js && wasm

package main

import (
	"crypto/rand"
	"crypto/sha256"
	"io"
	"math"
	"runtime"
	"syscall/js"
	"time"

	"vellum.dev/vellum/keys/document"
)

// benchInside runs the streams' Go code in a loop inside the worker, with
// no JavaScript boundary: encryption (document.Encrypt, what an encrypt
// stream runs) or SHA-256 (what a hash stream runs) of size bytes, written
// in MaxPush pieces from one buffer. The benchmark page (web/static/bench/)
// divides what the page achieves through the API by this.
func benchInside(op string, size int64) (map[string]any, error) {
	buf := make([]byte, MaxPush)
	rand.Read(buf)
	var w io.Writer
	var closeFn func() error
	switch op {
	case "encrypt":
		enc, err := document.Encrypt(io.Discard, document.NewKey().Recipient())
		if err != nil {
			return nil, err
		}
		w, closeFn = enc, enc.Close
	case "sha256":
		h := sha256.New()
		w, closeFn = h, func() error { h.Sum(nil); return nil }
	default:
		return nil, errorf(CodeBadArgument, "bridge: benchInside op must be encrypt or sha256")
	}
	start := time.Now()
	for done := int64(0); done < size; {
		n := min(int64(len(buf)), size-done)
		if _, err := w.Write(buf[:n]); err != nil {
			return nil, err
		}
		done += n
	}
	if err := closeFn(); err != nil {
		return nil, err
	}
	elapsed := time.Since(start)
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return map[string]any{
		"op": op, "bytes": float64(size), "ms": float64(elapsed.Microseconds()) / 1000,
		"heapSys": float64(m.HeapSys), "heapAlloc": float64(m.HeapAlloc),
	}, nil
}

func (a *app) registerBench(def func(name string, fn func(args argv) (runner, error))) {
	def("benchInside", func(args argv) (runner, error) {
		op, err := args.str(0, "op", 16)
		if err != nil {
			return nil, err
		}
		v := args.at(1)
		if v.Type() != js.TypeNumber || v.Float() != math.Trunc(v.Float()) || v.Float() < 1 || v.Float() > 1<<34 {
			return nil, errorf(CodeBadArgument, "bridge: size must be an integer from 1 to 2³⁴")
		}
		size := int64(v.Float())
		return func() (any, error) { return benchInside(op, size) }, nil
	})
}
