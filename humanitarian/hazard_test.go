package humanitarian_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/planar"
	"github.com/truce-project/truce"
	"github.com/truce-project/truce/humanitarian"
	"github.com/truce-project/truce/spatial"
)

// zoneIndex is a real spatial zone index holding zones of the given kinds
// (always active, surface to 1 km), as the hazard check sees it.
func zoneIndex(t testing.TB, zs map[string]struct {
	kind truce.ZoneKind
	geom orb.Geometry
}) humanitarian.ZoneIndexChecker {
	t.Helper()
	x := spatial.NewZoneIndex()
	for id, z := range zs {
		if err := x.Insert(spatial.Zone{ID: id, Geometry: z.geom, FloorM: 0, CeilingM: 1000}); err != nil {
			t.Fatal(err)
		}
	}
	return humanitarian.ZoneIndexChecker{Index: x, Record: func(id string) (humanitarian.ZoneHit, bool) {
		z, ok := zs[id]
		return humanitarian.ZoneHit{ZoneID: id, Version: 1, Name: "zone " + id, Kind: z.kind}, ok
	}}
}

func box(x0, y0, x1, y1 float64) orb.Polygon {
	return orb.Polygon{{{x0, y0}, {x1, y0}, {x1, y1}, {x0, y1}, {x0, y0}}}
}

// TestHazards_Site: a site meets an exclusion zone through its buffer,
// and not without it; a no-fly zone is no hazard to a site; recent alerts
// of a hazardous kind within 5 km of its area are hazards, with their
// distance, and other kinds, older ones and farther ones are not.
func TestHazards_Site(t *testing.T) {
	t0 := time.Date(2030, 1, 1, 6, 0, 0, 0, time.UTC)
	clock := t0
	zones := zoneIndex(t, map[string]struct {
		kind truce.ZoneKind
		geom orb.Geometry
	}{
		"ex":    {truce.ZoneExclusion, box(36.08, 32.60, 36.2, 32.7)},
		"nofly": {truce.ZoneNoFly, box(35.9, 33.0, 36.3, 33.5)},
	})
	recent := &humanitarian.RecentAlerts{Now: func() time.Time { return clock }}
	add := func(id string, kind truce.AlertKind, lon, lat float64, ago time.Duration) {
		recent.Add(&truce.Alert{ID: id, Kind: kind, Lon: lon, Lat: lat, Time: clock.Add(-ago), Summary: "test " + id})
	}
	// 0.01° of longitude at 32.6° N is about 937 m.
	add("near", truce.AlertZoneEntry, 36.07, 32.55, time.Hour)              // ~3.7 km east of the point site
	add("violation", "violation", 36.03, 32.552, 2*time.Hour)               // ~0.6 km from it
	add("overdue", humanitarian.AlertAckOverdue, 36.031, 32.551, time.Hour) // not a hazard kind
	add("old", truce.AlertProximity, 36.03, 32.55, 80*time.Hour)            // out of the window
	add("far", truce.AlertSquawk, 36.15, 32.55, time.Hour)                  // ~12 km
	if recent.Len() != 3 {
		t.Fatalf("kept %d alerts, want near, violation and far", recent.Len())
	}
	h := humanitarian.Hazards{Zones: zones, Alerts: recent}
	site := func(geom string, bufferM float64) humanitarian.SiteFields {
		return humanitarian.SiteFields{Name: "Clinic", Category: humanitarian.Hospital, Organisation: "SARC", Geometry: json.RawMessage(geom),
			BufferM: bufferM, ValidFrom: t0}
	}
	tests := []struct {
		name   string
		geom   orb.Geometry
		buffer float64
		zones  []string
		alerts []string
	}{
		{"PointFarFromZone", orb.Point{36.03, 32.55}, 0, nil, []string{"near", "violation"}}, // newest first
		// 0.07° (about 6.6 km) west of the zone: a 7 km buffer reaches it.
		// The violation is ~11 km from the point, the entry ~12.4 km: 7 km of
		// buffer and 5 km of margin reach the first only.
		{"PointBufferReachesZone", orb.Point{36.01, 32.65}, 7000, []string{"ex"}, []string{"violation"}},
		{"PointBufferShort", orb.Point{36.01, 32.65}, 5000, nil, nil},
		{"PointUnderNoFly", orb.Point{36.1, 33.2}, 0, nil, nil},
		{"PolygonInZone", box(36.1, 32.62, 36.11, 32.63), 0, []string{"ex"}, nil},
		{"PolygonHoldsAlert", box(36.14, 32.54, 36.16, 32.56), 0, nil, []string{"far"}},
		{"PolygonBufferReachesZone", box(36.0, 32.64, 36.01, 32.65), 7000, []string{"ex"}, []string{"near", "violation"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := site("", tt.buffer)
			hz, err := h.SiteHazards(context.Background(), tt.geom, &f)
			if err != nil {
				t.Fatal(err)
			}
			var zs, as []string
			for _, x := range hz {
				if x.Reason == "" {
					t.Errorf("hazard without a reason: %+v", x)
				}
				switch x.Kind {
				case "zone":
					zs = append(zs, x.ZoneID)
				case "alert":
					as = append(as, x.AlertID)
					if x.DistanceM == nil || *x.DistanceM > tt.buffer+humanitarian.AlertMarginM {
						t.Errorf("alert %s at %v m", x.AlertID, x.DistanceM)
					}
				}
			}
			if !slices.Equal(zs, tt.zones) || !slices.Equal(as, tt.alerts) {
				t.Fatalf("zones %v alerts %v, want %v %v", zs, as, tt.zones, tt.alerts)
			}
			if tt.name == "PolygonHoldsAlert" && *hz[0].DistanceM != 0 {
				t.Errorf("an alert inside the site is %v m from it", *hz[0].DistanceM)
			}
		})
	}
	// Three days on, the alerts have aged out.
	clock = t0.Add(73 * time.Hour)
	f := site("", 0)
	if hz, err := h.SiteHazards(context.Background(), orb.Point{36.03, 32.55}, &f); err != nil || len(hz) != 0 {
		t.Fatalf("after the window: %v %+v", err, hz)
	}
	recent.Prune()
	if recent.Len() != 0 {
		t.Errorf("%d alerts kept past the window", recent.Len())
	}
}

// TestHazards_RouteAlerts: a recent alert within 5 km of a route's
// corridor is a hazard; one 8 km away is not.
func TestHazards_RouteAlerts(t *testing.T) {
	t0 := time.Date(2030, 1, 1, 6, 0, 0, 0, time.UTC)
	recent := &humanitarian.RecentAlerts{Now: func() time.Time { return t0 }}
	// ramthaDaraa runs north-east; these are about 3 km and 8 km
	// south-east of its middle vertex (36.05, 32.59).
	recent.Add(&truce.Alert{ID: "3km", Kind: truce.AlertProximity, Lon: 36.075, Lat: 32.575, Time: t0.Add(-time.Hour)})
	recent.Add(&truce.Alert{ID: "8km", Kind: truce.AlertProximity, Lon: 36.11, Lat: 32.54, Time: t0.Add(-time.Hour)})
	f := humanitarian.MovementFields{CorridorM: 500, Departure: humanitarian.Window{From: t0, To: t0.Add(time.Hour)}, Arrival: humanitarian.Window{From: t0.Add(time.Hour), To: t0.Add(3 * time.Hour)}}
	hz, err := humanitarian.Hazards{Alerts: recent}.RouteHazards(context.Background(), ramthaDaraa, &f)
	if err != nil {
		t.Fatal(err)
	}
	if len(hz) != 1 || hz[0].AlertID != "3km" || math.Abs(*hz[0].DistanceM-2200) > 600 {
		t.Fatalf("hazards %+v", hz)
	}
}

// TestRecentAlerts_Bounded: past MaxRecentAlerts the oldest alerts go
// first.
func TestRecentAlerts_Bounded(t *testing.T) {
	t0 := time.Date(2030, 1, 1, 6, 0, 0, 0, time.UTC)
	r := &humanitarian.RecentAlerts{Now: func() time.Time { return t0 }}
	n := humanitarian.MaxRecentAlerts + 10
	for i := range n {
		r.Add(&truce.Alert{ID: fmt.Sprint(i), Kind: truce.AlertZoneEntry, Lon: 36 + float64(i%1000)/1000, Lat: 32 + float64(i/1000)/1000, Time: t0.Add(-time.Hour)})
	}
	if r.Len() != humanitarian.MaxRecentAlerts {
		t.Fatalf("kept %d, want %d", r.Len(), humanitarian.MaxRecentAlerts)
	}
	f := humanitarian.SiteFields{ValidFrom: t0}
	hz, _ := humanitarian.Hazards{Alerts: r}.SiteHazards(context.Background(), orb.Point{36, 32}, &f)
	for _, h := range hz {
		if h.AlertID == "0" {
			t.Fatal("the oldest alert is still kept")
		}
	}
}

// TestSiteService_Hazards: a site notified near a recent violation and
// inside an exclusion zone is recorded with both hazards, read back as
// recorded and covered by its version hash; its closure carries none.
func TestSiteService_Hazards(t *testing.T) {
	for name, open := range openers {
		t.Run(name, func(t *testing.T) {
			w := newWorld(t, open(t))
			now := time.Now()
			w.svc.Hazards = zoneIndex(t, map[string]struct {
				kind truce.ZoneKind
				geom orb.Geometry
			}{"ex": {truce.ZoneExclusion, box(36.08, 32.60, 36.2, 32.7)}})
			w.svc.Alerts = &humanitarian.RecentAlerts{}
			w.svc.Alerts.Add(&truce.Alert{ID: "v1", Kind: "violation", Lon: 36.11, Lat: 32.63, Time: now.Add(-time.Hour), Summary: "shelling"})
			site := must[*humanitarian.Site](t)(w.svc.NotifySite(w.sarc, humanitarian.SiteCreate{AgreementID: w.ag.ID, SiteFields: hospital(now.Add(72 * time.Hour))}))
			if len(site.Hazards) != 2 || site.Hazards[0].ZoneID != "ex" || site.Hazards[1].AlertID != "v1" {
				t.Fatalf("hazards %+v", site.Hazards)
			}
			back := must[*humanitarian.Site](t)(w.svc.FindSite(w.ga, site.ID))
			if len(back.Hazards) != 2 || back.Hash != site.Hash {
				t.Fatalf("read back %+v", back.Hazards)
			}
			back.Hazards = nil
			if h, _ := humanitarian.VersionHash(back); h == site.Hash {
				t.Error("the version hash does not cover the hazards")
			}
			closed := must[*humanitarian.Site](t)(w.svc.CloseSite(w.sarc, site.ID, 0))
			if len(closed.Hazards) != 0 {
				t.Errorf("a closed site with hazards %+v", closed.Hazards)
			}
		})
	}
}

// TestSegmentBoxes_HoldTheCorridor: every point within the half-width of
// a route (as Corridor measures it, in the route's local plane) lies in one of
// the rectangles the zone check asks about, and none is farther than
// 1.5 half-widths from the route: the check may only be a little wider
// than the corridor, never narrower. Randomised; the seed is printed.
func TestSegmentBoxes_HoldTheCorridor(t *testing.T) {
	seed := time.Now().UnixNano()
	t.Logf("seed %d", seed)
	rnd := rand.New(rand.NewPCG(uint64(seed), 7))
	route := orb.LineString{{36.0076, 32.5560}, {36.0500, 32.5900}, {36.0510, 32.6300}, {36.1020, 32.6189}, {36.0900, 32.5800}}
	const half = 500.0
	boxes := humanitarian.SegmentBoxes(route, half)
	c := humanitarian.NewCorridor(route, half)
	inBox := func(p orb.Point) bool {
		for _, b := range boxes {
			if planar.PolygonContains(b, p) {
				return true
			}
		}
		return false
	}
	for range 20_000 {
		p := orb.Point{36.0 + rnd.Float64()*0.12, 32.54 + rnd.Float64()*0.1}
		d := c.DistanceM(p[0], p[1])
		switch {
		case d <= half*0.99 && !inBox(p):
			t.Fatalf("%v, %.0f m from the route, is in no rectangle", p, d)
		case d > half*1.5 && inBox(p):
			t.Fatalf("%v, %.0f m from the route, is in a rectangle", p, d)
		}
	}
}

// TestHazardBand: a site or a ground movement meets the zones at the
// surface and just above it, an air movement every zone up to 20 km; the
// band is asked of a real zone index, so a zone outside it is not met.
func TestHazardBand(t *testing.T) {
	x := spatial.NewZoneIndex()
	bands := map[string][2]float64{
		"surface":   {0, 50},
		"low":       {80, 300},
		"above100":  {150, 3000},
		"high":      {10_000, 15_000},
		"above20km": {21_000, 25_000},
	}
	for id, b := range bands {
		if err := x.Insert(spatial.Zone{ID: id, Geometry: box(36, 32, 36.1, 32.1), FloorM: b[0], CeilingM: b[1]}); err != nil {
			t.Fatal(err)
		}
	}
	check := humanitarian.ZoneIndexChecker{Index: x, Record: func(id string) (humanitarian.ZoneHit, bool) {
		return humanitarian.ZoneHit{ZoneID: id}, true
	}}
	t0 := time.Date(2030, 1, 1, 6, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		air                 bool
		wantFloor, wantCeil float64
		want                []string
	}{
		{air: false, wantFloor: -500, wantCeil: 100, want: []string{"low", "surface"}},
		{air: true, wantFloor: -500, wantCeil: 20_000, want: []string{"above100", "high", "low", "surface"}},
	} {
		t.Run(fmt.Sprintf("air=%v", tc.air), func(t *testing.T) {
			if f, c := humanitarian.HazardBand(tc.air); f != tc.wantFloor || c != tc.wantCeil {
				t.Errorf("HazardBand(%v) = %v, %v; want %v, %v", tc.air, f, c, tc.wantFloor, tc.wantCeil)
			}
			hits, err := check.ZonesMeeting(context.Background(), orb.Point{36.05, 32.05}, tc.air, t0, t0.Add(time.Hour))
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, h := range hits {
				got = append(got, h.ZoneID)
			}
			slices.Sort(got)
			if !slices.Equal(got, tc.want) {
				t.Errorf("zones met: %v, want %v", got, tc.want)
			}
		})
	}
}

// TestZoneHitOf: the hazard names the version in force and its
// agreement; a record without a version makes none.
func TestZoneHitOf(t *testing.T) {
	if _, ok := humanitarian.ZoneHitOf(truce.ZoneAt{Zone: &truce.Zone{ID: "z"}}); ok {
		t.Error("a record without a version made a hazard")
	}
	v := &truce.ZoneVersion{ZoneID: "z", AgreementID: "a", Version: 3, Spec: truce.ZoneSpec{Name: "Buffer", Kind: truce.ZoneBuffer}}
	got, ok := humanitarian.ZoneHitOf(truce.ZoneAt{Version: v})
	want := humanitarian.ZoneHit{ZoneID: "z", Version: 3, Name: "Buffer", Kind: truce.ZoneBuffer, AgreementID: "a"}
	if !ok || got != want {
		t.Errorf("ZoneHitOf = %+v, %v; want %+v", got, ok, want)
	}
}
