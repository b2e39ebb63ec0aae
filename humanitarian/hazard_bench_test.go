package humanitarian_test

import (
	"context"
	"math/rand/v2"
	"strconv"
	"testing"
	"time"

	"github.com/paulmach/orb"
	"github.com/truce-project/truce"
	"github.com/truce-project/truce/geo"
	"github.com/truce-project/truce/geo/geotest"
	"github.com/truce-project/truce/humanitarian"
	"github.com/truce-project/truce/spatial"
)

// hazardWorld is the load for the hazard check: 5,000 zones made
// from OCHA's 272 real Syrian sub-districts (COD-AB, CC BY-IGO, credit
// OCHA / HDX; copies placed by geotest.CopyMove, copy 0 over Syria), all
// of a hazardous kind so that every zone met costs the whole check, and
// 100,000 recent alerts spread over the area the copies cover.
type hazardWorld struct {
	h      humanitarian.Hazards
	route  orb.LineString
	routeM float64
}

func newHazardWorld(b *testing.B, nZones, nAlerts int) *hazardWorld {
	b.Helper()
	src, err := geotest.LoadLoose("../geo/testdata/syria-admin3-ocha.geojson")
	if err != nil {
		b.Fatal(err)
	}
	x := spatial.NewZoneIndex()
	var zs []spatial.Zone
	hits := map[string]humanitarian.ZoneHit{}
	var bound orb.Bound
	for k := 0; len(zs) < nZones; k++ {
		move := geotest.CopyMove(k, 5)
		for _, f := range src {
			if len(zs) == nZones {
				break
			}
			id := strconv.Itoa(len(zs))
			g := geotest.Moved(f.Geometry, move)
			zs = append(zs, spatial.Zone{ID: id, Geometry: g, FloorM: 0, CeilingM: 1000})
			hits[id] = humanitarian.ZoneHit{ZoneID: id, Version: 1, Name: "sub-district " + id, Kind: truce.ZoneExclusion}
			if len(zs) == 1 {
				bound = g.Bound()
			}
			bound = bound.Union(g.Bound())
		}
	}
	if err := x.Load(zs); err != nil {
		b.Fatal(err)
	}
	now := time.Date(2030, 1, 1, 6, 0, 0, 0, time.UTC)
	recent := &humanitarian.RecentAlerts{Now: func() time.Time { return now }}
	rnd := rand.New(rand.NewPCG(1, 2))
	for i := range nAlerts {
		recent.Add(&truce.Alert{ID: strconv.Itoa(i), Kind: truce.AlertZoneEntry, Time: now.Add(-time.Duration(rnd.Int64N(int64(71 * time.Hour)))),
			Lon: bound.Min[0] + rnd.Float64()*(bound.Max[0]-bound.Min[0]), Lat: bound.Min[1] + rnd.Float64()*(bound.Max[1]-bound.Min[1])})
	}
	// Dar'a, Damascus, An Nabk, Homs (GeoNames), as copy 0 places them,
	// with a vertex every kilometre or so, each moved up to 200 m off the
	// straight line, as a drawn road winds.
	move := geotest.CopyMove(0, 5)
	stops := []orb.Point{move(orb.Point{36.1021, 32.6189}), move(orb.Point{36.2913, 33.5102}), move(orb.Point{36.7267, 34.0243}), move(orb.Point{36.7235, 34.7268})}
	var route orb.LineString
	total := 0.0
	for i := 1; i < len(stops); i++ {
		a, c := stops[i-1], stops[i]
		d := geo.Distance(a, c)
		total += d
		n := int(d / 1000)
		for k := range n {
			f := float64(k) / float64(n)
			j := 0.0
			if k > 0 {
				j = (rnd.Float64()*2 - 1) * 200 / 111_320
			}
			route = append(route, orb.Point{a[0] + f*(c[0]-a[0]) + j, a[1] + f*(c[1]-a[1]) - j})
		}
	}
	route = append(route, stops[len(stops)-1])
	return &hazardWorld{h: humanitarian.Hazards{Zones: humanitarian.ZoneIndexChecker{Index: x, Record: func(id string) (humanitarian.ZoneHit, bool) {
		h, ok := hits[id]
		return h, ok
	}}, Alerts: recent}, route: route, routeM: total}
}

// BenchmarkHazards is the hazard check of a new site and of a 200 km
// route against 5,000 zones and 100,000 recent alerts (the issue's
// target: ≤ 1 ms each).
func BenchmarkHazards(b *testing.B) {
	w := newHazardWorld(b, 5000, 100_000)
	t0 := time.Date(2030, 1, 2, 6, 0, 0, 0, time.UTC)
	ctx := context.Background()
	b.Run("Route", func(b *testing.B) {
		f := humanitarian.MovementFields{CorridorM: 500, Departure: humanitarian.Window{From: t0, To: t0.Add(time.Hour)}, Arrival: humanitarian.Window{From: t0.Add(4 * time.Hour), To: t0.Add(8 * time.Hour)}}
		n := 0
		cpu := cpuPerOp(b)
		for b.Loop() {
			hz, err := w.h.RouteHazards(ctx, w.route, &f)
			if err != nil {
				b.Fatal(err)
			}
			n = len(hz)
		}
		cpu()
		b.ReportMetric(float64(n), "hazards")
		b.ReportMetric(w.routeM/1000, "route-km")
		b.ReportMetric(float64(len(w.route)), "vertices")
	})
	b.Run("Site", func(b *testing.B) {
		f := humanitarian.SiteFields{BufferM: 1000, ValidFrom: t0}
		site := geotest.CopyMove(0, 5)(orb.Point{36.2913, 33.5102}) // Damascus
		n := 0
		cpu := cpuPerOp(b)
		for b.Loop() {
			hz, err := w.h.SiteHazards(ctx, site, &f)
			if err != nil {
				b.Fatal(err)
			}
			n = len(hz)
		}
		cpu()
		b.ReportMetric(float64(n), "hazards")
	})
}

// cpuPerOp starts measuring the process's CPU time (user and system); the
// function it returns reports it per op as cpu-ns/op. On a machine shared
// by many, wall time per op measures the queue for a core; CPU time
// measures the work (run with -cpu 1 so that it is one core's).
func cpuPerOp(b *testing.B) func() {
	start := cpuTime()
	return func() { b.ReportMetric(float64(cpuTime()-start)/float64(b.N), "cpu-ns/op") }
}
