package api_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/paulmach/orb"
	"github.com/truce-project/truce"
	"github.com/truce-project/truce/humanitarian"
)

// TestMovements_Hazards: a movement notified through a zone in force is
// recorded, and returned, with the hazard; a no-fly zone is a hazard to
// an air movement only; a route clear of zones has none. Nothing is
// refused.
func TestMovements_Hazards(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	sarc := e.humanitarian(t, "SARC")
	e.agreementInForce(t)
	// The env's no-fly box (36–36.5 E, 33–33.5 N) comes into force, and
	// an exclusion zone across the road into Dar'a.
	e.approveAll(t, e.zone.ID, 1)
	ex, _, err := e.client(e.tokens["us-op"]).ProposeZone(ctx, truce.ZoneProposal{Agreement: e.agreement.ID, Name: "Dar'a east", Kind: truce.ZoneExclusion,
		Geometry: json.RawMessage(`{"type":"Polygon","coordinates":[[[36.08,32.60],[36.2,32.60],[36.2,32.7],[36.08,32.7],[36.08,32.60]]]}`)})
	if err != nil {
		t.Fatal(err)
	}
	e.approveAll(t, ex.ID, 1)

	dep := time.Now().Add(72 * time.Hour)
	movement := func(kind humanitarian.MovementKind, route string) *humanitarian.Movement {
		t.Helper()
		m, err := sarc.CreateMovement(ctx, humanitarian.MovementCreate{AgreementID: e.agreement.ID, Notify: true, MovementFields: humanitarian.MovementFields{
			Name: "Convoy", Organisation: "SARC", Kind: kind, Route: json.RawMessage(route), CorridorM: 200,
			Departure: humanitarian.Window{From: dep, To: dep.Add(time.Hour)}, Arrival: humanitarian.Window{From: dep.Add(time.Hour), To: dep.Add(4 * time.Hour)},
			Vehicles: []humanitarian.Vehicle{{Count: 3, Type: "truck"}}}})
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	zoneIDs := func(m *humanitarian.Movement) []string {
		var ids []string
		for _, h := range m.Hazards {
			if h.Kind == "zone" { // the env's aircraft raised alerts nearby too
				ids = append(ids, h.ZoneID)
			}
		}
		return ids
	}
	tests := []struct {
		name  string
		kind  humanitarian.MovementKind
		route string
		want  []string
	}{
		// Ramtha crossing to Dar'a city: into the exclusion zone.
		{"RoadIntoExclusion", "", `{"type":"LineString","coordinates":[[36.0076,32.5560],[36.1020,32.6189]]}`, []string{ex.ID}},
		// Through the no-fly box on the ground: no hazard.
		{"RoadUnderNoFly", humanitarian.RoadConvoy, `{"type":"LineString","coordinates":[[35.9,33.2],[36.3,33.2]]}`, nil},
		{"AirThroughNoFly", humanitarian.AirMovement, `{"type":"LineString","coordinates":[[35.9,33.2],[36.3,33.2]]}`, []string{e.zone.ID}},
		{"ClearRoute", "", `{"type":"LineString","coordinates":[[36.5,32.3],[36.6,32.4]]}`, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := movement(tt.kind, tt.route)
			if got := zoneIDs(m); len(got) != len(tt.want) || (len(got) > 0 && got[0] != tt.want[0]) {
				t.Fatalf("hazards %+v, want zones %v", m.Hazards, tt.want)
			}
			if len(m.Hazards) > 0 && m.Hazards[0].Reason == "" {
				t.Errorf("a hazard without its reason: %+v", m.Hazards[0])
			}
			// Recorded with the version, as read back.
			if back, err := sarc.FindMovement(ctx, m.ID); err != nil || len(back.Hazards) != len(m.Hazards) || back.Hash != m.Hash {
				t.Errorf("read back: %v %+v", err, back)
			}
		})
	}
}

// TestConvoyTracking: a convoy under way reports its positions (JSON, and
// the OsmAnd query that trackers send); on its route nothing happens;
// off its corridor for longer than the grace time it raises one
// convoy_deviation alert, journalled and served like any alert; another
// party may not report its positions; a position with no latitude is
// refused.
func TestConvoyTracking(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	sarc := e.humanitarian(t, "SARC")
	e.agreementInForce(t)
	dep := time.Now().Add(-time.Hour)
	m, err := sarc.CreateMovement(ctx, humanitarian.MovementCreate{AgreementID: e.agreement.ID, Notify: true, MovementFields: humanitarian.MovementFields{
		Name: "Ramtha–Dar'a convoy", Organisation: "SARC", CorridorM: 500,
		Route:     json.RawMessage(`{"type":"LineString","coordinates":[[36.0076,32.5560],[36.0500,32.5900],[36.1020,32.6189]]}`),
		Departure: humanitarian.Window{From: dep, To: dep.Add(time.Hour)}, Arrival: humanitarian.Window{From: dep.Add(time.Hour), To: dep.Add(4 * time.Hour)},
		Vehicles: []humanitarian.Vehicle{{Count: 3, Type: "truck"}}}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := sarc.MoveMovement(ctx, m.ID, humanitarian.MovementStep{Status: humanitarian.MovementUnderWay}); err != nil {
		t.Fatal(err)
	}
	t0 := time.Now().Add(-10 * time.Minute).Truncate(time.Second)
	report := func(lon, lat float64, at time.Duration) *humanitarian.PositionResult {
		t.Helper()
		res, err := sarc.ReportPosition(ctx, m.ID, humanitarian.ConvoyPosition{Lon: lon, Lat: lat, Time: t0.Add(at)})
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	if res := report(36.0500, 32.5900, 0); !res.Inside || res.Alert != nil {
		t.Fatalf("on the route: %+v", res)
	}
	if res := report(36.0500, 32.5700, time.Minute); res.Inside || res.Alert != nil || res.DistanceM < 1500 {
		t.Fatalf("just off the route: %+v", res)
	}
	// Two minutes off, reported as an OsmAnd tracker does.
	code, _, body := e.do("POST", fmt.Sprintf("/api/v1/convoys/osmand?id=%s&lat=32.5690&lon=36.0510&timestamp=%d&speed=20", m.ID, t0.Add(3*time.Minute).Unix()), sarc.Token, "")
	var res humanitarian.PositionResult
	if code != 200 || json.Unmarshal(body, &res) != nil || res.Alert == nil || res.Alert.Kind != humanitarian.AlertConvoyDeviation {
		t.Fatalf("off the route for two minutes: %d %s", code, body)
	}
	if !strings.Contains(res.Alert.Summary, "off its notified route") || res.Alert.JournalIndex == 0 {
		t.Errorf("alert %+v", res.Alert)
	}
	if res := report(36.0520, 32.5680, 4*time.Minute); res.Alert != nil {
		t.Fatalf("a second alert in the same episode: %+v", res.Alert)
	}
	if al, err := e.client(e.tokens["ru-op"]).FindAlert(ctx, res.Alert.ID); err != nil || al.Kind != humanitarian.AlertConvoyDeviation {
		t.Errorf("the alert as another party reads it: %v %+v", err, al)
	}
	if _, err := e.client(e.tokens["us-op"]).ReportPosition(ctx, m.ID, humanitarian.ConvoyPosition{Lon: 36.05, Lat: 32.59}); truce.ErrorCode(err) != truce.EFORBIDDEN {
		t.Errorf("another party reporting: %v", err)
	}
	if code, _, body := e.do("POST", "/api/v1/convoys/osmand?id="+m.ID+"&lon=36.05", sarc.Token, ""); code != 400 || !strings.Contains(string(body), "lat") {
		t.Errorf("no latitude: %d %s", code, body)
	}
}

// TestMovements_HazardsComingIntoForce: a zone approved to come into
// force later is a hazard to a movement whose windows reach that time,
// and not to one that has arrived before it.
func TestMovements_HazardsComingIntoForce(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	sarc := e.humanitarian(t, "SARC")
	e.agreementInForce(t)
	later := time.Now().Add(48 * time.Hour).Truncate(time.Second)
	ex, _, err := e.client(e.tokens["us-op"]).ProposeZone(ctx, truce.ZoneProposal{Agreement: e.agreement.ID, Name: "Dar'a east", Kind: truce.ZoneExclusion,
		EffectiveFrom: &later, Geometry: json.RawMessage(`{"type":"Polygon","coordinates":[[[36.08,32.60],[36.2,32.60],[36.2,32.7],[36.08,32.7],[36.08,32.60]]]}`)})
	if err != nil {
		t.Fatal(err)
	}
	if v := e.approveAll(t, ex.ID, 1); v.InForceFrom == nil || !v.InForceFrom.Equal(later) {
		t.Fatalf("the zone is in force from %v, want %v", v.InForceFrom, later)
	}
	tests := []struct {
		name string
		dep  time.Time
		want int
	}{
		{"ArrivesBefore", time.Now().Add(2 * time.Hour), 0},
		{"UnderWayWhenInForce", later.Add(-2 * time.Hour), 1},
		{"DepartsAfter", later.Add(24 * time.Hour), 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := sarc.CreateMovement(ctx, humanitarian.MovementCreate{AgreementID: e.agreement.ID, Notify: true, MovementFields: humanitarian.MovementFields{
				Name: "Convoy", Organisation: "SARC", Route: json.RawMessage(`{"type":"LineString","coordinates":[[36.0076,32.5560],[36.1020,32.6189]]}`),
				Departure: humanitarian.Window{From: tt.dep, To: tt.dep.Add(time.Hour)}, Arrival: humanitarian.Window{From: tt.dep.Add(time.Hour), To: tt.dep.Add(4 * time.Hour)},
				Vehicles: []humanitarian.Vehicle{{Count: 3, Type: "truck"}}}})
			if err != nil {
				t.Fatal(err)
			}
			var zs []humanitarian.Hazard
			for _, h := range m.Hazards {
				if h.Kind == "zone" {
					zs = append(zs, h)
				}
			}
			if len(zs) != tt.want || (tt.want > 0 && zs[0].ZoneID != ex.ID) {
				t.Fatalf("hazards %+v, want %d of zone %s", m.Hazards, tt.want, ex.ID)
			}
		})
	}
}

// TestSites_HazardsFromAlerts: an aircraft entering the no-fly zone
// raises an alert; a site notified 3 km from where it entered is recorded
// with that alert as a hazard (the alert reached the hazard check from
// the server's own bus), and one 40 km away is not.
func TestSites_HazardsFromAlerts(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	sarc := e.humanitarian(t, "SARC")
	e.agreementInForce(t)
	e.approveAll(t, e.zone.ID, 1)
	now := time.Now().UTC()
	var lines [][]byte
	for i := range 12 {
		lines = append(lines, ndjson("AE1234", "USAF1", orb.Point{35.9 + float64(i)*0.07, 33.25}, 10000, now.Add(time.Duration(i)*800*time.Millisecond), ""))
	}
	if res, err := e.client(e.tokens["us-op"]).PostPositions(ctx, lines); err != nil || res.Accepted != 12 {
		t.Fatalf("post: %+v %v", res, err)
	}
	var entry *truce.Alert
	e.waitAlerts(t, "the entry of AE1234", func(as []*truce.Alert) bool {
		for _, a := range as {
			if a.Kind == truce.AlertZoneEntry && len(a.Aircraft) > 0 && a.Aircraft[0].ICAO == "AE1234" {
				entry = a
			}
		}
		return entry != nil
	})
	site := func(lon, lat float64) *humanitarian.Site {
		t.Helper()
		s, err := sarc.NotifySite(ctx, humanitarian.SiteCreate{AgreementID: e.agreement.ID, SiteFields: humanitarian.SiteFields{Name: "Clinic", Category: humanitarian.HealthFacility,
			Organisation: "SARC", Geometry: json.RawMessage(fmt.Sprintf(`{"type":"Point","coordinates":[%f,%f]}`, lon, lat)), ValidFrom: now.Add(72 * time.Hour)}})
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	near := site(entry.Lon, entry.Lat-0.027) // 3 km south
	if len(near.Hazards) != 1 || near.Hazards[0].AlertID != entry.ID || near.Hazards[0].DistanceM == nil || *near.Hazards[0].DistanceM < 2500 || *near.Hazards[0].DistanceM > 3500 {
		t.Fatalf("hazards of a site 3 km from the entry: %+v", near.Hazards)
	}
	if far := site(entry.Lon, entry.Lat-0.36); len(far.Hazards) != 0 {
		t.Fatalf("hazards of a site 40 km away: %+v", far.Hazards)
	}
}
