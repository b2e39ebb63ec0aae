package spatial_test

import (
	"sync"
	"testing"

	"github.com/paulmach/orb"
	"github.com/truce-project/truce/geo/geotest"
)

// The real polygons: OCHA's 272 Syrian sub-districts (COD-AB, CC BY-IGO,
// credit OCHA / HDX), kept once in geo's testdata.
const admin3 = "../geo/testdata/syria-admin3-ocha.geojson"

var (
	subdistrictsOnce sync.Once
	subdistricts     []geotest.Feature
	subdistrictsErr  error
)

// loadSubdistricts decodes the real polygons without geo.Validate, then
// repairs them: the two sub-districts with centimetre bow-ties (see geo's
// TestDecode_OCHARealDefects) stay in, because the index must hold
// whatever the zone service accepted, and the crossing rule still answers
// for them.
func loadSubdistricts(tb testing.TB) []geotest.Feature {
	tb.Helper()
	subdistrictsOnce.Do(func() { subdistricts, subdistrictsErr = geotest.LoadLoose(admin3) })
	if subdistrictsErr != nil {
		tb.Fatal(subdistrictsErr)
	}
	return subdistricts
}

// copies is how the 5,000 benchmark zones are made from the 272 real
// sub-districts: copy k of every sub-district placed by geotest.CopyMove on
// a 5-column grid. The first n zones are returned.
func copies(tb testing.TB, n int) []orb.Geometry {
	src := loadSubdistricts(tb)
	var out []orb.Geometry
	for k := 0; len(out) < n; k++ {
		move := geotest.CopyMove(k, 5)
		for _, f := range src {
			if len(out) == n {
				break
			}
			out = append(out, geotest.Moved(f.Geometry, move))
		}
	}
	return out
}
