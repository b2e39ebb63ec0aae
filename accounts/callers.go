package accounts

import (
	"slices"
	"sync"
	"time"

	"github.com/truce-project/truce"
)

// Defaults of a CallerCache.
const (
	DefaultCallerCacheSize = 10000
	DefaultCallerMaxAge    = time.Second
)

// CallerCache holds the callers that AuthenticateToken vouched for, keyed
// by their token's SHA-256, so that a client sending many requests with
// one token is not re-read (token, user, party and their journal entries)
// on every one.
//
// What it guarantees: a cached caller is one the vouched read
// (journal.VouchOne of the token, the user and the party, in one read
// snapshot) found good at most MaxAge ago, and before any accounts change
// this server has heard of since:
//   - every write of the accounts service (a token revoked, a user
//     disabled, a party's key rotated …) empties the cache once it has
//     committed, and a vouched read that began before that write does not
//     put its (older) caller in (the generation check in put);
//   - the changes of other servers sharing the database arrive as events
//     ("token", "user", "party"; the node calls Forget), within the bus's
//     follow delay (events.Options.PollEvery, one second by default, at
//     once over a Transport);
//   - whatever no event reports, a row edited behind the service included,
//     is caught by the vouched read when the entry has expired (MaxAge) or
//     was never cached: the cache never serves a caller older than MaxAge,
//     and never one the vouched read refused (errors are not cached).
//
// A token's expiry bounds its entry too. At most Size callers are held;
// past that an arbitrary one is dropped. Its zero value is not usable:
// make one with NewCallerCache.
type CallerCache struct {
	size   int
	maxAge time.Duration

	mu      sync.Mutex
	gen     uint64 // bumped by Forget
	callers map[[32]byte]cachedCaller
}

type cachedCaller struct {
	c       truce.Caller
	expires time.Time
}

// NewCallerCache returns a cache of at most size callers (default
// DefaultCallerCacheSize), each kept at most maxAge (default
// DefaultCallerMaxAge).
func NewCallerCache(size int, maxAge time.Duration) *CallerCache {
	if size <= 0 {
		size = DefaultCallerCacheSize
	}
	if maxAge <= 0 {
		maxAge = DefaultCallerMaxAge
	}
	return &CallerCache{size: size, maxAge: maxAge, callers: map[[32]byte]cachedCaller{}}
}

// get returns a copy of the caller cached for the token hash, if it has not
// expired at now, and the cache's generation (for put).
func (c *CallerCache) get(hash [32]byte, now time.Time) (*truce.Caller, uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.callers[hash]
	if !ok {
		return nil, c.gen
	}
	if !now.Before(e.expires) {
		delete(c.callers, hash)
		return nil, c.gen
	}
	return copyCaller(&e.c), c.gen
}

// put caches a caller vouched for from a read that began at generation
// gen: if the cache was emptied since, the caller may be older than the
// change that emptied it, and is not kept.
func (c *CallerCache) put(hash [32]byte, a *truce.Caller, gen uint64, now time.Time, tokenExpires *time.Time) {
	expires := now.Add(c.maxAge)
	if tokenExpires != nil && tokenExpires.Before(expires) {
		expires = *tokenExpires
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if gen != c.gen {
		return
	}
	if _, ok := c.callers[hash]; !ok && len(c.callers) >= c.size {
		for k := range c.callers {
			delete(c.callers, k)
			break
		}
	}
	c.callers[hash] = cachedCaller{c: *copyCaller(a), expires: expires}
}

// Forget empties the cache: an accounts record (a token, a user, a party)
// changed. It is called after the change commits. Accounts change seldom,
// so emptying it all is cheaper than keeping an index by record.
func (c *CallerCache) Forget() {
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	clear(c.callers)
}

// Len returns how many callers are cached.
func (c *CallerCache) Len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.callers)
}

// copyCaller copies a caller deeply enough that a request changing its
// caller (its user's roles, say) does not change the cached one.
func copyCaller(a *truce.Caller) *truce.Caller {
	out := *a
	if a.User != nil {
		u := *a.User
		u.Roles = slices.Clone(u.Roles)
		out.User = &u
	}
	if a.Party != nil {
		p := *a.Party
		out.Party = &p
	}
	return &out
}
