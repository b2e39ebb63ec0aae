package spatial

import (
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/paulmach/orb"
	"github.com/truce-project/truce/geo"
)

// exactMeet is what decides when the rasters cannot, so it is checked on
// its own, both ways round, and geo.Intersects with it, against an oracle
// in exact rational arithmetic (ratPolygonsMeet), for shapes the rasters
// would otherwise answer first: random star-shaped polygons with long and
// short, steep and nearly horizontal edges, sharing lattice vertices so
// that edges touch and overlap. SPATIAL_TEST_SEED replays a run.
func TestExactMeet_AgainstIntersects(t *testing.T) {
	seed := uint64(time.Now().UnixNano())
	if s, err := strconv.ParseUint(os.Getenv("SPATIAL_TEST_SEED"), 10, 64); err == nil {
		seed = s
	}
	t.Logf("seed %d", seed)
	r := rand.New(rand.NewPCG(seed, 2))
	star := func() orb.Polygon {
		cx, cy := 36+float64(r.IntN(10))*0.01, 32.5+float64(r.IntN(10))*0.01
		n := 3 + r.IntN(40)
		ring := make(orb.Ring, 0, n+1)
		for i := range n {
			a := 2 * math.Pi * (float64(i) + 0.9*r.Float64()) / float64(n)
			d := 0.005 + 0.05*r.Float64()
			if r.IntN(3) == 0 { // on the lattice: touching and collinear edges
				ring = append(ring, orb.Point{cx + math.Round(d*math.Cos(a)*100)/100, cy + math.Round(d*math.Sin(a)*100)/100})
			} else {
				ring = append(ring, orb.Point{cx + d*math.Cos(a), cy + d*math.Sin(a)})
			}
		}
		ring = append(ring, ring[0])
		return orb.Polygon{ring}
	}
	meets, n := 0, 3000
	for i := range n {
		ga, gb := star(), star()
		if geo.ValidateTopology(ga) != nil || geo.ValidateTopology(gb) != nil {
			continue
		}
		a, err := PrepareVolume(Volume{ID: "a", Geometry: ga, FloorM: 0, CeilingM: 1})
		if err != nil {
			t.Fatal(err)
		}
		b, err := PrepareVolume(Volume{ID: "b", Geometry: gb, FloorM: 0, CeilingM: 1})
		if err != nil {
			t.Fatal(err)
		}
		want := ratPolygonsMeet(ga, gb)
		if got := geo.Intersects(ga, gb); got != want {
			t.Fatalf("seed %d, pair %d: geo.Intersects = %v, exact arithmetic says %v\na %v\nb %v", seed, i, got, want, fmt.Sprint(ga), fmt.Sprint(gb))
		}
		if !a.bound.Intersects(b.bound) {
			if want {
				t.Fatalf("seed %d, pair %d: boxes apart but geo.Intersects", seed, i)
			}
			continue
		}
		if got := exactMeet(a, b); got != want {
			t.Fatalf("seed %d, pair %d: exactMeet(a, b) = %v, exact arithmetic says %v\na %v\nb %v", seed, i, got, want, fmt.Sprint(ga), fmt.Sprint(gb))
		}
		if got := exactMeet(b, a); got != want {
			t.Fatalf("seed %d, pair %d: exactMeet(b, a) = %v, want %v", seed, i, got, want)
		}
		if got := areasMeet(a, b); got != want {
			t.Fatalf("seed %d, pair %d: areasMeet = %v, want %v", seed, i, got, want)
		}
		if want {
			meets++
		}
	}
	if meets == 0 || meets == n {
		t.Fatalf("seed %d: %d of %d pairs meet: the data test nothing", seed, meets, n)
	}
	t.Logf("%d pairs meet", meets)
}

// A vertex of b (36.05, 32.53) lies within a rounding error of an edge of
// a, (36.04, 32.54)-(36.07, 32.510000000000005), on its outer side: the
// areas are apart (exact arithmetic and geo.Intersects agree), and the
// float crossing test once put the vertex inside a. Found by
// TestExactMeet_AgainstIntersects with SPATIAL_TEST_SEED=1796670133270807676.
func TestExactMeet_VertexNearAnEdge(t *testing.T) {
	ga := orb.Polygon{{{36.06729246482223, 32.56437854812152}, {36.076369518487475, 32.6059383863108}, {36.050386928041114, 32.57360542323062}, {36.042213104573385, 32.60756520367152}, {36.05, 32.56}, {36.01, 32.56}, {36.029999999999994, 32.550000000000004}, {36.04, 32.54}, {36.07, 32.510000000000005}, {36.0532167680017, 32.55432245146696}, {36.06489975587028, 32.55639066906109}, {36.06729246482223, 32.56437854812152}}}
	gb := orb.Polygon{{{36.05, 32.53}, {36.01, 32.54}, {35.97, 32.56}, {35.98310888925188, 32.49291209209223}, {36.04, 32.5}, {36.05, 32.53}}}
	if ratPolygonsMeet(ga, gb) || geo.Intersects(ga, gb) {
		t.Fatal("the fixture no longer holds two areas apart")
	}
	a, err := PrepareVolume(Volume{ID: "a", Geometry: ga, FloorM: 0, CeilingM: 1})
	if err != nil {
		t.Fatal(err)
	}
	b, err := PrepareVolume(Volume{ID: "b", Geometry: gb, FloorM: 0, CeilingM: 1})
	if err != nil {
		t.Fatal(err)
	}
	if exactMeet(a, b) || exactMeet(b, a) || areasMeet(a, b) || areasMeet(b, a) {
		t.Errorf("exactMeet(a, b) %v, exactMeet(b, a) %v, areasMeet(a, b) %v, areasMeet(b, a) %v, want all false",
			exactMeet(a, b), exactMeet(b, a), areasMeet(a, b), areasMeet(b, a))
	}
	// The same areas as volumes in an index: no overlap.
	x := NewVolumeIndex()
	x.InsertPrepared(a)
	x.OverlappingPrepared(b, func(o Overlap) bool {
		t.Errorf("index reports %s overlapping b", o.ID)
		return true
	})
}

// geo.SegmentsMeet, which exactMeet's answers rest on, against the exact
// oracle, for segments on a coarse lattice (touching, collinear,
// overlapping) and off it by a rounding error.
func TestSegmentsMeet_AgainstExact(t *testing.T) {
	seed := uint64(time.Now().UnixNano())
	if s, err := strconv.ParseUint(os.Getenv("SPATIAL_TEST_SEED"), 10, 64); err == nil {
		seed = s
	}
	t.Logf("seed %d", seed)
	r := rand.New(rand.NewPCG(seed, 3))
	pt := func() orb.Point {
		p := orb.Point{36 + float64(r.IntN(5))*0.01, 32.5 + float64(r.IntN(5))*0.01}
		if r.IntN(4) == 0 {
			k := r.IntN(2)
			p[k] = math.Nextafter(p[k], math.Inf(2*r.IntN(2)-1))
		}
		return p
	}
	meets := 0
	for i := range 20000 {
		a, b, c, d := pt(), pt(), pt(), pt()
		want := ratSegmentsMeet(ratOf(a), ratOf(b), ratOf(c), ratOf(d))
		if got := geo.SegmentsMeet(a, b, c, d); got != want {
			t.Fatalf("seed %d, pair %d: SegmentsMeet(%v, %v, %v, %v) = %v, exact arithmetic says %v", seed, i, a, b, c, d, got, want)
		}
		if want {
			meets++
		}
	}
	if meets == 0 || meets == 20000 {
		t.Fatalf("seed %d: %d of 20000 pairs meet: the data test nothing", seed, meets)
	}
}
