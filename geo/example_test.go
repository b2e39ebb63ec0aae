package geo_test

import (
	"fmt"

	"github.com/paulmach/orb"
	"github.com/truce-project/truce/geo"
)

func ExampleDecode() {
	// A buffer zone with a hole; the rings come in clockwise and are
	// normalised to RFC 7946's orientation.
	in := `{"type":"Polygon","coordinates":[
	  [[35.8,33.0],[35.8,33.3],[36.1,33.3],[36.1,33.0],[35.8,33.0]],
	  [[35.9,33.1],[36.0,33.1],[36.0,33.2],[35.9,33.2],[35.9,33.1]]]}`
	g, err := geo.Decode([]byte(in), geo.Options{})
	if err != nil {
		fmt.Println(err)
		return
	}
	p := g.(orb.Polygon)
	fmt.Println(p[0].Orientation() == orb.CCW, p[1].Orientation() == orb.CW)
	fmt.Println(geo.Contains(g, orb.Point{35.85, 33.05}), geo.Contains(g, orb.Point{35.95, 33.15}))

	_, err = geo.Decode([]byte(`{"type":"Polygon","coordinates":[[[0,0],[10,10],[10,0],[0,10],[0,0]]]}`), geo.Options{})
	fmt.Println(err)
	// Output:
	// true true
	// true false
	// geo: invalid geometry: self-intersection at ring 0 vertex 0 (5 5): edge from vertex 0 crosses the same ring's edge from vertex 2
}

func ExampleRelate() {
	a := orb.Polygon{{{0, 0}, {10, 0}, {10, 10}, {0, 10}, {0, 0}}}
	b := orb.LineString{{5, 5}, {15, 5}}
	m, _ := geo.Relate(a, b)
	fmt.Println(m, geo.Intersects(a, b), geo.Contains(a, b), geo.Crosses(a, b))
	// Output: 1020F1102 true false true
}

func ExampleParseAltitude() {
	for _, s := range []string{"FL200", "10000ft", "3000m", "3000", "high"} {
		m, err := geo.ParseAltitude(s)
		fmt.Printf("%s: %.1f %v\n", s, m, err)
	}
	// Output:
	// FL200: 6096.0 <nil>
	// 10000ft: 3048.0 <nil>
	// 3000m: 3000.0 <nil>
	// 3000: 3000.0 <nil>
	// high: 0.0 geo: invalid altitude: "high": want FL200, 10000ft, 3000m or 3000
}
