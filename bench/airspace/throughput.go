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
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/truce-project/truce/feed"
	"github.com/truce-project/truce/monitor"
)

// result is one measured run, timed and its server's CPU counted until
// every position was processed and every alert (fence event) journalled
// and read by a subscriber.
type result struct {
	rate    float64       // positions per wall-clock second
	cpu     time.Duration // CPU of the server process
	client  time.Duration // CPU of this program (senders and subscriber)
	events  int64         // fence events read (Tile38) or alert events read from the stream (Truce)
	n       int           // positions sent (Tile38) or used (Truce)
	c       counts        // Truce: the server's counters over the run
	behind  int64         // Truce: times the server ended the stream for falling behind
	scrapes int64         // Truce: GETs of /metrics during the run
	load    string        // load average at the end
	t       tally         // Truce: its alerts and positions, counted apart
}

func (r result) perCPU() float64 { return float64(r.n) / r.cpu.Seconds() }

// perPosition is alerts (fence events) per position.
func (r result) perPosition() float64 { return float64(r.events) / float64(r.n) }

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
// each aircraft's updates stay in order), with every channel subscribed,
// timed until the last reply and the last fence event read, its CPU
// counted until the events stopped coming.
func tile38Send(addr string, pid int, ps []feed.Position, conns int) (result, error) {
	sub, err := subscribe(addr)
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
	replied := time.Now()
	if err := errors.Join(errs...); err != nil {
		return result{}, err
	}
	events, last := sub.stop()
	srv1, err := procCPU(pid)
	if err != nil {
		return result{}, err
	}
	end := replied
	if last.After(end) {
		end = last
	}
	return result{rate: float64(len(ps)) / end.Sub(start).Seconds(), cpu: srv1 - srv0, client: selfCPU() - self0,
		events: events, n: len(ps), load: loadAvg()}, nil
}

// t38sub counts the messages of every channel.
type t38sub struct {
	c    *conn
	n    atomic.Int64
	last atomic.Int64 // Unix ns when the last was read
}

// subscribe subscribes to every channel.
func subscribe(addr string) (*t38sub, error) {
	c, err := newConn(addr)
	if err != nil {
		return nil, err
	}
	s := &t38sub{c: c}
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
				s.n.Add(1)
				s.last.Store(time.Now().UnixNano())
			}
		}
	}()
	return s, nil
}

// stop waits for the count to settle (nothing new for half a second) and
// returns it with the time the last message was read.
func (s *t38sub) stop() (int64, time.Time) {
	last := int64(-1)
	for s.n.Load() != last {
		last = s.n.Load()
		time.Sleep(500 * time.Millisecond)
	}
	s.c.Close()
	return last, time.Unix(0, s.last.Load())
}

// window is how many positions a sender keeps in flight ahead of the
// monitor: the monitor sheds positions when its queue (65,536) is full,
// where Tile38's clients are held back by TCP, so the senders hold
// themselves back instead (reading the server's /metrics every 25 ms,
// which the server's CPU pays for; the scrapes are counted and printed)
// and the rate measured is one sustained without loss; positions shed all
// the same are counted and printed.
const window = 32768

// lockstep keeps the SBS connections in step in feed time. Each carries
// its own aircraft, and the window alone bounds what all of them have in
// flight: when the server reads one connection and leaves the other's
// bytes in its socket, the first can run through the whole stream while
// the second waits, and the monitor, whose clock follows the newest
// report, rightly finds the second's aircraft silent for over a minute
// of feed time. It drops them as stale, closing their episodes (exits
// "track_lost") and opening new ones when they report again: 428 alerts
// more on SBS than on NDJSON at 5,000 real polygons, every track of one
// connection expired. gate[j] is how many positions must be processed
// (over all connections) before any connection sends its piece j: every
// piece before j-1 of every connection, so that no connection is more
// than a few pieces (5 s of feed time each for 1,000 aircraft) ahead of
// another.
func lockstep(ns [][]int) []int64 {
	rounds := 0
	for _, c := range ns {
		rounds = max(rounds, len(c))
	}
	gate := make([]int64, rounds)
	var before int64 // positions of the pieces before round j-1
	for j := range rounds {
		gate[j] = before
		if j >= 1 {
			for _, c := range ns {
				if j-1 < len(c) {
					before += int64(c[j-1])
				}
			}
		}
	}
	return gate
}

// truceSend sends the positions to a fresh `truce serve` on dir over path
// ("sbs": SBS-1 MSG,3 lines on conns TCP connections to its SBS listener;
// "ndjson": POST /api/v1/positions batches of 5,000 lines on conns
// concurrent HTTP clients, each answered once the monitor has processed
// it), timed and its CPU counted until the monitor has processed the last
// one, the alert queue is empty and a subscriber has read every alert
// journalled. The positions' times are moved so the last is now: the
// server refuses reports from more than 10 s in the future.
func truceSend(ctx context.Context, bin, dir, path string, ps []feed.Position, conns int) (result, error) {
	if len(ps) == 0 {
		return result{}, errors.New("no positions")
	}
	if wait := inForceWait(dir, ps, time.Now()); wait > 0 {
		fmt.Printf("  waiting %v, so that the earliest position is after the zones came into force\n", wait.Round(time.Millisecond))
		time.Sleep(wait)
	}
	shift := time.Now().Add(-time.Second).Sub(ps[len(ps)-1].Time)
	t0 := time.Now()
	s, err := startServer(ctx, bin, dir)
	if err != nil {
		return result{}, err
	}
	defer s.Close()
	fmt.Printf("  truce serve (pid %d) opened on %s in %v\n", s.pid, dir, time.Since(t0).Round(time.Millisecond))
	opened := time.Now()
	st, err := s.subscribe(ctx, opened, nil)
	if err != nil {
		return result{}, err
	}
	defer st.Close()
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
		p.Time = p.Time.Add(shift)
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
	var sbsConns []net.Conn
	if path == "sbs" {
		for range conns {
			c, err := net.Dial("tcp", s.sbs)
			if err != nil {
				return result{}, err
			}
			defer c.Close()
			sbsConns = append(sbsConns, c)
		}
	}
	post := func(b []byte) error {
		req, err := http.NewRequest("POST", s.url+"/api/v1/positions", bytes.NewReader(b))
		if err != nil {
			return err
		}
		req.Header.Set("Authorization", "Bearer "+s.tok.Operator)
		req.Header.Set("Content-Type", "application/x-ndjson")
		resp, err := s.client.Do(req)
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
	base, err := s.counts()
	if err != nil {
		return result{}, err
	}
	scrapes0 := s.scrapes.Load()
	// The window: the senders wait while more than window positions are
	// sent and not processed; one poller reads the server's counts.
	var sent, done atomic.Int64
	stopPoll := make(chan struct{})
	var pollErr error
	var pollWG sync.WaitGroup
	if path == "sbs" {
		pollWG.Add(1)
		go func() {
			defer pollWG.Done()
			for {
				select {
				case <-stopPoll:
					return
				case <-time.After(25 * time.Millisecond):
				}
				c, err := s.counts()
				if err != nil {
					pollErr = err
					return
				}
				done.Store(c.processed + c.dropped - base.processed - base.dropped)
			}
		}()
	}
	cpu0, err := procCPU(s.pid)
	if err != nil {
		return result{}, err
	}
	ns := make([][]int, conns)
	for i := range pieces {
		for _, pc := range pieces[i] {
			ns[i] = append(ns[i], pc.n)
		}
	}
	gate := lockstep(ns)
	start, self0 := time.Now(), selfCPU()
	var wg sync.WaitGroup
	errs := make([]error, conns)
	for i := range conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j, pc := range pieces[i] {
				for path == "sbs" && (sent.Load()-done.Load() > window || done.Load() < gate[j]) && pollErr == nil {
					time.Sleep(time.Millisecond)
				}
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
	close(stopPoll)
	pollWG.Wait()
	if err := errors.Join(append(errs, pollErr)...); err != nil {
		return result{}, err
	}
	c, end, err := s.settle(base, int64(len(ps)), st, 15*time.Minute)
	if err != nil {
		return result{}, err
	}
	cpu1, err := procCPU(s.pid)
	if err != nil {
		return result{}, err
	}
	client := selfCPU() - self0
	if err := st.Close(); err != nil {
		return result{}, err
	}
	// Only positions used count: one shed or refused is work not done.
	return result{rate: float64(c.used) / end.Sub(start).Seconds(), cpu: cpu1 - cpu0, client: client,
		events: st.n.Load(), n: int(c.used), c: c, behind: st.behind.Load(), scrapes: s.scrapes.Load() - scrapes0, load: loadAvg(),
		t: tallyOf(int64(len(ps)), c, st)}, nil
}

type row struct {
	scenario   string
	zones      int
	path       string
	t38, truce result
}

// scenarioData is a scenario's fences and stream for n zones.
func scenarioData(scenario, polygons string, n, nAircraft, nPositions int, seed uint64) ([]fence, []feed.Position, string, error) {
	t0 := time.Now().UTC().Truncate(time.Second)
	switch scenario {
	case "real":
		src, err := loadPolygons(polygons)
		if err != nil {
			return nil, nil, "", err
		}
		fs, area := fences(src, n)
		return fs, stream(nAircraft, nPositions, area, seed, t0),
			fmt.Sprintf("%d aircraft flying straight and level over the fences' area, one report a second each", nAircraft), nil
	case "dense":
		fs := denseFences(n)
		return fs, denseStream(denseFleet(fs, nAircraft, seed), nPositions, t0),
			fmt.Sprintf("%d vehicles crossing their fence's boundary back and forth at 25–50 m an update, one update a second each", nAircraft), nil
	}
	return nil, nil, "", fmt.Errorf("scenario %q: want real or dense", scenario)
}

// throughput runs, for every zone count of the scenario, Tile38 once and
// then a fresh `truce serve` per Truce input path, and prints the table.
func throughput(ctx context.Context, root, bin, polygons, scenario, t38addr string, t38pid int, counts []int, paths []string, nAircraft, nPositions, conns int, seed uint64) error {
	var rows []row
	var what string
	for _, n := range counts {
		fs, ps, w, err := scenarioData(scenario, polygons, n, nAircraft, nPositions, seed)
		if err != nil {
			return err
		}
		what = w
		var t38 result
		if t38addr != "none" {
			t0 := time.Now()
			if err := tile38Load(t38addr, fs); err != nil {
				return err
			}
			fmt.Printf("%s: %d fences (%d vertices) loaded into tile38 in %v\n", scenario, n, vertices(fs), time.Since(t0).Round(time.Millisecond))
			if t38, err = tile38Send(t38addr, t38pid, ps, conns); err != nil {
				return err
			}
			fmt.Printf("  tile38: %.0f updates/s, %.0f per server CPU-s (server %v, client %v), %d fence events (%.2f %% of positions); load %s\n",
				t38.rate, t38.perCPU(), t38.cpu, t38.client.Round(time.Millisecond), t38.events, 100*t38.perPosition(), t38.load)
			if c, err := newConn(t38addr); err == nil {
				_, _ = c.do("FLUSHDB")
				c.Close()
			}
		}
		for _, path := range paths {
			r, err := truceSend(ctx, bin, scenarioDir(root, scenario, n), path, ps, conns)
			if err != nil {
				return err
			}
			fmt.Printf("  truce %s: %.0f positions/s, %.0f per server CPU-s (server %v, client %v, %d scrapes of /metrics); load %s\n    %v\n",
				path, r.rate, r.perCPU(), r.cpu, r.client.Round(time.Millisecond), r.scrapes, r.load, r.t)
			if r.behind > 0 || r.events < r.c.journalled {
				fmt.Printf("  note: the subscriber read %d of %d journalled alerts; the server ended its stream %d times for falling behind (it reconnected with Last-Event-ID)\n", r.events, r.c.journalled, r.behind)
			}
			rows = append(rows, row{scenario, n, path, t38, r})
		}
	}
	fmt.Printf("\n%s: %d positions from %s; %d connections each; Truce alerts need %d consecutive positions (Tile38: 1); CPU is the server process's, counted until every alert was journalled and read\n\n",
		scenario, nPositions, what, conns, monitor.DefaultConfirm)
	fmt.Println("| scenario | zones | Truce path | Tile38 events/position | Truce alerts/position (raised; journalled) | Tile38 updates/s | Truce positions/s | Tile38 per server CPU-s | Truce per server CPU-s | ratio per CPU-s | Truce used / shed / invalid / not used | load |")
	fmt.Println("|----------|------:|------------|------:|------|------:|------:|------:|------:|------:|------|------|")
	for _, r := range rows {
		ratio := math.NaN()
		if r.t38.n > 0 {
			ratio = r.truce.perCPU() / r.t38.perCPU()
		}
		t := r.truce.t
		fmt.Printf("| %s | %d | %s | %.4f | %.4f; %.4f | %.0f | %.0f | %.0f | %.0f | %.1f× | %d / %d / %d / %d | %s |\n", r.scenario, r.zones, r.path,
			r.t38.perPosition(), t.perPosition(), float64(t.journalled)/float64(max(1, t.sent)), r.t38.rate, r.truce.rate, r.t38.perCPU(), r.truce.perCPU(), ratio,
			t.used, t.shed, t.invalid, t.unused, r.truce.load)
	}
	return nil
}
