package main

import (
	"math"
	"testing"
	"time"

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
