package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/truce-project/truce/api"
	"github.com/truce-project/truce/feed"
	"github.com/truce-project/truce/monitor"
	"github.com/truce-project/truce/node"
)

// result is one measured run.
type result struct {
	rate   float64       // positions per wall-clock second
	cpu    time.Duration // CPU of client and server
	events int64         // fence events (Tile38) or zone alerts (Truce)
	n      int
}

func (r result) perCPU() float64 { return float64(r.n) / r.cpu.Seconds() }

// tile38Load replaces Tile38's database with the fences as channels, each
// a WITHIN fence with enter/exit detection and the fence's altitude band
// as WHERE z (the point's third coordinate, in feet).
func tile38Load(addr string, fs []fence) error {
	c, err := newConn(addr)
	// A server just started may not listen yet.
	for t0 := time.Now(); err != nil && time.Since(t0) < 10*time.Second; {
		time.Sleep(100 * time.Millisecond)
		c, err = newConn(addr)
	}
	if err != nil {
		return fmt.Errorf("connecting to tile38-server: %w", err)
	}
	defer c.Close()
	if _, err := c.do("FLUSHDB"); err != nil {
		return err
	}
	num := func(v float64) string {
		switch {
		case math.IsInf(v, -1):
			return "-inf"
		case math.IsInf(v, 1):
			return "+inf"
		}
		return strconv.FormatFloat(v, 'f', -1, 64)
	}
	for _, f := range fs {
		args := []string{"SETCHAN", f.Name, "WITHIN", "fleet"}
		if !math.IsInf(f.FloorFt, -1) || !math.IsInf(f.CeilFt, 1) {
			args = append(args, "WHERE", "z", num(f.FloorFt), num(f.CeilFt))
		}
		args = append(args, "FENCE", "DETECT", "enter,exit", "OBJECT", geoJSON(f.Geometry))
		if _, err := c.do(args...); err != nil {
			return fmt.Errorf("tile38 refused fence %s: %w", f.Name, err)
		}
	}
	return nil
}

// tile38Send sends the positions as pipelined SET fleet <icao> POINT <lat>
// <lon> <alt ft> over conns connections (aircraft split between them, so
// each aircraft's updates stay in order), timed until the last reply, with
// every channel subscribed.
func tile38Send(addr string, pid int, ps []feed.Position, conns int) (result, error) {
	stopSub, err := subscribe(addr)
	if err != nil {
		return result{}, err
	}
	cs := make([]*conn, conns)
	for i := range cs {
		c, err := newConn(addr)
		if err != nil {
			return result{}, err
		}
		defer c.Close()
		cs[i] = c
	}
	cmds := make([][]byte, conns)
	counts := make([]int, conns)
	for _, p := range ps {
		i := int(p.ICAO) % conns
		cmds[i] = appendCommand(cmds[i], "SET", "fleet", feed.FormatICAO(p.ICAO), "POINT",
			strconv.FormatFloat(p.Lat, 'f', 6, 64), strconv.FormatFloat(p.Lon, 'f', 6, 64), strconv.FormatFloat(p.AltFt, 'f', 0, 64))
		counts[i]++
	}
	var wg sync.WaitGroup
	errs := make([]error, conns)
	runtime.GC()
	srv0, err := procCPU(pid)
	if err != nil {
		return result{}, err
	}
	start, self0 := time.Now(), selfCPU()
	for i, c := range cs {
		wg.Add(2)
		go func() {
			defer wg.Done()
			if _, err := c.w.Write(cmds[i]); err == nil {
				errs[i] = c.w.Flush()
			} else {
				errs[i] = err
			}
		}()
		go func() {
			defer wg.Done()
			for range counts[i] {
				if _, err := c.read(); err != nil {
					errs[i] = fmt.Errorf("tile38 SET: %w", err)
					return
				}
			}
		}()
	}
	wg.Wait()
	elapsed, cpu := time.Since(start), selfCPU()-self0
	if err := errors.Join(errs...); err != nil {
		return result{}, err
	}
	srv1, err := procCPU(pid)
	if err != nil {
		return result{}, err
	}
	return result{rate: float64(len(ps)) / elapsed.Seconds(), cpu: cpu + srv1 - srv0, events: stopSub(), n: len(ps)}, nil
}

// subscribe counts the messages of every channel until the returned stop
// is called, which waits for the count to settle.
func subscribe(addr string) (func() int64, error) {
	c, err := newConn(addr)
	if err != nil {
		return nil, err
	}
	var n atomic.Int64
	if _, err := c.w.Write(appendCommand(nil, "PSUBSCRIBE", "*")); err != nil {
		return nil, err
	}
	if err := c.w.Flush(); err != nil {
		return nil, err
	}
	if _, err := c.read(); err != nil {
		return nil, err
	}
	go func() {
		for {
			v, err := c.read()
			if err != nil {
				return
			}
			if a, ok := v.([]any); ok && len(a) > 0 && a[0] == "pmessage" {
				n.Add(1)
			}
		}
	}()
	return func() int64 {
		last := int64(-1)
		for n.Load() != last {
			last = n.Load()
			time.Sleep(300 * time.Millisecond)
		}
		c.Close()
		return last
	}, nil
}

// running is a real node serving HTTP and SBS on loopback ports.
type running struct {
	n       *node.Node
	url     string
	sbs     string
	tok     tokens
	stop    context.CancelFunc
	stopped chan struct{}
}

func freePort() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

// startNode opens a data directory made by setup as the real server: SQLite
// store, journal, ledger, event bus, airspace monitor with an SBS listener.
// The start-up self-check (a background recomputation of the whole Merkle
// tree) is off, so it does not compete with the measurement.
func startNode(ctx context.Context, dir string) (*running, error) {
	tok, err := readTokens(dir)
	if err != nil {
		return nil, err
	}
	sbs, err := freePort()
	if err != nil {
		return nil, err
	}
	// The streams play feed time faster than real time, so their reports
	// run ahead of the clock by more than a live feed's may.
	n, err := node.Open(ctx, node.Config{DataDir: dir, Name: "bench", Logger: quietLogger(), SBSListen: sbs,
		SelfCheck: node.SelfCheckOff, MaxBodyBytes: 4 << 20, MaxAhead: monitor.MaxMaxDelay,
		// The benchmark measures the engine's capacity, not a deployment's
		// allowance per token.
		FeedLimit: api.RateLimit{Rate: -1}})
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		n.Close()
		return nil, err
	}
	sctx, cancel := context.WithCancel(ctx)
	r := &running{n: n, url: "http://" + ln.Addr().String(), sbs: sbs, tok: tok, stop: cancel, stopped: make(chan struct{})}
	go func() { defer close(r.stopped); _ = n.Serve(sctx, ln) }()
	return r, nil
}

func (r *running) Close() error {
	r.stop()
	<-r.stopped
	return r.n.Close()
}

// window is how many positions a sender keeps in flight ahead of the
// engine: the monitor sheds positions when its queue (65,536) is full,
// where Tile38's clients are held back by TCP, so the senders hold
// themselves back instead and the rate measured is one sustained without
// loss.
const window = 32768

// cpuProfile, when set, is the prefix of CPU profiles of Truce's runs
// (.sbs, .ndjson; the last zone count's overwrites the others).
var cpuProfile string

// truceSend sends the positions to the running node over path ("sbs":
// SBS-1 MSG,3 lines on conns TCP connections to its SBS listener;
// "ndjson": POST /api/v1/positions batches of 5,000 lines on conns
// concurrent HTTP clients), timed until the monitor has processed the
// last one.
func truceSend(r *running, path string, ps []feed.Position, conns int) (result, error) {
	e := r.n.Monitor()
	done := func() int64 { return int64(e.Counters.Processed.Load() + e.Counters.Dropped.Load()) }
	base, alerts0, dropped0 := done(), e.Counters.Alerts.Load(), e.Counters.Dropped.Load()
	var sent atomic.Int64
	// The senders poll the monitor's counters; each poll is a timer and a
	// wake-up, whose CPU is counted in Truce's share, so they poll every
	// millisecond (the window is tens of milliseconds of work), not every
	// 100 µs.
	wait := func() {
		for sent.Load()-(done()-base) > window {
			time.Sleep(time.Millisecond)
		}
	}
	const chunk = 5000
	type piece struct {
		b []byte
		n int
	}
	pieces := make([][]piece, conns)
	for i := range pieces {
		pieces[i] = []piece{{}}
	}
	for _, p := range ps {
		i := int(p.ICAO) % conns
		last := &pieces[i][len(pieces[i])-1]
		if last.n == chunk {
			pieces[i] = append(pieces[i], piece{})
			last = &pieces[i][len(pieces[i])-1]
		}
		if path == "sbs" {
			last.b = appendSBS(last.b, p)
		} else {
			last.b = appendNDJSON(last.b, p)
		}
		last.n++
	}
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: conns}}
	var sbsConns []net.Conn
	if path == "sbs" {
		for range conns {
			c, err := net.Dial("tcp", r.sbs)
			if err != nil {
				return result{}, err
			}
			defer c.Close()
			sbsConns = append(sbsConns, c)
		}
	}
	post := func(b []byte) error {
		req, err := http.NewRequest("POST", r.url+"/api/v1/positions", bytes.NewReader(b))
		if err != nil {
			return err
		}
		req.Header.Set("Authorization", "Bearer "+r.tok.Operator)
		req.Header.Set("Content-Type", "application/x-ndjson")
		resp, err := client.Do(req)
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		var res struct{ Accepted, Rejected, Dropped int }
		if err := json.NewDecoder(resp.Body).Decode(&res); err != nil || resp.StatusCode != http.StatusAccepted {
			return fmt.Errorf("POST /api/v1/positions: %s (%v)", resp.Status, err)
		}
		if res.Rejected > 0 {
			return fmt.Errorf("POST /api/v1/positions: %d lines rejected", res.Rejected)
		}
		return nil
	}
	runtime.GC()
	if cpuProfile != "" {
		f, err := os.Create(cpuProfile + "." + path)
		if err != nil {
			return result{}, err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return result{}, err
		}
		defer pprof.StopCPUProfile()
	}
	start, cpu0 := time.Now(), selfCPU()
	var wg sync.WaitGroup
	errs := make([]error, conns)
	for i := range conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for _, pc := range pieces[i] {
				wait()
				sent.Add(int64(pc.n))
				var err error
				if path == "sbs" {
					_, err = sbsConns[i].Write(pc.b)
				} else {
					err = post(pc.b)
				}
				if err != nil {
					errs[i] = err
					return
				}
			}
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return result{}, err
	}
	for done()-base < int64(len(ps)) {
		if time.Since(start) > 10*time.Minute {
			return result{}, fmt.Errorf("truce processed %d of %d positions", done()-base, len(ps))
		}
		time.Sleep(200 * time.Microsecond)
	}
	elapsed, cpu := time.Since(start), selfCPU()-cpu0
	if d := e.Counters.Dropped.Load() - dropped0; d > 0 {
		fmt.Printf("  note: the monitor shed %d positions under load\n", d)
	}
	return result{rate: float64(len(ps)) / elapsed.Seconds(), cpu: cpu, events: int64(e.Counters.Alerts.Load() - alerts0), n: len(ps)}, nil
}

type row struct {
	zones      int
	path       string
	t38, truce result
}

// throughput runs, for every zone count, Tile38 once and then a fresh node
// per Truce input path, and prints the table.
func throughput(ctx context.Context, root, polygons, t38addr string, t38pid int, counts []int, paths []string, nAircraft, nPositions, conns int, seed uint64) error {
	src, err := loadPolygons(polygons)
	if err != nil {
		return err
	}
	var rows []row
	for _, n := range counts {
		fs, area := fences(src, n)
		ps := stream(nAircraft, nPositions, area, seed, time.Now().UTC().Truncate(time.Second))
		var t38 result
		if t38addr != "none" {
			t0 := time.Now()
			if err := tile38Load(t38addr, fs); err != nil {
				return err
			}
			fmt.Printf("%d fences (%d vertices) loaded into tile38 in %v\n", n, vertices(fs), time.Since(t0).Round(time.Millisecond))
			if t38, err = tile38Send(t38addr, t38pid, ps, conns); err != nil {
				return err
			}
			fmt.Printf("  tile38: %.0f updates/s, %.0f per CPU-s, %d fence events\n", t38.rate, t38.perCPU(), t38.events)
			if c, err := newConn(t38addr); err == nil {
				_, _ = c.do("FLUSHDB")
				c.Close()
			}
		}
		for _, path := range paths {
			t0 := time.Now()
			r, err := startNode(ctx, filepath.Join(root, "z"+strconv.Itoa(n)))
			if err != nil {
				return err
			}
			fmt.Printf("  node opened on %d zones in %v\n", n, time.Since(t0).Round(time.Millisecond))
			res, err := truceSend(r, path, ps, conns)
			if cerr := r.Close(); err == nil {
				err = cerr
			}
			if err != nil {
				return err
			}
			fmt.Printf("  truce %s: %.0f positions/s, %.0f per CPU-s, %d zone alerts\n", path, res.rate, res.perCPU(), res.events)
			rows = append(rows, row{n, path, t38, res})
		}
	}
	fmt.Printf("\npositions: %d from %d aircraft, %d connections each; Truce alerts need %d consecutive positions (Tile38: 1)\n\n",
		nPositions, nAircraft, conns, monitor.DefaultConfirm)
	fmt.Println("| zones | Truce path | Tile38 updates/s | Truce positions/s | ratio | Tile38 per CPU-s | Truce per CPU-s | ratio per CPU-s | Tile38 events | Truce alerts |")
	fmt.Println("|------:|------------|-----------------:|------------------:|------:|-----------------:|----------------:|----------------:|--------------:|-------------:|")
	for _, r := range rows {
		fmt.Printf("| %d | %s | %.0f | %.0f | %.1f× | %.0f | %.0f | %.1f× | %d | %d |\n", r.zones, r.path, r.t38.rate, r.truce.rate,
			r.truce.rate/r.t38.rate, r.t38.perCPU(), r.truce.perCPU(), r.truce.perCPU()/r.t38.perCPU(), r.t38.events, r.truce.events)
	}
	return nil
}
