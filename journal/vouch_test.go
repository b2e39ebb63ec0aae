package journal_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/truce-project/truce"
	"github.com/truce-project/truce/journal"
)

// countingReader counts the subject reads the state checks make.
type countingReader struct {
	journal.Reader
	reads atomic.Int64
}

func (c *countingReader) SubjectJournal(ctx context.Context, kind, subject string) ([]*truce.JournalRecord, error) {
	c.reads.Add(1)
	return c.Reader.SubjectJournal(ctx, kind, subject)
}

// putAlert journals and stores an alert through Write.
func putAlert(t *testing.T, j *journal.Journal, st journal.Store[alertTx], a *truce.Alert) {
	t.Helper()
	_, err := journal.Write(context.Background(), j, st, nil, func(tx alertTx, w *journal.Writer) (*truce.Alert, error) {
		a.JournalIndex = w.Journal(alertChange(a))
		return a, tx.PutAlert(context.Background(), a)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// newAlert journals and stores a new alert through Write.
func newAlert(t *testing.T, j *journal.Journal, st journal.Store[alertTx]) *truce.Alert {
	t.Helper()
	a := testAlert(j)
	putAlert(t, j, st, a)
	return a
}

// storedAlert opens a fresh store with open and journals and stores an
// alert in it: the store, its journal, its alerts' view and the alert.
func storedAlert(t *testing.T, open func(testing.TB) testStore) (testStore, *journal.Journal, journal.Store[alertTx], *truce.Alert) {
	t.Helper()
	st := open(t)
	j := journal.New(st)
	as := alertStore(st)
	return st, j, as, newAlert(t, j, as)
}

// TestVouch checks the kind-independent state checks on both stores: a
// row that matches its latest entry is served; one that differs is
// refused (EINTEGRITY), counted and listed until it matches again; a
// record read on every request is read from the journal once until a
// write changes it.
func TestVouch(t *testing.T) {
	for name, open := range stores {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			st := open(t)
			cr := &countingReader{Reader: st}
			j := journal.New(cr)
			as := alertStore(st)
			a := newAlert(t, j, as)
			row, err := st.Airspace().Alert(ctx, a.ID)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := journal.Vouched(ctx, j, "alert", []*truce.Alert{row}, alertID); err != nil {
				t.Fatalf("the row as written: %v", err)
			}

			changed := *row
			changed.Summary = "changed behind the server's back"
			_, err = journal.Vouched(ctx, j, "alert", []*truce.Alert{&changed}, alertID)
			if truce.ErrorCode(err) != truce.EINTEGRITY {
				t.Fatalf("a changed row: %v, want EINTEGRITY", err)
			}
			if n := j.Integrity.Mismatches.Load(); n != 1 {
				t.Fatalf("%d mismatches counted, want 1", n)
			}
			if ps := j.Integrity.Problems(); len(ps) != 1 {
				t.Fatalf("problems %q, want one", ps)
			}
			js, bad, err := journal.VouchRecords(ctx, j, "alert", []*truce.Alert{&changed}, alertID)
			if err != nil || truce.ErrorCode(bad) != truce.EINTEGRITY || len(js) != 1 || js[0].Summary != a.Summary {
				t.Fatalf("VouchRecords of a changed row: %v, %v, %d records; want the journal's record and EINTEGRITY", err, bad, len(js))
			}
			if _, err := journal.Vouched(ctx, j, "alert", []*truce.Alert{row}, alertID); err != nil {
				t.Fatalf("the row put back: %v", err)
			}
			if ps := j.Integrity.Problems(); len(ps) != 0 {
				t.Fatalf("problems %q after the row matched again", ps)
			}

			// VouchOne remembers a match until a write changes the record.
			before := cr.reads.Load()
			for range 3 {
				if err := journal.VouchOne(ctx, j, "alert", a.ID, row, nil); err != nil {
					t.Fatal(err)
				}
			}
			if n := cr.reads.Load() - before; n != 1 {
				t.Fatalf("three checks of an unchanged row read the journal %d times, want 1", n)
			}
			if err := journal.VouchOne(ctx, j, "alert", a.ID, &changed, nil); truce.ErrorCode(err) != truce.EINTEGRITY {
				t.Fatalf("VouchOne of a changed row: %v, want EINTEGRITY", err)
			}
			a.Version, a.State = 2, truce.AlertAcknowledged
			putAlert(t, j, as, a)
			before = cr.reads.Load()
			if err := journal.VouchOne(ctx, j, "alert", a.ID, row, nil); truce.ErrorCode(err) != truce.EINTEGRITY {
				t.Fatalf("the row as it was before a write: %v, want EINTEGRITY", err)
			}
			if cr.reads.Load() == before {
				t.Fatal("the check after a write did not read the journal")
			}
		})
	}
}

// TestVouchedRead_ReadBeforeAWrite: a record's row and its journal
// entries are read by two queries; a write committing between them left a
// row older than its newest entry, and the check called a record only
// read early changed outside Truce (EINTEGRITY, counted: the demo's alert
// list failed so in CI once episodes ended seconds after opening, and
// every capability's Find could). VouchedRead and VouchedFind read both in
// one snapshot: the row is checked against the entries of its own time and
// served, counting nothing. A row changed outside Truce is still refused.
func TestVouchedRead_ReadBeforeAWrite(t *testing.T) {
	for name, open := range stores {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			st, j, as, a := storedAlert(t, open)
			// The next version commits after the row was read, before its
			// entries are.
			next := *a
			next.Version, next.Summary = 2, "ended"
			read := func(ctx context.Context) (*truce.Alert, error) {
				row, err := st.Airspace().Alert(ctx, a.ID)
				if err == nil && row.Version == 1 {
					putAlert(t, j, as, &next)
				}
				return row, err
			}
			got, err := journal.VouchedFind(ctx, j, "alert", read, alertID)
			if err != nil || got.Summary != a.Summary {
				t.Fatalf("one record read before a write: %v %+v; want the record as read", err, got)
			}
			third := next
			third.Version, third.Summary = 3, "closed"
			list, err := journal.VouchedRead(ctx, j, "alert", func(ctx context.Context) ([]*truce.Alert, error) {
				row, err := st.Airspace().Alert(ctx, a.ID)
				if err == nil && row.Version == 2 {
					putAlert(t, j, as, &third)
				}
				return []*truce.Alert{row}, err
			}, alertID)
			if err != nil || len(list) != 1 || list[0].Summary != "ended" {
				t.Fatalf("a page read before a write: %v %+v; want the page as read", err, list)
			}
			if n := j.Integrity.Mismatches.Load(); n != 0 {
				t.Errorf("reads before a write counted %d mismatches", n)
			}
			if len(j.Integrity.Problems()) != 0 {
				t.Errorf("problems listed after the reads: %v", j.Integrity.Problems())
			}

			changed := third
			changed.Summary = "changed behind the server's back"
			_, err = journal.VouchedFind(ctx, j, "alert", func(context.Context) (*truce.Alert, error) { return &changed, nil }, alertID)
			if truce.ErrorCode(err) != truce.EINTEGRITY {
				t.Fatalf("a changed row: %v, want EINTEGRITY", err)
			}
			_, err = journal.VouchedRead(ctx, j, "alert", func(context.Context) ([]*truce.Alert, error) { return []*truce.Alert{&changed}, nil }, alertID)
			if truce.ErrorCode(err) != truce.EINTEGRITY {
				t.Fatalf("a changed row in a page: %v, want EINTEGRITY", err)
			}
		})
	}
}

// TestVouchDocs: a load that checks rows as stored documents. A row in
// RFC 8785 form (what the control store writes), one in json.Marshal's
// order (a row written before), and one with spaces all match, counting
// nothing; a row changed behind
// the server's back is reported and the journal's record served instead;
// a row with no entry is refused.
func TestVouchDocs(t *testing.T) {
	for name, open := range stores {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			st := open(t)
			j := journal.New(st)
			as := alertStore(st)
			var docs []journal.Doc
			for range 3 {
				a := newAlert(t, j, as)
				raw, _ := json.Marshal(a)
				docs = append(docs, journal.Doc{ID: a.ID, JSON: raw})
			}
			canon, err := truce.AppendCanonical(nil, docs[0].JSON)
			if err != nil {
				t.Fatal(err)
			}
			docs[0].JSON = canon
			var spaced bytes.Buffer
			json.Indent(&spaced, docs[2].JSON, "", "  ")
			docs[2].JSON = spaced.Bytes()
			got, bad, err := journal.VouchDocs(ctx, j, "alert", docs, alertID)
			if err != nil || bad != nil || len(got) != 3 {
				t.Fatalf("rows as written: %d records, %v, %v", len(got), bad, err)
			}
			for i, a := range got {
				if a.ID != docs[i].ID || a.Summary != "write path" {
					t.Fatalf("record %d: %+v", i, a)
				}
			}
			if n := j.Integrity.Mismatches.Load(); n != 0 {
				t.Fatalf("rows as written counted %d mismatches", n)
			}

			changed := slices.Clone(docs)
			changed[1].JSON = []byte(strings.Replace(string(docs[1].JSON), "write path", "changed", 1))
			changed = append(changed, journal.Doc{ID: "no-such-alert", JSON: []byte(`{"id":"no-such-alert"}`)})
			got, bad, err = journal.VouchDocs(ctx, j, "alert", changed, alertID)
			if err != nil || truce.ErrorCode(bad) != truce.EINTEGRITY || len(got) != 3 || got[1].Summary != "write path" {
				t.Fatalf("a changed row: %d records, %v, %v; want the journal's three and EINTEGRITY", len(got), bad, err)
			}
			ps := strings.Join(j.Integrity.Problems(), "\n")
			for _, want := range []string{"alert record " + docs[1].ID + " does not match", "alert record no-such-alert has no journal entry"} {
				if !strings.Contains(ps, want) {
					t.Errorf("problems %q do not say %q", ps, want)
				}
			}
		})
	}
}

// TestVouchedFind_ConcurrentWriter reads one record again and again while
// another goroutine writes its next versions: no read is refused as
// changed outside Truce, and nothing is counted, on either store.
func TestVouchedFind_ConcurrentWriter(t *testing.T) {
	for name, open := range stores {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			st, j, as, a := storedAlert(t, open)
			const versions = 60
			done := make(chan error, 1)
			go func() {
				next := *a
				for v := int64(2); v <= versions; v++ {
					next.Version, next.Summary = v, fmt.Sprintf("version %d", v)
					_, err := journal.Write(ctx, j, as, nil, func(tx alertTx, w *journal.Writer) (*truce.Alert, error) {
						next.JournalIndex = w.Journal(alertChange(&next))
						return &next, tx.PutAlert(ctx, &next)
					})
					if err != nil {
						done <- err
						return
					}
				}
				done <- nil
			}()
			reads, last := 0, int64(0)
			for finished := false; !finished; {
				select {
				case err := <-done:
					if err != nil {
						t.Fatal(err)
					}
					finished = true
				default:
				}
				got, err := journal.VouchedFind(ctx, j, "alert", func(ctx context.Context) (*truce.Alert, error) { return st.Airspace().Alert(ctx, a.ID) }, alertID)
				if err != nil {
					t.Fatalf("read %d, during a write: %v", reads, err)
				}
				if got.Version < last {
					t.Fatalf("read %d went back from version %d to %d", reads, last, got.Version)
				}
				last = got.Version
				reads++
			}
			if last != versions {
				t.Fatalf("last read version %d, want %d", last, versions)
			}
			if n := j.Integrity.Mismatches.Load(); n != 0 {
				t.Errorf("%d mismatches counted in %d reads", n, reads)
			}
			t.Logf("%d reads during %d writes", reads, versions-1)
		})
	}
}
