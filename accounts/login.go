package accounts

import (
	"context"
	"runtime"
	"strings"
	"time"

	"github.com/truce-project/truce"
	"github.com/truce-project/truce/throttle"
	"golang.org/x/sync/semaphore"
)

// LoginLimits bound sign-ins with a password. Each argon2id check takes
// 19 MiB and tens of milliseconds of a CPU, and the sign-in form answers
// anyone, so without bounds a flood of attempts takes the server's memory
// (64 at once took it from 105 MB to 2 GB) and lets an attacker guess
// without limit. The zero value of a field means its default.
type LoginLimits struct {
	// Hashing is how many password checks may run at once (default: the
	// number of CPUs the process may use); HashWait how long an attempt
	// may wait for one (default 2 s) before it is refused with
	// EUNAVAILABLE (503, Retry-After).
	Hashing  int
	HashWait time.Duration
	// SourceBurst attempts from one source address (an IPv4 address or an
	// IPv6 /64) pass at once, and one more every SourceEvery (defaults 30
	// and 2 s: 30 a minute sustained). Beyond them: ETOOMANY (429).
	SourceBurst int
	SourceEvery time.Duration
	// PairFree consecutive failures for one user name from one source
	// pass (default 5); each further one makes that pair wait PairBase
	// (default 1 s), doubled per failure, up to PairMax (default 15 min).
	PairFree          int
	PairBase, PairMax time.Duration
	// UserFree consecutive failures for one user name from any source
	// pass (default 50: a guessing campaign from many addresses); each
	// further one makes the name wait from 1 s doubling up to UserMax
	// (default 1 min). A source that has signed in as that user before
	// is exempt, so such a campaign cannot lock the user out from where
	// they usually sign in, and elsewhere for no longer than UserMax.
	UserFree int
	UserMax  time.Duration
	// TableSize bounds each table of sources, names and pairs (default
	// throttle.DefaultSize); the least recently seen are forgotten.
	TableSize int
}

func (l LoginLimits) withDefaults() LoginLimits {
	def := func(v *time.Duration, d time.Duration) {
		if *v <= 0 {
			*v = d
		}
	}
	if l.Hashing <= 0 {
		l.Hashing = runtime.GOMAXPROCS(0)
	}
	def(&l.HashWait, 2*time.Second)
	if l.SourceBurst <= 0 {
		l.SourceBurst = 30
	}
	def(&l.SourceEvery, 2*time.Second)
	if l.PairFree <= 0 {
		l.PairFree = 5
	}
	def(&l.PairBase, time.Second)
	def(&l.PairMax, 15*time.Minute)
	if l.UserFree <= 0 {
		l.UserFree = 50
	}
	def(&l.UserMax, time.Minute)
	return l
}

// LoginGuard applies LoginLimits; a Service makes one with the defaults.
type LoginGuard struct {
	lim     LoginLimits
	hashing *semaphore.Weighted
	sources *throttle.Limiters
	pairs   *throttle.Backoff
	users   *throttle.Backoff
}

// NewLoginGuard returns a guard with the limits (zero fields take their
// defaults).
func NewLoginGuard(l LoginLimits) *LoginGuard {
	l = l.withDefaults()
	return &LoginGuard{
		lim:     l,
		hashing: semaphore.NewWeighted(int64(l.Hashing)),
		sources: throttle.NewLimiters(l.SourceEvery, l.SourceBurst, l.TableSize),
		pairs:   throttle.NewBackoff(l.PairFree, l.PairBase, l.PairMax, l.TableSize),
		users:   throttle.NewBackoff(l.UserFree, time.Second, l.UserMax, l.TableSize),
	}
}

// maxPassword is the longest password checked; longer ones fail without
// being hashed (argon2id reads all of it).
const maxPassword = 1024

func errThrottled(wait time.Duration) error {
	return truce.RetryAfter(truce.Errorf(truce.ETOOMANY, "Too many sign-in attempts; try again in %s.", wait.Round(time.Second)), wait)
}

var errBusy = truce.RetryAfter(truce.Errorf(truce.EUNAVAILABLE, "Too many sign-ins at once; try again in a moment."), time.Second)

// guard runs check (a password check) within the limits, for username
// from the context's client source (truce.WithClientAddr).
func (g *LoginGuard) guard(ctx context.Context, now time.Time, username string, check func() (*truce.Caller, error)) (*truce.Caller, error) {
	src := truce.ClientSource(ctx)
	user := strings.ToLower(strings.TrimSpace(username))
	if len(user) > 256 {
		user = user[:256]
	}
	pair := user + "\x00" + src
	if d := g.pairs.Wait(pair, now); d > 0 {
		return nil, errThrottled(d)
	}
	if !g.pairs.Good(pair) {
		if d := g.users.Wait(user, now); d > 0 {
			return nil, errThrottled(d)
		}
	}
	if ok, d := g.sources.Allow(src, 1, now); !ok {
		return nil, errThrottled(d)
	}
	wctx, cancel := context.WithTimeout(ctx, g.lim.HashWait)
	defer cancel()
	if err := g.hashing.Acquire(wctx, 1); err != nil {
		return nil, errBusy
	}
	a, err := check()
	g.hashing.Release(1)
	switch truce.ErrorCode(err) {
	case "":
		g.pairs.Succeed(pair)
		g.users.Succeed(user)
	case truce.EUNAUTHORIZED:
		g.pairs.Fail(pair, now)
		g.users.Fail(user, now)
	}
	return a, err
}
