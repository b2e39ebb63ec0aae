package node

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/truce-project/truce"
)

// The engines (the zone index, the monitor's watched zones and separation
// minima, its aircraft registry) follow committed changes by reading the
// database after each commit. A read that fails there (a dropped
// connection, a busy database) must not leave the change out of the
// engines until a restart: the refresh is retried with backoff until it
// succeeds, /readyz reports the engine stale meanwhile, and every engine
// is reconciled with the database periodically, which also catches a
// change this server never heard of.

var (
	// retryFirst and retryMax bound the backoff between attempts of a
	// failed refresh.
	retryFirst = 50 * time.Millisecond
	retryMax   = 5 * time.Second
	// reconcileEvery is how often the engines are compared with the
	// database.
	reconcileEvery = time.Minute
)

// refresher runs engine refreshes, retrying failed ones until they
// succeed.
type refresher struct {
	log *slog.Logger
	ctx context.Context

	mu      sync.Mutex
	failing map[string]*failedRefresh // key -> what is being retried
	wg      sync.WaitGroup
	retries prometheus.Counter
	stale   prometheus.Counter
}

// failedRefresh is a refresh being retried.
type failedRefresh struct {
	what     string // for /readyz: "zone index: zone X"
	since    time.Time
	attempts int
	err      error
	lock     sync.Locker // held around fn and after on a retry; may be nil
	fn       func(context.Context) error
	after    func() // run after fn succeeds on a retry; may be nil
	kick     chan struct{}
}

func newRefresher(ctx context.Context, log *slog.Logger, reg *prometheus.Registry) *refresher {
	r := &refresher{log: log, ctx: ctx, failing: map[string]*failedRefresh{},
		retries: prometheus.NewCounter(prometheus.CounterOpts{Name: "truce_engine_refresh_retries_total",
			Help: "Engine refreshes after a commit that failed and were tried again."}),
		stale: prometheus.NewCounter(prometheus.CounterOpts{Name: "truce_engine_refresh_failures_total",
			Help: "Engine refreshes after a commit that failed at first (the engine was stale until a retry succeeded)."}),
	}
	if reg != nil {
		reg.MustRegister(r.retries, r.stale)
	}
	return r
}

// do runs fn, the refresh known by key; if it fails, it is retried in the
// background until it succeeds, and /readyz names it meanwhile. A refresh
// already being retried is not run again here: the retry reads the
// database afresh, so it applies this change too (and is woken at once).
// The caller holds lock (if any) while do runs fn; a retry takes it
// around fn and after, which tells the engine what the retry changed.
func (r *refresher) do(key, what string, lock sync.Locker, fn func(context.Context) error, after func()) {
	r.mu.Lock()
	if f, ok := r.failing[key]; ok {
		f.fn, f.after = fn, after
		r.mu.Unlock()
		select {
		case f.kick <- struct{}{}:
		default:
		}
		return
	}
	r.mu.Unlock()
	err := fn(r.ctx)
	if err == nil || r.ctx.Err() != nil {
		return
	}
	r.stale.Inc()
	r.mu.Lock()
	if _, ok := r.failing[key]; ok { // another caller failed first
		r.mu.Unlock()
		return
	}
	f := &failedRefresh{what: what, since: time.Now(), attempts: 1, err: err, lock: lock, fn: fn, after: after, kick: make(chan struct{}, 1)}
	r.failing[key] = f
	r.mu.Unlock()
	r.log.Error("engine refresh failed; retrying", "what", what, "err", err)
	r.wg.Add(1)
	go r.retry(key, f)
}

func (r *refresher) retry(key string, f *failedRefresh) {
	defer r.wg.Done()
	wait := retryFirst
	for {
		t := time.NewTimer(wait)
		select {
		case <-r.ctx.Done():
			t.Stop()
			return
		case <-f.kick:
			t.Stop()
		case <-t.C:
		}
		r.mu.Lock()
		fn, after := f.fn, f.after
		r.mu.Unlock()
		r.retries.Inc()
		if f.lock != nil {
			f.lock.Lock()
		}
		err := fn(r.ctx)
		if err == nil && after != nil {
			after()
		}
		if f.lock != nil {
			f.lock.Unlock()
		}
		r.mu.Lock()
		f.attempts++
		if err == nil {
			delete(r.failing, key)
			r.mu.Unlock()
			r.log.Info("engine refresh succeeded after retries", "what", f.what, "attempts", f.attempts, "stale_for", time.Since(f.since).Round(time.Millisecond))
			return
		}
		f.err = err
		r.mu.Unlock()
		if r.ctx.Err() != nil {
			return
		}
		wait = min(2*wait, retryMax)
	}
}

// problems names every engine that is stale, for /readyz.
func (r *refresher) problems() []string {
	if r == nil {
		return nil
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	for _, f := range r.failing {
		out = append(out, fmt.Sprintf("%s: stale since %s (%d attempts; retrying): %s", f.what, f.since.UTC().Format(time.RFC3339),
			f.attempts, truce.ErrorMessage(f.err)))
	}
	slices.Sort(out)
	return out
}

// wait waits for the retries to end (after the context is cancelled).
func (r *refresher) wait() { r.wg.Wait() }

// startFollowing makes the node's refresher and starts the periodic
// reconciliation of its engines with the database.
func (n *Node) startFollowing() {
	ctx, cancel := context.WithCancel(context.Background())
	n.refresh = newRefresher(ctx, n.log, n.API.Registry())
	done := make(chan struct{})
	var started sync.Once
	n.stopFollowing = func() {
		cancel()
		started.Do(func() { close(done) }) // never started: nothing to wait for
		<-done
		n.refresh.wait()
	}
	// The reconciliation loop starts once Open has set up every engine it
	// brings in step (startReconciling): started here, it read n.Airspace
	// while Open was still setting it (the race detector, TestFollow_Reconciled).
	n.startReconciling = func() {
		started.Do(func() {
			go func() {
				defer close(done)
				t := time.NewTicker(reconcileEvery)
				defer t.Stop()
				for {
					select {
					case <-ctx.Done():
						return
					case <-t.C:
						n.reconcile()
					}
				}
			}()
		})
	}
}

// reconcile brings every engine in step with the database: the zones the
// index lost track of (the monitor's watched zones are those of the
// index), the separation minima. It first reads the journal's heads of the
// kinds those engines follow (followedKinds): when none moved since the
// last reconciliation that succeeded, no entry of those kinds was appended
// by this server or another, and nothing is read again.
func (n *Node) reconcile() {
	print, known := n.followedHeads()
	if known && n.reconciled.same(print) {
		n.reconciled.skipped.Add(1)
		return
	}
	n.reconciled.reloads.Add(1)
	n.refresh.do("reconcile:zones", "zone index: reconciliation with the database", nil, func(ctx context.Context) error {
		changed, err := n.Zones.Index.Reconcile(ctx)
		if err != nil {
			return err
		}
		if len(changed) > 0 {
			n.log.Warn("zone index: zones out of step with the database brought back", "zones", changed)
			if n.Airspace != nil {
				n.Airspace.ZonesChanged()
			}
		}
		if known {
			// The heads read before this reconciliation: a change
			// appended since moves them, and the next one reads again.
			n.reconciled.set(print)
		}
		return nil
	}, nil)
	if n.Airspace != nil {
		n.Airspace.Reconcile()
	}
}

// followedKinds are the journal kinds whose changes the reconciled engines
// follow: zones (their versions and decisions) and agreements (which move
// their zones in and out of force, and hold the separation minima).
var followedKinds = []string{"zone", "agreement"}

// journalHeads is what the SQL stores say of the journal's newest entry
// of each kind.
type journalHeads interface {
	JournalHeads(ctx context.Context, kinds ...string) (map[string]int64, error)
}

// followedHeads returns the heads of followedKinds as one string, and
// false when the read failed (the reconciliation then reads everything).
func (n *Node) followedHeads() (string, bool) {
	st := n.Store
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	heads, err := st.JournalHeads(ctx, followedKinds...)
	if err != nil {
		return "", false
	}
	var b strings.Builder
	for _, k := range followedKinds {
		idx, ok := heads[k]
		if !ok {
			idx = -1
		}
		fmt.Fprintf(&b, "%s=%d;", k, idx)
	}
	return b.String(), true
}

// reconcileState is what the last reconciliation that succeeded read of
// the journal's heads, and how many reconciliations read the database
// (reloads) or found nothing changed (skipped).
type reconcileState struct {
	mu      sync.Mutex
	print   string
	reloads atomic.Int64
	skipped atomic.Int64
}

func (r *reconcileState) same(print string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.print != "" && r.print == print
}

func (r *reconcileState) set(print string) {
	r.mu.Lock()
	r.print = print
	r.mu.Unlock()
}

// followZones applies a committed change to the zone index, retrying until
// it succeeds.
func (n *Node) followZones(e truce.Event) {
	key, what, ok := n.Zones.Index.Follows(e)
	if !ok {
		return
	}
	n.refresh.do(key, what, nil, func(ctx context.Context) error { return n.Zones.Index.Handle(ctx, e) }, func() {
		if n.Airspace != nil {
			// A retry succeeds after the monitor has moved on: show it
			// the zones as they are now.
			n.Airspace.ZonesChanged()
		}
	})
}
