// Command airspace measures the airspace monitor end to end against the
// targets of issue 5, with the real server (node.Open over SQLite):
//
//	airspace setup      -dir D            data directories with 1,000, 5,000 and 20,000 no-fly zones
//	airspace throughput -dir D -tile38 A  positions/s over SBS-1 TCP and NDJSON HTTP, side by side with Tile38
//	airspace latency    -dir D            position sent → SSE alert delivered, at 50,000 positions/s
//	airspace memory     -dir D            RSS with 20,000 live tracks and 5,000 zones
//
// The zones are OCHA's 272 real Syrian sub-district polygons and scaled,
// shifted copies of them, as in the monitor's and spatial's benchmarks,
// with altitude bands; Tile38 gets the same fences as WITHIN … WHERE z …
// FENCE DETECT enter,exit channels. bench/airspace.sh runs everything;
// bench/README.md has the figures.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"strconv"
	"strings"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: airspace setup|throughput|latency|memory [flags]")
		os.Exit(2)
	}
	verb, args := os.Args[1], os.Args[2:]
	fs := flag.NewFlagSet(verb, flag.ExitOnError)
	dir := fs.String("dir", "", "root of the benchmark's data directories (made by setup)")
	polygons := fs.String("polygons", "geo/testdata/syria-admin3-ocha.geojson", "OCHA sub-district GeoJSON (real polygons)")
	zones := fs.String("zones", "1000,5000,20000", "zone counts, comma-separated")
	var err error
	ctx := context.Background()
	switch verb {
	case "setup":
		fs.Parse(args)
		var counts []int
		if counts, err = ints(*zones); err == nil {
			err = setup(ctx, need(*dir), *polygons, counts)
		}
	case "throughput":
		addr := fs.String("tile38", "127.0.0.1:9851", "address of a running tile38-server; \"none\" measures Truce alone (for profiling)")
		pid := fs.Int("tile38-pid", 0, "process id of that tile38-server (for its CPU time)")
		fs.StringVar(&cpuProfile, "cpuprofile", "", "write CPU profiles of Truce's runs to this prefix (.sbs, .ndjson)")
		paths := fs.String("paths", "sbs,ndjson", "Truce input paths")
		aircraft := fs.Int("aircraft", 2000, "aircraft")
		positions := fs.Int("positions", 300000, "positions sent to each system")
		conns := fs.Int("conns", 2, "connections used by each system")
		seed := fs.Uint64("seed", 1, "seed of the aircraft placement")
		fs.Parse(args)
		fmt.Printf("seed %d\n", *seed)
		var counts []int
		if counts, err = ints(*zones); err == nil {
			if *pid <= 0 && *addr != "none" {
				err = fmt.Errorf("-tile38-pid is required")
			} else {
				err = throughput(ctx, need(*dir), *polygons, *addr, *pid, counts, strings.Split(*paths, ","), *aircraft, *positions, *conns, *seed)
			}
		}
	case "latency":
		rate := fs.Int("rate", 50000, "positions per second sent")
		aircraft := fs.Int("aircraft", 10000, "aircraft, each reporting rate/aircraft times a second")
		crossers := fs.Int("crossers", 300, "of which aircraft flying in and out of the zone")
		secs := fs.Int("seconds", 60, "duration of the send")
		conns := fs.Int("conns", 2, "SBS connections")
		seed := fs.Uint64("seed", 1, "seed")
		fs.Parse(args)
		fmt.Printf("seed %d\n", *seed)
		err = latency(ctx, need(*dir), *rate, *aircraft, *crossers, *secs, *conns, *seed)
	case "memory":
		tracks := fs.Int("tracks", 20000, "live tracks")
		nz := fs.Int("nzones", 5000, "zones")
		fs.StringVar(&memProfile, "memprofile", "", "write a heap profile here at the end")
		mode := fs.String("mode", "node", "node (the real server on DIR/z<nzones>) or engine (monitor.Engine alone)")
		fs.Parse(args)
		err = memory(ctx, *dir, *polygons, *mode, *tracks, *nz)
	default:
		err = fmt.Errorf("unknown verb %q", verb)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "airspace:", err)
		os.Exit(1)
	}
}

func need(dir string) string {
	if dir == "" {
		fmt.Fprintln(os.Stderr, "airspace: -dir is required")
		os.Exit(2)
	}
	return dir
}

func ints(s string) ([]int, error) {
	var out []int
	for _, f := range strings.Split(s, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 1 {
			return nil, fmt.Errorf("bad count %q", f)
		}
		out = append(out, n)
	}
	return out, nil
}
