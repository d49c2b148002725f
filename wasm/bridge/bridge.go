//go:build js && wasm

package main

import (
	"vellum.dev/vellum/keys"
	"vellum.dev/vellum/keys/document"
	"vellum.dev/vellum/protocol"
)

// Limits on what one worker holds at once. They bound memory against a
// buggy or hostile page script; real pages release what they are done with.
const (
	// MaxKeys is the most key handles open at once.
	MaxKeys = 1 << 16
	// MaxStreams is the most streams open at once. Each holds up to about
	// two MaxPush buffers.
	MaxStreams = 64
)

// handle names a key or a stream held by the worker. Handles are never
// reused, so a stale one fails with CodeNotFound instead of reaching a
// different object. They are not secrets: holding one grants nothing a
// page script in the same origin could not already ask for.
type handle uint32

// bridge holds the worker's keys and open streams. It is the Go API that
// api.go exposes to JavaScript. Calls are not concurrent: JavaScript calls
// into the module one at a time.
type bridge struct {
	last    handle
	keys    map[handle]*keys.Identity
	streams map[handle]stream
}

func newBridge() *bridge {
	return &bridge{keys: make(map[handle]*keys.Identity), streams: make(map[handle]stream)}
}

func (b *bridge) newHandle() (handle, error) {
	if b.last == ^handle(0) {
		return 0, errorf(CodeLimit, "bridge: out of handles; reload the worker")
	}
	b.last++
	return b.last, nil
}

func (b *bridge) addKey(k *keys.Identity) (handle, error) {
	if len(b.keys) >= MaxKeys {
		return 0, errorf(CodeLimit, "bridge: %d keys are open; release some", MaxKeys)
	}
	h, err := b.newHandle()
	if err != nil {
		return 0, err
	}
	b.keys[h] = k
	return h, nil
}

func (b *bridge) key(h handle) (*keys.Identity, error) {
	k, ok := b.keys[h]
	if !ok {
		return nil, errorf(CodeNotFound, "bridge: no key has handle %d", h)
	}
	return k, nil
}

// generateKey makes a fresh document or folder key (document.NewKey).
func (b *bridge) generateKey() (handle, keys.Recipient, error) {
	k := document.NewKey()
	h, err := b.addKey(k)
	return h, k.Recipient(), err
}

func (b *bridge) recipient(h handle) (keys.Recipient, error) {
	k, err := b.key(h)
	if err != nil {
		return keys.Recipient{}, err
	}
	return k.Recipient(), nil
}

// releaseKey drops the worker's reference to a key. The Go runtime may keep
// copies until they are collected and overwritten; it is best effort.
func (b *bridge) releaseKey(h handle) error {
	if _, err := b.key(h); err != nil {
		return err
	}
	delete(b.keys, h)
	return nil
}

// wrapKey is the only way a key leaves the worker: wrapped to a recipient
// (document.WrapKey), as a grant or a folder wrap carries it.
func (b *bridge) wrapKey(h handle, to string) ([]byte, error) {
	k, err := b.key(h)
	if err != nil {
		return nil, err
	}
	r, err := parseRecipient(to)
	if err != nil {
		return nil, err
	}
	return document.WrapKey(k, r)
}

// unwrapKey opens a key wrapped to the key with handle with
// (document.UnwrapKey) and keeps it in the worker.
func (b *bridge) unwrapKey(wrapped []byte, with handle) (handle, keys.Recipient, error) {
	if len(wrapped) > protocol.MaxWrappedKey {
		return 0, keys.Recipient{}, errorf(CodeTooLarge, "bridge: wrapped key of %d bytes, limit %d", len(wrapped), protocol.MaxWrappedKey)
	}
	folder, err := b.key(with)
	if err != nil {
		return 0, keys.Recipient{}, err
	}
	k, err := document.UnwrapKey(wrapped, folder)
	if err != nil {
		return 0, keys.Recipient{}, err
	}
	h, err := b.addKey(k)
	return h, k.Recipient(), err
}

func parseRecipient(s string) (keys.Recipient, error) {
	r, err := keys.ParseRecipient(s)
	if err != nil {
		return keys.Recipient{}, &Error{Code: CodeMalformed, Msg: "bridge: not a canonical age X25519 recipient (age1...)", Err: err}
	}
	return r, nil
}

func (b *bridge) addStream(s stream) (handle, error) {
	if len(b.streams) >= MaxStreams {
		return 0, errorf(CodeLimit, "bridge: %d streams are open; finish or abort some", MaxStreams)
	}
	h, err := b.newHandle()
	if err != nil {
		return 0, err
	}
	b.streams[h] = s
	return h, nil
}

// encryptStart opens a stream that encrypts a document to a recipient.
func (b *bridge) encryptStart(to string, hashing bool) (handle, error) {
	r, err := parseRecipient(to)
	if err != nil {
		return 0, err
	}
	s, err := newEncryptStream(r, hashing)
	if err != nil {
		return 0, err
	}
	return b.addStream(s)
}

// decryptStart opens a stream that decrypts a document file with a key.
func (b *bridge) decryptStart(key handle, hashing bool) (handle, error) {
	k, err := b.key(key)
	if err != nil {
		return 0, err
	}
	return b.addStream(newDecryptStream(k, hashing))
}

// hashStart opens a stream that only computes SHA-256.
func (b *bridge) hashStart() (handle, error) {
	return b.addStream(hashStream{newDigester(true)})
}

func (b *bridge) stream(h handle) (stream, error) {
	s, ok := b.streams[h]
	if !ok {
		return nil, errorf(CodeNotFound, "bridge: no open stream has handle %d", h)
	}
	return s, nil
}

// push feeds a chunk to a stream and returns the output it produced, valid
// until the next call. A failed stream is closed: its handle is gone.
func (b *bridge) push(h handle, p []byte) ([]byte, error) {
	s, err := b.stream(h)
	if err != nil {
		return nil, err
	}
	// A panic (a bug) also closes the stream before api.go reports it.
	defer func() {
		if r := recover(); r != nil {
			delete(b.streams, h)
			panic(r)
		}
	}()
	if len(p) > MaxPush {
		delete(b.streams, h)
		return nil, errorf(CodeTooLarge, "bridge: chunk of %d bytes, limit %d", len(p), MaxPush)
	}
	out, err := s.push(p)
	if err != nil {
		delete(b.streams, h)
		return nil, err
	}
	return out, nil
}

// finish ends a stream and returns its last output and, if it was hashing,
// the SHA-256 of its plaintext. The handle is gone afterwards.
func (b *bridge) finish(h handle) (out, digest []byte, err error) {
	s, err := b.stream(h)
	if err != nil {
		return nil, nil, err
	}
	delete(b.streams, h)
	out, err = s.finish()
	if err != nil {
		return nil, nil, err
	}
	return out, digestOf(s), nil
}

// abort drops a stream without finishing it.
func (b *bridge) abort(h handle) error {
	if _, err := b.stream(h); err != nil {
		return err
	}
	delete(b.streams, h)
	return nil
}
