package monitor_test

import (
	"math"
	"runtime"
	"testing"
	"time"

	"github.com/paulmach/orb"
	"github.com/truce-project/truce/monitor"
	"github.com/truce-project/truce/spatial"
)

// BenchmarkEngine_Conformance measures what live conformance costs the
// monitor: BenchmarkEngine_Process's "all" run (2,000 aircraft, 5,000
// real-polygon zones, every detection) without operations ("none") and
// with 1,000 active operations ("ops1000"), each a 0.5° box over the
// fleet's area, 0–12,000 m, for a day, of one of the fleet's three
// parties, with one of that party's aircraft taking part (so aircraft are
// checked for conformance, and every attributed aircraft for intrusion).
// Compare positions/cpu-s of the two, run alternately (-count).
func BenchmarkEngine_Conformance(b *testing.B) {
	t0 := time.Date(2026, 12, 1, 6, 0, 0, 0, time.UTC)
	zones, area := benchZones(b, 5000, t0)
	x := spatial.NewZoneIndex()
	if err := x.Load(zones); err != nil {
		b.Fatal(err)
	}
	const aircraft, ops = 2000, 1000
	f := newFleet(aircraft, area, 1, t0)
	in := &monitor.Intents{Aircraft: map[uint32][]string{}, Parties: map[string][]string{}}
	var vols, areas, prints []spatial.Zone
	cols := int(math.Ceil(math.Sqrt(ops)))
	dx, dy := (area.Max[0]-area.Min[0])/float64(cols), (area.Max[1]-area.Min[1])/float64(cols)
	for k := range ops {
		id := "op" + itoa(k)
		lon, lat := area.Min[0]+dx*float64(k%cols), area.Min[1]+dy*float64(k/cols)
		z := spatial.Zone{ID: id + "/0", Geometry: orb.Polygon{{{lon, lat}, {lon + 0.5, lat}, {lon + 0.5, lat + 0.5}, {lon, lat + 0.5}, {lon, lat}}},
			FloorM: 0, CeilingM: 12000, Windows: []spatial.Window{{Start: t0.Add(-time.Hour), End: t0.Add(24 * time.Hour)}}}
		vols = append(vols, z)
		z.FloorM, z.CeilingM = math.Inf(-1), math.Inf(1)
		areas = append(areas, z)
		z.Windows = nil
		prints = append(prints, z)
		a := (9*k)%aircraft + 3*(k%3) // an aircraft of party k%3 (fleet: i%3 == 0, party i%9/3)
		in.Parties[id] = []string{f.party[a]}
		in.Aircraft[uint32(a+1)] = append(in.Aircraft[uint32(a+1)], id)
	}
	for _, s := range []struct {
		dst **spatial.Snapshot
		zs  []spatial.Zone
	}{{&in.Volumes, vols}, {&in.Areas, areas}, {&in.Footprints, prints}} {
		ix := spatial.NewZoneIndex()
		if err := ix.Load(s.zs); err != nil {
			b.Fatal(err)
		}
		*s.dst = ix.Snapshot()
	}
	for _, bb := range []struct {
		name    string
		intents *monitor.Intents
	}{{"none", nil}, {"ops1000", in}} {
		b.Run(bb.name, func(b *testing.B) {
			alerts := map[monitor.Kind]int{}
			cfg := monitor.Config{Attribute: func(icao uint32, _ string) string { return f.party[icao-1] }, Zones: x.Snapshot, MaxTracks: aircraft,
				Emit: func(a monitor.Alert) { alerts[a.Kind]++ }}
			if bb.intents != nil {
				cfg.Intents = func() *monitor.Intents { return bb.intents }
			}
			e, err := monitor.New(cfg)
			if err != nil {
				b.Fatal(err)
			}
			for k := range 60 {
				for a := range aircraft {
					e.Process(f.at(a, k))
				}
			}
			clear(alerts)
			runtime.GC()
			b.ReportAllocs()
			cpu0 := cpuTime()
			for i := 0; b.Loop(); i++ {
				e.Process(f.at(i%aircraft, 60+i/aircraft))
			}
			cpu := cpuTime() - cpu0
			if cpu > 0 {
				b.ReportMetric(float64(b.N)/cpu.Seconds(), "positions/cpu-s")
			}
			b.ReportMetric(float64(alerts[monitor.KindNonConformance]+alerts[monitor.KindIntrusion])/float64(b.N)*1000, "op-alerts/kpos")
		})
	}
}
