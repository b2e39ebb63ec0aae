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

func ExampleVolumeIndex() {
	x := spatial.NewVolumeIndex()
	day := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	// A notified hospital: a 300 m circle, every altitude, no window.
	if err := x.Insert(spatial.Volume{
		ID: "site-1", Owner: "OCHA", Geometry: orb.Point{36.10, 32.62}, BufferM: 300,
		FloorM: math.Inf(-1), CeilingM: math.Inf(1),
	}); err != nil {
		fmt.Println(err)
		return
	}
	// Party A's air patrol, 3,000-6,000 m, 08:00-12:00.
	if err := x.Insert(spatial.Volume{
		ID: "op-A", Owner: "A",
		Geometry: orb.Polygon{{{36.0, 32.5}, {36.3, 32.5}, {36.3, 32.8}, {36.0, 32.8}, {36.0, 32.5}}},
		FloorM:   3000, CeilingM: 6000, Start: day.Add(8 * time.Hour), End: day.Add(12 * time.Hour),
	}); err != nil {
		fmt.Println(err)
		return
	}
	// Party B files a strike over the hospital, 0-4,000 m, 11:00-13:00.
	err := x.Overlapping(spatial.Volume{
		ID: "op-B", Owner: "B", Geometry: orb.Point{36.11, 32.62}, BufferM: 2000,
		FloorM: 0, CeilingM: 4000, Start: day.Add(11 * time.Hour), End: day.Add(13 * time.Hour),
	}, func(o spatial.Overlap) bool {
		window := "always"
		if !o.Start.IsZero() {
			window = o.Start.Format("15:04") + "-" + o.End.Format("15:04")
		}
		fmt.Printf("%s of %s: %g-%g m, %s\n", o.ID, o.Owner, o.FloorM, o.CeilingM, window)
		return true
	})
	if err != nil {
		fmt.Println(err)
	}
	// Unordered output:
	// op-A of A: 3000-4000 m, 11:00-12:00
	// site-1 of OCHA: 0-4000 m, 11:00-13:00
}
