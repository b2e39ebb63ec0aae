package spatial_test

import (
	"fmt"
	"math"
	"time"

	"github.com/paulmach/orb"
	"github.com/truce-project/truce/spatial"
)

func ExampleZoneIndex() {
	x := spatial.NewZoneIndex()
	noFly := orb.Polygon{{{36.0, 33.0}, {36.5, 33.0}, {36.5, 33.5}, {36.0, 33.5}, {36.0, 33.0}}}
	start := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	err := x.Insert(spatial.Zone{
		ID: "no-fly-1", Geometry: noFly,
		FloorM: math.Inf(-1), CeilingM: 6096, // surface to FL200
		Windows: []spatial.Window{{Start: start}}, // from 1 March, open-ended
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	report := func(alt float64, at time.Time) {
		var hit []string
		x.Containing(36.2, 33.2, alt, at, func(id string) bool {
			hit = append(hit, id)
			return true
		})
		fmt.Println(alt, at.Format("Jan 2"), hit)
	}
	report(3000, start.Add(time.Hour))
	report(9000, start.Add(time.Hour))
	report(3000, start.Add(-time.Hour))
	// Output:
	// 3000 Mar 1 [no-fly-1]
	// 9000 Mar 1 []
	// 3000 Feb 28 []
}
