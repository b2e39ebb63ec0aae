package geo_test

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/paulmach/orb"
	"github.com/truce-project/truce/geo"
)

// distToLine is the geodesic distance from p to l, each segment taken as
// the geodesic between its ends: the nearest point of each is found by a
// golden-section search on the distance along it (unimodal at these
// scales), to well under a millimetre.
func distToLine(p orb.Point, l orb.LineString) float64 {
	best := math.Inf(1)
	for i := 0; i+1 < len(l); i++ {
		best = math.Min(best, distToSegment(p, l[i], l[i+1]))
	}
	return best
}

func distToSegment(p, a, b orb.Point) float64 {
	length, brg := geo.Distance(a, b), geo.Bearing(a, b)
	f := func(t float64) float64 { return geo.Distance(p, geo.Destination(a, brg, t*length)) }
	lo, hi := 0.0, 1.0
	const g = 0.6180339887498949
	x1, x2 := hi-g*(hi-lo), lo+g*(hi-lo)
	f1, f2 := f(x1), f(x2)
	for hi-lo > 1e-7 {
		if f1 < f2 {
			hi, x2, f2 = x2, x1, f1
			x1 = hi - g*(hi-lo)
			f1 = f(x1)
		} else {
			lo, x1, f1 = x1, x2, f2
			x2 = lo + g*(hi-lo)
			f2 = f(x2)
		}
	}
	return math.Min(math.Min(f1, f2), math.Min(f(0), f(1)))
}

func TestBufferLine(t *testing.T) {
	seed := rand.Uint64()
	t.Logf("seed %d", seed)
	r := rand.New(rand.NewPCG(seed, 1))
	const w = 1000.0
	damascus := orb.Point{36.29128, 33.5102}
	tests := []struct {
		name  string
		line  orb.LineString
		holes int
	}{
		{"Straight", orb.LineString{damascus, geo.Destination(damascus, 80, 20e3)}, 0},
		{"Bends", orb.LineString{damascus, geo.Destination(damascus, 0, 5e3), geo.Destination(geo.Destination(damascus, 0, 5e3), 60, 4e3), geo.Destination(geo.Destination(geo.Destination(damascus, 0, 5e3), 60, 4e3), 170, 3e3)}, 0},
		// A route around a 10 km square leaves the middle unbuffered: a hole.
		{"Loop", orb.LineString{damascus, geo.Destination(damascus, 90, 10e3), geo.Destination(geo.Destination(damascus, 90, 10e3), 0, 10e3), geo.Destination(damascus, 0, 10e3), damascus}, 1},
		// A hairpin narrower than the corridor folds onto itself.
		{"Hairpin", orb.LineString{damascus, geo.Destination(damascus, 90, 6e3), geo.Destination(geo.Destination(damascus, 90, 6e3), 0, 500), geo.Destination(damascus, 0, 500)}, 0},
		// Crossing itself, the route encloses a triangle whose inradius
		// (1.17 km) exceeds the half-width: a hole remains.
		{"SelfCrossing", orb.LineString{damascus, geo.Destination(damascus, 45, 8e3), geo.Destination(damascus, 90, 6e3), geo.Destination(damascus, 0, 6e3)}, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g, err := geo.BufferLine(tt.line, w)
			if err != nil {
				t.Fatal(err)
			}
			poly, ok := g.(orb.Polygon)
			if !ok {
				t.Fatalf("buffer is %T, want one Polygon", g)
			}
			if err := geo.Validate(poly, geo.Options{}); err != nil {
				t.Fatalf("buffer invalid: %v", err)
			}
			if len(poly)-1 != tt.holes {
				t.Errorf("buffer has %d holes, want %d", len(poly)-1, tt.holes)
			}
			b := orb.MultiPoint(tt.line).Bound()
			checked := 0
			for range 600 {
				p := orb.Point{b.Min[0] - 0.02 + r.Float64()*(b.Max[0]-b.Min[0]+0.04), b.Min[1] - 0.02 + r.Float64()*(b.Max[1]-b.Min[1]+0.04)}
				d := distToLine(p, tt.line)
				in := geo.Covers(poly, p)
				switch {
				case d < 0.99*w && !in:
					t.Errorf("%v is %.1f m from the line but outside the buffer", p, d)
				case d > 1.01*w && in:
					t.Errorf("%v is %.1f m from the line but inside the buffer", p, d)
				}
				if d < 2*w {
					checked++
				}
			}
			if checked < 50 {
				t.Errorf("only %d sample points near the line", checked)
			}
		})
	}
	for _, bad := range []struct {
		name string
		l    orb.LineString
		w    float64
	}{
		{"ZeroWidth", orb.LineString{{36, 33}, {36.1, 33}}, 0},
		{"NegativeWidth", orb.LineString{{36, 33}, {36.1, 33}}, -5},
		{"Empty", orb.LineString{}, 100},
		{"OnePoint", orb.LineString{{36, 33}}, 100},
		{"OutOfRange", orb.LineString{{36, 33}, {236, 33}}, 100},
	} {
		t.Run(bad.name, func(t *testing.T) {
			if g, err := geo.BufferLine(bad.l, bad.w); err == nil {
				t.Errorf("BufferLine succeeded: %v", g)
			}
		})
	}
}
