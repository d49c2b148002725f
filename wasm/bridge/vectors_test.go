//go:build js && wasm

package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"testing"
	"testing/cryptotest"

	"vellum.dev/vellum/internal/vectortest"
	"vellum.dev/vellum/keys"
	"vellum.dev/vellum/keys/document"
)

// contentVector is the part of keys/document's content vectors
// (protocol/testdata/document-content) that the bridge checks: the same
// files pushed in pieces must decrypt to the same plaintext, or fail with
// the code named like the vector's error.
type contentVector struct {
	Comment          string         `json:"comment"`
	Seed             uint64         `json:"seed"`
	Identity         string         `json:"identity"`
	ExtraRecipient   string         `json:"extra_recipient,omitempty"`
	PlaintextLength  int64          `json:"plaintext_length"`
	CiphertextLength int64          `json:"ciphertext_length"`
	CiphertextSHA256 vectortest.Hex `json:"ciphertext_sha256"`
	Ciphertext       vectortest.Hex `json:"ciphertext,omitempty"`
	Alter            string         `json:"alter,omitempty"`
	AlteredSHA256    vectortest.Hex `json:"altered_sha256,omitempty"`
	OpenWith         string         `json:"open_with,omitempty"`
	Error            string         `json:"error,omitempty"`
	RangeError       string         `json:"range_error,omitempty"`
	SizeError        string         `json:"size_error,omitempty"`
}

func pattern(n int64) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i % 251)
	}
	return b
}

// alter is keys/document's vector alteration (see its vectors_test.go).
func alter(t testing.TB, file []byte, op string) []byte {
	t.Helper()
	const payload, enc = 184, 64<<10 + 16
	f := strings.Fields(op)
	num := func(i int) int {
		n, err := strconv.Atoi(f[i])
		if err != nil {
			t.Fatalf("alter %q: %v", op, err)
		}
		return n
	}
	hx := func(i int) []byte {
		b, err := hex.DecodeString(f[i])
		if err != nil {
			t.Fatalf("alter %q: %v", op, err)
		}
		return b
	}
	out := bytes.Clone(file)
	switch f[0] {
	case "truncate":
		return out[:num(1)]
	case "swap-chunks":
		i, j := payload+num(1)*enc, payload+num(2)*enc
		a := bytes.Clone(out[i : i+enc])
		copy(out[i:i+enc], out[j:j+enc])
		copy(out[j:j+enc], a)
		return out
	case "drop-chunk":
		i := payload + num(1)*enc
		return append(out[:i:i], out[min(i+enc, len(out)):]...)
	case "replace":
		copy(out[num(1):], hx(2))
		return out
	case "append":
		return append(out, hx(1)...)
	}
	t.Fatalf("unknown alteration %q", op)
	return nil
}

// file returns the vector's file: its stored bytes, or the bytes rebuilt
// from its seed (checked against its SHA-256), altered if it says so.
func (v contentVector) file(t *testing.T) []byte {
	t.Helper()
	ct := []byte(v.Ciphertext)
	if ct == nil {
		if v.ExtraRecipient != "" {
			t.Fatal("rebuilding a two-recipient file is not supported here")
		}
		cryptotest.SetGlobalRandom(t, v.Seed)
		id := keys.NewIdentity()
		var buf bytes.Buffer
		w, err := document.Encrypt(&buf, id.Recipient())
		if err != nil {
			t.Fatal(err)
		}
		w.Write(pattern(v.PlaintextLength))
		w.Close()
		ct = buf.Bytes()
	}
	if h := sha256.Sum256(ct); !bytes.Equal(h[:], v.CiphertextSHA256) || int64(len(ct)) != v.CiphertextLength {
		t.Fatalf("file does not match the vector (sha256 %x, %d bytes)", h, len(ct))
	}
	if v.Alter != "" {
		ct = alter(t, ct, v.Alter)
		if h := sha256.Sum256(ct); !bytes.Equal(h[:], v.AlteredSHA256) {
			t.Fatalf("altered file sha256 %x, vector says %x", h, v.AlteredSHA256)
		}
	}
	return ct
}

func TestDocumentContentVectors(t *testing.T) {
	for _, c := range vectortest.Load[contentVector](t, "document-content") {
		t.Run(c.Name, func(t *testing.T) {
			v := c.V
			ct := v.file(t)
			keyText := v.Identity
			if v.OpenWith != "" {
				keyText = v.OpenWith
			}
			id, err := keys.ParseIdentity([]byte(keyText))
			if err != nil {
				t.Fatal(err)
			}
			b := newBridge()
			k, err := b.addKey(id)
			if err != nil {
				t.Fatal(err)
			}
			for _, step := range []int{MaxPush, encChunk, 4093, 1} {
				if step == 1 && len(ct) > 4096 {
					continue
				}
				got, digest, err := decrypt(t, b, k, ct, step)
				if v.Error != "" {
					if code := codeOf(err); string(code) != v.Error {
						t.Errorf("step %d: code %q, want %q (%v)", step, code, v.Error, err)
					}
					continue
				}
				if err != nil {
					t.Fatalf("step %d: %v", step, err)
				}
				want := pattern(v.PlaintextLength)
				if h := sha256.Sum256(want); !bytes.Equal(got, want) || !bytes.Equal(digest, h[:]) {
					t.Errorf("step %d: plaintext or digest differs", step)
				}
			}
		})
	}
}

// outcome is what decrypting gave: the plaintext's SHA-256, or an error code.
func outcome(plain []byte, err error) string {
	if err != nil {
		return "error " + string(codeOf(err))
	}
	return fmt.Sprintf("plaintext %x", sha256.Sum256(plain))
}

// FuzzDecryptChunking checks the bridge's push adapter against
// document.Decrypt reading the whole file: for any file and any piece size,
// both MUST give the same plaintext or the same error code. (The one
// difference by design: a header that does not end within 64 KiB is
// malformed to the bridge before the file ends.)
func FuzzDecryptChunking(f *testing.F) {
	var ids []*keys.Identity
	for _, c := range vectortest.Load[contentVector](f, "document-content") {
		id, err := keys.ParseIdentity([]byte(c.V.Identity))
		if err != nil {
			f.Fatal(err)
		}
		ids = append(ids, id)
	}
	for _, s := range vectortest.Seeds(f, "document-content", func(v contentVector) []byte { return v.Ciphertext }) {
		for _, step := range []uint16{1, 7, 100, 65535} {
			f.Add(s, step)
		}
	}
	f.Fuzz(func(t *testing.T, ct []byte, step uint16) {
		if step == 0 {
			step = 1
		}
		// Use the identity the file is for, if any, so that the payload
		// path is reached and not only the wrong-key one.
		id := ids[0]
		for _, c := range ids {
			if _, err := document.Decrypt(bytes.NewReader(ct), c); !errors.Is(err, document.ErrWrongKey) {
				id = c
				break
			}
		}
		var want string
		if r, err := document.Decrypt(bytes.NewReader(ct), id); err != nil {
			want = outcome(nil, err)
		} else {
			plain, err := io.ReadAll(r)
			want = outcome(plain, err)
		}

		b := newBridge()
		k, _ := b.addKey(id)
		plain, _, err := decrypt(t, b, k, ct, int(step))
		if errors.Is(err, errHeaderTooLong) {
			return
		}
		if got := outcome(plain, err); got != want {
			t.Errorf("pushed in pieces of %d: %s; document.Decrypt: %s", step, got, want)
		}
		if len(b.streams) != 0 {
			t.Error("stream left open")
		}
	})
}
