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
