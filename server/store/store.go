// Package store is the one package that owns Vellum's Pebble keyspace.
//
// Everything the server keeps lives here, under a versioned key layout
// written in keys.go: accounts, tenants and their signed membership chains,
// folders, documents and their versions, grants, access requests, folder
// rotations, uploads and their ciphertext chunks, per-tenant audit entries,
// e-signature envelopes and signers, lock-out counters, and the hashes of the
// seal transparency log. The store holds only what the server may learn
// (DESIGN.md §1): ciphertext, public keys, wrapped keys, signed statements and
// the few plain fields it needs to check rights. It never decrypts anything.
//
// Reads are methods on *Store (and on *Tx, where they also see the
// transaction's own writes). Every change goes through Store.Update, which
// runs a function over a *Tx and commits all of its writes as one Pebble
// batch, synced to disk before Update returns. Chunk uploads have their own
// path (PutChunk), synced the same way.
package store

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/cockroachdb/pebble/v2"
	"github.com/cockroachdb/pebble/v2/vfs"

	"vellum.dev/vellum/protocol"
)

// Sentinel errors. Methods wrap them with %w and add what failed, so callers
// can map them to protocol codes with errors.Is.
var (
	// ErrNotFound means the object does not exist.
	ErrNotFound = errors.New("store: not found")
	// ErrExists means an object with that ID (or e-mail) already exists.
	ErrExists = errors.New("store: already exists")
	// ErrConflict means the change was made against a state that is no longer
	// current: a stale version, an upload offset that is not the expected one,
	// a sequence number that is not the next one.
	ErrConflict = errors.New("store: conflict")
	// ErrUnsupportedFormat means the database was written by a newer (or an
	// unknown) version of the keyspace layout; it is never opened then.
	ErrUnsupportedFormat = errors.New("store: unsupported keyspace format")
	// ErrInvalid means the argument is not acceptable (an empty ID, a value
	// over its limit, a malformed e-mail address).
	ErrInvalid = errors.New("store: invalid argument")
	// ErrClosed means the store has been closed.
	ErrClosed = errors.New("store: closed")
	// ErrCorrupt means a stored record does not decode: the database was
	// altered or damaged outside the store.
	ErrCorrupt = errors.New("store: corrupt record")
)

// formatVersion is the keyspace format this code reads and writes. It is
// stored under metaFormat when a database is created and checked at every
// open: a database of another format is refused, never guessed at.
const formatVersion uint64 = 1

// ID is a 128-bit random identifier of an account, tenant, folder, document,
// grant, upload, envelope or any other object: protocol.ID, whose text form
// is the API's id form (protocol.ValidID): 16 bytes in unpadded base64url,
// 22 characters. The zero ID means "none" and is never assigned.
type ID = protocol.ID

// NewID returns a fresh random ID (protocol.NewID).
func NewID() ID { return protocol.NewID() }

// ParseID parses the text form of an ID (protocol.ParseID): exactly 22
// characters of unpadded base64url in canonical form (unused bits zero), not
// the zero ID. Its errors wrap ErrInvalid.
func ParseID(s string) (ID, error) {
	id, err := protocol.ParseID(s)
	if err != nil {
		return ID{}, fmt.Errorf("store: %v: %w", err, ErrInvalid)
	}
	return id, nil
}

// Options configure Open. The zero value is a production store on disk.
type Options struct {
	// FS is the file system Pebble uses; nil means the operating system's.
	// Tests pass vfs.NewMem().
	FS vfs.FS
	// Now is the clock; nil means time.Now. Upload expiry uses it.
	Now func() time.Time
	// UploadTTL is how long an upload may sit idle (no chunk, no commit)
	// before SweepUploads deletes it. Zero means DefaultUploadTTL.
	UploadTTL time.Duration
	// MemTableSize is Pebble's memtable size; zero means 64 MiB, measured
	// here to double the throughput of 1 MiB synced batches (DESIGN.md §9).
	MemTableSize uint64
	// Logger receives Pebble's log lines; nil drops informational lines
	// and sends errors to standard error.
	Logger pebble.Logger
}

// DefaultUploadTTL is the idle time after which an unfinished upload is
// abandoned.
const DefaultUploadTTL = 24 * time.Hour

// Store is an open Vellum keyspace. Its methods are safe for concurrent use.
type Store struct {
	View
	db        *pebble.DB
	now       func() time.Time
	uploadTTL time.Duration

	// guard is held shared by every operation and exclusively by Close, so
	// Pebble is closed only after every reader and writer has drained
	// (closing Pebble under a waiting writer hung the process: DESIGN.md §9).
	guard  sync.RWMutex
	closed bool

	// writeMu serializes Update transactions, so that a transaction's reads
	// are still current when its batch is applied. It is released before the
	// WAL sync is awaited, so concurrent syncs are still grouped by Pebble.
	writeMu sync.Mutex
	// stripes serialize the writers of one upload (PutChunk, and the
	// transactions that commit, abort or sweep it) without holding writeMu
	// for every chunk.
	stripes [64]sync.Mutex
}

type quietLogger struct{}

func (quietLogger) Infof(string, ...any) {}
func (quietLogger) Errorf(format string, args ...any) {
	pebble.DefaultLogger.Errorf(format, args...)
}
func (quietLogger) Fatalf(format string, args ...any) {
	pebble.DefaultLogger.Fatalf(format, args...)
}

// Open opens (creating if needed) the store in dir. A new database is
// stamped with the current format version; an existing one MUST carry
// exactly that version, or Open fails with ErrUnsupportedFormat. The caller
// MUST call Close.
func Open(dir string, o *Options) (*Store, error) {
	if o == nil {
		o = &Options{}
	}
	po := &pebble.Options{
		FS:                 o.FS,
		MemTableSize:       o.MemTableSize,
		Logger:             o.Logger,
		FormatMajorVersion: pebble.FormatValueSeparation,
	}
	if po.MemTableSize == 0 {
		po.MemTableSize = 64 << 20
	}
	if po.Logger == nil {
		po.Logger = quietLogger{}
	}
	// Nearly every byte stored is ciphertext, which does not compress;
	// compressing it is wasted work (DESIGN.md §9).
	po.ApplyCompressionSettings(func() pebble.DBCompressionSettings { return pebble.DBCompressionNone })
	// Large values (ciphertext chunks) go to blob files, so compactions do
	// not rewrite them level after level. It needs FormatValueSeparation.
	po.Experimental.ValueSeparationPolicy = func() pebble.ValueSeparationPolicy {
		return pebble.ValueSeparationPolicy{
			Enabled:               true,
			MinimumSize:           4 << 10,
			MaxBlobReferenceDepth: 10,
			RewriteMinimumAge:     5 * time.Minute,
			TargetGarbageRatio:    0.2,
		}
	}
	db, err := pebble.Open(dir, po)
	if err != nil {
		return nil, fmt.Errorf("store: opening pebble: %w", err)
	}
	s := &Store{db: db, now: o.Now, uploadTTL: o.UploadTTL}
	if s.now == nil {
		s.now = time.Now
	}
	if s.uploadTTL == 0 {
		s.uploadTTL = DefaultUploadTTL
	}
	s.View = View{r: dbReader{s}}
	if err := s.checkFormat(); err != nil {
		db.Close()
		return nil, err
	}
	return s, nil
}

func (s *Store) checkFormat() error {
	v, closer, err := s.db.Get(metaFormat)
	switch {
	case errors.Is(err, pebble.ErrNotFound):
		it, err := s.db.NewIter(nil)
		if err != nil {
			return fmt.Errorf("store: %w", err)
		}
		empty := !it.First()
		it.Close()
		if !empty {
			return fmt.Errorf("store: database has data but no format version: %w", ErrUnsupportedFormat)
		}
		if err := s.db.Set(metaFormat, u64(formatVersion), pebble.Sync); err != nil {
			return fmt.Errorf("store: stamping format: %w", err)
		}
		return nil
	case err != nil:
		return fmt.Errorf("store: reading format: %w", err)
	}
	defer closer.Close()
	if len(v) != 8 {
		return fmt.Errorf("store: format version of %d bytes: %w", len(v), ErrUnsupportedFormat)
	}
	if got := binary.BigEndian.Uint64(v); got != formatVersion {
		return fmt.Errorf("store: database format %d, this build reads %d: %w", got, formatVersion, ErrUnsupportedFormat)
	}
	return nil
}

// FormatVersion is the keyspace format version this build reads and writes.
func FormatVersion() uint64 { return formatVersion }

// Close waits for every operation in progress to finish, then closes Pebble.
// Operations started after Close fail with ErrClosed. The caller SHOULD stop
// accepting requests first, so that nothing is turned away mid-request.
func (s *Store) Close() error {
	s.guard.Lock()
	defer s.guard.Unlock()
	if s.closed {
		return ErrClosed
	}
	s.closed = true
	return s.db.Close()
}

// enter marks an operation in progress; the caller MUST call leave.
func (s *Store) enter() error {
	s.guard.RLock()
	if s.closed {
		s.guard.RUnlock()
		return ErrClosed
	}
	return nil
}

func (s *Store) leave() { s.guard.RUnlock() }

func (s *Store) stripe(id ID) *sync.Mutex {
	return &s.stripes[binary.BigEndian.Uint16(id[:2])%uint16(len(s.stripes))]
}

// Update runs fn over a new transaction and commits everything fn wrote as
// one batch, synced to disk before Update returns. If fn returns an error,
// nothing is written and Update returns that error. Transactions are
// serialized: the reads fn makes through tx are still current at commit.
// fn MUST NOT keep tx, or anything it returned, after it returns.
func (s *Store) Update(fn func(tx *Tx) error) error {
	if err := s.enter(); err != nil {
		return err
	}
	defer s.leave()
	b := s.db.NewIndexedBatch()
	defer b.Close()
	tx := &Tx{s: s, b: b, locked: map[*sync.Mutex]bool{}}
	tx.View = View{r: batchReader{b}}
	s.writeMu.Lock()
	held := true
	release := func() {
		if held {
			tx.unlock()
			s.writeMu.Unlock()
			held = false
		}
	}
	defer release() // also if fn panics
	if err := fn(tx); err != nil {
		return err
	}
	if b.Empty() {
		return nil
	}
	if err := s.db.ApplyNoSyncWait(b, pebble.Sync); err != nil {
		return fmt.Errorf("store: committing: %w", err)
	}
	// Release before the fsync so that the next transaction can be applied
	// while this one syncs; the WAL is written in order, so a later batch
	// is never durable before this one.
	release()
	if err := b.SyncWait(); err != nil {
		return fmt.Errorf("store: syncing: %w", err)
	}
	return nil
}

// Tx is one transaction of Store.Update. Its read methods see its own writes.
type Tx struct {
	View
	s      *Store
	b      *pebble.Batch
	locked map[*sync.Mutex]bool
}

// lockUpload takes the stripe lock of an upload for the rest of the
// transaction, so that no chunk is appended while it is committed or deleted.
func (tx *Tx) lockUpload(id ID) {
	m := tx.s.stripe(id)
	if !tx.locked[m] {
		m.Lock()
		tx.locked[m] = true
	}
}

func (tx *Tx) unlock() {
	for m := range tx.locked {
		m.Unlock()
	}
	clear(tx.locked)
}

func (tx *Tx) set(k []byte, v any) error {
	b, err := encode(v)
	if err != nil {
		return err
	}
	return tx.setRaw(k, b)
}

func (tx *Tx) setRaw(k, v []byte) error {
	if err := tx.b.Set(k, v, nil); err != nil {
		return fmt.Errorf("store: %w", err)
	}
	return nil
}

func (tx *Tx) del(k []byte) error {
	if err := tx.b.Delete(k, nil); err != nil {
		return fmt.Errorf("store: %w", err)
	}
	return nil
}

func (tx *Tx) delPrefix(p []byte) error {
	if err := tx.b.DeleteRange(p, prefixEnd(p), nil); err != nil {
		return fmt.Errorf("store: %w", err)
	}
	return nil
}

// reader is what the typed read methods need: a point read and a prefix
// scan, either of the database or of a transaction's indexed batch.
type reader interface {
	// get returns a copy of the value of k, or ErrNotFound.
	get(k []byte) ([]byte, error)
	// scan calls fn for each key with prefix p in order (reverse order if
	// reverse) until fn returns false or an error. k and v are valid only
	// during the call.
	scan(p []byte, reverse bool, fn func(k, v []byte) (bool, error)) error
}

type dbReader struct{ s *Store }

func (r dbReader) get(k []byte) ([]byte, error) {
	if err := r.s.enter(); err != nil {
		return nil, err
	}
	defer r.s.leave()
	return getFrom(r.s.db, k)
}

func (r dbReader) scan(p []byte, reverse bool, fn func(k, v []byte) (bool, error)) error {
	if err := r.s.enter(); err != nil {
		return err
	}
	defer r.s.leave()
	it, err := r.s.db.NewIter(&pebble.IterOptions{LowerBound: p, UpperBound: prefixEnd(p)})
	if err != nil {
		return fmt.Errorf("store: %w", err)
	}
	return scanIter(it, reverse, fn)
}

type batchReader struct{ b *pebble.Batch }

func (r batchReader) get(k []byte) ([]byte, error) { return getFrom(r.b, k) }

func (r batchReader) scan(p []byte, reverse bool, fn func(k, v []byte) (bool, error)) error {
	it, err := r.b.NewIter(&pebble.IterOptions{LowerBound: p, UpperBound: prefixEnd(p)})
	if err != nil {
		return fmt.Errorf("store: %w", err)
	}
	return scanIter(it, reverse, fn)
}

func getFrom(g interface {
	Get([]byte) ([]byte, io.Closer, error)
}, k []byte) ([]byte, error) {
	v, closer, err := g.Get(k)
	if errors.Is(err, pebble.ErrNotFound) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	out := append([]byte(nil), v...)
	closer.Close()
	return out, nil
}

func scanIter(it *pebble.Iterator, reverse bool, fn func(k, v []byte) (bool, error)) (err error) {
	defer func() {
		if cerr := it.Close(); err == nil && cerr != nil {
			err = fmt.Errorf("store: %w", cerr)
		}
	}()
	valid := it.First
	step := it.Next
	if reverse {
		valid, step = it.Last, it.Prev
	}
	for ok := valid(); ok; ok = step() {
		v, err := it.ValueAndErr()
		if err != nil {
			return fmt.Errorf("store: %w", err)
		}
		more, err := fn(it.Key(), v)
		if err != nil || !more {
			return err
		}
	}
	if err := it.Error(); err != nil {
		return fmt.Errorf("store: %w", err)
	}
	return nil
}

// View holds the typed read methods, shared by Store (reading the database)
// and Tx (reading through the transaction, seeing its own writes). It has
// no use on its own.
type View struct{ r reader }

// getRecord reads and decodes the record at k into v.
func (v View) getRecord(k []byte, into any) error {
	b, err := v.r.get(k)
	if err != nil {
		return err
	}
	return decode(b, into)
}

// exists reports whether k is present.
func (v View) exists(k []byte) (bool, error) {
	_, err := v.r.get(k)
	if errors.Is(err, ErrNotFound) {
		return false, nil
	}
	return err == nil, err
}

// idsAfter lists the trailing 16-byte IDs of the keys with prefix p.
func (v View) idsAfter(p []byte) ([]ID, error) {
	var ids []ID
	err := v.r.scan(p, false, func(k, _ []byte) (bool, error) {
		if len(k) < len(p)+16 {
			return false, fmt.Errorf("store: short index key: %w", ErrCorrupt)
		}
		var id ID
		copy(id[:], k[len(k)-16:])
		ids = append(ids, id)
		return true, nil
	})
	return ids, err
}

// lastSeq returns the sequence number in the last key with prefix p (whose
// keys end in a big-endian uint64), and false if there is none.
func (v View) lastSeq(p []byte) (uint64, bool, error) {
	var seq uint64
	var found bool
	err := v.r.scan(p, true, func(k, _ []byte) (bool, error) {
		if len(k) != len(p)+8 {
			return false, fmt.Errorf("store: bad sequence key: %w", ErrCorrupt)
		}
		seq, found = binary.BigEndian.Uint64(k[len(p):]), true
		return false, nil
	})
	return seq, found, err
}

func requireID(what string, id ID) error {
	if id.IsZero() {
		return fmt.Errorf("store: %s ID is zero: %w", what, ErrInvalid)
	}
	return nil
}

func notFound(what string, id ID) error {
	return fmt.Errorf("store: %s %s: %w", what, id, ErrNotFound)
}
