package node

import (
	"reflect"
	"testing"

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
