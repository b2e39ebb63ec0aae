package spatial_test

import (
	"fmt"
	"math/rand/v2"
	"sort"
	"testing"

	"github.com/paulmach/orb"
	"github.com/truce-project/truce/geo"
	"github.com/truce-project/truce/spatial"
)

// TestZoneIndex_IncrementalWrites replaces, deletes and re-inserts zones one
// at a time (the path that patches the point grid instead of rebuilding it)
// and checks the index against brute force after every batch of writes.
func TestZoneIndex_IncrementalWrites(t *testing.T) {
	seed := rand.Uint64()
	t.Logf("seed %d", seed)
	r := rand.New(rand.NewPCG(seed, 3))
	geoms := copies(t, 1000)
	bounds := make([]orb.Bound, len(geoms))
	for i, g := range geoms {
		bounds[i] = g.Bound()
	}
	live := map[string]int{} // zone id -> index of its geometry
	var zones []spatial.Zone
	for i, g := range geoms {
		id := fmt.Sprint("z", i)
		live[id] = i
		zones = append(zones, spatial.Zone{ID: id, Geometry: g, FloorM: -inf, CeilingM: inf})
	}
	x := spatial.NewZoneIndex()
	if err := x.Load(zones); err != nil {
		t.Fatal(err)
	}
	all := orb.Bound{Min: orb.Point{inf, inf}, Max: orb.Point{-inf, -inf}}
	for _, g := range geoms {
		all = all.Union(g.Bound())
	}
	check := func(round int) {
		hits := 0
		for range 600 {
			lon := all.Min[0] + r.Float64()*(all.Max[0]-all.Min[0])
			lat := all.Min[1] + r.Float64()*(all.Max[1]-all.Min[1])
			var want []string
			for id, k := range live {
				if bounds[k].Contains(orb.Point{lon, lat}) && geo.Covers(geoms[k], orb.Point{lon, lat}) {
					want = append(want, id)
				}
			}
			sort.Strings(want)
			if got := ids(x, lon, lat, 0, t0); !equal(got, want) {
				t.Fatalf("round %d at (%v %v): index %v, brute force %v", round, lon, lat, got, want)
			}
			hits += len(want)
		}
		if hits == 0 {
			t.Fatalf("round %d: no position in any zone: the test is not testing", round)
		}
	}
	for round := range 6 {
		for range 40 {
			id := fmt.Sprint("z", r.IntN(len(geoms)))
			switch r.IntN(3) {
			case 0: // move a zone's shape to another zone's place (inside the extent)
				k := r.IntN(len(geoms))
				if err := x.Insert(spatial.Zone{ID: id, Geometry: geoms[k], FloorM: -inf, CeilingM: inf}); err != nil {
					t.Fatal(err)
				}
				live[id] = k
			case 1:
				_, was := live[id]
				if x.Delete(id) != was {
					t.Fatalf("Delete(%s) disagrees with the live set", id)
				}
				delete(live, id)
			case 2: // re-insert at its own place
				n := 0
				fmt.Sscanf(id, "z%d", &n)
				if err := x.Insert(spatial.Zone{ID: id, Geometry: geoms[n], FloorM: -inf, CeilingM: inf}); err != nil {
					t.Fatal(err)
				}
				live[id] = n
			}
		}
		if x.Len() != len(live) {
			t.Fatalf("Len %d, live %d", x.Len(), len(live))
		}
		check(round)
	}
}
