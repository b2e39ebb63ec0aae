package operations_test

import (
	"context"
	"database/sql"
	"strings"
	"testing"
	"time"

	"github.com/truce-project/truce"
	"github.com/truce-project/truce/operations"
)

// TestService_StateCheck: the self-check's state pass covers operations
// and their conflicts. As filed, every row matches its journal entry;
// a plan's ceiling edited, its status column set to cancelled (which
// takes it out of the conflict index's load), a conflict's row edited or
// deleted: each is found and named. Before operations had a StateCheck,
// the self-check found none of them.
func TestService_StateCheck(t *testing.T) {
	for name, open := range stores {
		t.Run(name, func(t *testing.T) {
			for _, tc := range []struct{ name, sql, want string }{
				{"plan", `UPDATE operations SET body = REPLACE(body, '"ceiling_m":6000', '"ceiling_m":3500') WHERE body LIKE '%"ceiling_m":6000%'`, "operation record"},
				{"status column", `UPDATE operations SET status = 'cancelled' WHERE body LIKE '%"ceiling_m":6000%'`, "columns"},
				{"conflict", `UPDATE operation_conflicts SET body = REPLACE(body, '"blocking":false', '"blocking":true')`, "operation_conflict record"},
				{"conflict deleted", `DELETE FROM operation_conflicts`, "which is not stored"},
			} {
				t.Run(tc.name, func(t *testing.T) {
					ctx := context.Background()
					st := open(t)
					w := newWorld(t, st)
					if _, err := w.svc.File(w.asUS, w.plan("US patrol", operations.AirPatrol, box(36.2, 32.7, 36.4, 32.9), 3000, 6000, time.Hour, 4)); err != nil {
						t.Fatal(err)
					}
					ru, err := w.svc.File(w.asRU, w.plan("RU patrol", operations.AirPatrol, box(36.3, 32.8, 36.5, 33.0), 6200, 8000, 2*time.Hour, 4))
					if err != nil || len(ru.Conflicts) != 1 {
						t.Fatalf("RU patrol: %+v %v", ru, err)
					}
					check := w.svc.StateCheck()
					n, err := w.svc.Journal.CheckState(ctx, nil, check)
					if err != nil || n != 3 {
						t.Fatalf("the records as filed: %d checked, %v; want 3", n, err)
					}
					db := st.(interface{ DB() *sql.DB }).DB()
					res, err := db.Exec(tc.sql)
					if err != nil {
						t.Fatal(err)
					}
					if n, _ := res.RowsAffected(); n != 1 {
						t.Fatalf("%s changed %d rows", tc.sql, n)
					}
					if _, err := w.svc.Journal.CheckState(ctx, nil, check); truce.ErrorCode(err) != truce.EINTEGRITY {
						t.Fatalf("after %s: %v, want EINTEGRITY", tc.sql, err)
					}
					if ps := strings.Join(w.svc.Journal.Integrity.Problems(), "\n"); !strings.Contains(ps, tc.want) {
						t.Fatalf("problems %q do not name the %s", ps, tc.want)
					}
				})
			}
		})
	}
}

// readCounter counts the store's reads of operations and conflicts.
type readCounter struct {
	operations.Store
	reads int
}

func (r *readCounter) Operations(ctx context.Context, fn func(*operations.Operation) error) error {
	r.reads++
	return r.Store.Operations(ctx, fn)
}

func (r *readCounter) Conflicts(ctx context.Context, operationID string) ([]*operations.Conflict, error) {
	r.reads++
	return r.Store.Conflicts(ctx, operationID)
}

func (r *readCounter) OperationsAfter(ctx context.Context, after string, limit int) ([]*operations.Operation, error) {
	r.reads++
	return r.Store.OperationsAfter(ctx, after, limit)
}

func (r *readCounter) ConflictsAfter(ctx context.Context, after string, limit int) ([]*operations.Conflict, error) {
	r.reads++
	return r.Store.ConflictsAfter(ctx, after, limit)
}

// TestService_StateCheckBounded: the state pass reads operations and
// conflicts a page at a time, not one query per operation, and still
// checks each once. Before, 12 operations took 13 reads (their list, then
// each operation's conflicts).
func TestService_StateCheckBounded(t *testing.T) {
	for name, open := range stores {
		t.Run(name, func(t *testing.T) {
			st := open(t)
			w := newWorld(t, st)
			for i := range 6 {
				x := 36.2 + float64(i)
				if _, err := w.svc.File(w.asUS, w.plan("US patrol", operations.AirPatrol, box(x, 32.7, x+0.2, 32.9), 3000, 6000, time.Hour, 4)); err != nil {
					t.Fatal(err)
				}
				if _, err := w.svc.File(w.asRU, w.plan("RU patrol", operations.AirPatrol, box(x+0.1, 32.8, x+0.3, 33.0), 6200, 8000, 2*time.Hour, 4)); err != nil {
					t.Fatal(err)
				}
			}
			rc := &readCounter{Store: w.svc.Store}
			w.svc.Store = rc
			defer operations.SetCheckPage(5)()
			n, err := w.svc.Journal.CheckState(context.Background(), nil, w.svc.StateCheck())
			// 12 operations, 6 conflicts.
			if err != nil || n != 18 {
				t.Fatalf("%d checked, %v; want 18", n, err)
			}
			// Pages of 5: 3 of operations and 2 of conflicts, each read
			// once more to find it the last.
			if rc.reads > 7 {
				t.Fatalf("%d reads of operations and conflicts for 12 operations, want a page at a time", rc.reads)
			}
		})
	}
}
