package node

import (
	"context"
	"database/sql"
	"encoding/json"
	"reflect"
	"testing"

	"github.com/truce-project/truce"
	"github.com/truce-project/truce/observation"
)

// TestObservation_ReportZones: the daily report reads the zones in force
// for many incidents at once (each agreement read once); that answers as
// asking one place at a time does, inside the zone and outside it, and
// the report counts the reported shelling in its de-escalation zone.
func TestObservation_ReportZones(t *testing.T) {
	c := shellingInZone(t, false)
	inc, err := c.n.Observation.FindIncident(c.operator, c.o.IncidentID)
	if err != nil {
		t.Fatal(err)
	}
	z, ok := c.n.Observation.Zones.(observation.ManyZones)
	if !ok {
		t.Fatal("the node's zones answer one place at a time only")
	}
	at := z.InForceMany(c.operator)
	for _, p := range []observation.Point{inc.Center, {Lon: 38.5, Lat: 35.0}} {
		one, err1 := z.InForce(c.operator, p, inc.End)
		many, err2 := at(p, inc.End)
		if err1 != nil || err2 != nil || !reflect.DeepEqual(one, many) {
			t.Fatalf("at %v: one at a time %+v (%v), many %+v (%v)", p, one, err1, many, err2)
		}
	}
	if one, _ := z.InForce(c.operator, inc.Center, inc.End); len(one) != 1 || one[0].ZoneID != c.z.ID {
		t.Fatalf("zones in force at the shelling: %+v", one)
	}
	r, err := c.n.Observation.DailyReport(c.operator, inc.Start)
	if err != nil || len(r.ByZone) != 1 || r.ByZone[0].ZoneID != c.z.ID || r.ByZone[0].Incidents != 1 || r.ByZone[0].Violations != 0 {
		t.Fatalf("the report by zone: %+v, %v", r.ByZone, err)
	}
}

// TestObservation_MoveVouched: a report's stored row is edited in the
// database to put it in another incident already. Moving it there reads
// where it is as the journal vouches for it: the edit is found
// (EINTEGRITY) rather than taken for "already there" (EINVALID), and
// nothing is journalled.
func TestObservation_MoveVouched(t *testing.T) {
	stores(t, func(t *testing.T, pg bool) {
		e := newTamperEnv(t, pg)
		n := e.mustOpen(t)
		admin := truce.NewContext(context.Background(), e.admin)
		observer, op := monitorTeam(t, n, admin, "centre")
		o1, err := n.Observation.AddObservation(observer, shellingAt(36.1, 33.1))
		if err != nil {
			t.Fatal(err)
		}
		o2, err := n.Observation.AddObservation(observer, shellingAt(37.5, 34.5))
		if err != nil || o2.IncidentID == o1.IncidentID {
			t.Fatalf("the second report: %+v, %v", o2, err)
		}
		n.Close()
		e.edit(t, func(exec func(string, ...any), query func(string, ...any) *sql.Row) {
			var doc string
			if err := query(`SELECT j.body FROM observations o JOIN journal j ON j.idx = o.doc_entry WHERE o.id = ? AND o.doc = ''`, o2.ID).Scan(&doc); err != nil {
				t.Fatal(err)
			}
			var m map[string]any
			if err := json.Unmarshal([]byte(doc), &m); err != nil {
				t.Fatal(err)
			}
			m["incident_id"] = o1.IncidentID
			b, _ := json.Marshal(m)
			exec(`UPDATE observations SET doc = ? WHERE id = ?`, string(b), o2.ID)
		})
		n = e.mustOpen(t)
		ctx := context.Background()
		size, _ := n.Store.JournalSize(ctx)
		if _, err := n.Observation.MoveObservations(op, o1.IncidentID, observation.MoveInput{Observations: []string{o2.ID}, Reason: "same"}); truce.ErrorCode(err) != truce.EINTEGRITY {
			t.Errorf("moving the edited report: %v, want integrity", err)
		}
		if after, _ := n.Store.JournalSize(ctx); after != size {
			t.Errorf("the refused move journalled %d entries", after-size)
		}
	})
}
