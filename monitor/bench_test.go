package monitor_test

import (
	"context"
	"math"
	"math/rand/v2"
	"runtime"
	"syscall"
	"testing"
	"time"

	"github.com/paulmach/orb"
	"github.com/truce-project/truce/feed"
	"github.com/truce-project/truce/monitor"
	"github.com/truce-project/truce/spatial"
)

// benchZones makes n zones from the real OCHA sub-districts the way
// spatial's benchmarks do: copy k of every sub-district scaled about
// Syria's centre by 0.9, 1.0 or 1.1 (k mod 3) and shifted by 8° of
// longitude per column and 7° of latitude per row of a 5-column grid, so
// every zone keeps a real shape, vertex count and holes. A third carry an
// altitude band and a third active windows.
func benchZones(tb testing.TB, n int, t0 time.Time) ([]spatial.Zone, orb.Bound) {
	src := subdistricts(tb)
	centre := orb.Point{38.9, 34.8}
	var zs []spatial.Zone
	all := orb.Bound{Min: orb.Point{math.Inf(1), math.Inf(1)}, Max: orb.Point{math.Inf(-1), math.Inf(-1)}}
	for k := 0; len(zs) < n; k++ {
		s := []float64{0.9, 1.0, 1.1}[k%3]
		dx, dy := float64(k%5)*8, float64(k/5)*7
		for _, g := range src {
			if len(zs) == n {
				break
			}
			c := orb.Point{centre[0] + (g.Bound().Center()[0]-centre[0])*s + dx, centre[1] + (g.Bound().Center()[1]-centre[1])*s + dy}
			z := spatial.Zone{ID: "z" + itoa(len(zs)), Geometry: moveTo(g, c, s), FloorM: math.Inf(-1), CeilingM: math.Inf(1)}
			switch len(zs) % 3 {
			case 1:
				z.FloorM, z.CeilingM = 0, 6000
			case 2:
				z.Windows = []spatial.Window{{Start: t0.Add(-time.Hour), End: t0.Add(72 * time.Hour)}, {Start: t0.Add(100 * time.Hour)}}
			}
			all = all.Union(z.Geometry.Bound())
			zs = append(zs, z)
		}
	}
	return zs, all
}

func itoa(i int) string {
	var b [20]byte
	n := len(b)
	for {
		n--
		b[n] = byte('0' + i%10)
		i /= 10
		if i == 0 {
			return string(b[n:])
		}
	}
}

// fleet is n aircraft at 150–500 kt and 1,000–40,000 ft over the zones,
// one report a second each: a third are attributed to one of three parties
// and fly patrol orbits (circles of 20–60 km radius, so their heading turns
// all the time), the rest are civil traffic on straight legs.
type fleet struct {
	lat, lon, r, w, th, gs, alt []float64
	party                       []string
	t0                          time.Time
}

func newFleet(n int, area orb.Bound, seed uint64, t0 time.Time) *fleet {
	rng := rand.New(rand.NewPCG(seed, 1))
	f := &fleet{t0: t0}
	for i := range n {
		f.lat = append(f.lat, area.Min[1]+rng.Float64()*(area.Max[1]-area.Min[1]))
		f.lon = append(f.lon, area.Min[0]+rng.Float64()*(area.Max[0]-area.Min[0]))
		r := 20000 + 40000*rng.Float64()
		gs := 150 + 350*rng.Float64()
		f.r = append(f.r, r)
		f.gs = append(f.gs, gs)
		f.w = append(f.w, gs*1852/3600/r) // rad/s
		f.th = append(f.th, 2*math.Pi*rng.Float64())
		f.alt = append(f.alt, 1000+39000*rng.Float64())
		p := ""
		if i%3 == 0 {
			p = []string{"red", "blue", "green"}[i%9/3]
		}
		f.party = append(f.party, p)
	}
	return f
}

// at is aircraft a's report at second k.
func (f *fleet) at(a, k int) feed.Position {
	if f.party[a] == "" {
		// Straight east-north-east, wrapping around after 10 hours.
		d := f.gs[a] * 1852 / 3600 * float64(k%36000)
		trk := 60 + 30*float64(a%7)/7
		s, c := math.Sincos(trk * math.Pi / 180)
		lat := f.lat[a] + d*c/111320
		lon := f.lon[a] + d*s/(111320*math.Cos(f.lat[a]*math.Pi/180))
		return feed.Position{
			ICAO: uint32(a + 1), Lat: lat, Lon: lon, AltFt: f.alt[a], AltM: f.alt[a] * feed.FeetToMetres,
			GroundSpeedKt: f.gs[a], TrackDeg: trk, Time: f.t0.Add(time.Duration(k) * time.Second),
			Present: feed.FieldLatLon | feed.FieldAltitude | feed.FieldGroundSpeed | feed.FieldTrack,
		}
	}
	th := f.th[a] + f.w[a]*float64(k)
	s, c := math.Sincos(th)
	lat := f.lat[a] + f.r[a]*s/111320
	lon := f.lon[a] + f.r[a]*c/(111320*math.Cos(f.lat[a]*math.Pi/180))
	// Counter-clockwise: the velocity points (east, north) = (-sin θ, cos θ).
	trk := math.Mod(math.Mod(-th*180/math.Pi, 360)+360, 360)
	return feed.Position{
		ICAO: uint32(a + 1), Lat: lat, Lon: lon, AltFt: f.alt[a], AltM: f.alt[a] * feed.FeetToMetres,
		GroundSpeedKt: f.gs[a], TrackDeg: trk, Time: f.t0.Add(time.Duration(k) * time.Second),
		Present: feed.FieldLatLon | feed.FieldAltitude | feed.FieldGroundSpeed | feed.FieldTrack,
	}
}

// BenchmarkEngine_Process measures positions processed per CPU-second on
// one goroutine, through Process (one lock round per position), for 2,000
// aircraft reporting once a second over 5,000 zones made from real
// polygons. "all" runs every detection: entry/exit, predicted entry over
// 120 s (a third of the aircraft orbit, so their paths are redrawn every
// few seconds), proximity between parties, history; "zones" only entry and
// exit. checks/cpu-s counts zone-index lookups, predicted points included.
func BenchmarkEngine_Process(b *testing.B) {
	t0 := time.Date(2026, 12, 1, 6, 0, 0, 0, time.UTC)
	zones, area := benchZones(b, 5000, t0)
	x := spatial.NewZoneIndex()
	if err := x.Load(zones); err != nil {
		b.Fatal(err)
	}
	const aircraft = 2000
	f := newFleet(aircraft, area, 1, t0)
	for _, bb := range []struct {
		name string
		cfg  monitor.Config
	}{
		{"all", monitor.Config{Attribute: func(icao uint32, _ string) string { return f.party[icao-1] }}},
		{"zones", monitor.Config{LookAhead: -1}},
	} {
		b.Run(bb.name, func(b *testing.B) {
			alerts := 0
			cfg := bb.cfg
			cfg.Zones, cfg.MaxTracks = x.Snapshot, aircraft
			cfg.Emit = func(monitor.Alert) { alerts++ }
			e, err := monitor.New(cfg)
			if err != nil {
				b.Fatal(err)
			}
			// A minute of warm-up, so that tracks, paths and episodes exist.
			for k := range 60 {
				for a := range aircraft {
					e.Process(f.at(a, k))
				}
			}
			checks0 := e.Counters.Checks.Load()
			alerts = 0
			runtime.GC()
			b.ReportAllocs()
			cpu0 := cpuTime()
			for i := 0; b.Loop(); i++ {
				e.Process(f.at(i%aircraft, 60+i/aircraft))
			}
			cpu := cpuTime() - cpu0
			checks := e.Counters.Checks.Load() - checks0
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "positions/s")
			if cpu > 0 {
				b.ReportMetric(float64(b.N)/cpu.Seconds(), "positions/cpu-s")
				b.ReportMetric(float64(checks)/cpu.Seconds(), "checks/cpu-s")
			}
			b.ReportMetric(float64(alerts)/float64(b.N)*1000, "alerts/kpos")
		})
	}
}

// cpuTime is the process's user+system CPU time, so that a benchmark on a
// shared machine can report work per CPU-second (per core).
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkEngine_Ingest measures the hand-off from feed goroutines to
// Run's worker: two goroutines (one per core, as two SBS connections)
// call Ingest while Run processes against no zones, so ns/op is the
// queue's cost plus the engine's bookkeeping per position. Positions shed
// because the worker fell behind are reported as dropped/op.
func BenchmarkEngine_Ingest(b *testing.B) {
	e, err := monitor.New(monitor.Config{LookAhead: -1, HistoryLen: -1})
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- e.Run(ctx) }()
	t0 := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	b.SetParallelism(1)
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		p := feed.Position{Lat: 33.5, Lon: 36.3, AltFt: 30000, Present: feed.FieldLatLon | feed.FieldAltitude, Source: "bench"}
		for i := 0; pb.Next(); i++ {
			p.ICAO = uint32(1 + i%2000)
			p.Time = t0.Add(time.Duration(i/2000) * time.Second)
			for !e.Ingest(p) {
				runtime.Gosched() // the queue is full: let the worker catch up
			}
		}
	})
	for e.Counters.Processed.Load() < e.Counters.Ingested.Load() {
		runtime.Gosched()
	}
	b.StopTimer()
	cancel()
	<-done
	b.ReportMetric(float64(e.Counters.Dropped.Load())/float64(b.N), "dropped/op")
}
