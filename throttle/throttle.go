// Package throttle bounds how often a caller may do something: a token
// bucket per key (golang.org/x/time/rate) and a failure backoff per key,
// each table a bounded LRU (github.com/hashicorp/golang-lru/v2), so a
// flood of distinct keys (addresses, user names, tokens) costs a fixed
// amount of memory: the least recently used key is forgotten first.
package throttle

import (
	"sync"
	"time"

	lru "github.com/hashicorp/golang-lru/v2"
	"golang.org/x/time/rate"
)

// DefaultSize is how many keys a table remembers by default.
const DefaultSize = 10_000

// Limiters holds one token bucket per key: Burst tokens, refilled one per
// Every.
type Limiters struct {
	every time.Duration
	burst int
	mu    sync.Mutex // makes get-or-create atomic
	table *lru.Cache[string, *rate.Limiter]
}

// NewLimiters returns a table of buckets of burst tokens refilled one per
// every, remembering at most size keys (DefaultSize when size <= 0).
func NewLimiters(every time.Duration, burst, size int) *Limiters {
	if size <= 0 {
		size = DefaultSize
	}
	t, _ := lru.New[string, *rate.Limiter](size)
	return &Limiters{every: every, burst: max(1, burst), table: t}
}

// Allow takes n tokens from key's bucket at now. When there are not enough
// it takes none and reports how long until there would be.
func (l *Limiters) Allow(key string, n int, now time.Time) (bool, time.Duration) {
	l.mu.Lock()
	lim, ok := l.table.Get(key)
	if !ok {
		lim = rate.NewLimiter(rate.Every(l.every), l.burst)
		l.table.Add(key, lim)
	}
	l.mu.Unlock()
	n = min(n, l.burst) // a request larger than the bucket waits for a full one
	r := lim.ReserveN(now, n)
	if d := r.DelayFrom(now); d > 0 {
		r.CancelAt(now)
		return false, d
	}
	return true, 0
}

// Len returns how many keys the table holds.
func (l *Limiters) Len() int { return l.table.Len() }

// Backoff counts consecutive failures per key. Past Free of them, each
// further failure makes the key wait Base, doubled per failure, up to Max.
type Backoff struct {
	free      int
	base, cap time.Duration
	mu        sync.Mutex
	table     *lru.Cache[string, *backoff]
}

type backoff struct {
	failures int
	until    time.Time
	good     bool // the key has succeeded before
}

// NewBackoff returns a backoff table remembering at most size keys
// (DefaultSize when size <= 0).
func NewBackoff(free int, base, cap time.Duration, size int) *Backoff {
	if size <= 0 {
		size = DefaultSize
	}
	t, _ := lru.New[string, *backoff](size)
	return &Backoff{free: free, base: base, cap: cap, table: t}
}

// Wait returns how long key must still wait at now before its next try
// (0: it may try now).
func (b *Backoff) Wait(key string, now time.Time) time.Duration {
	b.mu.Lock()
	defer b.mu.Unlock()
	if s, ok := b.table.Get(key); ok && now.Before(s.until) {
		return s.until.Sub(now)
	}
	return 0
}

// Fail records a failure of key at now and returns the wait it now has.
func (b *Backoff) Fail(key string, now time.Time) time.Duration {
	b.mu.Lock()
	defer b.mu.Unlock()
	s, ok := b.table.Get(key)
	if !ok {
		s = &backoff{}
		b.table.Add(key, s)
	}
	s.failures++
	if over := s.failures - b.free; over > 0 {
		d := b.base
		for i := 1; i < over && d < b.cap; i++ {
			d *= 2
		}
		s.until = now.Add(min(d, b.cap))
		return min(d, b.cap)
	}
	return 0
}

// Succeed forgets key's failures and remembers that it succeeded.
func (b *Backoff) Succeed(key string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.table.Add(key, &backoff{good: true})
}

// Good reports whether key has succeeded before (and is still
// remembered).
func (b *Backoff) Good(key string) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	s, ok := b.table.Get(key)
	return ok && s.good
}

// Len returns how many keys the table holds.
func (b *Backoff) Len() int { return b.table.Len() }
