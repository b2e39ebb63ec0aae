package main

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"runtime/pprof"
	"strconv"
	"time"

	"github.com/truce-project/truce/feed"
	"github.com/truce-project/truce/monitor"
	"github.com/truce-project/truce/spatial"
)

// memory fills a monitor holding nz zones with tracks live aircraft, each
// reporting every 10 s for 10 minutes of feed time (so every track's
// 48-point evidence history is full), then reports the process's RSS after
// a GC, at steady state. In node mode the monitor is the real server's on
// DIR/z<nz> (positions through Node.IngestPosition, alerts journalled in
// SQLite); in engine mode it is a monitor.Engine over a spatial.ZoneIndex.
// memProfile, when set, receives a heap profile at the end.
var memProfile string

func memory(ctx context.Context, root, polygons, mode string, tracks, nz int) error {
	rss0, _ := vmRSS()
	var (
		e      *monitor.Engine
		ingest func(feed.Position) bool
		area   = func() [4]float64 { return [4]float64{} }()
		closer func() error
		settle = func() (int64, error) { return 0, nil }
	)
	src, err := loadPolygons(polygons)
	if err != nil {
		return err
	}
	fs, bound := fences(src, nz)
	area = [4]float64{bound.Min[0], bound.Min[1], bound.Max[0], bound.Max[1]}
	switch mode {
	case "node":
		if root == "" {
			return fmt.Errorf("-dir is required in node mode")
		}
		src, fs = nil, nil // the node reads its zones from its store
		r, err := startNode(ctx, filepath.Join(root, "z"+strconv.Itoa(nz)))
		if err != nil {
			return err
		}
		e, ingest, closer = r.n.Monitor(), r.n.IngestPosition, r.Close
		size0, err := r.n.Store.JournalSize(ctx)
		if err != nil {
			return err
		}
		alerts0 := r.n.Monitor().Counters.Alerts.Load()
		// Alerts raised but not yet journalled (one commit each): steady
		// state is when the journal has caught up.
		settle = func() (int64, error) {
			size, err := r.n.Store.JournalSize(ctx)
			return int64(r.n.Monitor().Counters.Alerts.Load()-alerts0) - (size - size0), err
		}
	case "engine":
		x := spatial.NewZoneIndex()
		zs := make([]spatial.Zone, len(fs))
		for i, f := range fs {
			zs[i] = spatial.Zone{ID: f.Name, Geometry: f.Geometry, FloorM: f.FloorFt * feed.FeetToMetres, CeilingM: f.CeilFt * feed.FeetToMetres}
		}
		if err := x.Load(zs); err != nil {
			return err
		}
		src, fs, zs = nil, nil, nil
		e, err = monitor.New(monitor.Config{Zones: x.Snapshot, Emit: func(monitor.Alert) {}, MaxAhead: monitor.MaxMaxDelay})
		if err != nil {
			return err
		}
		ectx, cancel := context.WithCancel(ctx)
		go e.Run(ectx)
		ingest, closer = e.Ingest, func() error { cancel(); return nil }
	default:
		return fmt.Errorf("mode %q: want node or engine", mode)
	}
	defer closer()
	runtime.GC()
	debug.FreeOSMemory()
	rssZones, _ := vmRSS()

	rng := rand.New(rand.NewPCG(1, 13))
	type ac struct{ lat, lon, gs, trk, alt float64 }
	fleet := make([]ac, tracks)
	for i := range fleet {
		fleet[i] = ac{lat: area[1] + rng.Float64()*(area[3]-area[1]), lon: area[0] + rng.Float64()*(area[2]-area[0]),
			gs: 150 + 350*rng.Float64(), trk: 360 * rng.Float64(), alt: 1000 + 39000*rng.Float64()}
	}
	// Ten minutes of feed time, sent as fast as the monitor takes it, then
	// a round every 10 s of wall-clock time, as the fleet would report, so
	// the tracks stay live while the alerts of the fast part are
	// journalled. Feed time starts now, not ten minutes ago: zones set up
	// minutes ago were not in force then.
	t0 := time.Now().UTC().Truncate(time.Second)
	const fill = 61
	sent := 0
	done := func() int { return int(e.Counters.Processed.Load() + e.Counters.Dropped.Load()) }
	base := done()
	round := func(k int) {
		for a, f := range fleet {
			d := f.gs * 1852 / 3600 * float64(10*k)
			s, c := math.Sincos(f.trk * math.Pi / 180)
			p := feed.Position{ICAO: uint32(0x400000 + a), Lat: f.lat + d*c/111320, Lon: f.lon + d*s/(111320*math.Cos(f.lat*math.Pi/180)),
				AltFt: math.Round(f.alt), AltM: math.Round(f.alt) * feed.FeetToMetres, GroundSpeedKt: f.gs, TrackDeg: f.trk, VerticalRateFpm: 0, Time: t0.Add(time.Duration(10*k) * time.Second),
				Present: feed.FieldLatLon | feed.FieldAltitude | feed.FieldGroundSpeed | feed.FieldTrack | feed.FieldVerticalRate}
			for sent-(done()-base) > window {
				time.Sleep(100 * time.Microsecond)
			}
			ingest(p)
			sent++
		}
		for done()-base < sent {
			time.Sleep(time.Millisecond)
		}
	}
	start := time.Now()
	for k := range fill {
		round(k)
	}
	fmt.Printf("%s: %d zones, %d positions from %d aircraft processed in %v; %d live tracks, %d alerts, %d shed, %d refused\n",
		mode, nz, sent, tracks, time.Since(start).Round(time.Millisecond), e.Len(), e.Counters.Alerts.Load(), e.Counters.Dropped.Load(), e.Counters.Refused.Load())
	var last int64
	measured := 0
	filled := time.Now()
	for k := fill; measured < 4; k++ {
		time.Sleep(time.Until(filled.Add(time.Duration(10*(k-fill+1)) * time.Second)))
		round(k)
		backlog, err := settle()
		if err != nil {
			return err
		}
		if backlog > int64(tracks/10) {
			fmt.Printf("  feed time +%d s: %d alerts wait for the journal\n", 10*k, backlog)
			if time.Since(start) > 30*time.Minute {
				return fmt.Errorf("the journal did not catch up in 30 minutes")
			}
			continue
		}
		runtime.GC()
		debug.FreeOSMemory()
		rss, err := vmRSS()
		if err != nil {
			return err
		}
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		fmt.Printf("  feed time +%d s: VmRSS %.1f MB (Go heap in use %.1f MB); %d tracks, %d alerts waiting\n", 10*k, float64(rss)/1e6, float64(ms.HeapInuse)/1e6, e.Len(), backlog)
		last = rss
		measured++
	}
	if memProfile != "" {
		f, err := os.Create(memProfile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.WriteHeapProfile(f); err != nil {
			return err
		}
	}
	fmt.Printf("RSS: %.1f MB at start, %.1f MB with the zones, %.1f MB with %d tracks (target ≤ 300 MB)\n",
		float64(rss0)/1e6, float64(rssZones)/1e6, float64(last)/1e6, e.Len())
	return nil
}
