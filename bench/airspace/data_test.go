package main

import (
	"math"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geo"
	"github.com/paulmach/orb/planar"
	"github.com/truce-project/truce/feed"
)

// The benchmark's lines must be what the feeds accept, field for field,
// or its rates would count rejected lines.
func TestLines_Decode(t *testing.T) {
	at := time.Date(2025, 3, 1, 12, 0, 1, 250e6, time.UTC)
	ps := []feed.Position{
		{ICAO: 0x100000, Lat: 33.512345, Lon: 36.291234, AltFt: 10000, Time: at},
		{ICAO: 0xabcdef, Lat: -89.999999, Lon: -179.5, AltFt: 40000, Time: at.Add(time.Second)},
	}
	for _, p := range ps {
		for _, tc := range []struct {
			name string
			line []byte
			dec  func([]byte, time.Time) (feed.Position, error)
		}{
			{"SBS", appendSBS(nil, p), feed.DecodeSBS},
			{"NDJSON", appendNDJSON(nil, p), feed.DecodeNDJSON},
		} {
			t.Run(tc.name, func(t *testing.T) {
				got, err := tc.dec(tc.line, at)
				if err != nil {
					t.Fatalf("%s: %v", tc.line, err)
				}
				if got.ICAO != p.ICAO || math.Abs(got.Lat-p.Lat) > 1e-6 || math.Abs(got.Lon-p.Lon) > 1e-6 || got.AltFt != p.AltFt || !got.Time.Equal(p.Time) {
					t.Errorf("%s decoded as %+v", tc.line, got)
				}
			})
		}
	}
}

// Every fence of the largest set stays on the globe (the 5-column grid of
// the older harness ran past the pole at 20,000), and bands alternate.
func TestFences_OnTheGlobe(t *testing.T) {
	src, err := loadPolygons("../../geo/testdata/syria-admin3-ocha.geojson")
	if err != nil {
		t.Fatal(err)
	}
	fs, area := fences(src, 20000)
	if len(fs) != 20000 {
		t.Fatalf("%d fences", len(fs))
	}
	if area.Min[0] < -180 || area.Max[0] > 180 || area.Min[1] < -90 || area.Max[1] > 90 {
		t.Errorf("fences span %v", area)
	}
	for j, want := range []struct{ lo, hi float64 }{{math.Inf(-1), math.Inf(1)}, {math.Inf(-1), 15000}, {10000, 30000}} {
		if fs[j].FloorFt != want.lo || fs[j].CeilFt != want.hi {
			t.Errorf("fence %d band %v–%v, want %v–%v", j, fs[j].FloorFt, fs[j].CeilFt, want.lo, want.hi)
		}
	}
	small, _ := fences(src, 1000)
	if geoJSON(small[999].Geometry) != geoJSON(fs[999].Geometry) {
		t.Error("the 1,000-fence set is not the start of the 20,000-fence set")
	}
}

// The dense scenario is what the benchmark says it is: 16-vertex fences of
// radius 200–1,500 m inside the 1°×1° box, nested by count, and vehicles
// that move at most 50 m an update and cross their own fence's boundary on
// at least a tenth of their updates.
func TestDense_Scenario(t *testing.T) {
	fs := denseFences(1000)
	if len(fs) != 1000 || geoJSON(denseFences(20)[19].Geometry) != geoJSON(fs[19].Geometry) {
		t.Fatal("the smaller fence set is not the start of the larger")
	}
	for _, f := range fs {
		ring := f.Geometry.(orb.Polygon)[0]
		if len(ring) != denseVertices+1 || ring[0] != ring[len(ring)-1] {
			t.Fatalf("%s: ring of %d points", f.Name, len(ring))
		}
		c := f.Geometry.Bound().Center()
		for _, p := range ring {
			if p[0] < denseLon || p[0] > denseLon+1 || p[1] < denseLat || p[1] > denseLat+1 {
				t.Fatalf("%s: vertex %v outside the box", f.Name, p)
			}
			if r := geo.Distance(c, p); r < 199 || r > 1501 {
				t.Fatalf("%s: radius %.0f m", f.Name, r)
			}
		}
	}
	fleet := denseFleet(fs, 10000, 1)
	ps := denseStream(fleet, 200000, time.Unix(0, 0))
	crossings := 0
	last := map[uint32]feed.Position{}
	for _, p := range ps {
		if q, ok := last[p.ICAO]; ok {
			if d := geo.Distance(orb.Point{q.Lon, q.Lat}, orb.Point{p.Lon, p.Lat}); d > 50.01 {
				t.Fatalf("%06X moved %.1f m in one update", p.ICAO, d)
			}
			own := fs[int(p.ICAO-0x500000)%len(fs)].Geometry.(orb.Polygon)
			if planar.PolygonContains(own, orb.Point{q.Lon, q.Lat}) != planar.PolygonContains(own, orb.Point{p.Lon, p.Lat}) {
				crossings++
			}
		}
		last[p.ICAO] = p
	}
	share := float64(crossings) / float64(len(ps))
	t.Logf("%.1f %% of updates cross their own fence's boundary", 100*share)
	if share < 0.10 {
		t.Errorf("%.1f %% of updates cross their fence's boundary, want at least 10 %%", 100*share)
	}
}

// TestInForceWait: a stream whose earliest report, once moved to end a
// second before now, would predate the zones coming into force is held
// back until it does not (the monitor would find no zone for it); an
// older setup, or a directory that does not say, waits for nothing.
func TestInForceWait(t *testing.T) {
	now := time.Date(2026, 12, 7, 18, 0, 0, 0, time.UTC)
	ps := denseStream(denseFleet(denseFences(10), 100, 1), 3000, now.Add(-time.Hour)) // 30 s of reports
	span := ps[len(ps)-1].Time.Sub(ps[0].Time)
	if span < 29*time.Second {
		t.Fatalf("the stream spans %v", span)
	}
	dir := t.TempDir()
	if got := inForceWait(dir, ps, now); got != 0 {
		t.Fatalf("no setup time: wait %v", got)
	}
	for _, tc := range []struct {
		inForce time.Duration // before now
		want    time.Duration
	}{
		{10 * time.Second, span - 10*time.Second + 2*time.Second},
		{span + time.Second, time.Second},
		{span + 3*time.Second, 0},
		{time.Hour, 0},
	} {
		if err := os.WriteFile(filepath.Join(dir, inForceFile), []byte(now.Add(-tc.inForce).Format(time.RFC3339Nano)), 0o600); err != nil {
			t.Fatal(err)
		}
		if got := inForceWait(dir, ps, now); got != tc.want {
			t.Errorf("zones in force %v before now: wait %v, want %v", tc.inForce, got, tc.want)
		}
	}
}
