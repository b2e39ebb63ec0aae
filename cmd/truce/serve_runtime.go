package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/http"
	"net/http/pprof"
	"os"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"strconv"
	"strings"
	"time"
)

// The Go runtime's soft memory limit `truce serve` sets when neither
// --memory-limit nor GOMEMLIMIT says otherwise is sized once the zones are
// loaded: what is live then, plus perTrackMemory for each place of the
// track table (a full track with its evidence history takes about 2.2 KB)
// and memoryHeadroom for the rest (requests, the alert queue, the minutely
// reconciliation of the zone index with the database), and at least
// minMemoryLimit. With the default GOGC the heap may grow to twice what is
// live before a collection; the limit makes the collector run earlier
// instead, so a server holding 20,000 tracks and 5,000 real-polygon zones
// (about 135 MB live) stays under 300 MB of RSS, and one with more zones
// gets a limit that grows with them. The limit is soft: a server whose
// live data needs more goes over it (collecting more often) rather than
// failing.
//
// The headroom must hold the alert queue as well: while the journal is
// behind (airspace.MaxQueuedAlerts waiting, each with its evidence, and
// the batch being written encoded two or three times) the live heap is
// some 50 MB above the steady one. With 64 MiB of headroom the limit fell
// below the live heap whenever the queue filled (a 20,000-track fill on
// 5,000 real polygons: limit 220 MB, heap 283 MB): the collector then ran
// without pause, up to half the CPU, each alert cost twice the CPU
// (630–960 µs against 330–410), the fill took 1.5–3 min instead of 40 s,
// and the RSS was higher, not lower (364–377 MB against 296 MB), since
// what is allocated while marking survives the cycle.
const (
	perTrackMemory = 3 << 10
	memoryHeadroom = 112 << 20
	minMemoryLimit = 128 << 20
)

// runtimeFlags adds --memory-limit and --pprof; the returned function
// applies them once the flags are parsed and returns a function that sets
// the default memory limit once the node is open (nothing when a limit
// was given) and one that stops the profiling listener.
func runtimeFlags(fs *flag.FlagSet) func(ctx context.Context) (sizeLimit func(maxTracks int), stop func(), err error) {
	limit := fs.String("memory-limit", env("TRUCE_MEMORY_LIMIT", ""),
		"soft memory limit of the Go runtime, like 256MiB or 1GiB, or off; default GOMEMLIMIT if set, else sized at start-up for the zones loaded and --max-tracks (TRUCE_MEMORY_LIMIT)")
	pprofAddr := fs.String("pprof", env("TRUCE_PPROF", ""),
		"serve Go's profiles (/debug/pprof/) on this loopback address, like 127.0.0.1:6060; off by default (TRUCE_PPROF)")
	return func(ctx context.Context) (func(int), func(), error) {
		sizeLimit := func(int) {}
		switch v := *limit; {
		case v == "" && os.Getenv("GOMEMLIMIT") != "":
			// The runtime has read it already.
		case v == "":
			sizeLimit = func(maxTracks int) { debug.SetMemoryLimit(defaultMemoryLimit(maxTracks)) }
		default:
			n, err := parseMemoryLimit(v)
			if err != nil {
				return nil, nil, fmt.Errorf("--memory-limit %q: %w", v, err)
			}
			debug.SetMemoryLimit(n)
		}
		if *pprofAddr == "" {
			return sizeLimit, func() {}, nil
		}
		stop, err := servePprof(ctx, *pprofAddr)
		return sizeLimit, stop, err
	}
}

// defaultMemoryLimit sizes the memory limit for what is live now (the
// zones loaded at start-up; one collection, once, measures it) and a full
// track table.
func defaultMemoryLimit(maxTracks int) int64 {
	runtime.GC()
	s := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	metrics.Read(s)
	var live int64
	if s[0].Value.Kind() == metrics.KindUint64 {
		live = int64(s[0].Value.Uint64())
	}
	return max(minMemoryLimit, live+int64(maxTracks)*perTrackMemory+memoryHeadroom)
}

// parseMemoryLimit reads a byte count with an optional B, KiB, MiB, GiB or
// TiB suffix (GOMEMLIMIT's syntax), or "off" for no limit.
func parseMemoryLimit(s string) (int64, error) {
	if s == "off" {
		return 1<<63 - 1, nil
	}
	mult := int64(1)
	for _, u := range []struct {
		suffix string
		mult   int64
	}{{"TiB", 1 << 40}, {"GiB", 1 << 30}, {"MiB", 1 << 20}, {"KiB", 1 << 10}, {"B", 1}} {
		if strings.HasSuffix(s, u.suffix) {
			s, mult = strings.TrimSuffix(s, u.suffix), u.mult
			break
		}
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n <= 0 || n > (1<<63-1)/mult {
		return 0, errors.New("want a size like 256MiB, 1GiB or 300000000, or off")
	}
	if n*mult < 64<<20 {
		return 0, errors.New("want at least 64MiB")
	}
	return n * mult, nil
}

// servePprof serves net/http/pprof's handlers on addr, which must be a
// loopback address: profiles show the process's internals and cost CPU
// while they run, so they are for an operator on the host (or through an
// SSH tunnel), never the network.
func servePprof(ctx context.Context, addr string) (func(), error) {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, fmt.Errorf("--pprof %q: want a loopback address like 127.0.0.1:6060", addr)
	}
	if ip := net.ParseIP(host); host != "localhost" && (ip == nil || !ip.IsLoopback()) {
		return nil, fmt.Errorf("--pprof %q: only a loopback address (127.0.0.1, ::1, localhost) is allowed", addr)
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("--pprof: %w", err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(ln) //nolint:errcheck // ends with ErrServerClosed on stop
	stop := context.AfterFunc(ctx, func() { srv.Close() })
	return func() { stop(); srv.Close() }, nil
}
