package control_test

import (
	"context"
	"database/sql"
	"strings"
	"testing"

	"github.com/truce-project/truce/control"
)

// TestService_LoadVouched: the control areas and guarantees a server
// loads into memory are checked against their journal entries. Rows
// changed behind its back — a faction's village handed to the allowed
// actor, the faction added to the guarantee's allowed actors — are
// reported, and the map and breach checks use what the journal recorded:
// the village is the faction's, and the faction taking more ground is
// still a breach. Before the load was vouched, the new server drew the
// village as the government's and raised no breach.
func TestService_LoadVouched(t *testing.T) {
	for name, open := range stores {
		t.Run(name, func(t *testing.T) {
			st := open(t)
			w := newWorld(t, st)
			var ids = map[string]string{}
			for _, a := range []control.ActorInput{{Slug: "saa", Names: map[string]string{"en": "saa"}, Type: control.StateForces}, {Slug: "faction", Names: map[string]string{"en": "f"}, Type: control.RebelGroup}} {
				act, err := w.svc.AddActor(w.asMonitor, a)
				if err != nil {
					t.Fatal(err)
				}
				ids[a.Slug] = act.ID
			}
			g, err := w.svc.AddGuarantee(w.asRU, control.GuaranteeInput{AgreementID: w.agreement.ID, ZoneID: w.zone.ID, Guarantors: []string{"ru"}, Allowed: []string{"saa"}, From: w.clock.Now()})
			if err != nil {
				t.Fatal(err)
			}
			village, err := w.svc.AddControl(w.asMonitor, control.ControlInput{Actor: "faction", Name: "village", Geometry: geom(35.93, 32.73, 35.95, 32.75), From: w.clock.Now(), Source: "s", Confidence: control.ConfidenceLow})
			if err != nil || len(village.Breaches) != 1 {
				t.Fatalf("village: %+v %v", village, err)
			}
			db := st.(interface{ DB() *sql.DB }).DB()
			for _, q := range []struct{ sql string }{
				{`UPDATE control_areas SET body = REPLACE(body, '` + ids["faction"] + `', '` + ids["saa"] + `') WHERE id = '` + village.Area.ID + `'`},
				{`UPDATE control_guarantees SET body = REPLACE(body, '"allowed":["` + ids["saa"] + `"]', '"allowed":["` + ids["saa"] + `","` + ids["faction"] + `"]') WHERE id = '` + g.ID + `'`},
			} {
				res, err := db.Exec(q.sql)
				if err != nil {
					t.Fatal(err)
				}
				if n, _ := res.RowsAffected(); n != 1 {
					t.Fatalf("%s changed %d rows", q.sql, n)
				}
			}

			// A second server starts over the same database.
			other := control.New(st.Control(), w.svc.Journal, nil)
			if err := other.Load(context.Background()); err != nil {
				t.Fatal(err)
			}
			problems := strings.Join(w.svc.Journal.Integrity.Problems(), "\n")
			for _, want := range []string{"control_area record " + village.Area.ID, "guarantee record " + g.ID} {
				if !strings.Contains(problems, want) {
					t.Errorf("problems %q do not name the %s", problems, want)
				}
			}
			m, err := other.Map(w.asUS, w.clock.Now())
			if err != nil {
				t.Fatal(err)
			}
			if len(m.Areas) != 1 || m.Areas[0].ActorID != ids["faction"] {
				t.Fatalf("map after a changed row: %+v, want the village held by the faction", m.Areas)
			}
			more, err := other.AddControl(w.asMonitor, control.ControlInput{Actor: "faction", Geometry: geom(35.96, 32.76, 35.97, 32.77), From: w.clock.Now(), Source: "s", Confidence: control.ConfidenceLow})
			if err != nil || len(more.Breaches) != 1 || more.Breaches[0].GuaranteeID != g.ID {
				t.Fatalf("the faction taking more ground: %+v %v, want a breach of the journalled guarantee", more, err)
			}
		})
	}
}
