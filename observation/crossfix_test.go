package observation_test

import (
	"math"
	"testing"

	"github.com/paulmach/orb"
	"github.com/truce-project/truce/geo"
	"github.com/truce-project/truce/observation"
)

// bearingObs returns an observation by observer at from, with the bearing
// from there to target (plus skew degrees) and error errDeg.
func bearingObs(observer string, from, target orb.Point, skew, errDeg float64) *observation.Observation {
	d := geo.Distance(from, target)
	in := observation.Input{ObserverID: observer, Mode: observation.ModeHeard, Position: observation.Point{Lon: from[0], Lat: from[1]},
		Bearing: &observation.Bearing{Degrees: math.Mod(geo.Bearing(from, target)+skew+360, 360), Error: errDeg, MinDistance: d * 0.5, MaxDistance: d * 1.5}}
	loc := observation.Locate(&in)
	return &observation.Observation{Input: in, Center: loc.Center, Radius: loc.Radius, Area: loc.Area}
}

// TestCrossFix checks fixes against a known target: exact bearings meet
// on it; bearings off by their error put it inside the ellipse; the
// fix's radius is smaller than either bearing's uncertainty; and no fix
// is made from one observer, parallel bearings or diverging ones.
func TestCrossFix(t *testing.T) {
	target := orb.Point{36.12, 32.63} // east of Dar'a
	a, b, c := orb.Point{36.05, 32.58}, orb.Point{36.10, 32.70}, orb.Point{36.20, 32.60}

	t.Run("ExactBearingsMeet", func(t *testing.T) {
		f := observation.CrossFix([]*observation.Observation{bearingObs("u1", a, target, 0, 2), bearingObs("u2", b, target, 0, 2)})
		if f == nil {
			t.Fatal("no fix")
		}
		if d := geo.Distance(pt(f.Center), target); d > 5 {
			t.Fatalf("fix %.1f m from the target, want < 5", d)
		}
	})
	t.Run("SkewedBearingsInsideEllipse", func(t *testing.T) {
		o1, o2, o3 := bearingObs("u1", a, target, 1.5, 2), bearingObs("u2", b, target, -1.5, 2), bearingObs("u3", c, target, 1, 2)
		f := observation.CrossFix([]*observation.Observation{o1, o2, o3})
		if f == nil {
			t.Fatal("no fix")
		}
		d := geo.Distance(pt(f.Center), target)
		if d > f.SemiMajor {
			t.Fatalf("target %.0f m from the fix, outside the ellipse (semi-major %.0f m)", d, f.SemiMajor)
		}
		if f.SemiMinor > f.SemiMajor || f.SemiMinor <= 0 {
			t.Fatalf("semi-axes %.0f, %.0f", f.SemiMajor, f.SemiMinor)
		}
		if f.Radius >= o1.Radius || f.Radius >= o2.Radius {
			t.Fatalf("fix radius %.0f m not better than the bearings' %.0f, %.0f", f.Radius, o1.Radius, o2.Radius)
		}
		if f.Bearings != 3 || len(f.Area) != 37 || f.Area[0] != f.Area[36] {
			t.Fatalf("bearings %d, ring of %d", f.Bearings, len(f.Area))
		}
		// Each vertex of the ellipse's ring is at most a semi-major axis
		// from the fix, at least a semi-minor one.
		for _, v := range f.Area {
			d := geo.Distance(pt(f.Center), orb.Point{v[0], v[1]})
			if d > f.SemiMajor*1.001 || d < f.SemiMinor*0.999 {
				t.Fatalf("ellipse vertex at %.0f m, axes %.0f / %.0f", d, f.SemiMajor, f.SemiMinor)
			}
		}
	})
	t.Run("OneObserver", func(t *testing.T) {
		if f := observation.CrossFix([]*observation.Observation{bearingObs("u1", a, target, 0, 2), bearingObs("u1", b, target, 0, 2)}); f != nil {
			t.Fatalf("fix from one observer: %+v", f.Center)
		}
	})
	t.Run("Parallel", func(t *testing.T) {
		// Two observers on one line through the target see it on the
		// same bearing: the lines do not cross.
		far := geo.Destination(a, geo.Bearing(a, target), -3000)
		if f := observation.CrossFix([]*observation.Observation{bearingObs("u1", a, target, 0, 2), bearingObs("u2", far, target, 0, 2)}); f != nil {
			t.Fatalf("fix from parallel bearings: %+v", f.Center)
		}
	})
	t.Run("Diverging", func(t *testing.T) {
		// Each looks away from the other's line: they cross behind both.
		o1, o2 := bearingObs("u1", a, target, 0, 2), bearingObs("u2", b, target, 0, 2)
		o1.Bearing.Degrees = math.Mod(o1.Bearing.Degrees+180, 360)
		o2.Bearing.Degrees = math.Mod(o2.Bearing.Degrees+180, 360)
		if f := observation.CrossFix([]*observation.Observation{o1, o2}); f != nil {
			t.Fatalf("fix behind the observers: %+v", f.Center)
		}
	})
}
