// Package ratelimit slows down guessing (DESIGN.md §4): per-key token
// buckets for request rates (per IP, per account, per signing link) and
// byte budgets for bulk data (upload chunks), with memory bounded however
// many keys an attacker makes up, and lock-outs that count wrong secrets
// (passwords, PINs, device codes) and lock a key after N of them. Lock-outs that must survive a restart — a signing link locked
// after five wrong PINs stays locked — are kept in a LockoutStore, which
// *store.Store implements.
package ratelimit

import (
	"container/list"
	"hash/maphash"
	"math"
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
	buckets
	interval time.Duration // one token per interval
}

// buckets is the core of Limiter and Bytes: per-key GCRA buckets whose
// content is measured in time (the time the bucket takes to refill it), in
// bounded shards.
type buckets struct {
	capacity time.Duration // a full bucket
	now      func() time.Time
	seed     maphash.Seed
	shards   [shards]lru[bucket]
}

type bucket struct {
	// tat is when the bucket will be full again; a take of cost c is
	// allowed if tat+c is at most capacity in the future.
	tat time.Time
}

// New returns a Limiter for cfg. Burst and Refill MUST be positive.
func New(cfg Config) *Limiter {
	if cfg.Burst <= 0 || cfg.Refill <= 0 {
		panic("ratelimit: Burst and Refill must be positive")
	}
	if cfg.Refill > math.MaxInt64/time.Duration(cfg.Burst) {
		panic("ratelimit: Burst × Refill overflows")
	}
	l := &Limiter{interval: cfg.Refill}
	l.init(time.Duration(cfg.Burst)*cfg.Refill, cfg.MaxKeys, cfg.Now)
	return l
}

func (b *buckets) init(capacity time.Duration, maxKeys int, now func() time.Time) {
	b.capacity, b.now, b.seed = capacity, now, maphash.MakeSeed()
	if b.now == nil {
		b.now = time.Now
	}
	if maxKeys <= 0 {
		maxKeys = DefaultMaxKeys
	}
	for i := range b.shards {
		b.shards[i].init((maxKeys + shards - 1) / shards)
	}
}

func (b *buckets) shard(key string) *lru[bucket] {
	return &b.shards[maphash.String(b.seed, key)%shards]
}

// take takes cost from key's bucket if it holds that much; if not, it
// takes nothing and reports how long until the bucket will hold it.
func (b *buckets) take(key string, cost time.Duration) (bool, time.Duration) {
	now := b.now()
	s := b.shard(key)
	s.mu.Lock()
	defer s.mu.Unlock()
	bk, ok := s.get(key)
	if !ok {
		bk = &bucket{tat: now}
		s.put(key, bk)
	}
	tat := bk.tat
	if tat.Before(now) {
		tat = now
	}
	if ahead := tat.Add(cost).Sub(now); ahead > b.capacity {
		return false, ahead - b.capacity
	}
	bk.tat = tat.Add(cost)
	return true, 0
}

// give puts cost back into key's bucket, as if a take of it had not
// happened. A bucket never holds more than its capacity: a tat in the past
// counts as now. A forgotten key's bucket is full already.
func (b *buckets) give(key string, cost time.Duration) {
	s := b.shard(key)
	s.mu.Lock()
	defer s.mu.Unlock()
	if bk, ok := s.get(key); ok {
		bk.tat = bk.tat.Add(-cost)
	}
}

// Allow takes one token from key's bucket and reports whether there was one.
func (l *Limiter) Allow(key string) bool {
	ok, _ := l.Take(key)
	return ok
}

// Take takes one token from key's bucket. If there is none, it reports how
// long until there will be one (for a Retry-After header).
func (l *Limiter) Take(key string) (bool, time.Duration) {
	return l.take(key, l.interval)
}

// Give puts back one token that Take took from key's bucket, for a request
// that the caller decides, once it has served it, not to count (the API
// counts large upload chunks by their bytes instead). The bucket never
// holds more than Burst tokens.
func (l *Limiter) Give(key string) {
	l.give(key, l.interval)
}

// Len returns how many keys the Limiter remembers.
func (l *Limiter) Len() int { return l.len() }

func (b *buckets) len() int {
	n := 0
	for i := range b.shards {
		b.shards[i].mu.Lock()
		n += b.shards[i].ll.Len()
		b.shards[i].mu.Unlock()
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
