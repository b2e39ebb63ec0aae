package service

import (
	"context"
	"fmt"
	"time"

	"github.com/truce-project/truce"
)

// write is the one way the services change state, and the only one there
// may be: the journal is the record the log signs, and the state is
// checked against it (vouch.go), so a row written without its entry would
// be refused as tampered with, and an entry without its row would vouch
// for nothing.
//
// fn runs inside one store transaction. It reads what it needs through
// tx, decides, and for each change it makes calls tx.Journal, which
// returns the journal index the change's entry has; it writes the record
// with that index (so that the entry's body is the record as stored) and
// returns its result. After fn, write seals each journalled change as made
// by the caller (nil: "system"), appends it, claims the request's
// Idempotency-Key for the first (when the request has one it has not yet
// claimed), and logs each change's event in the same transaction. If fn
// fails, or journals nothing, or any of these steps fails, nothing is
// written. After the commit it reports the appends (OnAppend: metrics,
// checkpoint signing) and the events (OnEvent).
//
// The store may run fn more than once (a shared batch that is retried),
// so fn starts from what it reads, and its result is that of the run that
// was committed.
func write[T any](ctx context.Context, s *Service, caller *truce.Caller, fn func(tx *writeTx) (T, error)) (T, error) {
	party, user := "system", "system"
	if caller != nil {
		party, user = caller.Party.ID, caller.User.ID
	}
	claim := truce.IdempotencyFrom(ctx)
	claiming := claim != nil && !claim.Claimed
	var out T
	var w *writeTx
	err := s.Store.Update(ctx, func(tx truce.Tx) error {
		w = &writeTx{Tx: tx, ctx: ctx, s: s, party: party, user: user}
		if claiming {
			w.claim = claim
		}
		w.next, w.predicted = nextIndex(tx)
		var err error
		out, err = fn(w)
		if w.err != nil {
			return w.err
		}
		if err != nil {
			return err
		}
		return w.finish()
	})
	if err != nil {
		var zero T
		return zero, err
	}
	if claiming {
		claim.Claimed = true
	}
	// What this server remembered of the changed records' rows no longer
	// holds: the next read checks them against their new entries, so a
	// row put back as it was (a revoked token revived) is refused.
	if s.Integrity != nil {
		for _, c := range w.changes {
			s.Integrity.seen.Delete(c.Kind + " " + c.Subject)
		}
	}
	if s.OnAppend != nil {
		for i, c := range w.changes {
			s.OnAppend(c.Kind, w.idxs[i])
		}
	}
	if s.OnEvent != nil {
		for _, ev := range w.events {
			s.OnEvent(*ev)
		}
	}
	return out, nil
}

// writeTx is the transaction a write runs in: the store's, and Journal.
type writeTx struct {
	truce.Tx
	ctx         context.Context
	s           *Service
	party, user string
	claim       *truce.IdempotencyClaim // to claim for the first change; nil: none
	now         time.Time               // the changes' time, set by the first Journal
	// next is the index of the next entry, when the store can predict it
	// (predicted): the entries are then appended after fn, so that each
	// body is the record as fn stored it. A store that cannot predict has
	// each entry appended as it is journalled.
	next      int64
	predicted bool
	changes   []truce.Change
	idxs      []int64
	events    []*truce.Event
	err       error // the first append's or claim's error, returned by write
}

// Journal records that the write makes change c, and returns the journal
// index of its entry, for the record to carry. c.Body is encoded when the
// entry is sealed, after fn returns (when the store can predict indexes):
// it is the record as written.
func (w *writeTx) Journal(c truce.Change) int64 {
	if len(w.changes) == 0 {
		w.now = w.s.Now()
	}
	w.changes = append(w.changes, c)
	if w.predicted {
		idx := w.next + int64(len(w.idxs))
		w.idxs = append(w.idxs, idx)
		return idx
	}
	idx, err := w.append(c)
	if err == nil && len(w.idxs) == 0 {
		err = w.claimFor(idx)
	}
	if err != nil {
		if w.err == nil {
			w.err = err
		}
		return 0
	}
	w.idxs = append(w.idxs, idx)
	return idx
}

// finish appends the predicted entries and claims the Idempotency-Key,
// then logs the changes' events.
func (w *writeTx) finish() error {
	if len(w.changes) == 0 {
		return fmt.Errorf("service: a write journalled no change")
	}
	if w.predicted {
		for i, c := range w.changes {
			idx, err := w.append(c)
			if err != nil {
				return err
			}
			if idx != w.idxs[i] {
				return fmt.Errorf("journal: entry appended at %d, expected at %d", idx, w.idxs[i])
			}
		}
		if err := w.claimFor(w.idxs[0]); err != nil {
			return err
		}
	}
	for i, c := range w.changes {
		if ev := changeEvent(c, w.idxs[i], w.now); ev != nil {
			if err := w.Publish(w.ctx, ev); err != nil {
				return err
			}
			w.events = append(w.events, ev)
		}
	}
	return nil
}

func (w *writeTx) append(c truce.Change) (int64, error) {
	sealed, err := c.Seal(w.party, w.user, w.now)
	if err != nil {
		return 0, err
	}
	return w.Append(w.ctx, sealed)
}

func (w *writeTx) claimFor(idx int64) error {
	if w.claim == nil {
		return nil
	}
	return w.Claim(w.ctx, w.claim, idx)
}

// changeEvent completes a change's event (nil if it has none) with what
// the change and its entry say: kind, subject, journal index, time and
// the entry's visibility, so a stream shows a reader only the changes the
// journal would.
func changeEvent(c truce.Change, idx int64, now time.Time) *truce.Event {
	if c.Event == nil {
		return nil
	}
	e := *c.Event
	if e.Kind == "" {
		e.Kind = c.Kind
	}
	if e.Subject == "" {
		e.Subject = c.Subject
	}
	if e.Time.IsZero() {
		e.Time = now
	}
	if e.Visibility.Scope == "" {
		e.Visibility = c.Visibility
	}
	e.Index = idx
	return &e
}
