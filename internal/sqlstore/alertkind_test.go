package sqlstore_test

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/truce-project/truce"
	"github.com/truce-project/truce/internal/teststores"
)

// TestAlerts_ByKindPlan: listing one kind of alert reads that kind's
// newest rows from the alerts_kind index (migration 025), on both
// databases, instead of scanning the whole table and sorting it. The
// table holds 5,000 alerts of one kind and 20 of another; the plan is
// read for the rare kind, first page and next page. It logs the time of
// the rare kind's first page.
func TestAlerts_ByKindPlan(t *testing.T) {
	for name, open := range teststores.StoreOpeners {
		t.Run(name, func(t *testing.T) {
			st := open(t)
			db := st.(interface{ DB() *sql.DB }).DB()
			q := st.(interface {
				AlertsQuery(truce.AlertFilter) (string, []any)
			})
			ctx := context.Background()
			conn, err := db.Conn(ctx)
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			tx, err := conn.BeginTx(ctx, nil)
			if err != nil {
				t.Fatal(err)
			}
			dollar := name == "PostgreSQL"
			ins := `INSERT INTO alerts (id, kind, state, time, lon, lat, doc, version, episode, ended) VALUES (?, ?, 'open', ?, 36, 33, ?, 1, '', ?)`
			if dollar {
				ins = `INSERT INTO alerts (id, kind, state, time, lon, lat, doc, version, episode, ended) VALUES ($1, $2, 'open', $3, 36, 33, $4, 1, '', $5)`
			}
			t0 := time.Now()
			for i := range 5020 {
				kind := "zone_entry"
				if i%251 == 0 {
					kind = "emergency_squawk"
				}
				if _, err := tx.ExecContext(ctx, ins, fmt.Sprintf("%08d-0000-7000-8000-000000000000", i), kind, t0.UnixMicro()+int64(i), `{"kind":"`+kind+`"}`, false); err != nil {
					t.Fatal(err)
				}
			}
			if err := tx.Commit(); err != nil {
				t.Fatal(err)
			}
			if _, err := conn.ExecContext(ctx, `ANALYZE`); err != nil {
				t.Fatal(err)
			}
			for _, f := range []truce.AlertFilter{
				{Kind: "emergency_squawk", Limit: 10},
				{Kind: "emergency_squawk", Limit: 10, Cursor: "00002600-0000-7000-8000-000000000000"},
			} {
				query, args := q.AlertsQuery(f)
				explain := "EXPLAIN QUERY PLAN "
				if dollar {
					explain = "EXPLAIN "
				}
				rows, err := conn.QueryContext(ctx, explain+query, args...)
				if err != nil {
					t.Fatal(err)
				}
				cols, _ := rows.Columns()
				var plan []string
				for rows.Next() {
					vals := make([]any, len(cols))
					ptrs := make([]any, len(cols))
					for i := range vals {
						ptrs[i] = &vals[i]
					}
					if err := rows.Scan(ptrs...); err != nil {
						t.Fatal(err)
					}
					plan = append(plan, fmt.Sprint(vals[len(vals)-1]))
				}
				rows.Close()
				text := strings.Join(plan, "\n")
				if !strings.Contains(text, "alerts_kind") || strings.Contains(text, "Seq Scan on alerts") || strings.Contains(text, "SCAN alerts") {
					t.Errorf("cursor %q: the plan does not read the kind from alerts_kind:\n%s", f.Cursor, text)
				}
			}
			start := time.Now()
			as, err := st.Airspace().Alerts(ctx, truce.AlertFilter{Kind: "emergency_squawk", Limit: 10})
			if err != nil || len(as) != 10 || as[0].Kind != "emergency_squawk" {
				t.Fatalf("listing by kind: %d alerts, %v", len(as), err)
			}
			t.Logf("first page of the rare kind in %s", time.Since(start))
		})
	}
}
