package control_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/paulmach/orb"
	"github.com/truce-project/truce"
	"github.com/truce-project/truce/control"
	"github.com/truce-project/truce/geo"
	"github.com/truce-project/truce/journal"
	"github.com/truce-project/truce/sqlite"
)

// cpuTime returns the CPU time this process has used, user and system.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func polygonJSON(p orb.Polygon) json.RawMessage {
	b, _ := json.Marshal(map[string]any{"type": "Polygon", "coordinates": p})
	return b
}

// BenchmarkService_Map_SQLite is the map served from the store: N
// control areas (TRUCE_BENCH_AREAS, default 100,000) written to SQLite
// with their journal entries, then a new service that loads them
// (reported once as load-ms); each op is what GET /control/map does: the
// map at a time (MapIn, at most MaxMapAreas areas listed, totals over
// all) and its JSON encoding (MB per response reported).
func BenchmarkService_Map_SQLite(b *testing.B) {
	n := 100_000
	if s := os.Getenv("TRUCE_BENCH_AREAS"); s != "" {
		n, _ = strconv.Atoi(s)
	}
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(b.TempDir(), "truce.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	cs := st.Control()
	rng := rand.New(rand.NewPCG(5, 6))
	t0 := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	actor := &control.Actor{ID: "a0", Slug: "a0", Names: map[string]string{"en": "A"}, Type: control.StateForces, CreatedAt: t0, Version: 1}
	// The areas are written as the server writes them (journal.Write):
	// each row holds its entry's index, and its entry's body is the row.
	j := journal.New(st)
	change := func(kind, subject string, body any) truce.Change {
		return truce.Change{Kind: kind, Subject: subject, Body: body, Visibility: truce.Visibility{Scope: truce.ScopeAll}, New: true}
	}
	const batch = 5000
	for lo := 0; lo < n; lo += batch {
		_, err := journal.Write(ctx, j, cs, nil, func(tx control.Tx, w *journal.Writer) (struct{}, error) {
			if lo == 0 {
				actor.JournalIndex = w.Journal(change("actor", actor.ID, actor))
				if err := tx.InsertActor(ctx, actor); err != nil {
					return struct{}{}, err
				}
			}
			for i := lo; i < min(lo+batch, n); i++ {
				side := 316
				lon, lat := minLon+(float64(i%side)+0.5)*(maxLon-minLon)/float64(side), minLat+(float64(i/side)+0.5)*(maxLat-minLat)/float64(side)
				g := blob(rng, lon, lat, 0.01)
				c := &control.ControlArea{ID: fmt.Sprintf("c%07d", i), ActorID: actor.ID, Geometry: polygonJSON(g), AreaKM2: geo.Area(g) / 1e6,
					From: t0.Add(time.Duration(rng.IntN(365*24)) * time.Hour), Source: "bench", Confidence: control.ConfidenceLow, Version: 1}
				b := g.Bound()
				c.BBox = truce.BBox{b.Min[0], b.Min[1], b.Max[0], b.Max[1]}
				c.JournalIndex = w.Journal(change("control_area", c.ID, c))
				if err := tx.InsertControlArea(ctx, c); err != nil {
					return struct{}{}, err
				}
			}
			return struct{}{}, nil
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	svc := control.New(cs, journal.New(st), nil) // a new server's
	viewer := truce.NewContext(ctx, &truce.Caller{User: &truce.User{ID: "v"}, Party: &truce.Party{ID: "p"}})
	at := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	start, cpu0 := time.Now(), cpuTime()
	m, err := svc.Map(viewer, at) // the first map loads the areas
	if err != nil {
		b.Fatal(err)
	}
	load, loadCPU := time.Since(start), cpuTime()-cpu0
	held := len(m.Areas)
	var body []byte
	b.ResetTimer()
	cpu1 := cpuTime()
	for b.Loop() {
		if m, err = svc.MapIn(viewer, at, nil, 0); err != nil {
			b.Fatal(err)
		}
		body, _ = json.Marshal(m)
	}
	// The map's CPU time per request (the process's): the server time a
	// request costs, whatever else the machine runs.
	b.ReportMetric(float64((cpuTime()-cpu1).Nanoseconds())/1e6/float64(b.N), "cpu-ms/op")
	b.ReportMetric(float64(load.Milliseconds()), "load-ms")
	// The load's CPU time (the process's, user and system): on a shared
	// machine its wall time is mostly waiting for a core.
	b.ReportMetric(float64(loadCPU.Milliseconds()), "load-cpu-ms")
	b.ReportMetric(float64(len(body))/1e6, "MB")
	b.ReportMetric(float64(held), "held")
}
