package sqlstore

import (
	"context"
	"sync"
	"time"

	"github.com/truce-project/truce"
)

// pingTTL is how long a successful readiness probe is taken as the
// answer: /readyz may be polled often, and each probe is a write.
const pingTTL = time.Second

// pinger caches the readiness probe. A failure is never cached, and a
// storage failure any caller met (invalidate) ends the cached success, so
// readiness turns as soon as requests see the database go.
type pinger struct {
	mu    sync.Mutex
	until time.Time
	gen   uint64 // bumped by every invalidation
	// The last write transaction that failed for want of the database
	// (disk full, connection lost) and the last that committed: a probe's
	// one-row write may still fit where real writes no longer do.
	writeFailed, wrote time.Time
}

// writeFailWindow is how long a failed write keeps the store not ready
// unless a write commits meanwhile.
const writeFailWindow = 10 * time.Second

func (p *pinger) invalidate() {
	p.mu.Lock()
	p.until = time.Time{}
	p.gen++
	p.mu.Unlock()
}

// wrote and failedWrite record the outcome of a write transaction.
func (p *pinger) wroteAt(t time.Time) {
	p.mu.Lock()
	p.wrote = t
	p.mu.Unlock()
}

func (p *pinger) failedWrite(t time.Time) {
	p.mu.Lock()
	p.writeFailed, p.until = t, time.Time{}
	p.gen++
	p.mu.Unlock()
}

// Ping checks that the database can be reached and written: a ping and a
// one-row write (the lease "truce:ping", which no one holds), so a full
// disk or a read-only database is not reported ready.
func (s *Store) Ping(ctx context.Context) error {
	p := &s.pinger
	now := time.Now()
	p.mu.Lock()
	failing := p.writeFailed.After(p.wrote) && now.Sub(p.writeFailed) < writeFailWindow
	cached, gen := now.Before(p.until), p.gen
	p.mu.Unlock()
	if failing {
		return truce.Errorf(truce.EUNAVAILABLE, "Writes are failing: the database cannot be written (disk full or connection lost).")
	}
	if cached {
		return nil
	}
	if err := s.db.PingContext(ctx); err != nil {
		return s.wrapProbe(err)
	}
	_, err := s.db.ExecContext(ctx, s.rb.q(`INSERT INTO leases (name, holder, expires_at) VALUES (?, ?, ?)
		ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at`), "truce:ping", "", micros(now))
	if err != nil {
		return s.wrapProbe(err)
	}
	p.mu.Lock()
	if p.gen == gen { // no failure met since the probe began
		p.until = now.Add(pingTTL)
	}
	p.mu.Unlock()
	return nil
}

// noteWrite records a write transaction's outcome for readiness.
func (s *Store) noteWrite(err error) {
	switch truce.ErrorCode(err) {
	case "":
		s.pinger.wroteAt(time.Now())
	case truce.EUNAVAILABLE:
		s.pinger.failedWrite(time.Now())
	}
}

func (s *Store) wrapProbe(err error) error {
	if e := s.wrap(err); truce.ErrorCode(e) != truce.EINTERNAL {
		return e
	}
	return errUnavailable()
}
