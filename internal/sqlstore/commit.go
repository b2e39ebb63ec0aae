// commit.go holds the group committer: Store.Update queues calls, and one
// writer runs them in batches, each in one database transaction, taking a
// failed call out and running the rest again.

package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"sync"

	"github.com/truce-project/truce"
	"golang.org/x/mod/sumdb/tlog"
)

// Update runs fn in a transaction. Concurrent calls are batched into one
// database transaction (group commit); no call returns before the
// transaction holding its change has committed, and a call that fails is
// taken out of the batch, which is then run again without it, so one
// caller's failure never touches another's changes.
func (s *Store) Update(ctx context.Context, fn func(truce.Tx) error) error {
	return s.update(ctx, func(t *tx) error { return fn(t) })
}

// update is Update with the store's own transaction type, from which
// each capability's store is narrowed to the transaction interface it
// declares (see journal.Narrow): the identity function that narrows it
// is where the compiler checks that *tx has the capability's methods.
func (s *Store) update(ctx context.Context, fn func(*tx) error) error {
	r := &request{ctx: ctx, fn: fn, done: make(chan error, 1)}
	select {
	case s.gc.reqs <- r:
	case <-s.gc.quit:
		return truce.Errorf(truce.EUNAVAILABLE, "The store is closed.")
	case <-ctx.Done():
		return truce.Errorf(truce.EUNAVAILABLE, "The request was cancelled.")
	}
	// Once queued, wait for the outcome even if ctx ends: the change may
	// already be committed and the caller must learn that. A call queued
	// as the store closed, after the committer's last drain, is answered
	// here: the committer answers every call it took before it stopped.
	select {
	case err := <-r.done:
		return err
	case <-s.gc.stopped:
		select {
		case err := <-r.done:
			return err
		default:
			return truce.Errorf(truce.EUNAVAILABLE, "The store is closed.")
		}
	}
}

type request struct {
	ctx  context.Context
	fn   func(*tx) error
	done chan error
}

// groupCommitter is the store's single writer. Besides batching, it keeps
// caches that save round trips: the log size it last committed, recent
// Merkle hashes and each subject's latest entry. They are valid only while
// no other process has appended, which it checks at the start of every
// transaction against the locked log head (another server sharing the
// PostgreSQL database makes it drop them).
type groupCommitter struct {
	s    *Store
	reqs chan *request
	max  int
	quit chan struct{}
	// stopped is closed when the committer has stopped.
	stopped chan struct{}
	wg      sync.WaitGroup
	once    sync.Once

	size   int64 // log size after our last commit; -1 unknown
	hashes map[int64]tlog.Hash
	latest map[string]int64
}

const (
	maxCachedSubjects = 1 << 16
)

func newGroupCommitter(s *Store, max int) *groupCommitter {
	g := &groupCommitter{s: s, reqs: make(chan *request, max), max: max, quit: make(chan struct{}), stopped: make(chan struct{}), size: -1}
	g.resetCaches()
	g.wg.Add(1)
	go g.loop()
	return g
}

func (g *groupCommitter) resetCaches() {
	g.hashes = map[int64]tlog.Hash{}
	g.latest = map[string]int64{}
}

func (g *groupCommitter) close() {
	g.once.Do(func() { close(g.quit) })
	g.wg.Wait()
}

func (g *groupCommitter) loop() {
	defer g.wg.Done()
	defer close(g.stopped)
	for {
		var first *request
		select {
		case first = <-g.reqs:
		case <-g.quit:
			for {
				select {
				case r := <-g.reqs:
					g.commit([]*request{r})
				default:
					return
				}
			}
		}
		batch := []*request{first}
	drain:
		for len(batch) < g.max {
			select {
			case r := <-g.reqs:
				batch = append(batch, r)
			default:
				break drain
			}
		}
		g.commit(batch)
	}
}

func (g *groupCommitter) commit(batch []*request) {
	pending := batch[:0:0]
	for _, r := range batch {
		if r.ctx.Err() != nil {
			r.done <- truce.Errorf(truce.EUNAVAILABLE, "The request was cancelled.")
			continue
		}
		pending = append(pending, r)
	}
	for len(pending) > 0 {
		failed, err := g.try(pending)
		g.s.noteWrite(err)
		if failed == fallback {
			// A deferred insert failed where the batch cannot tell whose it
			// was: run each call in a transaction of its own.
			for _, r := range pending {
				_, err := g.try([]*request{r})
				r.done <- err
			}
			return
		}
		if failed < 0 {
			for _, r := range pending {
				r.done <- err
			}
			return
		}
		pending[failed].done <- err
		pending = append(pending[:failed], pending[failed+1:]...)
	}
}

// fallback is try's answer when a deferred insert failed in a batch of
// several calls.
const fallback = -2

// try runs the calls in one transaction. It returns (-1, nil) when all
// committed, (i, err) when call i failed and the transaction was rolled
// back, (fallback, err) when a deferred insert of an unknown call failed,
// and (-1, err) when the transaction itself failed.
func (g *groupCommitter) try(calls []*request) (int, error) {
	s := g.s
	ctx := context.Background()
	b := &batch{g: g}
	var sqlTx *sql.Tx
	if s.d.CopyRows != nil {
		// The transaction runs on a connection of its own, held until it
		// ends, so that its bulk loads (CopyRows) reach the driver's
		// connection the transaction is open on.
		conn, err := s.db.Conn(ctx)
		if err != nil {
			return -1, s.wrap(err)
		}
		defer conn.Close()
		b.conn = conn
		sqlTx, err = conn.BeginTx(ctx, nil)
		if err != nil {
			return -1, s.wrap(err)
		}
	} else {
		var err error
		if sqlTx, err = s.db.BeginTx(ctx, nil); err != nil {
			return -1, s.wrap(err)
		}
	}
	b.tx = sqlTx
	if err := sqlTx.QueryRowContext(ctx, `SELECT size, event_seq FROM log_head WHERE id = 1`+s.d.LockHead).Scan(&b.start, &b.eventSeq); err != nil {
		sqlTx.Rollback()
		return -1, s.wrap(err)
	}
	if b.start != g.size {
		g.resetCaches()
	}
	for i, r := range calls {
		t := &tx{s: s, tx: sqlTx, ctx: ctx, b: b}
		err := t.run(r.fn)
		if err == nil && t.dirty && !t.journaled {
			err = fmt.Errorf("store: a change was made without a journal entry")
		}
		if err == nil && len(calls) == 1 {
			// A lone call owns its deferred inserts: flush them now so a
			// failure is reported as its own.
			err = b.flushPending(ctx)
		}
		if b.pendFailed && len(calls) > 1 {
			sqlTx.Rollback()
			return fallback, s.wrap(err)
		}
		if err != nil {
			sqlTx.Rollback()
			return i, s.wrap(err)
		}
	}
	if err := b.flushPending(ctx); err != nil {
		sqlTx.Rollback()
		if len(calls) > 1 {
			return fallback, s.wrap(err)
		}
		return 0, s.wrap(err)
	}
	if err := b.flush(ctx); err != nil {
		sqlTx.Rollback()
		return -1, s.wrap(err)
	}
	if err := sqlTx.Commit(); err != nil {
		g.size = -1
		return -1, s.wrap(err)
	}
	b.committed()
	if len(b.events) > 0 {
		if f := s.onEvents.Load(); f != nil {
			(*f)(b.events)
		}
	}
	return -1, nil
}
