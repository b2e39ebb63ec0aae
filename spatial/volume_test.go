package spatial_test

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"sort"
	"strconv"
	"testing"
	"time"

	"github.com/paulmach/orb"
	"github.com/truce-project/truce/geo"
	"github.com/truce-project/truce/spatial"
)

func square(x0, y0, x1, y1 float64) orb.Polygon {
	return orb.Polygon{{{x0, y0}, {x1, y0}, {x1, y1}, {x0, y1}, {x0, y0}}}
}

func overlaps(t *testing.T, x *spatial.VolumeIndex, v spatial.Volume) []spatial.Overlap {
	t.Helper()
	var out []spatial.Overlap
	if err := x.Overlapping(v, func(o spatial.Overlap) bool {
		out = append(out, o)
		return true
	}); err != nil {
		t.Fatal(err)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

func overlapIDs(os []spatial.Overlap) []string {
	out := make([]string, len(os))
	for i, o := range os {
		out[i] = o.ID
	}
	return out
}

var h = func(n int) time.Time { return t0.Add(time.Duration(n) * time.Hour) }

// The edges of each dimension: areas touching at an edge or a corner
// overlap (they share a point), bands meeting at one altitude overlap at
// that altitude, windows meeting at an instant do not (they are half-open).
func TestVolumeIndex_Edges(t *testing.T) {
	base := spatial.Volume{ID: "base", Owner: "A", Geometry: square(36, 32.5, 36.1, 32.6), FloorM: 0, CeilingM: 3000, Start: h(10), End: h(14)}
	x := spatial.NewVolumeIndex()
	if err := x.Insert(base); err != nil {
		t.Fatal(err)
	}
	with := func(f func(v *spatial.Volume)) spatial.Volume {
		v := base
		v.ID = "q"
		f(&v)
		return v
	}
	tests := []struct {
		name string
		v    spatial.Volume
		want bool
	}{
		{"Same", with(func(v *spatial.Volume) {}), true},
		{"EdgeTouching", with(func(v *spatial.Volume) { v.Geometry = square(36.1, 32.5, 36.2, 32.6) }), true},
		{"CornerTouching", with(func(v *spatial.Volume) { v.Geometry = square(36.1, 32.6, 36.2, 32.7) }), true},
		{"ApartBy1e-9", with(func(v *spatial.Volume) { v.Geometry = square(36.100000001, 32.5, 36.2, 32.6) }), false},
		{"Inside", with(func(v *spatial.Volume) { v.Geometry = square(36.04, 32.54, 36.06, 32.56) }), true},
		{"Around", with(func(v *spatial.Volume) { v.Geometry = square(35.9, 32.4, 36.2, 32.7) }), true},
		// An L-shaped polygon whose bounding box holds base but whose area
		// does not reach it.
		{"BoxesMeetAreasDoNot", with(func(v *spatial.Volume) {
			v.Geometry = orb.Polygon{{{35.9, 32.4}, {36.3, 32.4}, {36.3, 32.45}, {35.95, 32.45}, {35.95, 32.7}, {35.9, 32.7}, {35.9, 32.4}}}
		}), false},
		{"Crossing", with(func(v *spatial.Volume) { v.Geometry = square(36.05, 32.3, 36.07, 32.9) }), true},
		{"BandMeetsAtCeiling", with(func(v *spatial.Volume) { v.FloorM, v.CeilingM = 3000, 6000 }), true},
		{"BandAbove", with(func(v *spatial.Volume) { v.FloorM, v.CeilingM = 3000.001, 6000 }), false},
		{"BandMeetsAtFloor", with(func(v *spatial.Volume) { v.FloorM, v.CeilingM = -100, 0 }), true},
		{"WindowMeetsAtEnd", with(func(v *spatial.Volume) { v.Start, v.End = h(14), h(16) }), false},
		{"WindowMeetsAtStart", with(func(v *spatial.Volume) { v.Start, v.End = h(8), h(10) }), false},
		{"WindowOneNanosecond", with(func(v *spatial.Volume) { v.Start, v.End = h(14).Add(-1), h(16) }), true},
		{"Unbounded", with(func(v *spatial.Volume) { v.Start, v.End = time.Time{}, time.Time{} }), true},
		{"UnboundedEndAfter", with(func(v *spatial.Volume) { v.Start, v.End = h(14), time.Time{} }), false},
		{"UnboundedStartBefore", with(func(v *spatial.Volume) { v.Start, v.End = time.Time{}, h(10) }), false},
		{"CircleTouchesNot", with(func(v *spatial.Volume) {
			v.Geometry, v.BufferM = orb.Point{36.2, 32.55}, 5000 // 36.2 is ~9.4 km east of the edge
		}), false},
		{"CircleReaches", with(func(v *spatial.Volume) { v.Geometry, v.BufferM = orb.Point{36.2, 32.55}, 10000 }), true},
		{"CorridorThrough", with(func(v *spatial.Volume) {
			v.Geometry, v.BufferM = orb.LineString{{35.8, 32.2}, {36.3, 32.9}}, 100
		}), true},
		{"CorridorBeside", with(func(v *spatial.Volume) {
			v.Geometry, v.BufferM = orb.LineString{{36.15, 32.2}, {36.15, 32.9}}, 1000 // ~4.7 km east
		}), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := overlaps(t, x, tt.v)
			if (len(got) == 1) != tt.want || len(got) > 1 {
				t.Fatalf("overlaps = %v, want overlap %v", got, tt.want)
			}
		})
	}
}

// The overlap's band and window are those both volumes share.
func TestVolumeIndex_OverlapBandAndWindow(t *testing.T) {
	x := spatial.NewVolumeIndex()
	if err := x.Insert(spatial.Volume{ID: "site", Owner: "UN", Geometry: orb.Point{36.1, 32.6}, BufferM: 500, FloorM: math.Inf(-1), CeilingM: math.Inf(1)}); err != nil {
		t.Fatal(err)
	}
	if err := x.Insert(spatial.Volume{ID: "op", Owner: "A", Geometry: square(36, 32.5, 36.2, 32.7), FloorM: 1000, CeilingM: 5000, Start: h(2), End: h(30)}); err != nil {
		t.Fatal(err)
	}
	got := overlaps(t, x, spatial.Volume{ID: "q", Geometry: square(36.09, 32.59, 36.11, 32.61), FloorM: 3000, CeilingM: 9000, Start: h(20), End: h(40)})
	want := []spatial.Overlap{
		{ID: "op", Owner: "A", FloorM: 3000, CeilingM: 5000, Start: h(20), End: h(30)},
		{ID: "site", Owner: "UN", FloorM: 3000, CeilingM: 9000, Start: h(20), End: h(40)},
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("got %v\nwant %v", got, want)
	}
	// Unbounded on both sides: the shared window is unbounded too.
	got = overlaps(t, x, spatial.Volume{ID: "q2", Geometry: orb.Point{36.1, 32.6}, BufferM: 10, FloorM: 0, CeilingM: 2000})
	if len(got) != 2 || !got[1].Start.IsZero() || !got[1].End.IsZero() || got[0].Start != h(2) || got[0].End != h(30) {
		t.Fatalf("got %v", got)
	}
}

func TestVolumeIndex_InsertReplaceRemove(t *testing.T) {
	x := spatial.NewVolumeIndex()
	v := spatial.Volume{ID: "a", Geometry: square(36, 32, 36.1, 32.1), FloorM: 0, CeilingM: 100, Start: h(0), End: h(3)}
	if err := x.Insert(v); err != nil {
		t.Fatal(err)
	}
	q := spatial.Volume{ID: "q", Geometry: square(36.05, 32.05, 36.06, 32.06), FloorM: 0, CeilingM: 100, Start: h(1), End: h(2)}
	if got := overlapIDs(overlaps(t, x, q)); !equal(got, []string{"a"}) {
		t.Fatalf("before replace: %v", got)
	}
	// A new version moves it to another day and a long window; the old one is gone.
	v.Start, v.End = h(100), h(300)
	if err := x.Insert(v); err != nil {
		t.Fatal(err)
	}
	if x.Len() != 1 {
		t.Fatalf("Len = %d after replace", x.Len())
	}
	if got := overlaps(t, x, q); len(got) != 0 {
		t.Fatalf("old version still found: %v", got)
	}
	q.Start, q.End = h(299), h(400)
	if got := overlapIDs(overlaps(t, x, q)); !equal(got, []string{"a"}) {
		t.Fatalf("new version not found: %v", got)
	}
	if !x.Remove("a") || x.Remove("a") || x.Len() != 0 {
		t.Fatal("Remove")
	}
	if got := overlaps(t, x, q); len(got) != 0 {
		t.Fatalf("removed volume found: %v", got)
	}
	// A bad version leaves the old one in place.
	if err := x.Insert(spatial.Volume{ID: "b", Geometry: square(36, 32, 36.1, 32.1), FloorM: 0, CeilingM: 1}); err != nil {
		t.Fatal(err)
	}
	if err := x.Insert(spatial.Volume{ID: "b", Geometry: square(36, 32, 36.1, 32.1), FloorM: 2, CeilingM: 1}); !errors.Is(err, spatial.ErrVolume) {
		t.Fatalf("err = %v", err)
	}
	if x.Len() != 1 {
		t.Fatal("bad version changed the index")
	}
}

func TestPrepareVolume_Errors(t *testing.T) {
	ok := spatial.Volume{ID: "v", Geometry: square(36, 32, 36.1, 32.1), FloorM: 0, CeilingM: 100, Start: h(0), End: h(3)}
	tests := []struct {
		name string
		f    func(v *spatial.Volume)
	}{
		{"EmptyID", func(v *spatial.Volume) { v.ID = "" }},
		{"FloorAboveCeiling", func(v *spatial.Volume) { v.FloorM = 200 }},
		{"NaNFloor", func(v *spatial.Volume) { v.FloorM = math.NaN() }},
		{"WindowEndsBeforeStart", func(v *spatial.Volume) { v.End = h(-1) }},
		{"EmptyWindow", func(v *spatial.Volume) { v.End = v.Start }},
		{"LongitudeOutOfRange", func(v *spatial.Volume) { v.Geometry = square(180, 32, 181, 33) }},
		{"LatitudeOutOfRange", func(v *spatial.Volume) { v.Geometry = square(36, 89.5, 37, 90.5) }},
		{"NaNVertex", func(v *spatial.Volume) { v.Geometry = square(math.NaN(), 32, 37, 33) }},
		{"PolygonWithBuffer", func(v *spatial.Volume) { v.BufferM = 10 }},
		{"CircleWithoutRadius", func(v *spatial.Volume) { v.Geometry = orb.Point{36, 32} }},
		{"CorridorWithoutWidth", func(v *spatial.Volume) { v.Geometry = orb.LineString{{36, 32}, {36.1, 32}} }},
		{"NegativeBuffer", func(v *spatial.Volume) { v.Geometry, v.BufferM = orb.Point{36, 32}, -1 }},
		{"NoGeometry", func(v *spatial.Volume) { v.Geometry = nil }},
		{"MultiPoint", func(v *spatial.Volume) { v.Geometry, v.BufferM = orb.MultiPoint{{36, 32}}, 10 }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := ok
			tt.f(&v)
			if _, err := spatial.PrepareVolume(v); !errors.Is(err, spatial.ErrVolume) {
				t.Fatalf("err = %v, want ErrVolume", err)
			}
			x := spatial.NewVolumeIndex()
			if err := x.Overlapping(v, func(spatial.Overlap) bool { return true }); !errors.Is(err, spatial.ErrVolume) {
				t.Fatalf("Overlapping err = %v", err)
			}
		})
	}
	// In range at the limits.
	v := ok
	v.Geometry = square(-180, -90, -179, -89)
	if _, err := spatial.PrepareVolume(v); err != nil {
		t.Fatal(err)
	}
}

// randomVolume draws volumes on a coarse lattice in a small box so that
// they often overlap, touch at edges and corners, meet at one altitude and
// meet at an instant, with every kind of window (short, spanning several
// buckets, long, unbounded on either side).
func randomVolume(r *rand.Rand, id string) spatial.Volume {
	const step = 0.01 // degrees: coordinates on a lattice, to make touching common
	c := func(n int) float64 { return float64(r.IntN(n)) * step }
	v := spatial.Volume{ID: id, Owner: fmt.Sprint("P", r.IntN(3))}
	x0, y0 := 36+c(20), 32.5+c(20)
	switch r.IntN(6) {
	case 0, 1:
		v.Geometry = square(x0, y0, x0+step*float64(1+r.IntN(6)), y0+step*float64(1+r.IntN(6)))
	case 2: // a triangle
		v.Geometry = orb.Polygon{{{x0, y0}, {x0 + c(6) + step, y0}, {x0, y0 + c(6) + step}, {x0, y0}}}
	case 3: // an L, whose box holds area it does not
		a, b := step*float64(2+r.IntN(4)), step
		v.Geometry = orb.Polygon{{{x0, y0}, {x0 + a, y0}, {x0 + a, y0 + b}, {x0 + b, y0 + b}, {x0 + b, y0 + a}, {x0, y0 + a}, {x0, y0}}}
	case 4:
		v.Geometry, v.BufferM = orb.Point{x0, y0}, 200+r.Float64()*3000
	case 5:
		v.Geometry = orb.LineString{{x0, y0}, {x0 + c(10) - 0.05, y0 + c(10) - 0.05}, {x0 + c(10) - 0.05, y0 + c(10)}}
		v.BufferM = 50 + r.Float64()*500
	}
	v.FloorM = float64(r.IntN(6)) * 1000
	v.CeilingM = v.FloorM + float64(r.IntN(4))*1000
	if r.IntN(10) == 0 {
		v.FloorM = math.Inf(-1)
	}
	if r.IntN(10) == 0 {
		v.CeilingM = math.Inf(1)
	}
	start := r.IntN(24 * 6)
	switch r.IntN(8) {
	case 0:
		// unbounded: a site
	case 1:
		v.Start = h(start)
	case 2:
		v.End = h(start)
	case 3:
		v.Start, v.End = h(start), h(start+48+r.IntN(200)) // beyond longBuckets
	default:
		v.Start, v.End = h(start), h(start+1+r.IntN(20))
	}
	return v
}

// brute is the reference: every stored volume, each dimension compared
// from the Volume fields, the areas by geo.Intersects.
type brute map[string]refVolume

type refVolume struct {
	spatial.Volume
	area orb.Geometry
}

func (b brute) overlaps(t *testing.T, q spatial.Volume) []spatial.Overlap {
	t.Helper()
	qa, err := spatial.PrepareVolume(q)
	if err != nil {
		t.Fatal(err)
	}
	var out []spatial.Overlap
	for _, rv := range b {
		v := rv.Volume
		if v.FloorM > q.CeilingM || q.FloorM > v.CeilingM {
			continue
		}
		// Windows [Start, End), zero meaning unbounded.
		if !v.End.IsZero() && !q.Start.IsZero() && !q.Start.Before(v.End) {
			continue
		}
		if !q.End.IsZero() && !v.Start.IsZero() && !v.Start.Before(q.End) {
			continue
		}
		if !geo.Intersects(qa.Area(), rv.area) {
			continue
		}
		o := spatial.Overlap{ID: v.ID, Owner: v.Owner, FloorM: math.Max(v.FloorM, q.FloorM), CeilingM: math.Min(v.CeilingM, q.CeilingM)}
		switch {
		case v.Start.IsZero():
			o.Start = q.Start
		case q.Start.IsZero() || v.Start.After(q.Start):
			o.Start = v.Start
		default:
			o.Start = q.Start
		}
		switch {
		case v.End.IsZero():
			o.End = q.End
		case q.End.IsZero() || v.End.Before(q.End):
			o.End = v.End
		default:
			o.End = q.End
		}
		out = append(out, o)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// TestVolumeIndex_AgainstBruteForce checks every answer of the index
// against a scan of all volumes, through inserts, replacements and
// removals. SPATIAL_TEST_SEED=<the seed printed> replays a run.
func TestVolumeIndex_AgainstBruteForce(t *testing.T) {
	seed := uint64(time.Now().UnixNano())
	if s, err := strconv.ParseUint(os.Getenv("SPATIAL_TEST_SEED"), 10, 64); err == nil {
		seed = s
	}
	t.Logf("seed %d", seed)
	r := rand.New(rand.NewPCG(seed, 1))
	x := spatial.NewVolumeIndex()
	ref := brute{}
	n, queries := 600, 400
	if testing.Short() {
		n, queries = 200, 100
	}
	for i := range n {
		id := fmt.Sprint("v", r.IntN(n)) // about a third replace an earlier one
		v := randomVolume(r, id)
		if err := x.Insert(v); err != nil {
			t.Fatalf("seed %d: insert %+v: %v", seed, v, err)
		}
		p, err := spatial.PrepareVolume(v)
		if err != nil {
			t.Fatal(err)
		}
		ref[id] = refVolume{v, p.Area()}
		if i%7 == 0 {
			del := fmt.Sprint("v", r.IntN(n))
			_, had := ref[del]
			if x.Remove(del) != had {
				t.Fatalf("seed %d: Remove(%s) disagrees", seed, del)
			}
			delete(ref, del)
		}
	}
	if x.Len() != len(ref) {
		t.Fatalf("seed %d: Len = %d, want %d", seed, x.Len(), len(ref))
	}
	found := 0
	for i := range queries {
		q := randomVolume(r, fmt.Sprint("q", i))
		got, want := overlaps(t, x, q), ref.overlaps(t, q)
		found += len(want)
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("seed %d: query %+v\ngot  %v\nwant %v", seed, q, got, want)
		}
	}
	// The test means something only if overlaps are found and missed.
	if found == 0 || found == queries*len(ref) {
		t.Fatalf("seed %d: %d overlaps over %d queries: the data do not test anything", seed, found, queries)
	}
	t.Logf("%d volumes, %d queries, %d overlaps agree", len(ref), queries, found)
}

// Stopping early stops: fn returning false is called no more.
func TestVolumeIndex_Stop(t *testing.T) {
	x := spatial.NewVolumeIndex()
	for i := range 50 {
		v := spatial.Volume{ID: fmt.Sprint(i), Geometry: square(36, 32, 36.1, 32.1), FloorM: 0, CeilingM: 1}
		if i%2 == 0 {
			v.Start, v.End = h(i), h(i+1)
		}
		if err := x.Insert(v); err != nil {
			t.Fatal(err)
		}
	}
	calls := 0
	if err := x.Overlapping(spatial.Volume{ID: "q", Geometry: square(36, 32, 36.1, 32.1), FloorM: 0, CeilingM: 1}, func(spatial.Overlap) bool {
		calls++
		return calls < 3
	}); err != nil {
		t.Fatal(err)
	}
	if calls != 3 {
		t.Fatalf("calls = %d", calls)
	}
}

// Readers and a writer at once (run with -race): every answer a reader
// gets is one the brute force gives for the volumes that never change,
// plus only volumes that the writer inserted.
func TestVolumeIndex_Concurrent(t *testing.T) {
	x := spatial.NewVolumeIndex()
	fixed := spatial.Volume{ID: "fixed", Geometry: square(36, 32, 36.1, 32.1), FloorM: 0, CeilingM: 1000}
	if err := x.Insert(fixed); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := range 2000 {
			id := fmt.Sprint("w", i%50)
			if i%3 == 2 {
				x.Remove(id)
				continue
			}
			if err := x.Insert(spatial.Volume{ID: id, Geometry: square(36.05, 32.05, 36.2, 32.2), FloorM: 0, CeilingM: 10, Start: h(i % 30), End: h(i%30 + 2)}); err != nil {
				t.Error(err)
				return
			}
		}
	}()
	q := spatial.Volume{ID: "q", Geometry: square(36.06, 32.06, 36.07, 32.07), FloorM: 0, CeilingM: 5, Start: h(0), End: h(40)}
	for reading := true; reading; {
		select {
		case <-done:
			reading = false
		default:
		}
		sawFixed := false
		if err := x.Overlapping(q, func(o spatial.Overlap) bool {
			switch {
			case o.ID == "fixed":
				sawFixed = true
			case len(o.ID) < 2 || o.ID[0] != 'w':
				t.Errorf("unexpected %v", o)
			}
			return true
		}); err != nil {
			t.Fatal(err)
		}
		if !sawFixed {
			t.Fatal("the volume that never changes was missed")
		}
	}
}
