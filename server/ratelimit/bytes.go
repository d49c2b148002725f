package ratelimit

import (
	"math"
	"math/bits"
	"time"
)

// BytesConfig configures a Bytes budget: each key may send Burst bytes at
// once, and PerSecond bytes a second sustained.
type BytesConfig struct {
	Burst     int64
	PerSecond int64
	// MaxKeys bounds the keys remembered, as in Config; zero means
	// DefaultMaxKeys.
	MaxKeys int
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// Bytes is a set of per-key byte budgets: token buckets whose tokens are
// bytes, so that a request is charged what it carries rather than counted
// as one. It is safe for concurrent use.
//
// It is the same GCRA as Limiter's: a bucket's content is kept as the time
// the bucket takes to refill it, n bytes being n/PerSecond seconds, rounded
// up to the nanosecond (never more bytes than the budget).
type Bytes struct {
	buckets
	burst int64
	rate  int64 // bytes per second
}

// NewBytes returns a Bytes budget for cfg. Burst and PerSecond MUST be
// positive, and a full bucket (Burst/PerSecond seconds) at most a century.
func NewBytes(cfg BytesConfig) *Bytes {
	if cfg.Burst <= 0 || cfg.PerSecond <= 0 {
		panic("ratelimit: Burst and PerSecond must be positive")
	}
	if cfg.Burst/cfg.PerSecond > 100*365*24*3600 {
		panic("ratelimit: Burst/PerSecond over a century")
	}
	l := &Bytes{burst: cfg.Burst, rate: cfg.PerSecond}
	l.init(l.cost(cfg.Burst), cfg.MaxKeys, cfg.Now)
	return l
}

// Burst returns the most bytes one Take may be granted.
func (l *Bytes) Burst() int64 { return l.burst }

// cost is the refill time of n bytes (0 ≤ n ≤ burst): ⌈n × 1 s / rate⌉,
// exact in 128 bits. It fits: n/rate is at most a century.
func (l *Bytes) cost(n int64) time.Duration {
	hi, lo := bits.Mul64(uint64(n), uint64(time.Second))
	q, r := bits.Div64(hi, lo, uint64(l.rate))
	if r != 0 {
		q++
	}
	if q > math.MaxInt64 {
		return math.MaxInt64
	}
	return time.Duration(q)
}

// Take takes n bytes from key's budget. If it holds fewer, Take takes
// nothing and reports how long until it will hold n (for a Retry-After
// header). n MUST be at most Burst: a larger take can never be granted,
// and is refused with the time a full bucket takes to refill. A negative n
// counts as 0.
func (l *Bytes) Take(key string, n int64) (bool, time.Duration) {
	if n > l.burst {
		return false, l.capacity
	}
	return l.take(key, l.cost(max(n, 0)))
}

// Give puts n bytes that Take took back into key's budget (a request the
// caller charged, then refused for another reason). The budget never
// holds more than Burst bytes.
func (l *Bytes) Give(key string, n int64) {
	if n > 0 {
		l.give(key, l.cost(min(n, l.burst)))
	}
}

// Len returns how many keys the budget remembers.
func (l *Bytes) Len() int { return l.len() }
