package node

import (
	"context"
	"net/url"
	"os"
	"testing"
	"time"

	"github.com/truce-project/truce"
	"github.com/truce-project/truce/internal/testwait"
	"github.com/truce-project/truce/journal"
	"github.com/truce-project/truce/postgres"
	"github.com/truce-project/truce/sqlite"
)

// TestReconcile_ByJournalHeads: the minutely reconciliation reads the
// journal's heads of the followed kinds and reads nothing else while they
// stay put, whatever else is written (alerts); an agreement change
// appended by another server (a store of its own on the same database)
// moves them, and the next reconciliation reloads, once.
func TestReconcile_ByJournalHeads(t *testing.T) {
	every := reconcileEvery
	reconcileEvery = 30 * time.Millisecond
	t.Cleanup(func() { reconcileEvery = every })
	for _, pg := range []bool{false, true} {
		name := "store=sqlite"
		if pg {
			name = "store=postgres"
		}
		t.Run(name, func(t *testing.T) {
			n, fs, _ := flakyNode(t, pg)
			r := &n.reconciled
			skippedAfter := func(k int64) {
				t.Helper()
				s := r.skipped.Load()
				testwait.For(t, 20*time.Second, "reconciliations that find nothing changed", func() bool { return r.skipped.Load() >= s+k })
			}
			skippedAfter(3)
			reloads := r.reloads.Load()
			if reloads < 1 {
				t.Fatalf("%d reconciliations read the database; want the first to", reloads)
			}
			// Alerts are not followed by the reconciled engines.
			for i := range 3 {
				if _, err := n.Air.RaiseAlert(context.Background(), &truce.Alert{Kind: "emergency_squawk", Time: time.Now().UTC(), Lon: 36, Lat: 33,
					Summary: "test alert", Aircraft: []truce.AlertAircraft{{ICAO: "4CA00" + string(rune('1'+i))}}}); err != nil {
					t.Fatal(err)
				}
			}
			skippedAfter(3)
			if got := r.reloads.Load(); got != reloads {
				t.Fatalf("%d reconciliations read the database after alerts only; want %d", got, reloads)
			}

			other := otherServerStore(t, fs, pg)
			if _, err := journal.Write(context.Background(), journal.New(other), other, nil, func(tx truce.Tx, w *journal.Writer) (struct{}, error) {
				w.Journal(truce.Change{Kind: "agreement", Subject: "other-server", Body: map[string]string{"note": "changed elsewhere"},
					Visibility: truce.Visibility{Scope: truce.ScopeAll}})
				return struct{}{}, nil
			}); err != nil {
				t.Fatal(err)
			}
			testwait.For(t, 20*time.Second, "a reconciliation after another server's change", func() bool { return r.reloads.Load() > reloads })
			skippedAfter(3)
			if got := r.reloads.Load(); got != reloads+1 {
				t.Fatalf("%d reconciliations read the database after one change elsewhere; want %d", got, reloads+1)
			}
		})
	}
}

// otherServerStore opens a second store on the node's database, with its
// own connections and group committer, as another server has.
func otherServerStore(t *testing.T, fs *flakyStore, pg bool) truce.Store {
	t.Helper()
	ctx := context.Background()
	if !pg {
		var path string
		if err := fs.Store.DB().QueryRowContext(ctx, `SELECT file FROM pragma_database_list WHERE name = 'main'`).Scan(&path); err != nil {
			t.Fatal(err)
		}
		st, err := sqlite.Open(ctx, path)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		return st
	}
	var schema string
	if err := fs.Store.DB().QueryRowContext(ctx, `SELECT current_schema()`).Scan(&schema); err != nil {
		t.Fatal(err)
	}
	u, err := url.Parse(os.Getenv("TRUCE_TEST_POSTGRES"))
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	st, err := postgres.Open(ctx, u.String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}
