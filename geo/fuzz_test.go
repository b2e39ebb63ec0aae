package geo_test

import (
	"testing"

	"github.com/paulmach/orb"
	"github.com/truce-project/truce/geo"
)

// FuzzDecode feeds arbitrary bytes to Decode and whatever it accepts to
// the predicates: bad input must give an error, never a panic, and an
// accepted polygon must relate to itself as equal.
func FuzzDecode(f *testing.F) {
	for _, s := range []string{
		`{"type":"Point","coordinates":[1,2]}`,
		`{"type":"LineString","coordinates":[[0,0],[1,1],[0,1]]}`,
		`{"type":"Polygon","coordinates":[[[0,0],[4,0],[4,4],[0,4],[0,0]],[[1,1],[2,1],[2,2],[1,1]]]}`,
		`{"type":"MultiPolygon","coordinates":[[[[0,0],[1,0],[1,1],[0,0]]],[[[1,1],[2,1],[2,2],[1,1]]]]}`,
		`{"type":"Polygon","coordinates":[[[0,0],[2,2],[2,0],[0,2],[0,0]]]}`,
		`{"type":"MultiPoint","coordinates":[]}`,
		`{"type":"Feature","geometry":null}`,
	} {
		f.Add([]byte(s))
	}
	probe := orb.Polygon{{{0.5, 0.5}, {3, 0.5}, {3, 3}, {0.5, 3}, {0.5, 0.5}}}
	f.Fuzz(func(t *testing.T, data []byte) {
		g, err := geo.Decode(data, geo.Options{Planar: true, MaxVertices: 200})
		if err != nil {
			return
		}
		m, err := geo.Relate(g, probe)
		if err != nil {
			t.Fatalf("Relate(%v): %v", g, err)
		}
		if geo.Intersects(g, probe) != !m.Matches("FF*FF****") {
			t.Fatalf("Intersects disagrees with %s for %v", m, g)
		}
		if d, _ := geo.Dimension(g); d == 2 && !geo.Equal(g, g) {
			t.Fatalf("%v is not equal to itself", g)
		}
	})
}
