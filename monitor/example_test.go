package monitor_test

import (
	"fmt"
	"math"
	"time"

	"github.com/paulmach/orb"
	"github.com/truce-project/truce/feed"
	"github.com/truce-project/truce/monitor"
	"github.com/truce-project/truce/spatial"
)

// An aircraft crosses a no-fly zone: with the default hysteresis the entry
// is raised on the second position inside and the exit on the second
// position outside, both with the same episode id.
func Example() {
	zones := spatial.NewZoneIndex()
	_ = zones.Insert(spatial.Zone{
		ID:       "nfz-1",
		Geometry: orb.Polygon{{{36.2, 33.4}, {36.4, 33.4}, {36.4, 33.6}, {36.2, 33.6}, {36.2, 33.4}}},
		FloorM:   math.Inf(-1), CeilingM: math.Inf(1),
	})
	episodes := map[string]int{}
	e, err := monitor.New(monitor.Config{
		Zones: zones.Snapshot,
		Emit: func(a monitor.Alert) {
			episodes[a.Episode]++
			fmt.Println(a.Kind, a.ZoneID, a.Aircraft.Position.Lon, a.Reason, "episode alerts:", episodes[a.Episode])
		},
	})
	if err != nil {
		panic(err)
	}
	t0 := time.Date(2026, 12, 1, 6, 0, 0, 0, time.UTC)
	for i, lon := range []float64{36.1, 36.15, 36.25, 36.3, 36.35, 36.45, 36.5} {
		e.Process(feed.Position{ICAO: 0x4BAAC6, Lat: 33.5, Lon: lon, Time: t0.Add(time.Duration(i) * 10 * time.Second), Present: feed.FieldLatLon})
	}
	// Output:
	// zone_entry nfz-1 36.3  episode alerts: 1
	// zone_exit nfz-1 36.5 left episode alerts: 2
}
