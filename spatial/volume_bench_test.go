package spatial_test

import (
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/paulmach/orb"
	"github.com/truce-project/truce/geo"
	"github.com/truce-project/truce/spatial"
)

// swSyria is a 2°×2° box over south-west Syria (Dar'a, Quneitra, As-Suwayda
// and the south of Rural Damascus), where the benchmark's volumes lie.
var swSyria = orb.Bound{Min: orb.Point{35.6, 32.3}, Max: orb.Point{37.6, 34.3}}

// benchVolume draws one volume of the kind a month over south-west Syria
// holds: i%10 == 0 a notified site (a circle of 100-500 m, no window, every
// altitude), i%10 in 1..3 a movement (a three-leg route of 5-20 km, a
// corridor of 50-300 m half-width, 2-12 hours, surface to 150 m), the rest
// operations (a circle of 1-5 km or a rectangle of 1-10 km, an altitude
// band within 0-12,000 m, 1-8 hours), windows within 30 days.
func benchVolume(r *rand.Rand, i int) spatial.Volume {
	const km = 1.0 / 100 // about a kilometre in degrees here
	at := func() float64 { return r.Float64() }
	x := swSyria.Min[0] + at()*(swSyria.Max[0]-swSyria.Min[0])
	y := swSyria.Min[1] + at()*(swSyria.Max[1]-swSyria.Min[1])
	start := t0.Add(time.Duration(r.Int64N(int64(30 * 24 * time.Hour)))).Truncate(time.Minute)
	v := spatial.Volume{ID: fmt.Sprint("v", i), Owner: fmt.Sprint("P", i%4)}
	switch k := i % 10; {
	case k == 0:
		v.Geometry, v.BufferM = orb.Point{x, y}, 100+400*at()
		v.FloorM, v.CeilingM = math.Inf(-1), math.Inf(1)
	case k <= 3:
		l := orb.LineString{{x, y}}
		legs := (5 + 15*at()) * km / 3
		for range 3 {
			a := 2 * math.Pi * at()
			p := l[len(l)-1]
			l = append(l, orb.Point{p[0] + legs*math.Cos(a), p[1] + legs*math.Sin(a)})
		}
		v.Geometry, v.BufferM = l, 50+250*at()
		v.FloorM, v.CeilingM = 0, 150
		v.Start, v.End = start, start.Add(time.Duration(2+r.IntN(11))*time.Hour)
	default:
		if r.IntN(2) == 0 {
			v.Geometry, v.BufferM = orb.Point{x, y}, 1000+4000*at()
		} else {
			w, h := (1+9*at())*km, (1+9*at())*km
			v.Geometry = orb.Polygon{{{x, y}, {x + w, y}, {x + w, y + h}, {x, y + h}, {x, y}}}
		}
		v.FloorM = float64(r.IntN(12)) * 1000
		v.CeilingM = v.FloorM + float64(1+r.IntN(4))*1000
		v.Start, v.End = start, start.Add(time.Duration(1+r.IntN(8))*time.Hour)
	}
	return v
}

var (
	benchIndexOnce sync.Once
	benchIndex     *spatial.VolumeIndex
	benchQueries   []*spatial.PreparedVolume
)

func volumeBenchData(b *testing.B) (*spatial.VolumeIndex, []*spatial.PreparedVolume) {
	benchIndexOnce.Do(func() {
		r := rand.New(rand.NewPCG(14, 16))
		x := spatial.NewVolumeIndex()
		for i := range 100_000 {
			if err := x.Insert(benchVolume(r, i)); err != nil {
				panic(err)
			}
		}
		benchIndex = x
		for i := range 1024 {
			v := benchVolume(r, 1+i*10/9) // never a site: new operations and movements
			v.ID = fmt.Sprint("q", i)
			p, err := spatial.PrepareVolume(v)
			if err != nil {
				panic(err)
			}
			benchQueries = append(benchQueries, p)
		}
		// The garbage of building is collected now, not on the clock.
		runtime.GC()
	})
	if b != nil && benchIndex.Len() != 100_000 {
		b.Fatalf("index holds %d volumes", benchIndex.Len())
	}
	return benchIndex, benchQueries
}

// BenchmarkVolumeIndex_Check measures one 4D conflict check of a new,
// prepared volume (an operation or a movement) against 100,000 stored
// volumes over a 2°×2° box of south-west Syria (see benchVolume), all
// overlaps reported. The DESIGN target is ≤ 2 µs.
func BenchmarkVolumeIndex_Check(b *testing.B) {
	x, qs := volumeBenchData(b)
	found := 0
	b.ResetTimer()
	cpu0 := cpuTime()
	for i := 0; i < b.N; i++ {
		x.OverlappingPrepared(qs[i%len(qs)], func(spatial.Overlap) bool {
			found++
			return true
		})
	}
	cpu := cpuTime() - cpu0
	b.ReportMetric(float64(cpu.Nanoseconds())/float64(b.N), "cpu-ns/op")
	b.ReportMetric(float64(found)/float64(b.N), "overlaps/op")
}

// BenchmarkVolumeIndex_CheckHot is the check with four queries in turn,
// so that what they touch of the index stays in the CPU's caches: the
// difference from BenchmarkVolumeIndex_Check is the cost of memory.
func BenchmarkVolumeIndex_CheckHot(b *testing.B) {
	x, qs := volumeBenchData(b)
	found := 0
	b.ResetTimer()
	cpu0 := cpuTime()
	for i := 0; i < b.N; i++ {
		x.OverlappingPrepared(qs[i%4], func(spatial.Overlap) bool {
			found++
			return true
		})
	}
	cpu := cpuTime() - cpu0
	b.ReportMetric(float64(cpu.Nanoseconds())/float64(b.N), "cpu-ns/op")
	b.ReportMetric(float64(found)/float64(b.N), "overlaps/op")
}

// BenchmarkVolumeIndex_CheckParallel is the check on every core at once.
func BenchmarkVolumeIndex_CheckParallel(b *testing.B) {
	x, qs := volumeBenchData(b)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			x.OverlappingPrepared(qs[i%len(qs)], func(spatial.Overlap) bool { return true })
			i++
		}
	})
}

// BenchmarkPrepareVolume is what preparing a new volume costs before its
// check: drawing the circle or corridor and indexing its edges.
func BenchmarkPrepareVolume(b *testing.B) {
	r := rand.New(rand.NewPCG(1, 2))
	vs := make([]spatial.Volume, 256)
	for i := range vs {
		vs[i] = benchVolume(r, 1+i*10/9)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := spatial.PrepareVolume(vs[i%len(vs)]); err != nil {
			b.Fatal(err)
		}
	}
}

// The benchmark's kind of data gets the brute-force reference's answers
// too: the first 20,000 of its volumes (a fifth of the density; building
// all 100,000 takes a minute on a loaded machine) and 200 new ones.
func TestVolumeIndex_BenchDataAgainstBruteForce(t *testing.T) {
	if testing.Short() {
		t.Skip("builds 20,000 volumes")
	}
	r := rand.New(rand.NewPCG(14, 16))
	x := spatial.NewVolumeIndex()
	var stored []*spatial.PreparedVolume
	for i := range 20_000 {
		p, err := spatial.PrepareVolume(benchVolume(r, i))
		if err != nil {
			t.Fatal(err)
		}
		x.InsertPrepared(p)
		stored = append(stored, p)
	}
	vols := make([]spatial.Volume, len(stored))
	r = rand.New(rand.NewPCG(14, 16))
	for i := range vols {
		vols[i] = benchVolume(r, i)
	}
	found := 0
	for i := range 200 {
		q := benchVolume(r, 1+i*10/9)
		q.ID = fmt.Sprint("q", i)
		qp, err := spatial.PrepareVolume(q)
		if err != nil {
			t.Fatal(err)
		}
		want := map[string]bool{}
		for j, s := range stored {
			v := vols[j]
			if v.FloorM > q.CeilingM || q.FloorM > v.CeilingM {
				continue
			}
			if !v.End.IsZero() && !q.Start.Before(v.End) || !v.Start.IsZero() && !v.Start.Before(q.End) {
				continue
			}
			if geo.Intersects(qp.Area(), s.Area()) {
				want[v.ID] = true
			}
		}
		got := map[string]bool{}
		x.OverlappingPrepared(qp, func(o spatial.Overlap) bool {
			if got[o.ID] {
				t.Errorf("%s reported twice", o.ID)
			}
			got[o.ID] = true
			return true
		})
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("query %d: got %v, want %v", i, got, want)
		}
		found += len(want)
	}
	if found == 0 {
		t.Fatal("no overlaps: the sample tests nothing")
	}
	t.Logf("200 queries, %d overlaps agree", found)
}
