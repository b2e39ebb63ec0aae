package geo_test

import (
	"errors"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/paulmach/orb"
	"github.com/truce-project/truce/geo"
)

// Prepared.Intersects must agree with Intersects: real sub-districts
// against random circles, lines and points around them.
func TestPrepared_IntersectsMatches(t *testing.T) {
	seed := rand.Uint64()
	t.Logf("seed %d", seed)
	r := rand.New(rand.NewPCG(seed, 5))
	fs := loadFeatures(t, "syria-admin1-ocha.geojson")
	agree, hits := 0, 0
	for _, f := range fs {
		p, err := geo.Prepare(f.Geometry)
		if err != nil {
			t.Fatal(err)
		}
		b := f.Geometry.Bound()
		for range 60 {
			c := orb.Point{b.Min[0] + r.Float64()*(b.Max[0]-b.Min[0]), b.Min[1] + r.Float64()*(b.Max[1]-b.Min[1])}
			var g orb.Geometry
			switch r.IntN(3) {
			case 0:
				circle, err := geo.Circle(c, 1000+30000*r.Float64(), 16)
				if err != nil {
					t.Fatal(err)
				}
				g = circle
			case 1:
				g = orb.LineString{c, geo.Destination(c, 360*r.Float64(), 50000*r.Float64())}
			default:
				g = c
			}
			want := geo.Intersects(f.Geometry, g)
			m, err := geo.Relate(f.Geometry, g)
			if err != nil {
				t.Fatal(err)
			}
			if got := p.Intersects(g); got != want || want == m.Matches("FF*FF****") {
				t.Fatalf("%v vs %v: prepared %v, Intersects %v, Relate %s", f.Properties["NAME_EN"], g, got, want, m)
			}
			agree++
			if want {
				hits++
			}
		}
	}
	t.Logf("%d checks agree, %d intersecting", agree, hits)
	if hits == 0 || hits == agree {
		t.Errorf("degenerate sample: %d of %d intersect", hits, agree)
	}
}

func TestDimension(t *testing.T) {
	tests := []struct {
		name string
		g    orb.Geometry
		want int
		err  bool
	}{
		{"Point", orb.Point{1, 2}, 0, false},
		{"Line", orb.LineString{{0, 0}, {1, 1}}, 1, false},
		{"Polygon", orb.Polygon{{{0, 0}, {1, 0}, {1, 1}, {0, 0}}}, 2, false},
		{"EmptyPolygon", orb.Polygon{}, -1, false},
		{"PointCollection", orb.Collection{orb.Point{1, 1}, orb.MultiPoint{{2, 2}}}, 0, false},
		{"MixedCollection", orb.Collection{orb.Point{1, 1}, orb.LineString{{0, 0}, {1, 1}}}, 0, true},
		{"Nil", nil, 0, true},
		{"Bound", orb.Bound{}, 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, err := geo.Dimension(tt.g)
			if (err != nil) != tt.err || (!tt.err && d != tt.want) {
				t.Errorf("Dimension = %d, %v; want %d, error %v", d, err, tt.want, tt.err)
			}
			if tt.err && !errors.Is(err, geo.ErrUnsupported) {
				t.Errorf("error %v is not ErrUnsupported", err)
			}
		})
	}
}

// Predicates on coordinates that are not numbers answer false (Relate
// fails) rather than whatever a NaN comparison happens to give.
func TestPredicates_NotFinite(t *testing.T) {
	sq := orb.Polygon{{{0, 0}, {10, 0}, {10, 10}, {0, 10}, {0, 0}}}
	for _, g := range []orb.Geometry{
		orb.Point{math.NaN(), 5}, orb.Point{5, math.Inf(1)},
		orb.LineString{{1, 1}, {math.NaN(), 2}},
		orb.Polygon{{{1, 1}, {2, 1}, {2, math.NaN()}, {1, 1}}},
	} {
		if geo.Contains(sq, g) || geo.Covers(sq, g) || geo.Intersects(sq, g) || geo.Within(g, sq) || geo.Intersects(g, sq) {
			t.Errorf("a predicate holds for %v", g)
		}
		if _, err := geo.Relate(sq, g); err == nil {
			t.Errorf("Relate accepted %v", g)
		}
	}
}
