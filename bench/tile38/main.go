// Command tile38 compares Truce's live monitor with Tile38, the open-source
// geofencing server, on the same fences and the same position stream, in
// the same run on the same machine.
//
// It loads 5,000 fences made from OCHA's real Syrian sub-district polygons
// (copies scaled and shifted as in spatial's benchmarks) into a running
// tile38-server as channels (SETCHAN zN WITHIN fleet FENCE DETECT enter,exit
// OBJECT {polygon}), subscribes to every channel, and sends the positions
// as pipelined SET fleet <icao> POINT <lat> <lon> over RESP, timing until
// the last reply. It then sends the same positions as SBS-1 MSG,3 lines over
// a real TCP socket into feed.SBSListener, which hands them to a
// monitor.Engine holding the same fences in a spatial.ZoneIndex, timing
// until the engine has processed the last one. Both rates and their ratio
// are printed. See bench/README.md for how to run it.
package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"net"
	"os"
	"runtime"
	"runtime/pprof"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/paulmach/orb"
	"github.com/truce-project/truce/feed"
	"github.com/truce-project/truce/geo"
	"github.com/truce-project/truce/monitor"
	"github.com/truce-project/truce/spatial"
)

func main() {
	addr := flag.String("tile38", "127.0.0.1:9851", "address of a running tile38-server")
	polygons := flag.String("polygons", "geo/testdata/syria-admin3-ocha.geojson", "OCHA sub-district GeoJSON (real polygons)")
	nZones := flag.Int("zones", 5000, "number of fences")
	nAircraft := flag.Int("aircraft", 2000, "number of aircraft")
	nPositions := flag.Int("positions", 200000, "positions sent to each system")
	conns := flag.Int("conns", 2, "connections used by each system")
	seed := flag.Uint64("seed", 1, "seed of the aircraft placement")
	flag.IntVar(&tile38PID, "tile38-pid", 0, "process id of tile38-server, to also report updates per CPU-second (Linux /proc)")
	profile := flag.String("cpuprofile", "", "write a CPU profile of Truce's part to this file")
	flag.Parse()
	cpuProfile = *profile
	if err := run(*addr, *polygons, *nZones, *nAircraft, *nPositions, *conns, *seed); err != nil {
		fmt.Fprintln(os.Stderr, "tile38:", err)
		os.Exit(1)
	}
}

var (
	cpuProfile string
	tile38PID  int
)

// selfCPU is this process's user+system CPU time.
func selfCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// procCPU is another process's user+system CPU time from /proc/PID/stat
// (fields 14 and 15, in clock ticks of 1/100 s on Linux).
func procCPU(pid int) (time.Duration, error) {
	data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0, err
	}
	// The command name (field 2) is in parentheses and may hold spaces.
	i := strings.LastIndexByte(string(data), ')')
	if i < 0 {
		return 0, fmt.Errorf("/proc/%d/stat: unexpected format", pid)
	}
	f := strings.Fields(string(data[i+1:]))
	if len(f) < 13 {
		return 0, fmt.Errorf("/proc/%d/stat: unexpected format", pid)
	}
	u, err1 := strconv.ParseInt(f[11], 10, 64)
	s, err2 := strconv.ParseInt(f[12], 10, 64)
	if err := errors.Join(err1, err2); err != nil {
		return 0, err
	}
	return time.Duration(u+s) * 10 * time.Millisecond, nil
}

func run(addr, polygons string, nZones, nAircraft, nPositions, conns int, seed uint64) error {
	if nZones < 1 || nAircraft < 1 || nPositions < nAircraft || conns < 1 {
		return errors.New("zones, aircraft and conns must be positive and positions at least aircraft")
	}
	fmt.Printf("seed %d\n", seed)
	src, err := loadPolygons(polygons)
	if err != nil {
		return err
	}
	zones, area := fences(src, nZones)
	ps := stream(nAircraft, nPositions, area, seed)

	// Tile38.
	t38, err := newConn(addr)
	if err != nil {
		return fmt.Errorf("connecting to tile38-server: %w", err)
	}
	defer t38.Close()
	if _, err := t38.do("FLUSHDB"); err != nil {
		return err
	}
	t0 := time.Now()
	var kept []spatial.Zone
	for _, z := range zones {
		obj := geoJSON(z.Geometry)
		if _, err := t38.do("SETCHAN", z.ID, "WITHIN", "fleet", "FENCE", "DETECT", "enter,exit", "OBJECT", obj); err != nil {
			fmt.Printf("tile38 refused fence %s (%v); left out of both\n", z.ID, err)
			continue
		}
		kept = append(kept, z)
	}
	fmt.Printf("fences: %d real-polygon zones (%d vertices) loaded into tile38 in %v\n", len(kept), vertices(kept), time.Since(t0).Round(time.Millisecond))
	stopSub, err := subscribe(addr)
	if err != nil {
		return err
	}
	var srv0 time.Duration
	if tile38PID > 0 {
		if srv0, err = procCPU(tile38PID); err != nil {
			return err
		}
	}
	self0 := selfCPU()
	t38Rate, err := sendTile38(addr, ps, conns)
	if err != nil {
		return err
	}
	t38CPU := selfCPU() - self0
	if tile38PID > 0 {
		srv1, err := procCPU(tile38PID)
		if err != nil {
			return err
		}
		t38CPU += srv1 - srv0
	}
	t38Events := stopSub()
	_, _ = t38.do("FLUSHDB")

	// Truce.
	truceRate, truceCPU, alerts, err := sendTruce(kept, ps, conns)
	if err != nil {
		return err
	}
	fmt.Printf("positions: %d from %d aircraft, %d connections each\n", len(ps), nAircraft, conns)
	fmt.Printf("tile38: %10.0f updates/s  (%d fence events)\n", t38Rate, t38Events)
	fmt.Printf("truce:  %10.0f updates/s  (%d zone alerts)\n", truceRate, alerts)
	fmt.Printf("ratio:  %10.1fx\n", truceRate/t38Rate)
	if tile38PID > 0 {
		// CPU of client and server together for both: the harness's own
		// sending and reading is in both figures.
		t, u := float64(len(ps))/t38CPU.Seconds(), float64(len(ps))/truceCPU.Seconds()
		fmt.Printf("per CPU-second (client + server): tile38 %.0f, truce %.0f updates, ratio %.1fx\n", t, u, u/t)
	}
	return nil
}

// loadPolygons decodes the sub-districts without validation, as the zone
// index must hold whatever the zone service accepted (two carry centimetre
// bow-ties), repairing only the harmless defects.
func loadPolygons(path string) ([]orb.Geometry, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var fc struct {
		Features []struct {
			Geometry struct {
				Type        string
				Coordinates json.RawMessage
			}
		}
	}
	if err := json.Unmarshal(data, &fc); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	poly := func(c [][][2]float64) orb.Polygon {
		p := make(orb.Polygon, len(c))
		for i, r := range c {
			p[i] = make(orb.Ring, len(r))
			for j, q := range r {
				p[i][j] = orb.Point(q)
			}
		}
		return p
	}
	var out []orb.Geometry
	for i, f := range fc.Features {
		switch f.Geometry.Type {
		case "Polygon":
			var c [][][2]float64
			if err := json.Unmarshal(f.Geometry.Coordinates, &c); err != nil {
				return nil, fmt.Errorf("%s: feature %d: %w", path, i, err)
			}
			out = append(out, geo.Repair(poly(c)))
		case "MultiPolygon":
			var c [][][][2]float64
			if err := json.Unmarshal(f.Geometry.Coordinates, &c); err != nil {
				return nil, fmt.Errorf("%s: feature %d: %w", path, i, err)
			}
			mp := orb.MultiPolygon{}
			for _, p := range c {
				mp = append(mp, poly(p))
			}
			out = append(out, geo.Repair(mp))
		default:
			return nil, fmt.Errorf("%s: feature %d: unexpected %s", path, i, f.Geometry.Type)
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s: no polygons", path)
	}
	return out, nil
}

// fences makes n zones from the real polygons the way spatial's and
// monitor's benchmarks do: copy k of every polygon scaled about Syria's
// centre by 0.9, 1.0 or 1.1 (k mod 3) and shifted 8° east per column and 7°
// north per row of a 5-column grid. Tile38 has no altitude bands or time
// windows, so the zones have neither.
func fences(src []orb.Geometry, n int) ([]spatial.Zone, orb.Bound) {
	centre := orb.Point{38.9, 34.8}
	all := orb.Bound{Min: orb.Point{math.Inf(1), math.Inf(1)}, Max: orb.Point{math.Inf(-1), math.Inf(-1)}}
	var zs []spatial.Zone
	for k := 0; len(zs) < n; k++ {
		s := []float64{0.9, 1.0, 1.1}[k%3]
		dx, dy := float64(k%5)*8, float64(k/5)*7
		move := func(p orb.Point) orb.Point {
			return orb.Point{centre[0] + (p[0]-centre[0])*s + dx, centre[1] + (p[1]-centre[1])*s + dy}
		}
		for _, g := range src {
			if len(zs) == n {
				break
			}
			z := spatial.Zone{ID: "z" + strconv.Itoa(len(zs)), Geometry: transform(g, move), FloorM: math.Inf(-1), CeilingM: math.Inf(1)}
			all = all.Union(z.Geometry.Bound())
			zs = append(zs, z)
		}
	}
	return zs, all
}

func transform(g orb.Geometry, f func(orb.Point) orb.Point) orb.Geometry {
	poly := func(p orb.Polygon) orb.Polygon {
		o := make(orb.Polygon, len(p))
		for i, r := range p {
			o[i] = make(orb.Ring, len(r))
			for j, q := range r {
				o[i][j] = f(q)
			}
		}
		return o
	}
	switch g := g.(type) {
	case orb.Polygon:
		return poly(g)
	case orb.MultiPolygon:
		o := make(orb.MultiPolygon, len(g))
		for i, p := range g {
			o[i] = poly(p)
		}
		return o
	}
	return g
}

func vertices(zs []spatial.Zone) int {
	n := 0
	for _, z := range zs {
		switch g := z.Geometry.(type) {
		case orb.Polygon:
			for _, r := range g {
				n += len(r)
			}
		case orb.MultiPolygon:
			for _, p := range g {
				for _, r := range p {
					n += len(r)
				}
			}
		}
	}
	return n
}

func geoJSON(g orb.Geometry) string {
	var b []byte
	ring := func(r orb.Ring) {
		b = append(b, '[')
		for i, p := range r {
			if i > 0 {
				b = append(b, ',')
			}
			b = append(b, '[')
			b = strconv.AppendFloat(b, p[0], 'f', -1, 64)
			b = append(b, ',')
			b = strconv.AppendFloat(b, p[1], 'f', -1, 64)
			b = append(b, ']')
		}
		b = append(b, ']')
	}
	poly := func(p orb.Polygon) {
		b = append(b, '[')
		for i, r := range p {
			if i > 0 {
				b = append(b, ',')
			}
			ring(r)
		}
		b = append(b, ']')
	}
	switch g := g.(type) {
	case orb.Polygon:
		b = append(b, `{"type":"Polygon","coordinates":`...)
		poly(g)
	case orb.MultiPolygon:
		b = append(b, `{"type":"MultiPolygon","coordinates":[`...)
		for i, p := range g {
			if i > 0 {
				b = append(b, ',')
			}
			poly(p)
		}
		b = append(b, ']')
	}
	return string(append(b, '}'))
}

// stream is the position stream: aircraft placed uniformly over the fences'
// area flying straight at 150–500 kt, one report a second each, interleaved
// as a receiver would deliver them.
func stream(nAircraft, n int, area orb.Bound, seed uint64) []feed.Position {
	rng := rand.New(rand.NewPCG(seed, 7))
	type ac struct{ lat, lon, gs, trk, alt float64 }
	fleet := make([]ac, nAircraft)
	for i := range fleet {
		fleet[i] = ac{
			lat: area.Min[1] + rng.Float64()*(area.Max[1]-area.Min[1]),
			lon: area.Min[0] + rng.Float64()*(area.Max[0]-area.Min[0]),
			gs:  150 + 350*rng.Float64(), trk: 360 * rng.Float64(), alt: 1000 + 39000*rng.Float64(),
		}
	}
	t0 := time.Now().UTC().Truncate(time.Second)
	ps := make([]feed.Position, 0, n)
	for i := range n {
		a, k := i%nAircraft, i/nAircraft
		f := fleet[a]
		d := f.gs * 1852 / 3600 * float64(k)
		s, c := math.Sincos(f.trk * math.Pi / 180)
		ps = append(ps, feed.Position{
			ICAO: uint32(0x100000 + a), Lat: f.lat + d*c/111320, Lon: f.lon + d*s/(111320*math.Cos(f.lat*math.Pi/180)),
			AltFt: math.Round(f.alt), Time: t0.Add(time.Duration(k) * time.Second),
			Present: feed.FieldLatLon | feed.FieldAltitude,
		})
	}
	return ps
}

// sendTile38 sends the positions as pipelined SETs over conns connections
// (aircraft split between them, so each aircraft's updates stay in order)
// and returns updates per second until the last reply.
func sendTile38(addr string, ps []feed.Position, conns int) (float64, error) {
	cs := make([]*conn, conns)
	for i := range cs {
		c, err := newConn(addr)
		if err != nil {
			return 0, err
		}
		defer c.Close()
		cs[i] = c
	}
	cmds := make([][]byte, conns)
	counts := make([]int, conns)
	for _, p := range ps {
		i := int(p.ICAO) % conns
		cmds[i] = appendCommand(cmds[i], "SET", "fleet", feed.FormatICAO(p.ICAO), "POINT",
			strconv.FormatFloat(p.Lat, 'f', 6, 64), strconv.FormatFloat(p.Lon, 'f', 6, 64))
		counts[i]++
	}
	var wg sync.WaitGroup
	errs := make([]error, conns)
	runtime.GC()
	start := time.Now()
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
	elapsed := time.Since(start)
	if err := errors.Join(errs...); err != nil {
		return 0, err
	}
	return float64(len(ps)) / elapsed.Seconds(), nil
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
	if _, err := c.read(); err != nil { // the subscription confirmation
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
	stop := func() int64 {
		last := int64(-1)
		for n.Load() != last {
			last = n.Load()
			time.Sleep(300 * time.Millisecond)
		}
		c.Close()
		return last
	}
	return stop, nil
}

// sendTruce starts an Engine with the fences in a ZoneIndex behind a
// feed.SBSListener on a loopback port, sends the positions as SBS lines over
// conns TCP connections and returns updates per second until the engine
// has processed the last one, and the number of zone alerts.
func sendTruce(zones []spatial.Zone, ps []feed.Position, conns int) (rate float64, cpu time.Duration, alerts int64, err error) {
	x := spatial.NewZoneIndex()
	if err := x.Load(zones); err != nil {
		return 0, 0, 0, err
	}
	var nAlerts atomic.Int64
	e, err := monitor.New(monitor.Config{
		Zones:     x.Snapshot,
		Confirm:   1, // Tile38's enter/exit semantics, so the event counts can be compared
		QueueSize: len(ps),
		MaxTracks: len(ps),
		Emit:      func(monitor.Alert) { nAlerts.Add(1) },
	})
	if err != nil {
		return 0, 0, 0, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, 0, 0, err
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	l := &feed.SBSListener{Handle: func(p feed.Position) { e.Ingest(p) }, IdleTimeout: time.Minute}
	go func() { _ = l.Serve(ctx, ln) }()
	go func() { _ = e.Run(ctx) }()

	lines := make([][]byte, conns)
	for _, p := range ps {
		i := int(p.ICAO) % conns
		lines[i] = appendSBS(lines[i], p)
	}
	cs := make([]net.Conn, conns)
	for i := range cs {
		c, err := net.Dial("tcp", ln.Addr().String())
		if err != nil {
			return 0, 0, 0, err
		}
		defer c.Close()
		cs[i] = c
	}
	want := uint64(len(ps))
	runtime.GC() // the index's construction garbage is not the stream's cost
	if cpuProfile != "" {
		f, err := os.Create(cpuProfile)
		if err != nil {
			return 0, 0, 0, err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return 0, 0, 0, err
		}
		defer pprof.StopCPUProfile()
	}
	start, cpu0 := time.Now(), selfCPU()
	var wg sync.WaitGroup
	errs := make([]error, conns)
	for i, c := range cs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = c.Write(lines[i])
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return 0, 0, 0, err
	}
	for e.Counters.Processed.Load()+e.Counters.Dropped.Load() < want {
		if time.Since(start) > 5*time.Minute {
			return 0, 0, 0, fmt.Errorf("truce processed %d of %d positions", e.Counters.Processed.Load(), want)
		}
		time.Sleep(50 * time.Microsecond)
	}
	elapsed := time.Since(start)
	if cpuProfile != "" {
		pprof.StopCPUProfile()
	}
	if d := e.Counters.Dropped.Load(); d > 0 || l.Bad.Load() > 0 {
		return 0, 0, 0, fmt.Errorf("truce dropped %d positions, %d bad lines", d, l.Bad.Load())
	}
	return float64(want) / elapsed.Seconds(), selfCPU() - cpu0, nAlerts.Load(), nil
}

// appendSBS writes p as an SBS-1 MSG,3 (airborne position) line.
func appendSBS(b []byte, p feed.Position) []byte {
	d, t := p.Time.Format("2006/01/02"), p.Time.Format("15:04:05.000")
	b = append(b, "MSG,3,1,1,"...)
	b = append(b, feed.FormatICAO(p.ICAO)...)
	b = append(b, ",1,"...)
	b = append(b, d...)
	b = append(b, ',')
	b = append(b, t...)
	b = append(b, ',')
	b = append(b, d...)
	b = append(b, ',')
	b = append(b, t...)
	b = append(b, ",,"...)
	b = strconv.AppendFloat(b, p.AltFt, 'f', 0, 64)
	b = append(b, ",,,"...)
	b = strconv.AppendFloat(b, p.Lat, 'f', 6, 64)
	b = append(b, ',')
	b = strconv.AppendFloat(b, p.Lon, 'f', 6, 64)
	return append(b, ",,,0,0,0,0\n"...)
}

// conn is a minimal RESP2 client: enough for commands and pub/sub.
type conn struct {
	c net.Conn
	r *bufio.Reader
	w *bufio.Writer
}

func newConn(addr string) (*conn, error) {
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		return nil, err
	}
	return &conn{c: c, r: bufio.NewReaderSize(c, 1<<16), w: bufio.NewWriterSize(c, 1<<16)}, nil
}

func (c *conn) Close() error { return c.c.Close() }

func (c *conn) do(args ...string) (any, error) {
	if _, err := c.w.Write(appendCommand(nil, args...)); err != nil {
		return nil, err
	}
	if err := c.w.Flush(); err != nil {
		return nil, err
	}
	return c.read()
}

func appendCommand(b []byte, args ...string) []byte {
	b = append(b, '*')
	b = strconv.AppendInt(b, int64(len(args)), 10)
	b = append(b, "\r\n"...)
	for _, a := range args {
		b = append(b, '$')
		b = strconv.AppendInt(b, int64(len(a)), 10)
		b = append(b, "\r\n"...)
		b = append(b, a...)
		b = append(b, "\r\n"...)
	}
	return b
}

// respError is an error reply.
type respError string

func (e respError) Error() string { return string(e) }

// read reads one reply: a string, an int64, nil, or []any; an error reply
// is returned as a respError.
func (c *conn) read() (any, error) {
	line, err := c.r.ReadSlice('\n')
	if err != nil {
		return nil, err
	}
	if len(line) < 3 || line[len(line)-2] != '\r' {
		return nil, fmt.Errorf("bad RESP line %q", line)
	}
	body := string(line[1 : len(line)-2])
	switch line[0] {
	case '+':
		return body, nil
	case '-':
		return nil, respError(body)
	case ':':
		return strconv.ParseInt(body, 10, 64)
	case '$':
		n, err := strconv.Atoi(body)
		if err != nil || n < -1 || n > 512<<20 {
			return nil, fmt.Errorf("bad RESP bulk length %q", body)
		}
		if n < 0 {
			return nil, nil
		}
		buf := make([]byte, n+2)
		if _, err := io.ReadFull(c.r, buf); err != nil {
			return nil, err
		}
		return string(buf[:n]), nil
	case '*':
		n, err := strconv.Atoi(body)
		if err != nil || n < -1 || n > 1<<20 {
			return nil, fmt.Errorf("bad RESP array length %q", body)
		}
		if n < 0 {
			return nil, nil
		}
		a := make([]any, n)
		for i := range a {
			if a[i], err = c.read(); err != nil {
				return nil, err
			}
		}
		return a, nil
	}
	return nil, fmt.Errorf("bad RESP type %q", line[0])
}
