package ratelimit_test

import (
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/cockroachdb/pebble/v2/vfs"

	"vellum.dev/vellum/server/ratelimit"
	"vellum.dev/vellum/server/store"
)

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func newClock() *clock { return &clock{t: time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC)} }

func TestBucket(t *testing.T) {
	c := newClock()
	l := ratelimit.New(ratelimit.Config{Burst: 3, Refill: 10 * time.Second, Now: c.Now})
	for i := 0; i < 3; i++ {
		if !l.Allow("ip:192.0.2.1") {
			t.Fatalf("request %d of the burst refused", i+1)
		}
	}
	ok, wait := l.Take("ip:192.0.2.1")
	if ok || wait != 10*time.Second {
		t.Fatalf("after the burst: %v, retry after %v", ok, wait)
	}
	// Other keys are independent.
	if !l.Allow("ip:192.0.2.2") {
		t.Fatal("another key was limited")
	}
	c.Add(4 * time.Second)
	if ok, wait := l.Take("ip:192.0.2.1"); ok || wait != 6*time.Second {
		t.Fatalf("partly refilled: %v %v", ok, wait)
	}
	c.Add(6 * time.Second)
	if !l.Allow("ip:192.0.2.1") || l.Allow("ip:192.0.2.1") {
		t.Fatal("one token should have come back")
	}
	// Refill stops at the burst.
	c.Add(time.Hour)
	n := 0
	for l.Allow("ip:192.0.2.1") {
		n++
	}
	if n != 3 {
		t.Fatalf("%d tokens after a long idle, want the burst of 3", n)
	}
	// A clock that steps back refills nothing.
	c.Add(-time.Hour)
	if l.Allow("ip:192.0.2.1") {
		t.Fatal("a backwards clock refilled the bucket")
	}
}

func TestBoundedMemory(t *testing.T) {
	c := newClock()
	l := ratelimit.New(ratelimit.Config{Burst: 1, Refill: time.Hour, MaxKeys: 160, Now: c.Now})
	for i := 0; i < 10000; i++ {
		l.Allow(fmt.Sprintf("acct:%d", i))
	}
	if n := l.Len(); n > 160 {
		t.Fatalf("remembers %d keys, bound is 160", n)
	}
	// A recently used key survives a flood of others in its shard less
	// than the bound; the oldest ones are forgotten (full bucket again).
	if !l.Allow("acct:0") {
		t.Fatal("a long-evicted key should start with a full bucket")
	}
}

func TestLockouts(t *testing.T) {
	c := newClock()
	l := ratelimit.NewLockouts(ratelimit.LockoutConfig{MaxFailures: 5, LockFor: 15 * time.Minute, Now: c.Now})
	for want := 4; want >= 1; want-- {
		left, err := l.Fail("login:alice")
		if err != nil || left != want {
			t.Fatalf("Fail = %d, %v; want %d left", left, err, want)
		}
	}
	if err := l.Check("login:alice"); err != nil {
		t.Fatalf("locked early: %v", err)
	}
	left, err := l.Fail("login:alice")
	var le *ratelimit.LockedError
	if left != 0 || !errors.As(err, &le) || !errors.Is(err, ratelimit.ErrLocked) || !le.Until.Equal(c.Now().Add(15*time.Minute)) {
		t.Fatalf("fifth failure: %d, %v", left, err)
	}
	if err := l.Check("login:alice"); !errors.Is(err, ratelimit.ErrLocked) {
		t.Fatalf("Check while locked: %v", err)
	}
	if _, err := l.Fail("login:alice"); !errors.Is(err, ratelimit.ErrLocked) {
		t.Fatalf("Fail while locked: %v", err)
	}
	if err := l.Check("login:bob"); err != nil {
		t.Fatal("another key is locked")
	}
	c.Add(15 * time.Minute)
	if err := l.Check("login:alice"); err != nil {
		t.Fatalf("lock did not run out: %v", err)
	}
	if left, _ := l.Fail("login:alice"); left != 4 {
		t.Fatalf("count did not start again: %d left", left)
	}
	if err := l.Reset("login:alice"); err != nil {
		t.Fatal(err)
	}
	if left, _ := l.Fail("login:alice"); left != 4 {
		t.Fatalf("Reset did not clear: %d left", left)
	}
}

// TestPINLockSurvivesRestart: a signing link locked after five wrong PINs
// stays locked (LockFor 0) across a restart, through the store.
func TestPINLockSurvivesRestart(t *testing.T) {
	fs := vfs.NewMem()
	c := newClock()
	s, err := store.Open("db", &store.Options{FS: fs, MemTableSize: 1 << 20})
	if err != nil {
		t.Fatal(err)
	}
	var _ ratelimit.LockoutStore = s
	pins := ratelimit.NewLockouts(ratelimit.LockoutConfig{MaxFailures: 5, Store: s, Now: c.Now})
	for i := 0; i < 5; i++ {
		pins.Fail("link/abc")
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s, err = store.Open("db", &store.Options{FS: fs, MemTableSize: 1 << 20})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	pins = ratelimit.NewLockouts(ratelimit.LockoutConfig{MaxFailures: 5, Store: s, Now: c.Now})
	c.Add(365 * 24 * time.Hour)
	err = pins.Check("link/abc")
	var le *ratelimit.LockedError
	if !errors.As(err, &le) || !le.Until.IsZero() {
		t.Fatalf("after restart and a year: %v", err)
	}
	if err := pins.Reset("link/abc"); err != nil {
		t.Fatal(err)
	}
	if err := pins.Check("link/abc"); err != nil {
		t.Fatalf("after Reset: %v", err)
	}
}

// TestConcurrentFailuresCount: N concurrent wrong guesses lock after exactly
// MaxFailures, and no more than MaxFailures are let through.
func TestConcurrentFailuresCount(t *testing.T) {
	l := ratelimit.NewLockouts(ratelimit.LockoutConfig{MaxFailures: 5})
	var wg sync.WaitGroup
	var mu sync.Mutex
	accepted, locked := 0, 0
	for i := 0; i < 100; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := l.Fail("pin")
			mu.Lock()
			defer mu.Unlock()
			if err == nil {
				accepted++
			} else if errors.Is(err, ratelimit.ErrLocked) {
				locked++
			}
		}()
	}
	wg.Wait()
	if accepted != 4 || locked != 96 {
		t.Fatalf("%d failures counted before the lock, %d refused; want 4 and 96", accepted, locked)
	}
}

func TestMemoryStoreBounded(t *testing.T) {
	s := ratelimit.NewMemoryStore(32)
	for i := 0; i < 1000; i++ {
		s.SaveLockout(fmt.Sprint(i), 1, time.Time{})
	}
	kept := 0
	for i := 0; i < 1000; i++ {
		if n, _, _ := s.LoadLockout(fmt.Sprint(i)); n == 1 {
			kept++
		}
	}
	if kept > 32 || kept == 0 {
		t.Fatalf("memory store kept %d keys, bound 32", kept)
	}
}

// TestGive: a token given back is there for the next request, and giving
// never fills a bucket beyond its burst.
func TestGive(t *testing.T) {
	c := newClock()
	l := ratelimit.New(ratelimit.Config{Burst: 2, Refill: time.Minute, Now: c.Now})
	for range 10 {
		if !l.Allow("ip") {
			t.Fatal("a request whose token was given back was refused")
		}
		l.Give("ip")
	}
	// Given back on a full bucket (and on a key never seen): still 2.
	l.Give("ip")
	l.Give("other")
	for _, key := range []string{"ip", "other"} {
		n := 0
		for l.Allow(key) {
			n++
		}
		if n != 2 {
			t.Fatalf("%s: %d tokens after gifts to a full bucket, want the burst of 2", key, n)
		}
	}
	// An empty bucket given one token holds exactly one.
	l.Give("ip")
	if !l.Allow("ip") || l.Allow("ip") {
		t.Fatal("one token given to an empty bucket")
	}
}

// TestBytes: a byte budget lets a client send its burst at once and then
// PerSecond bytes a second, however the bytes are cut into takes; a take
// it cannot afford is refused with the exact wait and charges nothing.
func TestBytes(t *testing.T) {
	c := newClock()
	const mib = 1 << 20
	l := ratelimit.NewBytes(ratelimit.BytesConfig{Burst: 64 * mib, PerSecond: 256 * mib, Now: c.Now})
	if l.Burst() != 64*mib {
		t.Fatalf("Burst %d", l.Burst())
	}
	// 2 GiB in 2 MiB chunks at 200 MiB/s, under the budget's 256 MiB/s:
	// every chunk passes (the request limiter's 600 would have stopped it
	// at 1.2 GiB).
	for i := range 1024 {
		if ok, wait := l.Take("ip", 2*mib); !ok {
			t.Fatalf("chunk %d of 2 GiB at 200 MiB/s refused, retry after %v", i+1, wait)
		}
		c.Add(10 * time.Millisecond)
	}
	// Faster than the budget: the burst, then refused.
	c.Add(time.Hour)
	sent := int64(0)
	for {
		ok, wait := l.Take("ip", 4*mib)
		if !ok {
			// The bucket is empty: 4 MiB take 1/64 s to come back.
			if wait != time.Second/64 {
				t.Fatalf("retry after %v, want %v", wait, time.Second/64)
			}
			break
		}
		sent += 4 * mib
		if sent > 64*mib {
			t.Fatal("more than the burst at once")
		}
	}
	if sent != 64*mib {
		t.Fatalf("burst of %d bytes, want %d", sent, 64*mib)
	}
	// Partly refilled: 1 MiB back after 1/256 s, not yet 4 MiB.
	c.Add(time.Second / 256)
	if ok, wait := l.Take("ip", 4*mib); ok || wait != 3*time.Second/256 {
		t.Fatalf("partly refilled: %v, retry after %v", ok, wait)
	}
	if ok, _ := l.Take("ip", mib); !ok {
		t.Fatal("1 MiB refilled, refused")
	}
	// Given back: there again; never beyond the burst.
	l.Give("ip", mib)
	if ok, _ := l.Take("ip", mib); !ok {
		t.Fatal("bytes given back, refused")
	}
	c.Add(time.Hour)
	l.Give("ip", 64*mib)
	if ok, _ := l.Take("ip", 64*mib); !ok {
		t.Fatal("a full bucket refused its burst")
	}
	if ok, _ := l.Take("ip", 1); ok {
		t.Fatal("a bucket given bytes while full held more than its burst")
	}
	// Other keys are independent; a take over the burst never passes.
	if ok, _ := l.Take("other", 64*mib); !ok {
		t.Fatal("another key was limited")
	}
	c.Add(time.Hour)
	if ok, wait := l.Take("other", 64*mib+1); ok || wait <= 0 {
		t.Fatalf("a take over the burst: %v, retry after %v", ok, wait)
	}
	if ok, _ := l.Take("other", 64*mib); !ok {
		t.Fatal("a refused take charged the budget")
	}
}

// TestBytesRounding: costs round up, so that takes of odd sizes never
// add up to more than the budget.
func TestBytesRounding(t *testing.T) {
	c := newClock()
	l := ratelimit.NewBytes(ratelimit.BytesConfig{Burst: 3000, PerSecond: 3, Now: c.Now}) // 1/3 s a byte
	n := 0
	for {
		if ok, _ := l.Take("k", 7); !ok {
			break
		}
		n += 7
	}
	if n > 3000 || n < 3000-7 {
		t.Fatalf("%d bytes through a budget of 3000 in takes of 7", n)
	}
	c.Add(time.Hour)
	// After an hour at 3 bytes a second: full again, and no more.
	if ok, _ := l.Take("k", 3000); !ok {
		t.Fatal("not full after an hour")
	}
	if ok, _ := l.Take("k", 1); ok {
		t.Fatal("more than the burst")
	}
}
