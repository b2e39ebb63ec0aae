package spatial_test

import (
	"math"
	"math/rand/v2"
	"runtime"
	"syscall"
	"testing"
	"time"

	"github.com/paulmach/orb"
	"github.com/truce-project/truce/geo"
	"github.com/truce-project/truce/geo/geotest"
	"github.com/truce-project/truce/spatial"
)

// BenchmarkZoneIndex_Containing measures position checks per second on one
// goroutine against 5,000 zones made from OCHA's real sub-district polygons
// (see copies), with positions drawn uniformly over the bounding box of all
// zones. A third of the zones carry an altitude band or time windows, as
// agreed zones do.
func BenchmarkZoneIndex_Containing(b *testing.B) {
	geoms := copies(b, 5000)
	zones := zonesFrom(geoms)
	vertices := 0
	for i := range zones {
		switch i % 3 {
		case 1:
			zones[i].FloorM, zones[i].CeilingM = 0, 6000
		case 2:
			zones[i].Windows = []spatial.Window{{Start: t0, End: t0.Add(72 * time.Hour)}, {Start: t0.Add(100 * time.Hour)}}
		}
		vertices += geotest.Vertices(geoms[i])
	}
	var m0, m1 runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&m0)
	x := spatial.NewZoneIndex()
	if err := x.Load(zones); err != nil {
		b.Fatal(err)
	}
	runtime.GC()
	runtime.ReadMemStats(&m1)
	all := orb.Bound{Min: orb.Point{math.Inf(1), math.Inf(1)}, Max: orb.Point{math.Inf(-1), math.Inf(-1)}}
	for _, g := range geoms {
		all = all.Union(g.Bound())
	}
	const n = 1 << 16
	r := rand.New(rand.NewPCG(1, 2))
	type pos struct {
		lon, lat, alt float64
		at            time.Time
	}
	ps := make([]pos, n)
	for i := range ps {
		ps[i] = pos{
			all.Min[0] + r.Float64()*(all.Max[0]-all.Min[0]),
			all.Min[1] + r.Float64()*(all.Max[1]-all.Min[1]),
			12000 * r.Float64(),
			t0.Add(time.Duration(r.Int64N(int64(200 * time.Hour)))),
		}
	}
	hits := 0
	fn := func(string) bool { hits++; return true }
	b.ReportAllocs()
	runtime.GC()
	cpu0 := cpuTime()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		p := &ps[i&(n-1)]
		x.Containing(p.lon, p.lat, p.alt, p.at, fn)
	}
	b.StopTimer()
	cpu := cpuTime() - cpu0
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "checks/s")
	if cpu > 0 {
		b.ReportMetric(float64(b.N)/cpu.Seconds(), "checks/cpu-s")
	}
	b.ReportMetric(float64(hits)/float64(b.N), "hits/check")
	b.ReportMetric(float64(vertices), "vertices")
	b.ReportMetric(float64(m1.HeapAlloc-m0.HeapAlloc)/(1<<20), "index-MiB")
	runtime.KeepAlive(x)
}

// cpuTime is the process's user+system CPU time, so that a benchmark on a
// shared machine can report work per CPU-second (per core) as well as per
// wall-clock second.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkZoneIndex_Intersecting finds the zones a planned operation
// touches: a 10 km geodesic circle (64 vertices) over a 6-hour window and a
// 0–3,000 m band, at random places over the same 5,000 zones.
func BenchmarkZoneIndex_Intersecting(b *testing.B) {
	geoms := copies(b, 5000)
	zones := zonesFrom(geoms)
	x := spatial.NewZoneIndex()
	if err := x.Load(zones); err != nil {
		b.Fatal(err)
	}
	r := rand.New(rand.NewPCG(3, 4))
	var ops []orb.Geometry
	for range 256 {
		k := r.IntN(19)
		c, err := geo.Circle(orb.Point{36 + 5*r.Float64() + float64(k%5)*8, 32.5 + 4.5*r.Float64() + float64(k/5)*7}, 10000, 64)
		if err != nil {
			b.Fatal(err)
		}
		ops = append(ops, c)
	}
	hits := 0
	fn := func(string) bool { hits++; return true }
	for i := 0; b.Loop(); i++ {
		if err := x.Intersecting(ops[i%len(ops)], 0, 3000, t0, t0.Add(6*time.Hour), fn); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(hits)/float64(b.N), "zones/op")
}

// BenchmarkZoneIndex_Insert replaces one zone (a new version of an agreed
// zone) in an index of 5,000: the cost of a write, which rebuilds the
// snapshot's point grid.
func BenchmarkZoneIndex_Insert(b *testing.B) {
	zones := zonesFrom(copies(b, 5000))
	x := spatial.NewZoneIndex()
	if err := x.Load(zones); err != nil {
		b.Fatal(err)
	}
	for i := 0; b.Loop(); i++ {
		z := zones[i%len(zones)]
		if err := x.Insert(z); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkZoneIndex_Load rebuilds an index of 5,000 zones made from OCHA's
// sub-districts, a third with altitude bands and a third with windows: the
// start-up cost (target ≤ 1 s).
func BenchmarkZoneIndex_Load(b *testing.B) {
	zones := zonesFrom(copies(b, 5000))
	for i := range zones {
		switch i % 3 {
		case 1:
			zones[i].FloorM, zones[i].CeilingM = 0, 6000
		case 2:
			zones[i].Windows = []spatial.Window{{Start: t0, End: t0.Add(72 * time.Hour)}, {Start: t0.Add(100 * time.Hour)}}
		}
	}
	for b.Loop() {
		x := spatial.NewZoneIndex()
		if err := x.Load(zones); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkZoneIndex_Delete removes one zone from an index of 5,000 and
// puts it back: a withdrawal and a re-approval (target ≤ 5 ms per change).
func BenchmarkZoneIndex_Delete(b *testing.B) {
	zones := zonesFrom(copies(b, 5000))
	x := spatial.NewZoneIndex()
	if err := x.Load(zones); err != nil {
		b.Fatal(err)
	}
	for i := 0; b.Loop(); i++ {
		z := zones[i%len(zones)]
		if !x.Delete(z.ID) {
			b.Fatalf("zone %s not in the index", z.ID)
		}
		if err := x.Insert(z); err != nil {
			b.Fatal(err)
		}
	}
}
