package monitor_test

import (
	"testing"
	"time"

	"github.com/truce-project/truce/feed"
	"github.com/truce-project/truce/monitor"
	"github.com/truce-project/truce/spatial"
)

// BenchmarkEngine_TableFull measures a flood of invented addresses against
// a full track table of 20,000 unknown aircraft far from the zones (the
// campaign of issue 10), with 5,000 zones from real polygons: every report
// of a new address looks for a place (a sample of 16 tracks) and is
// refused. "known" is the same engine's cost for an aircraft it tracks.
func BenchmarkEngine_TableFull(b *testing.B) {
	t0 := time.Date(2026, 12, 1, 6, 0, 0, 0, time.UTC)
	zones, area := benchZones(b, 5000, t0)
	x := newIndex(b, zones)
	const full = 20000
	e, err := monitor.New(monitor.Config{Zones: x.Snapshot, MaxTracks: full, LookAhead: -1, HistoryLen: -1})
	if err != nil {
		b.Fatal(err)
	}
	// Far from every zone: north of the zones' area.
	at := func(icao uint32, k int) feed.Position {
		return feed.Position{ICAO: icao, Lat: area.Max[1] + 2 + float64(icao%100)*0.01, Lon: area.Min[0] + float64(icao%200)*0.01,
			AltFt: 30000, Time: t0.Add(time.Duration(k) * time.Second), Present: feed.FieldLatLon | feed.FieldAltitude}
	}
	for a := range full {
		e.Process(at(uint32(a+1), 0))
	}
	b.Run("new", func(b *testing.B) {
		refused0 := e.Counters.Refused.Load()
		for i := 0; b.Loop(); i++ {
			// Invented addresses, each reported once, at the feed's time.
			e.Process(at(uint32(0x800000+i%1000000), 1))
		}
		if e.Counters.Refused.Load()-refused0 == 0 {
			b.Fatal("nothing refused")
		}
	})
	sec := 2 // feed time of the known aircraft's next round, across runs
	b.Run("known", func(b *testing.B) {
		used0 := e.Counters.Processed.Load() - e.Counters.Refused.Load() - e.Counters.TooOld.Load()
		for i := 0; b.Loop(); i++ {
			e.Process(at(uint32(1+i%full), sec+i/full))
		}
		sec += b.N/full + 1
		if e.Counters.Processed.Load()-e.Counters.Refused.Load()-e.Counters.TooOld.Load()-used0 != uint64(b.N) {
			b.Fatal("reports of known aircraft not used")
		}
	})
}

func newIndex(tb testing.TB, zones []spatial.Zone) *spatial.ZoneIndex {
	x := spatial.NewZoneIndex()
	if err := x.Load(zones); err != nil {
		tb.Fatal(err)
	}
	return x
}
