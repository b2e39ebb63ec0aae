package geo_test

import (
	"encoding/json"
	"math/rand/v2"
	"os"
	"testing"

	"github.com/paulmach/orb"
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
