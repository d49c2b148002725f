// Package ratelimit slows down guessing (DESIGN.md §4): per-key token
// buckets for request rates (per IP, per account, per signing link), with
// memory bounded however many keys an attacker makes up, and lock-outs that
// count wrong secrets (passwords, PINs, device codes) and lock a key after N
// of them. Lock-outs that must survive a restart — a signing link locked
// after five wrong PINs stays locked — are kept in a LockoutStore, which
// *store.Store implements.
package ratelimit

import (
	"container/list"
	"hash/maphash"
	"sync"
	"time"
)

// Config configures a Limiter: each key gets a bucket of Burst tokens,
// refilled at one token per Refill.
type Config struct {
	Burst  int
	Refill time.Duration
	// MaxKeys bounds the keys remembered; the least recently used are
	// forgotten first (a forgotten key starts again with a full bucket).
	// Zero means DefaultMaxKeys.
	MaxKeys int
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// DefaultMaxKeys is the default bound on the keys a Limiter or an in-memory
// lock-out table remembers: about 10 MB at most.
const DefaultMaxKeys = 100_000

const shards = 16

// Limiter is a set of per-key token buckets. It is safe for concurrent use.
//
// Buckets are kept as GCRA does: one "theoretical arrival time" per key, in
// integer time, so refills are exact and a bucket is 24 bytes.
type Limiter struct {
	interval  time.Duration // one token per interval
	tolerance time.Duration // (burst-1) intervals
	now       func() time.Time
	seed      maphash.Seed
	shards    [shards]lru[bucket]
}

type bucket struct {
	// tat is when the bucket will be full again; a request is allowed if
	// tat is at most tolerance in the future.
	tat time.Time
}

// New returns a Limiter for cfg. Burst and Refill MUST be positive.
func New(cfg Config) *Limiter {
	if cfg.Burst <= 0 || cfg.Refill <= 0 {
		panic("ratelimit: Burst and Refill must be positive")
	}
	l := &Limiter{interval: cfg.Refill, tolerance: time.Duration(cfg.Burst-1) * cfg.Refill, now: cfg.Now, seed: maphash.MakeSeed()}
	if l.now == nil {
		l.now = time.Now
	}
	max := cfg.MaxKeys
	if max <= 0 {
		max = DefaultMaxKeys
	}
	for i := range l.shards {
		l.shards[i].init((max + shards - 1) / shards)
	}
	return l
}

func (l *Limiter) shard(key string) *lru[bucket] {
	return &l.shards[maphash.String(l.seed, key)%shards]
}

// Allow takes one token from key's bucket and reports whether there was one.
func (l *Limiter) Allow(key string) bool {
	ok, _ := l.Take(key)
	return ok
}

// Take takes one token from key's bucket. If there is none, it reports how
// long until there will be one (for a Retry-After header).
func (l *Limiter) Take(key string) (bool, time.Duration) {
	now := l.now()
	s := l.shard(key)
	s.mu.Lock()
	defer s.mu.Unlock()
	b, ok := s.get(key)
	if !ok {
		b = &bucket{tat: now}
		s.put(key, b)
	}
	tat := b.tat
	if tat.Before(now) {
		tat = now
	}
	if ahead := tat.Sub(now); ahead > l.tolerance {
		return false, ahead - l.tolerance
	}
	b.tat = tat.Add(l.interval)
	return true, 0
}

// Len returns how many keys the Limiter remembers.
func (l *Limiter) Len() int {
	n := 0
	for i := range l.shards {
		l.shards[i].mu.Lock()
		n += l.shards[i].ll.Len()
		l.shards[i].mu.Unlock()
	}
	return n
}

// lru is a bounded map with least-recently-used eviction. Callers hold mu.
type lru[V any] struct {
	mu  sync.Mutex
	max int
	ll  *list.List // of *entry[V], most recent first
	m   map[string]*list.Element
}

type entry[V any] struct {
	key string
	val *V
}

func (c *lru[V]) init(max int) {
	c.max, c.ll, c.m = max, list.New(), make(map[string]*list.Element)
}

func (c *lru[V]) get(key string) (*V, bool) {
	el, ok := c.m[key]
	if !ok {
		return nil, false
	}
	c.ll.MoveToFront(el)
	return el.Value.(*entry[V]).val, true
}

func (c *lru[V]) put(key string, v *V) {
	if el, ok := c.m[key]; ok {
		el.Value.(*entry[V]).val = v
		c.ll.MoveToFront(el)
		return
	}
	for c.ll.Len() >= c.max {
		old := c.ll.Back()
		c.ll.Remove(old)
		delete(c.m, old.Value.(*entry[V]).key)
	}
	c.m[key] = c.ll.PushFront(&entry[V]{key: key, val: v})
}

func (c *lru[V]) del(key string) {
	if el, ok := c.m[key]; ok {
		c.ll.Remove(el)
		delete(c.m, key)
	}
}
