package main

import (
	"context"
	"fmt"
	"math"
	"net"
	"slices"
	"sync"
	"time"

	"github.com/truce-project/truce/feed"
)

// latency starts `truce serve` on DIR/d<nz> (the dense scenario's fences)
// with an SSE client subscribed to alerts with the administrator's token,
// and sends rate positions a second for secs seconds over conns SBS
// connections: the dense scenario's vehicles, each reporting
// rate/vehicles times a second and moving up to 50 m an update across its
// fence's boundary, stamped with the time they are sent. For each alert it
// measures the time from writing the line of the triggering position to
// reading the SSE event, matched by ICAO address and position time; the
// server's CPU is counted until the last alert was read.
func latency(ctx context.Context, root, bin string, nz, rate, vehicles, secs, conns int, seed uint64) error {
	if rate < 1 || vehicles < 1 || secs < 1 || conns < 1 || nz < 1 {
		return fmt.Errorf("zones, rate, vehicles, seconds and conns must be positive")
	}
	s, err := startServer(ctx, bin, scenarioDir(root, "dense", nz))
	if err != nil {
		return err
	}
	defer s.Close()
	fleet := denseFleet(denseFences(nz), vehicles, seed)

	type key = report
	var mu sync.Mutex
	sentAt := map[key]time.Time{}
	type got struct {
		k    key
		at   time.Time
		kind string
	}
	var gots []got
	opened := time.Now()
	var parseErr error
	st, err := s.subscribe(ctx, opened, func(ev *alertEvent, at time.Time) {
		// Each of the engine's alerts the event delivers is matched to its
		// own triggering line: an exit that ends its entry's record is
		// timed from the exit's line, not the entry's.
		rs, err := ev.reports()
		if err != nil {
			parseErr = err
			return
		}
		for i, r := range rs {
			kind := ev.Data.Kind
			if i > 0 || ev.delivers().ended {
				kind += " (end)"
			}
			gots = append(gots, got{r, at, kind})
		}
	})
	if err != nil {
		return err
	}
	defer st.Close()
	cs := make([]net.Conn, conns)
	for i := range cs {
		if cs[i], err = net.Dial("tcp", s.sbs); err != nil {
			return err
		}
		defer cs[i].Close()
	}
	base, err := s.counts()
	if err != nil {
		return err
	}
	cpu0, err := procCPU(s.pid)
	if err != nil {
		return err
	}
	total := rate * secs
	start := time.Now().Add(50 * time.Millisecond)
	var wg sync.WaitGroup
	written := make([]int, conns)
	for c := range conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var b []byte
			next := c // global line index, this connection's vehicles only
			var mine []key
			for next < total {
				now := time.Now()
				due := int(float64(now.Sub(start)) / float64(time.Second) * float64(rate))
				b, mine = b[:0], mine[:0]
				t := now.UTC().Truncate(time.Millisecond)
				for ; next < total && next < due; next += conns {
					a, k := next%vehicles, next/vehicles
					lon, lat := fleet[a].at(k)
					p := feed.Position{ICAO: uint32(0x500000 + a), Lat: lat, Lon: lon, AltFt: 500, Time: t}
					mine = append(mine, key{icao: p.ICAO, ms: t.UnixMilli()})
					b = appendSBS(b, p)
				}
				if len(b) > 0 {
					at := time.Now()
					mu.Lock()
					for _, k := range mine {
						sentAt[k] = at
					}
					mu.Unlock()
					if _, err := cs[c].Write(b); err != nil {
						return
					}
					written[c] += bytesLines(b)
				}
				time.Sleep(time.Millisecond)
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	sent := 0
	for _, w := range written {
		sent += w
	}
	d, end, err := s.settle(base, int64(sent), st, 10*time.Minute)
	if err != nil {
		return err
	}
	cpu1, err := procCPU(s.pid)
	if err != nil {
		return err
	}
	if err := st.Close(); err != nil {
		return err
	}
	if parseErr != nil {
		return parseErr
	}
	// The first rounds of the fleet raise an entry for every vehicle that
	// starts inside a fence, all at once; the steady figure leaves out
	// alerts of positions sent in the first three rounds.
	warm := start.Add(3 * time.Duration(float64(time.Second)*float64(vehicles)/float64(rate)))
	var lat, steady []time.Duration
	unmatched := 0
	kinds := map[string]int{}
	for _, g := range gots {
		kinds[g.kind]++
		if s, ok := sentAt[g.k]; ok {
			lat = append(lat, g.at.Sub(s))
			if s.After(warm) {
				steady = append(steady, g.at.Sub(s))
			}
		} else {
			unmatched++
		}
	}
	fmt.Printf("%d zones (dense scenario); sent %d SBS lines in %v: %.0f positions/s sustained (%d vehicles, %d connections); load %s\n",
		nz, sent, elapsed.Round(time.Millisecond), float64(sent)/elapsed.Seconds(), vehicles, conns, loadAvg())
	fmt.Printf("%v; the stream ended %d times for falling behind (reconnected)\n", tallyOf(int64(sent), d, st), st.behind.Load())
	fmt.Printf("server CPU %v until the last alert was read, %v after the last line was sent; %.0f µs of server CPU per position\n",
		cpu1-cpu0, end.Sub(start.Add(elapsed)).Round(time.Millisecond), float64((cpu1-cpu0).Microseconds())/float64(sent))
	fmt.Printf("engine alerts delivered by the %d events read: %d %v, matched to their triggering line: %d, unmatched: %d\n", st.n.Load(), len(gots), kinds, len(lat), unmatched)
	if len(lat) == 0 {
		return fmt.Errorf("no alert was delivered")
	}
	show := func(what string, ds []time.Duration) {
		if len(ds) == 0 {
			fmt.Printf("%s: no alert\n", what)
			return
		}
		slices.Sort(ds)
		q := func(f float64) time.Duration {
			return ds[max(0, min(len(ds)-1, int(math.Ceil(f*float64(len(ds))))-1))].Round(10 * time.Microsecond)
		}
		fmt.Printf("%s: %d alerts, p50 %v, p90 %v, p99 %v, max %v\n", what, len(ds), q(0.50), q(0.90), q(0.99), q(1))
	}
	show(fmt.Sprintf("latency position sent → SSE event read at %d positions/s, every alert", rate), lat)
	show(fmt.Sprintf("  after the first three rounds of the fleet (%v)", warm.Sub(start).Round(time.Second)), steady)
	return nil
}

func bytesLines(b []byte) int {
	n := 0
	for _, c := range b {
		if c == '\n' {
			n++
		}
	}
	return n
}
