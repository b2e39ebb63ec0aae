package geo_test

import (
	"encoding/json"
	"math/rand/v2"
	"os"
	"testing"

	"github.com/paulmach/orb"
	"github.com/tidwall/geodesic"
	"github.com/truce-project/truce/geo"
)

func subdistrictGeoms(b *testing.B) [][]byte {
	data, err := os.ReadFile("testdata/syria-admin3-ocha.geojson")
	if err != nil {
		b.Fatal(err)
	}
	var fc struct {
		Features []struct{ Geometry json.RawMessage }
	}
	if err := json.Unmarshal(data, &fc); err != nil {
		b.Fatal(err)
	}
	out := make([][]byte, len(fc.Features))
	for i, f := range fc.Features {
		out[i] = f.Geometry
	}
	return out
}

// BenchmarkDecode_Subdistricts decodes, repairs and validates all 272 OCHA
// sub-districts (129,060 vertices) per iteration: the cost of an import.
func BenchmarkDecode_Subdistricts(b *testing.B) {
	gs := subdistrictGeoms(b)
	n := 0
	for b.Loop() {
		for _, g := range gs {
			if _, err := geo.Decode(g, geo.Options{Repair: true}); err == nil {
				n++
			}
		}
	}
	b.ReportMetric(129060*float64(b.N)/b.Elapsed().Seconds(), "vertices/s")
}

// BenchmarkIntersects_SubdistrictCircle relates a 10 km circle (64
// vertices) at random places to a real sub-district: a zone-vs-operation
// check.
func BenchmarkIntersects_SubdistrictCircle(b *testing.B) {
	gs := subdistrictGeoms(b)
	var zones []orb.Geometry
	for _, raw := range gs {
		if g, err := geo.Decode(raw, geo.Options{Repair: true}); err == nil {
			zones = append(zones, g)
		}
	}
	r := rand.New(rand.NewPCG(1, 1))
	var ops []orb.Geometry
	for range 256 {
		c, err := geo.Circle(orb.Point{36 + 5*r.Float64(), 32.5 + 4.5*r.Float64()}, 10000, 64)
		if err != nil {
			b.Fatal(err)
		}
		ops = append(ops, c)
	}
	hits := 0
	for i := 0; b.Loop(); i++ {
		if geo.Intersects(zones[i%len(zones)], ops[i%len(ops)]) {
			hits++
		}
	}
	b.ReportMetric(float64(hits)/float64(b.N), "hits/op")
}

// BenchmarkDistance compares the hand-written Vincenty inverse that
// [geo.Distance] uses with Karney's (github.com/tidwall/geodesic) on the
// monitor's hot path: pairs of positions in the Levant, random (up to
// ~1,000 km) and close (under ~7 km, as aircraft proximity checks are).
func BenchmarkDistance(b *testing.B) {
	r := rand.New(rand.NewPCG(4, 4))
	var far, near [][2]orb.Point
	for range 1024 {
		p := orb.Point{35 + 8*r.Float64(), 32 + 6*r.Float64()}
		far = append(far, [2]orb.Point{p, {35 + 8*r.Float64(), 32 + 6*r.Float64()}})
		near = append(near, [2]orb.Point{p, {p[0] + 0.05*r.Float64(), p[1] + 0.05*r.Float64()}})
	}
	for _, set := range []struct {
		name  string
		pairs [][2]orb.Point
	}{{"levant", far}, {"near", near}} {
		b.Run(set.name+"/vincenty", func(b *testing.B) {
			for i := 0; b.Loop(); i++ {
				p := set.pairs[i%len(set.pairs)]
				geo.Distance(p[0], p[1])
			}
		})
		b.Run(set.name+"/karney", func(b *testing.B) {
			for i := 0; b.Loop(); i++ {
				p := set.pairs[i%len(set.pairs)]
				var s float64
				geodesic.WGS84.Inverse(p[0][1], p[0][0], p[1][1], p[1][0], &s, nil, nil)
			}
		})
	}
}

// BenchmarkDestination times [geo.Destination] (Karney's direct solution),
// which every circle and buffer vertex costs.
func BenchmarkDestination(b *testing.B) {
	r := rand.New(rand.NewPCG(5, 5))
	var in [][3]float64
	for range 1024 {
		in = append(in, [3]float64{35 + 8*r.Float64(), 32 + 6*r.Float64(), 360 * r.Float64()})
	}
	for i := 0; b.Loop(); i++ {
		x := in[i%len(in)]
		geo.Destination(orb.Point{x[0], x[1]}, x[2], 10000)
	}
}
