package sqlstore_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"testing"
	"time"

	"github.com/truce-project/truce"
	"github.com/truce-project/truce/airspace"
	"github.com/truce-project/truce/internal/teststores"
	"github.com/truce-project/truce/journal"
)

// TestPutAlert_StoredOnce: a new alert's row leaves its document to its
// journal entry (an empty doc and doc_entry the entry's index) when the entry's
// body was sealed from the document the store wrote, and reads back as
// written; an alert journalled with a body of its own (another value than
// the record stored) keeps its document; a changed alert's row leaves its
// document to its new entry as well (before, it stored it again).
func TestPutAlert_StoredOnce(t *testing.T) {
	for name, open := range teststores.StoreOpeners {
		t.Run(name, func(t *testing.T) {
			st := open(t)
			db := st.(interface{ DB() *sql.DB }).DB()
			ctx := context.Background()
			j := journal.New(st)
			newAlert := func(id, summary string) *truce.Alert {
				return &truce.Alert{ID: id, Kind: "emergency_squawk", State: truce.AlertOpen, Time: time.Now().UTC().Truncate(time.Microsecond),
					Lon: 36.5, Lat: 33.25, Summary: summary, Aircraft: []truce.AlertAircraft{{ICAO: "4CA001"}},
					Evidence: json.RawMessage(`{"history":[{"lat":33.25,"lon":36.5}]}`), Version: 1}
			}
			change := func(a *truce.Alert, body any) truce.Change {
				return truce.Change{Kind: "alert", Subject: a.ID, Body: body, Visibility: truce.Visibility{Scope: truce.ScopeAll}, New: a.Version == 1}
			}
			put := func(a *truce.Alert, body func(*truce.Alert) any) {
				t.Helper()
				if _, err := journal.Write(ctx, j, st.Airspace(), nil, func(tx airspace.Tx, w *journal.Writer) (struct{}, error) {
					a.JournalIndex = w.Journal(change(a, body(a)))
					return struct{}{}, tx.PutAlert(ctx, a)
				}); err != nil {
					t.Fatal(err)
				}
			}
			row := func(id string) (doc string, entry sql.NullInt64) {
				t.Helper()
				q := `SELECT doc, doc_entry FROM alerts WHERE id = ?`
				if name == "PostgreSQL" {
					q = `SELECT doc, doc_entry FROM alerts WHERE id = $1`
				}
				if err := db.QueryRowContext(ctx, q, id).Scan(&doc, &entry); err != nil {
					t.Fatal(err)
				}
				return doc, entry
			}
			same := func(a *truce.Alert) {
				t.Helper()
				got, err := st.Airspace().Alert(ctx, a.ID)
				if err != nil {
					t.Fatal(err)
				}
				if !journal.Same(got, a) {
					g, _ := json.Marshal(got)
					w, _ := json.Marshal(a)
					t.Errorf("alert %s reads back as\n%s\nwant\n%s", a.ID, g, w)
				}
			}

			once := newAlert("01900000-0000-7000-8000-000000000001", "stored once")
			put(once, func(a *truce.Alert) any { return a })
			if doc, entry := row(once.ID); doc != "" || !entry.Valid || entry.Int64 != once.JournalIndex {
				t.Errorf("new alert's row: doc %q, doc_entry %v; want '' and %d", doc, entry, once.JournalIndex)
			}
			same(once)

			// A body that is not the record the store wrote: the row keeps
			// its document.
			own := newAlert("01900000-0000-7000-8000-000000000002", "its own body")
			put(own, func(a *truce.Alert) any { cp := *a; return &cp })
			if doc, entry := row(own.ID); doc == "" || entry.Valid {
				t.Errorf("alert journalled with another value: doc %q, doc_entry %v; want the document and NULL", doc, entry)
			}
			same(own)

			once.State, once.Version, once.Note = truce.AlertAcknowledged, 2, "seen"
			put(once, func(a *truce.Alert) any { return a })
			if doc, entry := row(once.ID); doc != "" || !entry.Valid || entry.Int64 != once.JournalIndex {
				t.Errorf("changed alert's row: doc %q, doc_entry %v; want '' and its new entry %d", doc, entry, once.JournalIndex)
			}
			same(once)

			// A change journalled with a body of its own keeps its document.
			once.State, once.Version = truce.AlertClosed, 3
			put(once, func(a *truce.Alert) any { cp := *a; return &cp })
			if doc, entry := row(once.ID); doc == "" || entry.Valid {
				t.Errorf("alert changed with another value journalled: doc %q, doc_entry %v; want the document and NULL", doc, entry)
			}
			same(once)

			list, err := st.Airspace().Alerts(ctx, truce.AlertFilter{Kind: "emergency_squawk", State: truce.AlertClosed})
			if err != nil || len(list) != 1 || list[0].ID != once.ID {
				t.Errorf("closed alerts: %v %v; want %s", list, err, once.ID)
			}
		})
	}
}

// TestPutAlert_StoredOnceBesideAnUpdate: a write that ends stored
// episodes among new alerts (the journal writer's busy batch: entries and
// exits) changes the stored alerts without writing the new ones' rows
// early, so those still leave their documents to their entries. Before,
// the update wrote the pending rows, each with its whole document.
func TestPutAlert_StoredOnceBesideAnUpdate(t *testing.T) {
	for name, open := range teststores.StoreOpeners {
		t.Run(name, func(t *testing.T) {
			st := open(t)
			db := st.(interface{ DB() *sql.DB }).DB()
			ctx := context.Background()
			j := journal.New(st)
			newAlert := func(id string) *truce.Alert {
				return &truce.Alert{ID: id, Kind: "zone_entry", State: truce.AlertOpen, Time: time.Now().UTC().Truncate(time.Microsecond),
					Lon: 36.5, Lat: 33.25, Summary: "entry " + id, Episode: "ep-" + id, Version: 1}
			}
			change := func(a *truce.Alert) truce.Change {
				return truce.Change{Kind: "alert", Subject: a.ID, Body: a, Visibility: truce.Visibility{Scope: truce.ScopeAll}, New: a.Version == 1}
			}
			write := func(as ...*truce.Alert) {
				t.Helper()
				if _, err := journal.Write(ctx, j, st.Airspace(), nil, func(tx airspace.Tx, w *journal.Writer) (struct{}, error) {
					for _, a := range as {
						a.JournalIndex = w.Journal(change(a))
						if err := tx.PutAlert(ctx, a); err != nil {
							return struct{}{}, err
						}
					}
					return struct{}{}, nil
				}); err != nil {
					t.Fatal(err)
				}
			}
			stored := newAlert("01900000-0000-7000-8000-000000000001")
			write(stored)
			ended := *stored
			ended.End(stored.Time.Add(time.Minute), "left", "")
			ended.Version = 2
			a, b := newAlert("01900000-0000-7000-8000-000000000002"), newAlert("01900000-0000-7000-8000-000000000003")
			write(a, &ended, b)
			q := `SELECT doc, doc_entry FROM alerts WHERE id = ?`
			if name == "PostgreSQL" {
				q = `SELECT doc, doc_entry FROM alerts WHERE id = $1`
			}
			for _, n := range []*truce.Alert{a, b} {
				var doc string
				var entry sql.NullInt64
				if err := db.QueryRowContext(ctx, q, n.ID).Scan(&doc, &entry); err != nil {
					t.Fatal(err)
				}
				if doc != "" || !entry.Valid || entry.Int64 != n.JournalIndex {
					t.Errorf("new alert %s written beside an update: doc of %d bytes, doc_entry %v; want '' and %d", n.ID, len(doc), entry, n.JournalIndex)
				}
			}
			got, err := st.Airspace().Alert(ctx, stored.ID)
			if err != nil || got.Version != 2 || got.EndedAt == nil {
				t.Fatalf("ended alert reads %+v %v", got, err)
			}
			var doc string
			var entry sql.NullInt64
			if err := db.QueryRowContext(ctx, q, stored.ID).Scan(&doc, &entry); err != nil {
				t.Fatal(err)
			}
			if doc != "" || !entry.Valid || entry.Int64 != ended.JournalIndex {
				t.Errorf("ended alert's row: doc of %d bytes, doc_entry %v; want '' and %d", len(doc), entry, ended.JournalIndex)
			}
			list, err := st.Airspace().Alerts(ctx, truce.AlertFilter{Ongoing: true})
			if err != nil || len(list) != 2 {
				t.Fatalf("ongoing: %d alerts %v, want the 2 new ones", len(list), err)
			}
			// An alert changed in the write that puts it: the update finds
			// the row once it is written.
			c := newAlert("01900000-0000-7000-8000-000000000004")
			cEnded := *c
			cEnded.End(c.Time.Add(time.Minute), "left", "")
			cEnded.Version = 2
			write(c, &cEnded)
			if got, err := st.Airspace().Alert(ctx, c.ID); err != nil || got.Version != 2 || got.EndedAt == nil {
				t.Fatalf("alert changed in its own write reads %+v %v", got, err)
			}
		})
	}
}

// TestTx_AlertsByID: a transaction reads alerts by id in one statement,
// whatever their count (the id lists are padded), and refuses a list with
// an id it does not hold.
func TestTx_AlertsByID(t *testing.T) {
	for name, open := range teststores.StoreOpeners {
		t.Run(name, func(t *testing.T) {
			st := open(t)
			ctx := context.Background()
			j := journal.New(st)
			var ids []string
			for i := range 6 {
				a := &truce.Alert{ID: truce.NewID(), Kind: "emergency_squawk", State: truce.AlertOpen, Time: time.Now().UTC().Truncate(time.Microsecond),
					Lon: 36.5, Lat: 33.25, Summary: "alert " + string(rune('a'+i)), Version: 1}
				if _, err := journal.Write(ctx, j, st.Airspace(), nil, func(tx airspace.Tx, w *journal.Writer) (struct{}, error) {
					a.JournalIndex = w.Journal(truce.Change{Kind: "alert", Subject: a.ID, Body: a, Visibility: truce.Visibility{Scope: truce.ScopeAll}, New: true})
					return struct{}{}, tx.PutAlert(ctx, a)
				}); err != nil {
					t.Fatal(err)
				}
				ids = append(ids, a.ID)
			}
			read := func(ids []string) (map[string]*truce.Alert, error) {
				var got map[string]*truce.Alert
				err := st.Airspace().Update(ctx, func(tx airspace.Tx) error {
					var err error
					got, err = tx.AlertsByID(ctx, ids)
					return err
				})
				return got, err
			}
			for _, n := range []int{1, 2, 5, 6} {
				got, err := read(ids[:n])
				if err != nil || len(got) != n {
					t.Fatalf("%d ids: %d alerts, %v", n, len(got), err)
				}
				for _, id := range ids[:n] {
					if got[id] == nil || got[id].ID != id || got[id].Summary == "" {
						t.Fatalf("%d ids: alert %s read as %+v", n, id, got[id])
					}
				}
			}
			if _, err := read([]string{ids[0], truce.NewID()}); truce.ErrorCode(err) != truce.ENOTFOUND {
				t.Fatalf("a missing id: %v, want ENOTFOUND", err)
			}
		})
	}
}
