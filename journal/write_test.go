package journal_test

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/google/uuid"
	"github.com/truce-project/truce"
	"github.com/truce-project/truce/airspace"
	"github.com/truce-project/truce/internal/teststores"
	"github.com/truce-project/truce/journal"
)

// testStore is the SQL store with every capability's view (teststores);
// these tests write the airspace view's alerts as a capability's records.
type testStore = teststores.TestStore

// stores opens a fresh store of each kind.
var stores = teststores.StoreOpeners

// alertTx is a capability's own transaction, as a capability package
// declares it: the journal's part and the writes and reads of its
// records, nothing of the rest of the store.
type alertTx interface {
	journal.Tx
	PutAlert(ctx context.Context, a *truce.Alert) error
	Alert(ctx context.Context, id string) (*truce.Alert, error)
}

// unpredictable is a store whose transactions cannot say the index of
// their next entry, for write's other path (each entry appended as it is
// journalled).
type unpredictable struct{ testStore }

func (u unpredictable) Airspace() airspace.Store {
	return unpredictableAirspace{u.testStore.Airspace()}
}

type unpredictableAirspace struct{ airspace.Store }

type plainTx struct{ airspace.Tx }

func (u unpredictableAirspace) Update(ctx context.Context, fn func(airspace.Tx) error) error {
	return u.Store.Update(ctx, func(tx airspace.Tx) error { return fn(plainTx{tx}) })
}

// writeRecorder is a journal over a real store that records what Write
// reports after commit.
type writeRecorder struct {
	j       *journal.Journal
	appends []int64
	events  []truce.Event
}

func newWriteRecorder(st truce.Store) *writeRecorder {
	r := &writeRecorder{j: journal.New(st)}
	r.j.OnAppend = func(_ string, idx int64) { r.appends = append(r.appends, idx) }
	r.j.OnEvent = func(e truce.Event) { r.events = append(r.events, e) }
	return r
}

func testAlert(j *journal.Journal) *truce.Alert {
	return &truce.Alert{ID: uuid.NewString(), Kind: "test", Summary: "write path", State: truce.AlertOpen, Version: 1,
		Time: j.Now(), Aircraft: []truce.AlertAircraft{}}
}

func alertChange(a *truce.Alert) truce.Change {
	return truce.Change{Kind: "alert", Subject: a.ID, Body: a, Visibility: truce.Visibility{Scope: truce.ScopeAll}, New: a.Version == 1,
		Event: &truce.Event{Data: a}}
}

func alertID(a *truce.Alert) string { return a.ID }

// TestWrite checks the write path's contract on both stores, with and
// without indexes predicted, through a capability's narrowed transaction: a write that fails for any reason (its fn,
// a write that journals nothing, an Idempotency-Key already claimed)
// leaves neither state nor journal entry and reports nothing; one that
// succeeds commits the records, their entries (consecutive, bodies as
// stored), their events and the claim, and reports each.
func TestWrite(t *testing.T) {
	for name, open := range stores {
		for _, predicted := range []bool{true, false} {
			mode := "/predicted"
			if !predicted {
				mode = "/unpredicted"
			}
			t.Run(name+mode, func(t *testing.T) {
				st := open(t)
				if !predicted {
					st = unpredictable{st}
				}
				testWrite(t, st, predicted)
			})
		}
	}
}

// alertStore is st's airspace view as a capability sees it, its
// transactions as its own alertTx; the compiler checks here that
// airspace.Tx has its methods.
func alertStore(st testStore) journal.Store[alertTx] {
	return journal.Narrow(st.Airspace(), func(tx airspace.Tx) alertTx { return tx })
}

func testWrite(t *testing.T, st testStore, predicted bool) {
	ctx := context.Background()
	r := newWriteRecorder(st)
	j := r.j
	as := alertStore(st)
	size := func() int64 {
		t.Helper()
		n, err := st.JournalSize(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	absent := func(a *truce.Alert) {
		t.Helper()
		if _, err := st.Airspace().Alert(ctx, a.ID); truce.ErrorCode(err) != truce.ENOTFOUND {
			t.Fatalf("alert of a failed write: %v, want ENOTFOUND", err)
		}
		if rs, err := st.SubjectJournal(ctx, "alert", a.ID); err != nil || len(rs) != 0 {
			t.Fatalf("journal entries of a failed write: %d, %v", len(rs), err)
		}
	}
	reported := func(what string) {
		t.Helper()
		if len(r.appends) != 0 || len(r.events) != 0 {
			t.Fatalf("%s reported %d appends and %d events", what, len(r.appends), len(r.events))
		}
	}

	// fn fails after journalling and writing a record.
	before := size()
	boom := truce.Errorf(truce.EUNPROCESSABLE, "boom")
	failed := testAlert(j)
	claim := &truce.IdempotencyClaim{Scope: "u1", Key: "k1", RequestHash: "h"}
	cctx := truce.WithIdempotency(ctx, claim)
	_, err := journal.Write(cctx, j, as, nil, func(tx alertTx, w *journal.Writer) (*truce.Alert, error) {
		failed.JournalIndex = w.Journal(alertChange(failed))
		if err := tx.PutAlert(ctx, failed); err != nil {
			return nil, err
		}
		return nil, boom
	})
	if truce.ErrorCode(err) != truce.EUNPROCESSABLE || truce.ErrorMessage(err) != "boom" {
		t.Fatalf("failing fn: %v, want its error, %v", err, boom)
	}
	absent(failed)
	if n := size(); n != before {
		t.Fatalf("journal size after a failed write: %d, want %d", n, before)
	}
	if claim.Claimed {
		t.Fatal("a failed write marked the Idempotency-Key claimed")
	}
	if _, err := st.Idempotency(ctx, "u1", "k1"); truce.ErrorCode(err) != truce.ENOTFOUND {
		t.Fatalf("Idempotency-Key of a failed write: %v, want ENOTFOUND", err)
	}
	reported("a failed write")

	// A write that changes state without journalling it is refused (by
	// write, and by the SQL stores too).
	silent := testAlert(j)
	if _, err := journal.Write(ctx, j, as, nil, func(tx alertTx, w *journal.Writer) (*truce.Alert, error) {
		return silent, tx.PutAlert(ctx, silent)
	}); err == nil {
		t.Fatal("a write that journalled nothing succeeded")

	}
	absent(silent)
	if n := size(); n != before {
		t.Fatalf("journal size after a write that journalled nothing: %d, want %d", n, before)
	}
	reported("a write that journalled nothing")

	// Two changes in one write, claiming the key for the first.
	a, b := testAlert(j), testAlert(j)
	caller := &truce.Caller{User: &truce.User{ID: "user-1"}, Party: &truce.Party{ID: "party-1"}}
	out, err := journal.Write(cctx, j, as, caller, func(tx alertTx, w *journal.Writer) ([]*truce.Alert, error) {
		for _, al := range []*truce.Alert{a, b} {
			al.JournalIndex = w.Journal(alertChange(al))
			if err := tx.PutAlert(ctx, al); err != nil {
				return nil, err
			}
		}
		return []*truce.Alert{a, b}, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(out) != 2 || out[0] != a || out[1] != b {
		t.Fatalf("write's result: %v, want fn's", out)
	}
	if a.JournalIndex != before || b.JournalIndex != before+1 {
		t.Fatalf("journal indexes %d, %d; want %d, %d", a.JournalIndex, b.JournalIndex, before, before+1)
	}
	if n := size(); n != before+2 {
		t.Fatalf("journal size %d, want %d", n, before+2)
	}
	rs, err := st.Journal(ctx, before, before+2)
	if err != nil || len(rs) != 2 {
		t.Fatalf("entries: %d, %v", len(rs), err)
	}
	for i, al := range []*truce.Alert{a, b} {
		e := rs[i]
		if e.Entry.Kind != "alert" || e.Entry.Subject != al.ID || e.Entry.Party != "party-1" || e.Entry.User != "user-1" {
			t.Fatalf("entry %d: %s %s by %s/%s", e.Index, e.Entry.Kind, e.Entry.Subject, e.Entry.Party, e.Entry.User)
		}
		var body truce.Alert
		if err := json.Unmarshal(e.Body, &body); err != nil {
			t.Fatal(err)
		}
		// With predicted indexes, the entry is sealed after the record is
		// written: its body is the record as stored, index included.
		if predicted && body.JournalIndex != al.JournalIndex {
			t.Fatalf("entry %d's body carries journal index %d", e.Index, body.JournalIndex)
		}
		row, err := st.Airspace().Alert(ctx, al.ID)
		if err != nil {
			t.Fatal(err)
		}
		if row.JournalIndex != al.JournalIndex {
			t.Fatalf("stored alert at journal index %d, want %d", row.JournalIndex, al.JournalIndex)
		}
		if _, err := journal.Vouched(ctx, j, "alert", []*truce.Alert{row}, alertID); err != nil {
			t.Fatalf("stored alert against its entry: %v", err)
		}
	}
	if !claim.Claimed {
		t.Fatal("the Idempotency-Key is not marked claimed")
	}
	ir, err := st.Idempotency(ctx, "u1", "k1")
	if err != nil {
		t.Fatal(err)
	}
	if ir.JournalIndex == nil || *ir.JournalIndex != a.JournalIndex {
		t.Fatalf("Idempotency-Key claimed at %v, want the first entry, %d", ir.JournalIndex, a.JournalIndex)
	}
	if len(r.appends) != 2 || r.appends[0] != a.JournalIndex || r.appends[1] != b.JournalIndex {
		t.Fatalf("OnAppend reported %v", r.appends)
	}
	if len(r.events) != 2 || r.events[0].Index != a.JournalIndex || r.events[1].Subject != b.ID || r.events[1].Kind != "alert" {
		t.Fatalf("OnEvent reported %+v", r.events)
	}
	r.appends, r.events = nil, nil

	// The same key claimed again by another request's write: the write,
	// its entry already appended, is rolled back whole.
	again := testAlert(j)
	_, err = journal.Write(truce.WithIdempotency(ctx, &truce.IdempotencyClaim{Scope: "u1", Key: "k1", RequestHash: "h"}), j, as, nil,
		func(tx alertTx, w *journal.Writer) (*truce.Alert, error) {
			again.JournalIndex = w.Journal(alertChange(again))
			return again, tx.PutAlert(ctx, again)
		})
	if truce.ErrorCode(err) != truce.ECONFLICT {
		t.Fatalf("a second claim of a key: %v, want ECONFLICT", err)
	}
	absent(again)
	if n := size(); n != before+2 {
		t.Fatalf("journal size after a refused claim: %d, want %d", n, before+2)
	}
	reported("a write whose claim was refused")
}
