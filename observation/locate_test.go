package observation_test

import (
	"math"
	"testing"

	"github.com/paulmach/orb"
	"github.com/truce-project/truce/geo"
	"github.com/truce-project/truce/observation"
)

func pt(p observation.Point) orb.Point { return orb.Point{p.Lon, p.Lat} }

// TestLocate_Bearing checks the bearing's sector against the geodesic
// that defines it: the point on the bearing at the middle distance, each
// vertex at a distance of the range and a bearing within the error from
// the observer, and the circle holding every vertex.
func TestLocate_Bearing(t *testing.T) {
	in := valid()
	loc := observation.Locate(&in)
	obs := pt(in.Position)
	if d := geo.Distance(obs, pt(loc.Center)); math.Abs(d-4000) > 0.01 {
		t.Errorf("point at %.3f m from the observer, want 4000", d)
	}
	// Coordinates are rounded to 1e-7° (at most 1.1 cm): a bearing is
	// exact to that much at its distance.
	rounding := func(d float64) float64 { return 0.011 / d * 180 / math.Pi }
	if b := geo.Bearing(obs, pt(loc.Center)); math.Abs(b-90) > rounding(4000) {
		t.Errorf("point at bearing %.6f, want 90", b)
	}
	if len(loc.Area) < 4 || loc.Area[0] != loc.Area[len(loc.Area)-1] {
		t.Fatalf("area is not a closed ring: %v", loc.Area)
	}
	for _, v := range loc.Area {
		p := orb.Point{v[0], v[1]}
		d, b := geo.Distance(obs, p), geo.Bearing(obs, p)
		if !(math.Abs(d-2000) < 0.01 || math.Abs(d-6000) < 0.01) {
			t.Errorf("vertex %v at %.3f m, want 2000 or 6000", v, d)
		}
		if b < 85-rounding(d) || b > 95+rounding(d) {
			t.Errorf("vertex %v at bearing %.4f, want within 90 ± 5", v, b)
		}
		if geo.Distance(pt(loc.Center), p) > loc.Radius {
			t.Errorf("vertex %v outside the radius %.1f m", v, loc.Radius)
		}
	}
	// The ring is counter-clockwise (RFC 7946) and its area about the
	// annular sector's, (10°/360°)·π·(6000² − 2000²) ≈ 2.79 km².
	poly := make(orb.Ring, len(loc.Area))
	for i, v := range loc.Area {
		poly[i] = orb.Point{v[0], v[1]}
	}
	if poly.Orientation() != orb.CCW {
		t.Errorf("sector ring is not counter-clockwise")
	}
	want := 10.0 / 360 * math.Pi * (6000*6000 - 2000*2000)
	if a := math.Abs(geo.Area(orb.Polygon{poly})); math.Abs(a-want)/want > 0.01 {
		t.Errorf("sector area %.0f m², want %.0f ± 1 %%", a, want)
	}
}

func TestLocate_Point(t *testing.T) {
	in := valid()
	in.Bearing, in.Location, in.Accuracy = nil, &observation.Point{Lon: 36.1, Lat: 32.6}, 750
	loc := observation.Locate(&in)
	if loc.Center != *in.Location || loc.Radius != 750 {
		t.Fatalf("Locate = %+v", loc)
	}
	for _, v := range loc.Area {
		if d := geo.Distance(pt(loc.Center), orb.Point{v[0], v[1]}); math.Abs(d-750) > 0.01 {
			t.Fatalf("circle vertex at %.3f m, want 750", d)
		}
	}
}
