package spatial_test

import (
	"errors"
	"math"
	"math/rand/v2"
	"os"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/paulmach/orb"
	"github.com/truce-project/truce/geo"
	"github.com/truce-project/truce/spatial"
)

var (
	t0  = time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	inf = math.Inf(1)
)

func ids(x *spatial.ZoneIndex, lon, lat, alt float64, at time.Time) []string {
	var out []string
	x.Containing(lon, lat, alt, at, func(id string) bool {
		out = append(out, id)
		return true
	})
	sort.Strings(out)
	return out
}

func equal(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// Damascus city lies in the hole of Rural Damascus: the index must say
// SY-DI and only SY-DI.
func TestZoneIndex_DamascusHole(t *testing.T) {
	data, err := os.ReadFile("../geo/testdata/syria-admin1-naturalearth.geojson")
	if err != nil {
		t.Fatal(err)
	}
	fs, err := geo.DecodeFeatures(data, geo.Options{})
	if err != nil {
		t.Fatal(err)
	}
	x := spatial.NewZoneIndex()
	for _, f := range fs {
		code := f.Properties["region_code"].(string)
		if err := x.Insert(spatial.Zone{ID: code, Geometry: f.Geometry, FloorM: -inf, CeilingM: inf}); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		name     string
		lon, lat float64
		want     []string
	}{
		{"DamascusCity", 36.29128, 33.5102, []string{"SY-DI"}},
		{"Douma", 36.40194, 33.57167, []string{"SY-RD"}},
		{"Aleppo", 37.16117, 36.20124, []string{"SY-HL"}},
		{"Beirut", 35.5018, 33.8938, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := ids(x, tt.lon, tt.lat, 1000, t0); !equal(got, tt.want) {
				t.Errorf("Containing = %v, want %v", got, tt.want)
			}
		})
	}
}

type bruteZone struct {
	id          string
	g           orb.Geometry
	b           orb.Bound
	floor, ceil float64
	windows     []spatial.Window
}

func (z *bruteZone) active(at time.Time) bool {
	if len(z.windows) == 0 {
		return true
	}
	for _, w := range z.windows {
		if (w.Start.IsZero() || !at.Before(w.Start)) && (w.End.IsZero() || at.Before(w.End)) {
			return true
		}
	}
	return false
}

// The index must agree with the brute-force answer — every zone's bounding
// box, band and windows checked one by one, then geo.Covers — at random
// positions, altitudes and times over 5,000 zones made from real polygons.
func TestZoneIndex_MatchesBruteForce(t *testing.T) {
	seed := rand.Uint64()
	t.Logf("seed %d", seed)
	r := rand.New(rand.NewPCG(seed, 2))
	// Copy 0 is scaled by 0.9, so the real governorates overlap it
	// everywhere: positions there fall in two zones.
	geoms := append(copies(t, 5000), governorates(t)...)
	var zones []spatial.Zone
	var brute []bruteZone
	for i, g := range geoms {
		z := spatial.Zone{ID: string(rune('a'+i%26)) + "-" + time.Duration(i).String(), Geometry: g, FloorM: -inf, CeilingM: inf}
		switch i % 4 {
		case 1: // a low band
			z.FloorM, z.CeilingM = 0, 3000
		case 2: // a band with an open floor
			z.CeilingM = 6000 * r.Float64()
		case 3: // time windows, one open-ended
			z.Windows = []spatial.Window{
				{Start: t0.Add(time.Duration(r.IntN(48)) * time.Hour), End: t0.Add(time.Duration(48+r.IntN(48)) * time.Hour)},
				{Start: t0.Add(200 * time.Hour)},
			}
		}
		zones = append(zones, z)
		brute = append(brute, bruteZone{z.ID, g, g.Bound(), z.FloorM, z.CeilingM, z.Windows})
	}
	x := spatial.NewZoneIndex()
	if err := x.Load(zones); err != nil {
		t.Fatal(err)
	}
	if x.Len() != len(geoms) {
		t.Fatalf("Len = %d", x.Len())
	}
	all := orb.Bound{Min: orb.Point{inf, inf}, Max: orb.Point{-inf, -inf}}
	for _, z := range brute {
		all = all.Union(z.b)
	}
	const n = 20000
	hits, multi := 0, 0
	syria := orb.Bound{Min: orb.Point{35.6, 32.3}, Max: orb.Point{42.4, 37.4}}
	for i := range n {
		// Half the positions over everything, half over Syria itself,
		// where the real governorates overlap copy 0.
		area := all
		if i%2 == 1 {
			area = syria
		}
		lon := area.Min[0] + r.Float64()*(area.Max[0]-area.Min[0])
		lat := area.Min[1] + r.Float64()*(area.Max[1]-area.Min[1])
		alt := -100 + 8000*r.Float64()
		at := t0.Add(time.Duration(r.Int64N(int64(300 * time.Hour))))
		var want []string
		p := orb.Point{lon, lat}
		for i := range brute {
			z := &brute[i]
			if !z.b.Contains(p) || alt < z.floor || alt > z.ceil || !z.active(at) {
				continue
			}
			if geo.Covers(z.g, p) {
				want = append(want, z.id)
			}
		}
		sort.Strings(want)
		got := ids(x, lon, lat, alt, at)
		if !equal(got, want) {
			t.Fatalf("at (%v %v) alt %v time %v: index %v, brute force %v", lon, lat, alt, at, got, want)
		}
		if len(want) > 0 {
			hits++
		}
		if len(want) > 1 {
			multi++
		}
	}
	t.Logf("%d random positions: %d inside some zone, %d inside several", n, hits, multi)
	if hits < n/10 || multi < n/100 {
		t.Errorf("only %d of %d positions hit a zone, %d several: the test is not testing", hits, n, multi)
	}
}

func TestZoneIndex_Writes(t *testing.T) {
	sq := func(x0, y0, d float64) orb.Polygon {
		return orb.Polygon{{{x0, y0}, {x0 + d, y0}, {x0 + d, y0 + d}, {x0, y0 + d}, {x0, y0}}}
	}
	x := spatial.NewZoneIndex()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(x.Insert(spatial.Zone{ID: "a", Geometry: sq(36, 33, 1), FloorM: -inf, CeilingM: inf}))
	must(x.Insert(spatial.Zone{ID: "b", Geometry: sq(36.5, 33.5, 1), FloorM: 0, CeilingM: 5000}))
	if got := ids(x, 36.7, 33.7, 1000, t0); !equal(got, []string{"a", "b"}) {
		t.Errorf("overlap: %v", got)
	}
	if got := ids(x, 36.7, 33.7, 6000, t0); !equal(got, []string{"a"}) {
		t.Errorf("above b's ceiling: %v", got)
	}
	if got := ids(x, 36.7, 33.7, math.NaN(), t0); !equal(got, []string{"a", "b"}) {
		t.Errorf("unknown altitude: %v", got)
	}
	// Replacing "a" moves it; the old shape is gone.
	before := x.Snapshot()
	must(x.Insert(spatial.Zone{ID: "a", Geometry: sq(40, 35, 1), FloorM: -inf, CeilingM: inf}))
	if got := ids(x, 36.2, 33.2, 0, t0); len(got) != 0 {
		t.Errorf("old version of a still found: %v", got)
	}
	if got := ids(x, 40.5, 35.5, 0, t0); !equal(got, []string{"a"}) {
		t.Errorf("new version of a not found: %v", got)
	}
	// A snapshot taken before the write still sees the old version.
	var old []string
	before.Containing(36.2, 33.2, 0, t0, func(id string) bool { old = append(old, id); return true })
	if !equal(old, []string{"a"}) {
		t.Errorf("snapshot changed under its reader: %v", old)
	}
	if !x.Delete("a") || x.Delete("a") || x.Len() != 1 {
		t.Errorf("Delete did not remove exactly once")
	}
	// The callback can stop the search.
	must(x.Insert(spatial.Zone{ID: "c", Geometry: sq(36.5, 33.5, 1), FloorM: -inf, CeilingM: inf}))
	calls := 0
	x.Containing(36.7, 33.7, 0, t0, func(string) bool { calls++; return false })
	if calls != 1 {
		t.Errorf("callback called %d times after returning false", calls)
	}
	// Junk positions find nothing and do not panic.
	for _, p := range [][2]float64{{math.NaN(), 33.7}, {36.7, math.NaN()}, {math.Inf(1), 33.7}, {1e300, -1e300}} {
		if got := ids(x, p[0], p[1], 0, t0); len(got) != 0 {
			t.Errorf("Containing(%v) = %v", p, got)
		}
	}
	// Time windows are half-open.
	must(x.Insert(spatial.Zone{ID: "w", Geometry: sq(30, 30, 1), FloorM: -inf, CeilingM: inf,
		Windows: []spatial.Window{{Start: t0, End: t0.Add(time.Hour)}}}))
	for _, tc := range []struct {
		at   time.Time
		want bool
	}{{t0.Add(-time.Nanosecond), false}, {t0, true}, {t0.Add(time.Hour - 1), true}, {t0.Add(time.Hour), false}} {
		if got := len(ids(x, 30.5, 30.5, 0, tc.at)) == 1; got != tc.want {
			t.Errorf("at %v active = %v, want %v", tc.at, got, tc.want)
		}
	}
}

func TestZoneIndex_InsertErrors(t *testing.T) {
	sq := orb.Polygon{{{36, 33}, {37, 33}, {37, 34}, {36, 34}, {36, 33}}}
	tests := []struct {
		name string
		z    spatial.Zone
	}{
		{"NoID", spatial.Zone{Geometry: sq, FloorM: -inf, CeilingM: inf}},
		{"ZeroBand", spatial.Zone{ID: "z", Geometry: sq}},
		{"InvertedBand", spatial.Zone{ID: "z", Geometry: sq, FloorM: 5, CeilingM: 1}},
		{"NaNBand", spatial.Zone{ID: "z", Geometry: sq, FloorM: math.NaN(), CeilingM: 1}},
		{"NilGeometry", spatial.Zone{ID: "z", FloorM: -inf, CeilingM: inf}},
		{"LineNoBuffer", spatial.Zone{ID: "z", Geometry: orb.LineString{{36, 33}, {37, 33}}, FloorM: -inf, CeilingM: inf}},
		{"PolygonWithBuffer", spatial.Zone{ID: "z", Geometry: sq, BufferM: 10, FloorM: -inf, CeilingM: inf}},
		{"NegativeBuffer", spatial.Zone{ID: "z", Geometry: orb.Point{36, 33}, BufferM: -1, FloorM: -inf, CeilingM: inf}},
		{"OutOfRange", spatial.Zone{ID: "z", Geometry: orb.Polygon{{{36, 33}, {237, 33}, {37, 34}, {36, 33}}}, FloorM: -inf, CeilingM: inf}},
		{"NaNVertex", spatial.Zone{ID: "z", Geometry: orb.Polygon{{{36, 33}, {math.NaN(), 33}, {37, 34}, {36, 33}}}, FloorM: -inf, CeilingM: inf}},
		{"BackwardWindow", spatial.Zone{ID: "z", Geometry: sq, FloorM: -inf, CeilingM: inf, Windows: []spatial.Window{{Start: t0, End: t0.Add(-time.Hour)}}}},
		{"Collection", spatial.Zone{ID: "z", Geometry: orb.Collection{sq}, FloorM: -inf, CeilingM: inf}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			x := spatial.NewZoneIndex()
			if err := x.Insert(tt.z); !errors.Is(err, spatial.ErrZone) {
				t.Errorf("Insert = %v, want ErrZone", err)
			}
			if x.Len() != 0 {
				t.Errorf("failed insert changed the index")
			}
		})
	}
	x := spatial.NewZoneIndex()
	z := spatial.Zone{ID: "d", Geometry: sq, FloorM: -inf, CeilingM: inf}
	if err := x.Load([]spatial.Zone{z, z}); !errors.Is(err, spatial.ErrZone) {
		t.Errorf("Load with duplicate ids = %v", err)
	}
}

// A contact line with a 2 km buffer zone, and a humanitarian site as a
// point with a radius.
func TestZoneIndex_LineAndPointZones(t *testing.T) {
	line := orb.LineString{{36.0, 33.0}, {36.2, 33.1}, {36.4, 33.05}}
	site := orb.Point{37.0, 34.0}
	x := spatial.NewZoneIndex()
	if err := x.Insert(spatial.Zone{ID: "line", Geometry: line, BufferM: 2000, FloorM: -inf, CeilingM: inf}); err != nil {
		t.Fatal(err)
	}
	if err := x.Insert(spatial.Zone{ID: "site", Geometry: site, BufferM: 500, FloorM: -inf, CeilingM: inf}); err != nil {
		t.Fatal(err)
	}
	mid := geo.Destination(line[1], 0, 0)
	tests := []struct {
		name string
		p    orb.Point
		want []string
	}{
		{"OnLine", mid, []string{"line"}},
		{"1.9kmNorth", geo.Destination(mid, 0, 1900), []string{"line"}},
		{"2.1kmNorth", geo.Destination(mid, 0, 2100), nil},
		{"BeyondEnd", geo.Destination(line[2], 100, 2100), nil},
		{"NearEnd", geo.Destination(line[2], 100, 1900), []string{"line"}},
		{"SiteCentre", site, []string{"site"}},
		{"Site480m", geo.Destination(site, 33, 480), []string{"site"}},
		{"Site520m", geo.Destination(site, 33, 520), nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := ids(x, tt.p[0], tt.p[1], 0, t0); !equal(got, tt.want) {
				t.Errorf("Containing(%v) = %v, want %v", tt.p, got, tt.want)
			}
		})
	}
}

func TestZoneIndex_Intersecting(t *testing.T) {
	sq := func(x0, y0, d float64) orb.Polygon {
		return orb.Polygon{{{x0, y0}, {x0 + d, y0}, {x0 + d, y0 + d}, {x0, y0 + d}, {x0, y0}}}
	}
	x := spatial.NewZoneIndex()
	zs := []spatial.Zone{
		{ID: "low", Geometry: sq(36, 33, 1), FloorM: 0, CeilingM: 1000},
		{ID: "high", Geometry: sq(36, 33, 1), FloorM: 5000, CeilingM: 9000},
		{ID: "later", Geometry: sq(36, 33, 1), FloorM: -inf, CeilingM: inf, Windows: []spatial.Window{{Start: t0.Add(24 * time.Hour)}}},
		{ID: "far", Geometry: sq(40, 36, 1), FloorM: -inf, CeilingM: inf},
		// A ring zone: its hole holds the operation area.
		{ID: "donut", Geometry: orb.Polygon{sq(35, 32, 3)[0], {{35.1, 32.1}, {35.1, 34.9}, {37.9, 34.9}, {37.9, 32.1}, {35.1, 32.1}}}, FloorM: -inf, CeilingM: inf},
	}
	if err := x.Load(zs); err != nil {
		t.Fatal(err)
	}
	op := sq(36.5, 33.5, 0.2)
	tests := []struct {
		name        string
		g           orb.Geometry
		floor, ceil float64
		from, to    time.Time
		want        []string
	}{
		{"AllAltitudesNow", op, -inf, inf, t0, t0.Add(time.Hour), []string{"high", "low"}},
		{"LowOnly", op, 100, 900, t0, t0.Add(time.Hour), []string{"low"}},
		{"OpenEnded", op, -inf, inf, t0, time.Time{}, []string{"high", "later", "low"}},
		{"Route", orb.LineString{{35.05, 33.5}, {36.5, 33.5}}, -inf, inf, t0, t0.Add(time.Hour), []string{"donut", "high", "low"}},
		{"Nowhere", sq(10, 10, 1), -inf, inf, t0, t0.Add(time.Hour), nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			err := x.Intersecting(tt.g, tt.floor, tt.ceil, tt.from, tt.to, func(id string) bool {
				got = append(got, id)
				return true
			})
			sort.Strings(got)
			if err != nil || !equal(got, tt.want) {
				t.Errorf("Intersecting = %v, %v; want %v", got, err, tt.want)
			}
		})
	}
	for _, bad := range []orb.Geometry{nil, orb.Point{math.NaN(), 33}, orb.Collection{orb.Point{36, 33}, op}} {
		if err := x.Intersecting(bad, -inf, inf, t0, t0, func(string) bool { return true }); err == nil {
			t.Errorf("Intersecting(%v) accepted", bad)
		}
	}
	if err := x.Intersecting(op, 10, 5, t0, t0, func(string) bool { return true }); err == nil {
		t.Errorf("inverted altitude band accepted")
	}
}

func TestZoneIndex_ContainingDoesNotAllocate(t *testing.T) {
	x := spatial.NewZoneIndex()
	if err := x.Load(zonesFrom(copies(t, 300))); err != nil {
		t.Fatal(err)
	}
	found := 0
	fn := func(string) bool { found++; return true }
	allocs := testing.AllocsPerRun(1000, func() {
		x.Containing(36.29128, 33.5102, 500, t0, fn)
		x.Containing(38.0, 35.0, 500, t0, fn)
	})
	if allocs != 0 {
		t.Errorf("Containing allocates %.1f times per call", allocs)
	}
	if found == 0 {
		t.Errorf("no zone found: the check measured nothing")
	}
}

// Readers run while a writer replaces and deletes zones: every answer must
// be one a snapshot could give (the zone with its id, present or not), and
// with -race the test checks there is no data race.
func TestZoneIndex_ConcurrentReadersAndWriter(t *testing.T) {
	geoms := copies(t, 200)
	x := spatial.NewZoneIndex()
	if err := x.Load(zonesFrom(geoms)); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	stop := make(chan struct{})
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := rand.New(rand.NewPCG(uint64(w), 3))
			for {
				select {
				case <-stop:
					return
				default:
				}
				x.Containing(36+6*r.Float64(), 32+5*r.Float64(), 100, t0, func(id string) bool { return id != "" })
			}
		}()
	}
	for i := range 300 {
		z := zonesFrom(geoms[i%len(geoms) : i%len(geoms)+1])[0]
		z.ID = "moving"
		if err := x.Insert(z); err != nil {
			t.Fatal(err)
		}
		if i%3 == 0 {
			x.Delete("moving")
		}
	}
	close(stop)
	wg.Wait()
	if x.Len() != 201 && x.Len() != 200 {
		t.Errorf("Len = %d after the writer", x.Len())
	}
}

func governorates(t *testing.T) []orb.Geometry {
	data, err := os.ReadFile("../geo/testdata/syria-admin1-naturalearth.geojson")
	if err != nil {
		t.Fatal(err)
	}
	fs, err := geo.DecodeFeatures(data, geo.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var out []orb.Geometry
	for _, f := range fs {
		out = append(out, f.Geometry)
	}
	return out
}

func zonesFrom(gs []orb.Geometry) []spatial.Zone {
	zs := make([]spatial.Zone, len(gs))
	for i, g := range gs {
		zs[i] = spatial.Zone{ID: time.Duration(i).String(), Geometry: g, FloorM: -inf, CeilingM: inf}
	}
	return zs
}
