package feed_test

import (
	"errors"
	"math"
	"os"
	"testing"
	"time"

	"github.com/truce-project/truce/feed"
)

// haversine is the great-circle distance in metres, written here
// independently of the package under test.
func haversine(lat1, lon1, lat2, lon2 float64) float64 {
	const r = 6371008.8
	rad := math.Pi / 180
	dLat, dLon := (lat2-lat1)*rad, (lon2-lon1)*rad
	a := math.Sin(dLat/2)*math.Sin(dLat/2) + math.Cos(lat1*rad)*math.Cos(lat2*rad)*math.Sin(dLon/2)*math.Sin(dLon/2)
	return 2 * r * math.Asin(math.Sqrt(a))
}

func readTraffic(t testing.TB, path string) []feed.Position {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	ps, err := feed.ReadTraffic(f)
	if err != nil {
		t.Fatal(err)
	}
	return ps
}

// TestRelocate moves real tracks over Damascus and checks that the first
// point lands exactly, timing is kept, and the shape (every leg's length and
// the track's total length) survives.
func TestRelocate(t *testing.T) {
	const damLat, damLon = 33.5138, 36.2765
	start := time.Date(2026, 12, 1, 6, 0, 0, 0, time.UTC)
	for _, tt := range []struct {
		name string
		ps   []feed.Position
	}{
		{"border_control", readTraffic(t, "testdata/border_control.json.gz")},
		{"noisy_spoofing", readTraffic(t, "testdata/noisy_spoofing.json.gz")},
		{"trace_ac671b", readTraceFile(t)},
	} {
		t.Run(tt.name, func(t *testing.T) {
			out, err := feed.Relocate(tt.ps, damLat, damLon, start)
			if err != nil {
				t.Fatal(err)
			}
			if len(out) != len(tt.ps) {
				t.Fatalf("%d positions, want %d", len(out), len(tt.ps))
			}
			if !out[0].Time.Equal(start) {
				t.Errorf("first time %v, want %v", out[0].Time, start)
			}
			first := -1
			var lenOld, lenNew, worst float64
			prev := -1
			for i, p := range out {
				o := tt.ps[i]
				if !p.Relocated || o.Relocated {
					t.Fatalf("point %d: Relocated %v (input %v)", i, p.Relocated, o.Relocated)
				}
				if p.Time.Sub(start) != o.Time.Sub(tt.ps[0].Time) {
					t.Fatalf("point %d: time offset changed", i)
				}
				if p.AltFt != o.AltFt || p.TrackDeg != o.TrackDeg || p.ICAO != o.ICAO || p.Present != o.Present {
					t.Fatalf("point %d: non-spatial fields changed", i)
				}
				if !p.Present.Has(feed.FieldLatLon) {
					continue
				}
				if first < 0 {
					first = i
					if p.Lat != damLat || math.Abs(p.Lon-damLon) > 1e-12 {
						t.Errorf("anchor lands at %v,%v", p.Lat, p.Lon)
					}
				}
				if prev >= 0 {
					dOld := haversine(tt.ps[prev].Lat, tt.ps[prev].Lon, o.Lat, o.Lon)
					dNew := haversine(out[prev].Lat, out[prev].Lon, p.Lat, p.Lon)
					lenOld += dOld
					lenNew += dNew
					if dOld > 1 {
						worst = math.Max(worst, math.Abs(dNew-dOld)/dOld)
					}
				}
				prev = i
			}
			t.Logf("path %.1f km → %.1f km, worst leg error %.3f%%", lenOld/1000, lenNew/1000, worst*100)
			if rel := math.Abs(lenNew-lenOld) / lenOld; rel > 0.001 {
				t.Errorf("path length changed by %.3f%%", rel*100)
			}
			if worst > 0.0025 {
				t.Errorf("a leg changed length by %.3f%%", worst*100)
			}
		})
	}
}

func TestRelocate_KeepTimeAndErrors(t *testing.T) {
	ps := readTraffic(t, "testdata/border_control.json.gz")
	out, err := feed.Relocate(ps, 33.5, 36.3, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	if !out[0].Time.Equal(ps[0].Time) || !out[0].Relocated {
		t.Errorf("zero start: time %v (want %v), relocated %v", out[0].Time, ps[0].Time, out[0].Relocated)
	}
	// Across the antimeridian: a point 0.1° west of the anchor must land
	// 0.1°·cos ratio west of 180°, wrapped to the eastern hemisphere's edge.
	am := []feed.Position{
		{ICAO: 1, Lat: 10, Lon: 20, Present: feed.FieldLatLon},
		{ICAO: 1, Lat: 10, Lon: 20.1, Present: feed.FieldLatLon},
	}
	got, err := feed.Relocate(am, 10, 179.95, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	if want := -179.95; math.Abs(got[1].Lon-want) > 1e-9 {
		t.Errorf("antimeridian: lon %v, want %v", got[1].Lon, want)
	}
	for _, tt := range []struct {
		name     string
		ps       []feed.Position
		lat, lon float64
	}{
		{"TargetLat", ps, 91, 0},
		{"TargetLon", ps, 0, 200},
		{"TargetNaN", ps, math.NaN(), 0},
		{"NoCoordinates", []feed.Position{{ICAO: 1}}, 0, 0},
		{"PastPole", []feed.Position{{ICAO: 1, Lat: 0, Present: feed.FieldLatLon}, {ICAO: 1, Lat: 10, Present: feed.FieldLatLon}}, 80, 0},
	} {
		if _, err := feed.Relocate(tt.ps, tt.lat, tt.lon, time.Time{}); !errors.Is(err, feed.ErrInvalid) {
			t.Errorf("%s: err %v, want ErrInvalid", tt.name, err)
		}
	}
}
