package ratelimit

import (
	"errors"
	"fmt"
	"hash/maphash"
	"sync"
	"time"
)

// ErrLocked means the key is locked after too many failures.
var ErrLocked = errors.New("ratelimit: locked after too many failures")

// LockedError is returned (wrapping ErrLocked) for a locked key.
type LockedError struct {
	// Until is when the lock ends; zero if it lasts until Reset.
	Until time.Time
}

func (e *LockedError) Error() string {
	if e.Until.IsZero() {
		return ErrLocked.Error()
	}
	return fmt.Sprintf("%v until %s", ErrLocked, e.Until.UTC().Format(time.RFC3339))
}

func (e *LockedError) Unwrap() error { return ErrLocked }

// LockoutStore keeps failure counters. Implementations MUST make each
// Save and Delete durable before returning if the lock-outs are to survive
// a restart (*store.Store does: each is a synced write). Load of a key that
// was never saved returns zero values and no error.
type LockoutStore interface {
	LoadLockout(key string) (failures uint32, lockedUntil time.Time, err error)
	SaveLockout(key string, failures uint32, lockedUntil time.Time) error
	DeleteLockout(key string) error
}

// LockoutConfig configures Lockouts.
type LockoutConfig struct {
	// MaxFailures is how many failures lock a key (5 for a signing link's
	// PIN). MUST be positive.
	MaxFailures int
	// LockFor is how long a lock lasts; after it, the count starts again
	// from zero. Zero means the lock lasts until Reset (a signing link
	// stays locked until its sender acts).
	LockFor time.Duration
	// Store keeps the counters; nil means a MemoryStore of MaxKeys keys,
	// which a restart forgets.
	Store   LockoutStore
	MaxKeys int
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// Lockouts counts failures per key and locks a key after MaxFailures of
// them. It is safe for concurrent use; the counting of one key is
// serialized, so N concurrent wrong guesses count N.
type Lockouts struct {
	max     uint32
	lockFor time.Duration
	st      LockoutStore
	now     func() time.Time
	seed    maphash.Seed
	mus     [64]sync.Mutex
}

// NewLockouts returns Lockouts for cfg.
func NewLockouts(cfg LockoutConfig) *Lockouts {
	if cfg.MaxFailures <= 0 || cfg.LockFor < 0 {
		panic("ratelimit: MaxFailures must be positive and LockFor not negative")
	}
	l := &Lockouts{max: uint32(cfg.MaxFailures), lockFor: cfg.LockFor, st: cfg.Store, now: cfg.Now, seed: maphash.MakeSeed()}
	if l.st == nil {
		l.st = NewMemoryStore(cfg.MaxKeys)
	}
	if l.now == nil {
		l.now = time.Now
	}
	return l
}

func (l *Lockouts) lock(key string) *sync.Mutex {
	return &l.mus[maphash.String(l.seed, key)%uint64(len(l.mus))]
}

// state loads key and applies an expired lock. Callers hold lock(key).
func (l *Lockouts) state(key string, now time.Time) (uint32, time.Time, error) {
	n, until, err := l.st.LoadLockout(key)
	if err != nil {
		return 0, time.Time{}, err
	}
	if n >= l.max && !until.IsZero() && !now.Before(until) {
		return 0, time.Time{}, nil // the lock ran out: a fresh start
	}
	return n, until, nil
}

// Check returns a *LockedError if key is locked, else nil (or the store's
// error). Check before testing the secret, so a locked key tests nothing.
func (l *Lockouts) Check(key string) error {
	m := l.lock(key)
	m.Lock()
	defer m.Unlock()
	n, until, err := l.state(key, l.now())
	if err != nil {
		return err
	}
	if n >= l.max {
		return &LockedError{Until: until}
	}
	return nil
}

// Fail records a failure of key. It returns how many tries are left; when
// this failure locks the key (or it was locked already) it returns a
// *LockedError too, so the caller can tell whoever must be told (the
// sender of a signing link).
func (l *Lockouts) Fail(key string) (int, error) {
	m := l.lock(key)
	m.Lock()
	defer m.Unlock()
	now := l.now()
	n, until, err := l.state(key, now)
	if err != nil {
		return 0, err
	}
	if n >= l.max {
		return 0, &LockedError{Until: until}
	}
	n++
	if n >= l.max && l.lockFor > 0 {
		until = now.Add(l.lockFor)
	}
	if err := l.st.SaveLockout(key, n, until); err != nil {
		return 0, err
	}
	if n >= l.max {
		return 0, &LockedError{Until: until}
	}
	return int(l.max - n), nil
}

// Reset forgets key's failures and lifts its lock: after a success, or
// when an admin or a link's sender unlocks it.
func (l *Lockouts) Reset(key string) error {
	m := l.lock(key)
	m.Lock()
	defer m.Unlock()
	return l.st.DeleteLockout(key)
}

// MemoryStore is a LockoutStore in memory, bounded to a number of keys
// (least recently used forgotten first). A restart forgets it: use it for
// lock-outs that a restart may lift, such as login throttling.
type MemoryStore struct {
	seed   maphash.Seed
	shards [shards]lru[memLockout]
}

type memLockout struct {
	failures uint32
	until    time.Time
}

// NewMemoryStore returns a MemoryStore of at most maxKeys keys (zero means
// DefaultMaxKeys).
func NewMemoryStore(maxKeys int) *MemoryStore {
	if maxKeys <= 0 {
		maxKeys = DefaultMaxKeys
	}
	s := &MemoryStore{seed: maphash.MakeSeed()}
	for i := range s.shards {
		s.shards[i].init((maxKeys + shards - 1) / shards)
	}
	return s
}

func (s *MemoryStore) shard(key string) *lru[memLockout] {
	return &s.shards[maphash.String(s.seed, key)%shards]
}

func (s *MemoryStore) LoadLockout(key string) (uint32, time.Time, error) {
	sh := s.shard(key)
	sh.mu.Lock()
	defer sh.mu.Unlock()
	if v, ok := sh.get(key); ok {
		return v.failures, v.until, nil
	}
	return 0, time.Time{}, nil
}

func (s *MemoryStore) SaveLockout(key string, failures uint32, until time.Time) error {
	sh := s.shard(key)
	sh.mu.Lock()
	defer sh.mu.Unlock()
	sh.put(key, &memLockout{failures, until})
	return nil
}

func (s *MemoryStore) DeleteLockout(key string) error {
	sh := s.shard(key)
	sh.mu.Lock()
	defer sh.mu.Unlock()
	sh.del(key)
	return nil
}
