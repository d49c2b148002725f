package session

import (
	"crypto/cipher"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"time"

	"golang.org/x/crypto/chacha20poly1305"

	"vellum.dev/vellum/keys"
	"vellum.dev/vellum/protocol"
)

// ErrInsecureKeyset means a keyset file can be read by others than its
// owner: it is refused rather than trusted.
var ErrInsecureKeyset = errors.New("session: keyset file is readable by group or others")

// ErrBadKeyset means a keyset file does not parse.
var ErrBadKeyset = errors.New("session: malformed keyset")

const redacted = "[REDACTED]"

// serverKey is one token-sealing key. It is a secret: it never prints, and
// it is compared only by its public ID.
type serverKey struct {
	_       [0]func()
	id      uint32
	secret  [32]byte
	created time.Time
	retired time.Time // zero while the key is current
	aead    cipher.AEAD
}

func newServerKey(id uint32, secret []byte, created, retired time.Time) (*serverKey, error) {
	if len(secret) != 32 {
		return nil, fmt.Errorf("session: key of %d bytes: %w", len(secret), ErrBadKeyset)
	}
	k := &serverKey{id: id, created: created, retired: retired}
	copy(k.secret[:], secret)
	// The stored secret is not used as the AEAD key directly: the AEAD key
	// is derived for this one purpose, so the secret can never be
	// confused with a key of another use.
	dk := keys.DeriveKey(k.secret[:], nil, protocol.LabelKDFSessionToken)
	b := dk.Bytes()
	defer clear(b)
	dk.Destroy()
	aead, err := chacha20poly1305.NewX(b)
	if err != nil {
		return nil, fmt.Errorf("session: %w", err)
	}
	k.aead = aead
	return k, nil
}

// Keyset is the server's set of token-sealing keys: one current key, which
// seals new tokens, and retired keys, which still open the tokens they
// sealed until Prune drops them. Each key has a 32-bit ID, written in the
// clear in every token it seals. A Keyset is safe for concurrent use.
type Keyset struct {
	mu      sync.RWMutex
	keys    []*serverKey // in creation order; the last is current
	byID    map[uint32]*serverKey
	current *serverKey
}

// NewKeyset returns a keyset with one fresh random key, created at now.
func NewKeyset(now time.Time) *Keyset {
	ks := &Keyset{byID: map[uint32]*serverKey{}}
	ks.addKey(now)
	return ks
}

func (ks *Keyset) addKey(now time.Time) *serverKey {
	var id uint32
	for id == 0 || ks.byID[id] != nil {
		var b [4]byte
		rand.Read(b[:])
		id = binary.BigEndian.Uint32(b[:])
	}
	var secret [32]byte
	rand.Read(secret[:])
	k, err := newServerKey(id, secret[:], now.UTC().Truncate(time.Second), time.Time{})
	clear(secret[:])
	if err != nil {
		panic(err) // 32 bytes always make an XChaCha20-Poly1305 key
	}
	ks.keys = append(ks.keys, k)
	ks.byID[id] = k
	ks.current = k
	return k
}

// Rotate makes a fresh key current and retires the old one at now. Tokens
// sealed by the old key keep working until they expire or the key is
// pruned. It returns the new key's ID.
func (ks *Keyset) Rotate(now time.Time) uint32 {
	ks.mu.Lock()
	defer ks.mu.Unlock()
	ks.current.retired = now.UTC().Truncate(time.Second)
	return ks.addKey(now).id
}

// Prune drops the retired keys that were retired at least keep ago; pass
// the refresh TTL, after which every token they sealed has expired. It
// returns how many keys it dropped. The current key is never dropped.
func (ks *Keyset) Prune(now time.Time, keep time.Duration) int {
	ks.mu.Lock()
	defer ks.mu.Unlock()
	n := 0
	ks.keys = slices.DeleteFunc(ks.keys, func(k *serverKey) bool {
		if k == ks.current || now.Sub(k.retired) < keep {
			return false
		}
		delete(ks.byID, k.id)
		clear(k.secret[:])
		n++
		return true
	})
	return n
}

// CurrentID returns the ID of the key that seals new tokens.
func (ks *Keyset) CurrentID() uint32 {
	ks.mu.RLock()
	defer ks.mu.RUnlock()
	return ks.current.id
}

// IDs returns the IDs of every key, oldest first.
func (ks *Keyset) IDs() []uint32 {
	ks.mu.RLock()
	defer ks.mu.RUnlock()
	ids := make([]uint32, len(ks.keys))
	for i, k := range ks.keys {
		ids[i] = k.id
	}
	return ids
}

func (ks *Keyset) lookup(id uint32) *serverKey {
	ks.mu.RLock()
	defer ks.mu.RUnlock()
	return ks.byID[id]
}

func (ks *Keyset) sealer() *serverKey {
	ks.mu.RLock()
	defer ks.mu.RUnlock()
	return ks.current
}

func (*Keyset) String() string   { return redacted }
func (*Keyset) GoString() string { return redacted }

// keysetFile is the keyset file's CBOR form.
type keysetFile struct {
	Version uint8       `cbor:"1,keyasint"`
	Current uint32      `cbor:"2,keyasint"`
	Keys    []keyRecord `cbor:"3,keyasint"`
}

type keyRecord struct {
	ID      uint32 `cbor:"1,keyasint"`
	Secret  []byte `cbor:"2,keyasint"`
	Created int64  `cbor:"3,keyasint"` // Unix seconds
	Retired int64  `cbor:"4,keyasint"` // Unix seconds; 0 while current
}

const keysetVersion = 1

// maxKeys bounds a keyset file.
const maxKeys = 64

// MarshalBinary returns the keyset file: deterministic CBOR {1: version 1,
// 2: current key ID, 3: [{1: ID, 2: 32-byte secret, 3: created, 4: retired
// (Unix seconds, 0 if current)}]}, keys oldest first. It holds the secrets:
// write it only with Save.
func (ks *Keyset) MarshalBinary() ([]byte, error) {
	ks.mu.RLock()
	defer ks.mu.RUnlock()
	f := keysetFile{Version: keysetVersion, Current: ks.current.id}
	for _, k := range ks.keys {
		r := keyRecord{ID: k.id, Secret: k.secret[:], Created: k.created.Unix()}
		if !k.retired.IsZero() {
			r.Retired = k.retired.Unix()
		}
		f.Keys = append(f.Keys, r)
	}
	return protocol.MarshalCBOR(&f)
}

// ParseKeyset parses a keyset file. It refuses non-canonical CBOR, an
// unknown version, duplicate IDs, a current key that is not the last one or
// that is retired, and retired keys without a retirement time.
func ParseKeyset(b []byte) (*Keyset, error) {
	var f keysetFile
	if err := protocol.UnmarshalCBOR(b, &f); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadKeyset, err)
	}
	if f.Version != keysetVersion || len(f.Keys) == 0 || len(f.Keys) > maxKeys {
		return nil, fmt.Errorf("session: keyset version %d with %d keys: %w", f.Version, len(f.Keys), ErrBadKeyset)
	}
	ks := &Keyset{byID: map[uint32]*serverKey{}}
	for i, r := range f.Keys {
		last := i == len(f.Keys)-1
		if r.ID == 0 || ks.byID[r.ID] != nil || last != (r.ID == f.Current) || last != (r.Retired == 0) ||
			r.Created < 0 || r.Retired < 0 {
			return nil, fmt.Errorf("session: inconsistent key %d in keyset: %w", r.ID, ErrBadKeyset)
		}
		var retired time.Time
		if r.Retired != 0 {
			retired = time.Unix(r.Retired, 0).UTC()
		}
		k, err := newServerKey(r.ID, r.Secret, time.Unix(r.Created, 0).UTC(), retired)
		clear(r.Secret)
		if err != nil {
			return nil, err
		}
		ks.keys = append(ks.keys, k)
		ks.byID[k.id] = k
		ks.current = k
	}
	return ks, nil
}

// maxKeysetFile bounds the file LoadKeyset reads.
const maxKeysetFile = 64 << 10

// LoadKeyset reads a keyset file. The file MUST NOT be readable or writable
// by group or others (ErrInsecureKeyset): it holds the keys that make
// sessions.
func LoadKeyset(path string) (*Keyset, error) {
	fh, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("session: %w", err)
	}
	defer fh.Close()
	st, err := fh.Stat()
	if err != nil {
		return nil, fmt.Errorf("session: %w", err)
	}
	if st.Mode().Perm()&0o077 != 0 {
		return nil, fmt.Errorf("%w: %s has mode %v", ErrInsecureKeyset, path, st.Mode().Perm())
	}
	if st.Size() > maxKeysetFile {
		return nil, fmt.Errorf("session: keyset file of %d bytes: %w", st.Size(), ErrBadKeyset)
	}
	b := make([]byte, st.Size())
	if _, err := fh.ReadAt(b, 0); err != nil {
		return nil, fmt.Errorf("session: reading keyset: %w", err)
	}
	defer clear(b)
	return ParseKeyset(b)
}

// Save writes the keyset to path with mode 0600, atomically: a crash leaves
// the old file or the new one, never half of one. The file lives outside
// Pebble, so a copy of the database holds no session key.
func (ks *Keyset) Save(path string) error {
	b, err := ks.MarshalBinary()
	if err != nil {
		return err
	}
	defer clear(b)
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, ".keyset-*")
	if err != nil {
		return fmt.Errorf("session: %w", err)
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return fmt.Errorf("session: %w", err)
	}
	if _, err := tmp.Write(b); err != nil {
		tmp.Close()
		return fmt.Errorf("session: writing keyset: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("session: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("session: %w", err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("session: %w", err)
	}
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
	return nil
}

// LoadOrCreateKeyset loads the keyset at path, or makes and saves a new one
// if there is no file. created reports which.
func LoadOrCreateKeyset(path string, now time.Time) (ks *Keyset, created bool, err error) {
	ks, err = LoadKeyset(path)
	if err == nil || !errors.Is(err, os.ErrNotExist) {
		return ks, false, err
	}
	ks = NewKeyset(now)
	return ks, true, ks.Save(path)
}
