package journal

import (
	"context"
	"fmt"
	"log/slog"
	"reflect"
	"time"

	"github.com/truce-project/truce"
	"github.com/truce-project/truce/ledger"
)

// Tx is the journal's part of a store transaction: what Write needs of
// every capability's transaction. A capability's own transaction
// interface embeds it and adds its record writes and reads.
type Tx interface {
	// Append journals a change and returns its index. Prev is filled in
	// from the subject's latest entry.
	Append(ctx context.Context, c *truce.SealedChange) (int64, error)
	// Publish logs an event for live delivery in the same transaction as
	// the change it reports (see truce.Tx.Publish).
	Publish(ctx context.Context, e *truce.Event) error
	// Claim records, in the write's transaction, that the write is the one
	// made for the request's Idempotency-Key (at journal index idx);
	// ECONFLICT if the key is already claimed or answered.
	Claim(ctx context.Context, c *truce.IdempotencyClaim, idx int64) error
}

// Store runs functions in store transactions that a capability sees as X:
// truce.Store is a Store[truce.Tx]; a capability's store interface embeds
// Store[its Tx] (see Narrow for how one is made from the SQL store).
type Store[X Tx] interface {
	// Update runs fn in one database transaction; a change that was not
	// journalled is rolled back (EINTERNAL).
	Update(ctx context.Context, fn func(tx X) error) error
}

// Narrow returns the store st whose transactions are seen as X: as is the
// identity, written where the store is wired (func(t S) X { return t }),
// so that the compiler checks there, once, that the store's transaction
// has every method of the capability's. No type assertion is made.
func Narrow[X, S Tx](st Store[S], as func(S) X) Store[X] {
	return narrowed[X, S]{st, as}
}

type narrowed[X, S Tx] struct {
	st Store[S]
	as func(S) X
}

func (n narrowed[X, S]) Update(ctx context.Context, fn func(X) error) error {
	return n.st.Update(ctx, func(tx S) error { return fn(n.as(tx)) })
}

// Reader is what the journal reads of the store to vouch for state: a
// subject's entries. A store that also has SubjectsJournal (a page of
// subjects' entries in one query, as the SQL stores do) is read a page at
// a time.
type Reader interface {
	// SubjectJournal returns every entry of one record, oldest first.
	SubjectJournal(ctx context.Context, kind, subject string) ([]*truce.JournalRecord, error)
}

// Journal is what the write path and the state checks share across the
// capabilities: one value per server, so that a hook set on it (OnAppend,
// OnEvent) and the records it found changed (Integrity) hold for every
// capability's writes and reads.
type Journal struct {
	// Entries reads the journal's entries, for the state checks.
	Entries Reader
	// Ledger is the signed log over the journal; the state checks check
	// each entry against its Merkle tree leaf when it is set.
	Ledger ledger.Storage
	// Now is the clock of the changes' entries.
	Now func() time.Time
	Log *slog.Logger
	// OnAppend, when set, is called with the journal index of every
	// committed change (metrics, checkpoint signing, the event bus).
	OnAppend func(kind string, index int64)
	// OnEvent, when set, is given each committed change's event (already
	// logged for streams and webhooks in the change's transaction), for
	// the in-process engines that follow changes. It runs before the
	// write returns, so a caller reads its own writes from those engines.
	OnEvent func(truce.Event)
	// Integrity collects the stored records found not to match their
	// journal entries (vouch.go).
	Integrity *Integrity
}

// New returns a Journal over the entries of r, on the service clock,
// logging to slog's default logger.
func New(r Reader) *Journal {
	return &Journal{Entries: r, Now: Now, Log: slog.Default(), Integrity: &Integrity{}}
}

// Now is the service clock: UTC, truncated to the microsecond that both
// databases store, so a record reads back equal to what was written.
func Now() time.Time { return time.Now().UTC().Truncate(time.Microsecond) }

// Write is the one way the capabilities change state, and the only one
// there may be: the journal is the record the log signs, and the state is
// checked against it (vouch.go), so a row written without its entry would
// be refused as tampered with, and an entry without its row would vouch
// for nothing.
//
// fn runs inside one transaction of st. It reads what it needs through
// tx, decides, and for each change it makes calls w.Journal, which
// returns the journal index the change's entry has; it writes the record
// with that index (so that the entry's body is the record as stored) and
// returns its result. After fn, Write seals each journalled change as made
// by the caller (nil: "system"), appends it, claims the request's
// Idempotency-Key for the first (when the request has one it has not yet
// claimed), and logs each change's event in the same transaction. If fn
// fails, or journals nothing, or any of these steps fails, nothing is
// written. After the commit it forgets what j remembered of the changed
// records' rows, and reports the appends (OnAppend: metrics, checkpoint
// signing) and the events (OnEvent).
//
// The store may run fn more than once (a shared batch that is retried),
// so fn starts from what it reads, and its result is that of the run that
// was committed.
func Write[X Tx, T any](ctx context.Context, j *Journal, st Store[X], caller *truce.Caller, fn func(tx X, w *Writer) (T, error)) (T, error) {
	party, user := "system", "system"
	if caller != nil {
		party, user = caller.Party.ID, caller.User.ID
	}
	claim := truce.IdempotencyFrom(ctx)
	claiming := claim != nil && !claim.Claimed
	var out T
	var w *Writer
	err := st.Update(ctx, func(tx X) error {
		w = &Writer{tx: tx, ctx: ctx, j: j, party: party, user: user}
		if claiming {
			w.claim = claim
		}
		w.next, w.predicted = nextIndex(tx)
		var err error
		out, err = fn(tx, w)
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
	if j.Integrity != nil {
		for _, c := range w.changes {
			j.Integrity.seen.Delete(c.Kind + " " + c.Subject)
		}
	}
	if j.OnAppend != nil {
		for i, c := range w.changes {
			j.OnAppend(c.Kind, w.idxs[i])
		}
	}
	if j.OnEvent != nil {
		for _, ev := range w.events {
			j.OnEvent(*ev)
		}
	}
	return out, nil
}

// nextIndex returns the index the transaction's next Append will return,
// when the store can say (the SQL stores' transactions can).
func nextIndex(tx Tx) (int64, bool) {
	p, ok := tx.(interface{ NextIndex() int64 })
	if !ok {
		return 0, false
	}
	return p.NextIndex(), true
}

// Writer journals the changes of one Write, in its transaction.
type Writer struct {
	tx          Tx
	ctx         context.Context
	j           *Journal
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
	bodies    [][]byte // the changes' canonical bodies, as sealed
	events    []*truce.Event
	err       error // the first append's or claim's error, returned by Write
}

// Journal records that the write makes change c, and returns the journal
// index of its entry, for the record to carry. c.Body is encoded when the
// entry is sealed, after fn returns (when the store can predict indexes):
// it is the record as written.
func (w *Writer) Journal(c truce.Change) int64 {
	if len(w.changes) == 0 {
		w.now = w.j.Now()
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
func (w *Writer) finish() error {
	if len(w.changes) == 0 {
		return fmt.Errorf("journal: a write journalled no change")
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
			logged := ev
			if sameRecord(c.Event.Data, c.Body) {
				// The event carries the record its entry holds: log the
				// body as sealed rather than encode the record again.
				cp := *ev
				cp.Data = truce.CanonicalJSON(w.bodies[i])
				logged = &cp
			}
			if err := w.tx.Publish(w.ctx, logged); err != nil {
				return err
			}
			w.events = append(w.events, ev)
		}
	}
	return nil
}

// sameRecord says whether a and b are one record: the same pointer.
func sameRecord(a, b any) bool {
	va, vb := reflect.ValueOf(a), reflect.ValueOf(b)
	return va.Kind() == reflect.Pointer && vb.Kind() == reflect.Pointer && va.Type() == vb.Type() && va.Pointer() == vb.Pointer()
}

// encodedTx is a transaction that says what JSON it wrote for a record
// (the SQL stores' do), and whether it is canonical: the change's body is
// then sealed from it, encoded once and exactly as stored, and not made
// canonical again when it is.
type encodedTx interface {
	Encoded(record any) (doc []byte, canonical, ok bool)
}

func (w *Writer) append(c truce.Change) (int64, error) {
	var sealed *truce.SealedChange
	var err error
	if et, ok := w.tx.(encodedTx); ok {
		if raw, canonical, ok := et.Encoded(c.Body); ok {
			if canonical {
				sealed = c.SealCanonical(truce.CanonicalJSON(raw), w.party, w.user, w.now)
			} else {
				sealed, err = c.SealJSON(raw, w.party, w.user, w.now)
			}
		}
	}
	if sealed == nil && err == nil {
		sealed, err = c.Seal(w.party, w.user, w.now)
	}
	if err != nil {
		return 0, err
	}
	w.bodies = append(w.bodies, sealed.Body)
	return w.tx.Append(w.ctx, sealed)
}

func (w *Writer) claimFor(idx int64) error {
	if w.claim == nil {
		return nil
	}
	return w.tx.Claim(w.ctx, w.claim, idx)
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

// UpdateFunc is a function that runs fn in a store transaction, as a
// Store (a store's own Update method value, to Narrow).
type UpdateFunc[X Tx] func(ctx context.Context, fn func(tx X) error) error

// Update calls f.
func (f UpdateFunc[X]) Update(ctx context.Context, fn func(tx X) error) error { return f(ctx, fn) }
