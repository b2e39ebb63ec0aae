package spatial_test

import (
	"encoding/json"
	"fmt"
	"os"
	"sync"
	"testing"

	"github.com/paulmach/orb"
	"github.com/truce-project/truce/geo"
)

// The real polygons: OCHA's 272 Syrian sub-districts (COD-AB, CC BY-IGO,
// credit OCHA / HDX), kept once in geo's testdata.
const admin3 = "../geo/testdata/syria-admin3-ocha.geojson"

type feature struct {
	Name     string
	Geometry orb.Geometry
}

var (
	subdistrictsOnce sync.Once
	subdistricts     []feature
	subdistrictsErr  error
)

func loadSubdistricts(tb testing.TB) []feature {
	tb.Helper()
	subdistrictsOnce.Do(func() {
		data, err := os.ReadFile(admin3)
		if err != nil {
			subdistrictsErr = err
			return
		}
		// Decoded without geo.Validate, then repaired: the two
		// sub-districts with centimetre bow-ties (see geo's
		// TestDecode_OCHARealDefects) stay in, because the index must hold
		// whatever the zone service accepted, and the crossing rule still
		// answers for them.
		subdistricts, subdistrictsErr = decodeLoose(data)
	})
	if subdistrictsErr != nil {
		tb.Fatal(subdistrictsErr)
	}
	return subdistricts
}

// copies is how the 5,000 benchmark zones are made from the 272 real
// sub-districts: copy k (k = 0..18) of every sub-district is scaled about
// Syria's centre by 0.9, 1.0 or 1.1 (k mod 3) and shifted on a 5-column grid
// by 8° of longitude per column and 7° of latitude per row, so copies of
// Syria never overlap each other and every copy keeps the real shapes,
// vertex counts and holes. The first n zones are returned.
func copies(tb testing.TB, n int) []orb.Geometry {
	src := loadSubdistricts(tb)
	centre := orb.Point{38.9, 34.8}
	var out []orb.Geometry
	for k := 0; len(out) < n; k++ {
		s := []float64{0.9, 1.0, 1.1}[k%3]
		dx, dy := float64(k%5)*8, float64(k/5)*7
		move := func(p orb.Point) orb.Point {
			return orb.Point{centre[0] + (p[0]-centre[0])*s + dx, centre[1] + (p[1]-centre[1])*s + dy}
		}
		for _, f := range src {
			if len(out) == n {
				break
			}
			out = append(out, transform(f.Geometry, move))
		}
	}
	return out
}

func transform(g orb.Geometry, f func(orb.Point) orb.Point) orb.Geometry {
	ring := func(r orb.Ring) orb.Ring {
		o := make(orb.Ring, len(r))
		for i, p := range r {
			o[i] = f(p)
		}
		return o
	}
	switch g := g.(type) {
	case orb.Polygon:
		o := make(orb.Polygon, len(g))
		for i, r := range g {
			o[i] = ring(r)
		}
		return o
	case orb.MultiPolygon:
		o := make(orb.MultiPolygon, len(g))
		for i, p := range g {
			o[i] = transform(p, f).(orb.Polygon)
		}
		return o
	}
	panic(fmt.Sprintf("unexpected %T", g))
}

func decodeLoose(data []byte) ([]feature, error) {
	var fc struct {
		Features []struct {
			Properties struct{ NAME_EN string }
			Geometry   struct {
				Type        string
				Coordinates json.RawMessage
			}
		}
	}
	if err := json.Unmarshal(data, &fc); err != nil {
		return nil, err
	}
	var out []feature
	for _, f := range fc.Features {
		var g orb.Geometry
		switch f.Geometry.Type {
		case "Polygon":
			var c [][][2]float64
			if err := json.Unmarshal(f.Geometry.Coordinates, &c); err != nil {
				return nil, err
			}
			g = polygonOf(c)
		case "MultiPolygon":
			var c [][][][2]float64
			if err := json.Unmarshal(f.Geometry.Coordinates, &c); err != nil {
				return nil, err
			}
			mp := orb.MultiPolygon{}
			for _, p := range c {
				mp = append(mp, polygonOf(p))
			}
			g = mp
		default:
			return nil, fmt.Errorf("unexpected %s", f.Geometry.Type)
		}
		out = append(out, feature{Name: f.Properties.NAME_EN, Geometry: geo.Repair(g)})
	}
	return out, nil
}

func polygonOf(c [][][2]float64) orb.Polygon {
	p := make(orb.Polygon, len(c))
	for i, r := range c {
		p[i] = make(orb.Ring, len(r))
		for j, q := range r {
			p[i][j] = q
		}
	}
	return p
}
