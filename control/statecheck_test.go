package control_test

import (
	"context"
	"database/sql"
	"strings"
	"testing"

	"github.com/truce-project/truce"
	"github.com/truce-project/truce/control"
)

// TestService_StateCheck: the self-check's state pass covers control's
// records. As written, every actor, control area, guarantee and breach
// (with its signed response) matches its journal entry. Each row changed
// behind the server's back — a document edited, a column the queries
// select on (a breach's status, which hides it from the open list and
// from escalation), a row deleted — is found and named. Before control
// had a StateCheck the self-check found none of them.
func TestService_StateCheck(t *testing.T) {
	for name, open := range stores {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			for _, tc := range []struct {
				name, sql, want string
			}{
				{"actor", `UPDATE control_actors SET body = REPLACE(body, '"faction"', '"saa2"') WHERE slug = 'faction'`, "actor record"},
				{"area", `UPDATE control_areas SET body = REPLACE(body, '"village"', '"hamlet"') WHERE body LIKE '%"village"%'`, "control_area record"},
				{"area actor column", `UPDATE control_areas SET actor_id = (SELECT id FROM control_actors WHERE slug = 'saa') WHERE body LIKE '%"village"%'`, "control area"},
				{"guarantee", `UPDATE control_guarantees SET body = REPLACE(body, '"allowed":[', '"allowed":["x",')`, "guarantee record"},
				{"breach response", `UPDATE control_breaches SET body = REPLACE(body, 'Police returned.', 'Nothing happened.') WHERE status = 'answered'`, "breach record"},
				{"breach status column", `UPDATE control_breaches SET status = 'answered' WHERE status = 'open'`, "breach"},
				{"breach deleted", `DELETE FROM control_breaches WHERE status = 'open'`, "which is not stored"},
				{"area deleted", `DELETE FROM control_areas WHERE body LIKE '%"town"%'`, "which is not stored"},
			} {
				t.Run(tc.name, func(t *testing.T) {
					st := open(t)
					w := newWorld(t, st)
					svc := w.svc
					for _, a := range []control.ActorInput{{Slug: "saa", Names: map[string]string{"en": "saa"}, Type: control.StateForces}, {Slug: "faction", Names: map[string]string{"en": "f"}, Type: control.RebelGroup}} {
						if _, err := svc.AddActor(w.asMonitor, a); err != nil {
							t.Fatal(err)
						}
					}
					if _, err := svc.AddGuarantee(w.asRU, control.GuaranteeInput{AgreementID: w.agreement.ID, ZoneID: w.zone.ID, Guarantors: []string{"ru"}, Allowed: []string{"saa"}, From: w.clock.Now()}); err != nil {
						t.Fatal(err)
					}
					var breaches []*control.Breach
					for _, n := range []string{"village", "town"} {
						r, err := svc.AddControl(w.asMonitor, control.ControlInput{Actor: "faction", Name: n, Geometry: geom(35.93, 32.73, 35.95, 32.75), From: w.clock.Now(), Source: "s", Confidence: control.ConfidenceLow})
						if err != nil || len(r.Breaches) != 1 {
							t.Fatalf("%s: %+v %v", n, r, err)
						}
						breaches = append(breaches, r.Breaches...)
					}
					if _, err := svc.Respond(w.asRU, breaches[0].ID, "Police returned.", ""); err != nil {
						t.Fatal(err)
					}
					check := svc.StateCheck()
					n, err := svc.Journal.CheckState(ctx, nil, check)
					if err != nil || n < 7 {
						t.Fatalf("the records as written: %d checked, %v", n, err)
					}
					if len(svc.Journal.Integrity.Problems()) != 0 {
						t.Fatalf("problems as written: %v", svc.Journal.Integrity.Problems())
					}
					db := st.(interface{ DB() *sql.DB }).DB()
					res, err := db.Exec(tc.sql)
					if err != nil {
						t.Fatal(err)
					}
					if n, _ := res.RowsAffected(); n != 1 {
						t.Fatalf("%s changed %d rows", tc.sql, n)
					}
					_, err = svc.Journal.CheckState(ctx, nil, check)
					if truce.ErrorCode(err) != truce.EINTEGRITY {
						t.Fatalf("after %s: %v, want EINTEGRITY", tc.sql, err)
					}
					if ps := strings.Join(svc.Journal.Integrity.Problems(), "\n"); !strings.Contains(ps, tc.want) {
						t.Fatalf("problems %q do not name the %s", ps, tc.want)
					}
				})
			}
		})
	}
}
