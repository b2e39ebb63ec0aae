package control_test

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/paulmach/orb"
	"github.com/truce-project/truce/control"
	"github.com/truce-project/truce/geo"
)

// Syria's box, where the benchmarks' areas lie.
const (
	minLon, minLat, maxLon, maxLat = 35.7, 32.3, 42.3, 37.3
)

// blob returns a 12-vertex polygon around (lon, lat) of half-size r
// degrees, its vertices jittered by rng: sub-district-like, not a box.
func blob(rng *rand.Rand, lon, lat, r float64) orb.Polygon {
	ring := make(orb.Ring, 0, 13)
	for k := range 12 {
		a := 2 * math.Pi * float64(k) / 12
		d := r * (0.85 + 0.15*rng.Float64())
		ring = append(ring, orb.Point{lon + d*math.Cos(a), lat + d*math.Sin(a)})
	}
	ring = append(ring, ring[0])
	return orb.Polygon{ring}
}

// benchLayer returns n control areas tiling the box, each held by the
// actor of its region (one of 12), with one in a hundred claimed by a
// second actor too (contested), held from a time in 2025–2026.
func benchLayer(rng *rand.Rand, n int) *control.Layer {
	side := int(math.Ceil(math.Sqrt(float64(n))))
	dx, dy := (maxLon-minLon)/float64(side), (maxLat-minLat)/float64(side)
	l := control.NewLayer()
	t0 := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := range n {
		x, y := i%side, i/side
		lon, lat := minLon+(float64(x)+0.5)*dx, minLat+(float64(y)+0.5)*dy
		actor := fmt.Sprintf("actor-%d", (x*4/side)*3+y*3/side)
		if i%100 == 0 {
			actor = "contender"
		}
		g := blob(rng, lon, lat, 0.6*math.Min(dx, dy))
		c := &control.ControlArea{ID: fmt.Sprint(i), ActorID: actor, From: t0.Add(time.Duration(rng.IntN(365*24)) * time.Hour), AreaKM2: geo.Area(g) / 1e6}
		if i%7 == 0 {
			end := c.From.Add(90 * 24 * time.Hour)
			c.To = &end
		}
		l.AddDecoded(c, g)
	}
	return l
}

// benchGuarantees returns n guarantees over sub-district-sized areas
// spread over the box, each allowing two actors.
func benchGuarantees(rng *rand.Rand, n int) *control.Index[control.Guarded] {
	x := control.NewIndex[control.Guarded]()
	t0 := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := range n {
		lon, lat := minLon+rng.Float64()*(maxLon-minLon), minLat+rng.Float64()*(maxLat-minLat)
		g := blob(rng, lon, lat, 0.04)
		x.Add(g.Bound(), control.Guarded{Guarantee: &control.Guarantee{ID: fmt.Sprint(i), Allowed: []string{"actor-1", "actor-2"}, From: t0}, Area: g})
	}
	return x
}

// BenchmarkCheck_10kGuarantees is the first target: the breach
// check of one control change (a village-sized area) against 10,000
// guarantees, with 100,000 control areas held beside them.
func BenchmarkCheck_10kGuarantees(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 2))
	gx := benchGuarantees(rng, 10_000)
	layer := benchLayer(rng, 100_000)
	changes := make([]control.Change, 1024)
	for i := range changes {
		lon, lat := minLon+rng.Float64()*(maxLon-minLon), minLat+rng.Float64()*(maxLat-minLat)
		changes[i] = control.Change{ActorID: "faction", Area: blob(rng, lon, lat, 0.02), From: time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)}
	}
	found := 0
	b.ResetTimer()
	cpu0 := cpuTime()
	for i := 0; b.Loop(); i++ {
		found += len(control.Check(gx, changes[i%len(changes)]))
	}
	b.ReportMetric(float64((cpuTime()-cpu0).Nanoseconds())/1e3/float64(b.N), "cpu-µs/op")
	b.ReportMetric(float64(found)/float64(b.N), "breaches/op")
	_ = layer.Len()
}

// BenchmarkCheckSighting_10kGuarantees is the breach check of one
// verified incident of territory overtaken (a point) against 10,000
// guarantees: what CheckIncidents does for each incident it reads.
func BenchmarkCheckSighting_10kGuarantees(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 2))
	gx := benchGuarantees(rng, 10_000)
	ss := make([]control.Sighting, 1024)
	for i := range ss {
		lon, lat := minLon+rng.Float64()*(maxLon-minLon), minLat+rng.Float64()*(maxLat-minLat)
		start := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
		ss[i] = control.Sighting{IncidentID: fmt.Sprint(i), Point: orb.Point{lon, lat}, Start: start, End: start.Add(time.Hour), ActorID: "faction"}
	}
	found := 0
	for i := 0; b.Loop(); i++ {
		found += len(control.CheckSighting(gx, ss[i%len(ss)]))
	}
	b.ReportMetric(float64(found)/float64(b.N), "breaches/op")
}

// BenchmarkMapAt_100k is the second target: the control map at
// a time over 100,000 control areas, with contested ground found and km²
// summed per actor.
func BenchmarkMapAt_100k(b *testing.B) {
	rng := rand.New(rand.NewPCG(3, 4))
	layer := benchLayer(rng, 100_000)
	at := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	var m *control.Map
	cpu0 := cpuTime()
	for b.Loop() {
		m = layer.MapAt(at)
	}
	b.ReportMetric(float64((cpuTime()-cpu0).Nanoseconds())/1e6/float64(b.N), "cpu-ms/op")
	contested := 0
	for _, h := range m.Areas {
		if len(h.ContestedWith) > 0 {
			contested++
		}
	}
	b.ReportMetric(float64(len(m.Areas)), "held")
	b.ReportMetric(float64(contested), "contested")
}

// BenchmarkCheckGuarantee_100kAreas is the other side of the first
// target: a new guarantee (a sub-district) checked against the 100,000
// control areas held, as AddGuarantee and CatchUp do: the areas sharing
// interior with it (Layer.Within), each then judged (Breaches).
func BenchmarkCheckGuarantee_100kAreas(b *testing.B) {
	rng := rand.New(rand.NewPCG(7, 8))
	layer := benchLayer(rng, 100_000)
	gs := make([]control.Guarded, 1024)
	t0 := time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC)
	for i := range gs {
		lon, lat := minLon+rng.Float64()*(maxLon-minLon), minLat+rng.Float64()*(maxLat-minLat)
		g := blob(rng, lon, lat, 0.04)
		gs[i] = control.Guarded{Guarantee: &control.Guarantee{ID: fmt.Sprint(i), Allowed: []string{"actor-1", "actor-2"}, From: t0}, Area: g}
	}
	found := 0
	cpu0 := cpuTime()
	for i := 0; b.Loop(); i++ {
		g := gs[i%len(gs)]
		layer.Within(g.Area, func(c *control.ControlArea) {
			found += len(control.Breaches(control.Change{ActorID: c.ActorID, Area: g.Area, From: c.From, To: c.To}, []control.Guarded{g}))
		})
	}
	b.ReportMetric(float64((cpuTime()-cpu0).Nanoseconds())/1e3/float64(b.N), "cpu-µs/op")
	b.ReportMetric(float64(found)/float64(b.N), "breaches/op")
}
