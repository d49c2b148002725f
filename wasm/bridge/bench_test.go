//go:build js && wasm

package main

import (
	"crypto/sha256"
	"testing"

	"golang.org/x/crypto/chacha20poly1305"
)

// The bridge's streams at the Go level, 1 MiB pushes, next to raw
// ChaCha20-Poly1305 and SHA-256 on the same machine and runtime as the
// baseline. (The page-level numbers, with the JS boundary and the worker's
// messages, are BenchmarkBrowser in web/.) Run them under Node:
//
//	GOOS=js GOARCH=wasm go test -exec=$(go env GOROOT)/lib/wasm/go_js_wasm_exec -run '^$' -bench . -benchtime 200ms ./wasm/bridge/

func BenchmarkStream(b *testing.B) {
	br := newBridge()
	k, r, _ := br.generateKey()
	chunk := make([]byte, MaxPush)
	b.Run("encrypt", func(b *testing.B) {
		b.SetBytes(MaxPush)
		h, _ := br.encryptStart(r.String(), false)
		for b.Loop() {
			if _, err := br.push(h, chunk); err != nil {
				b.Fatal(err)
			}
		}
		br.abort(h)
	})
	b.Run("hash", func(b *testing.B) {
		b.SetBytes(MaxPush)
		h, _ := br.hashStart()
		for b.Loop() {
			br.push(h, chunk)
		}
		br.abort(h)
	})
	b.Run("decrypt", func(b *testing.B) {
		// Enough ciphertext to decrypt for a while, pushed again and again
		// into fresh streams.
		ct := encrypt(b, br, r.String(), make([]byte, 16<<20), MaxPush)
		b.SetBytes(MaxPush)
		h, _ := br.decryptStart(k, false)
		off := 0
		for b.Loop() {
			if off+MaxPush > len(ct) {
				br.abort(h)
				h, _ = br.decryptStart(k, false)
				off = 0
			}
			if _, err := br.push(h, ct[off:off+MaxPush]); err != nil {
				b.Fatal(err)
			}
			off += MaxPush
		}
		br.abort(h)
	})
}

func BenchmarkBaseline(b *testing.B) {
	chunk := make([]byte, 64<<10)
	b.Run("chacha20poly1305", func(b *testing.B) {
		aead, _ := chacha20poly1305.New(make([]byte, 32))
		nonce := make([]byte, aead.NonceSize())
		out := make([]byte, 0, len(chunk)+aead.Overhead())
		b.SetBytes(int64(len(chunk)))
		for b.Loop() {
			out = aead.Seal(out[:0], nonce, chunk, nil)
		}
	})
	b.Run("sha256", func(b *testing.B) {
		h := sha256.New()
		b.SetBytes(int64(len(chunk)))
		for b.Loop() {
			h.Write(chunk)
		}
	})
}
