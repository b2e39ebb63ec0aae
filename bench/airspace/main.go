// Command airspace measures the airspace monitor end to end with a real
// `truce serve` process, side by side with Tile38, on two scenarios:
//
//	airspace setup      -dir D -scenario real|dense       data directories with 1,000, 5,000 and 20,000 no-fly zones
//	airspace throughput -dir D -truce BIN -scenario S -tile38 A -tile38-pid P
//	                                                      positions per server CPU-second over SBS-1 TCP and NDJSON HTTP, beside Tile38
//	airspace latency    -dir D -truce BIN -zones N -rate R,...
//	                                                      position sent → SSE alert read, on the dense scenario
//	airspace memory     -dir D -truce BIN                 RSS of truce serve with 20,000 live tracks and 5,000 zones
//
// Scenario real: OCHA's 272 real Syrian sub-district polygons and scaled,
// shifted copies of them, with altitude bands, and aircraft flying
// straight over them (alerts on well under 1 % of positions). Scenario
// dense: 16-vertex fences of radius 200–1,500 m in a 1°×1° box and 10,000
// vehicles crossing their boundaries at up to 50 m an update (alerts on
// more than 10 % of positions). Tile38 gets the same fences as WITHIN …
// [WHERE z …] FENCE DETECT enter,exit channels.
//
// Every figure is taken from outside the server (its /metrics, its event
// stream, /proc/PID for its CPU time and memory), timed and counted until
// every position was processed, every alert journalled and every alert
// event read, and printed with the alerts per position and the machine's
// load average. -truce takes any truce binary, so two builds can be
// compared one after the other on the same directories. bench/airspace.sh
// runs everything; bench/README.md has the figures.
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
	scenario := fs.String("scenario", "real", "real (OCHA polygons, rare alerts) or dense (small fences, frequent alerts)")
	seed := fs.Uint64("seed", 1, "seed of the traffic")
	var bin *string
	if verb != "setup" {
		bin = fs.String("truce", "", "the truce binary to measure (run as `truce serve`)")
	}
	var err error
	ctx := context.Background()
	switch verb {
	case "setup":
		fs.Parse(args)
		var counts []int
		if counts, err = ints(*zones); err == nil {
			err = setup(ctx, need(*dir), *polygons, *scenario, counts)
		}
	case "throughput":
		addr := fs.String("tile38", "127.0.0.1:9851", "address of a running tile38-server; \"none\" measures Truce alone")
		pid := fs.Int("tile38-pid", 0, "process id of that tile38-server (for its CPU time)")
		paths := fs.String("paths", "sbs,ndjson", "Truce input paths")
		aircraft := fs.Int("aircraft", 0, "aircraft or vehicles (default 2,000 real, 10,000 dense)")
		positions := fs.Int("positions", 300000, "positions sent to each system")
		conns := fs.Int("conns", 2, "connections used by each system")
		fs.Parse(args)
		if *aircraft == 0 {
			*aircraft = 2000
			if *scenario == "dense" {
				*aircraft = 10000
			}
		}
		fmt.Printf("seed %d\n", *seed)
		var counts []int
		if counts, err = ints(*zones); err == nil {
			if *pid <= 0 && *addr != "none" {
				err = fmt.Errorf("-tile38-pid is required")
			} else {
				err = throughput(ctx, need(*dir), needBin(*bin), *polygons, *scenario, *addr, *pid, counts, strings.Split(*paths, ","), *aircraft, *positions, *conns, *seed)
			}
		}
	case "latency":
		rates := fs.String("rate", "2000,10000", "positions per second sent, comma-separated: a run per rate")
		vehicles := fs.Int("vehicles", 10000, "vehicles, each reporting rate/vehicles times a second")
		secs := fs.Int("seconds", 60, "duration of the send")
		conns := fs.Int("conns", 2, "SBS connections")
		fs.Parse(args)
		fmt.Printf("seed %d\n", *seed)
		var counts, rs []int
		if counts, err = ints(*zones); err == nil {
			rs, err = ints(*rates)
		}
		for _, n := range counts {
			for _, r := range rs {
				if err == nil {
					err = latency(ctx, need(*dir), needBin(*bin), n, r, *vehicles, *secs, *conns, *seed)
				}
			}
		}
	case "memory":
		tracks := fs.Int("tracks", 20000, "live tracks")
		nz := fs.Int("nzones", 5000, "zones (real polygons)")
		rounds := fs.Int("rounds", 4, "steady-state readings, 10 s apart")
		fs.Parse(args)
		err = memory(ctx, need(*dir), needBin(*bin), *polygons, *tracks, *nz, *rounds)
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

func needBin(bin string) string {
	if bin == "" {
		fmt.Fprintln(os.Stderr, "airspace: -truce is required: a truce binary (go build -o /tmp/truce ./cmd/truce)")
		os.Exit(2)
	}
	if st, err := os.Stat(bin); err != nil || st.IsDir() || st.Mode()&0o111 == 0 {
		fmt.Fprintf(os.Stderr, "airspace: -truce %s is not an executable\n", bin)
		os.Exit(2)
	}
	return bin
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
