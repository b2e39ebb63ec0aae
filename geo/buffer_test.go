package geo_test

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/paulmach/orb"
	"github.com/truce-project/truce/geo"
)

// distToLine is the geodesic distance from p to l, measured to the line
// densified every 50 m; the error that adds is under 0.2 m at 1 km.
func distToLine(p orb.Point, l orb.LineString) float64 {
	best := math.Inf(1)
	for i := 0; i+1 < len(l); i++ {
		n := int(geo.Distance(l[i], l[i+1])/50) + 1
		brg := geo.Bearing(l[i], l[i+1])
		step := geo.Distance(l[i], l[i+1]) / float64(n)
		for k := 0; k <= n; k++ {
			best = math.Min(best, geo.Distance(p, geo.Destination(l[i], brg, step*float64(k))))
		}
	}
	return best
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
