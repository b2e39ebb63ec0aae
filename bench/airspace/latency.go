package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"net"
	"net/http"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/truce-project/truce/feed"
)

// latency runs the real node on DIR/lat (one no-fly zone in force), an SSE
// client subscribed to alerts with the administrator's token, and a sender
// pushing rate positions a second over conns SBS connections to the node's
// SBS listener: aircraft report rate/aircraft times a second, of which
// crossers fly back and forth across the zone's west edge. For each alert
// it measures the time from writing the line of the triggering position to
// reading the SSE event, matched by ICAO address and position time.
func latency(ctx context.Context, root string, rate, aircraft, crossers, secs, conns int, seed uint64) error {
	if rate < 1 || aircraft < 1 || crossers < 0 || crossers > aircraft || secs < 1 || conns < 1 {
		return fmt.Errorf("rate, aircraft, seconds and conns must be positive, crossers at most aircraft")
	}
	opened := time.Now()
	r, err := startNode(ctx, filepath.Join(root, "lat"))
	if err != nil {
		return err
	}
	defer r.Close()
	e := r.n.Monitor()

	type key struct {
		icao uint32
		ms   int64
	}
	var mu sync.Mutex
	sentAt := map[key]time.Time{}
	type got struct {
		k     key
		at    time.Time
		kind  string
		index int64
	}
	var gots []got

	// The SSE client.
	req, err := http.NewRequestWithContext(ctx, "GET", r.url+"/api/v1/events?kind=alert", nil)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+r.tok.Admin)
	req.Header.Set("Accept", "text/event-stream")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		resp.Body.Close()
		return fmt.Errorf("GET /api/v1/events: %s", resp.Status)
	}
	sseDone := make(chan error, 1)
	go func() {
		br := bufio.NewReaderSize(resp.Body, 1<<16)
		for {
			line, err := br.ReadString('\n')
			at := time.Now()
			if err != nil {
				sseDone <- nil
				return
			}
			data, ok := strings.CutPrefix(line, "data: ")
			if !ok {
				continue
			}
			var ev struct {
				Kind string    `json:"kind"`
				Time time.Time `json:"time"` // when the alert's change was sealed
				Data struct {
					Kind     string    `json:"kind"`
					Time     time.Time `json:"time"`
					Index    int64     `json:"journal_index"`
					Aircraft []struct {
						ICAO string `json:"icao"`
					} `json:"aircraft"`
				} `json:"data"`
			}
			if err := json.Unmarshal([]byte(data), &ev); err != nil || len(ev.Data.Aircraft) == 0 {
				sseDone <- fmt.Errorf("SSE event %q: %v", data, err)
				return
			}
			if ev.Time.Before(opened) {
				continue // an earlier run's alert, replayed from the event log
			}
			icao, err := feed.ParseICAO(ev.Data.Aircraft[0].ICAO)
			if err != nil {
				sseDone <- err
				return
			}
			gots = append(gots, got{key{icao, ev.Data.Time.UnixMilli()}, at, ev.Data.Kind, ev.Data.Index})
		}
	}()

	// The fleet: crossers on the zone's west edge (35.7° E) between 33.0°
	// and 33.6° N, swinging 0.01° (1.1 km) either side of it every 30 s
	// (about 450 kt at the edge) from a start spread over the first 30 s;
	// the others well east of the zone.
	rng := rand.New(rand.NewPCG(seed, 11))
	type ac struct{ lat, lon, phase, dlat, dlon float64 }
	fleet := make([]ac, aircraft)
	for i := range fleet {
		if i < crossers {
			fleet[i] = ac{lat: 33.0 + 0.6*rng.Float64(), lon: 35.7, phase: rng.Float64()}
		} else {
			fleet[i] = ac{lat: 33 + 4*rng.Float64(), lon: 37.5 + 4*rng.Float64(), dlat: (rng.Float64() - 0.5) * 0.002, dlon: (rng.Float64() - 0.5) * 0.002}
		}
	}
	cs := make([]net.Conn, conns)
	for i := range cs {
		if cs[i], err = net.Dial("tcp", r.sbs); err != nil {
			return err
		}
		defer cs[i].Close()
	}
	total := rate * secs
	interval := time.Duration(float64(time.Second) * float64(aircraft) / float64(rate))
	start := time.Now().Add(50 * time.Millisecond)
	processed0 := e.Counters.Processed.Load()
	dropped0 := e.Counters.Dropped.Load()
	var wg sync.WaitGroup
	written := make([]int, conns)
	for c := range conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var b []byte
			next := c // global line index, this connection's aircraft only
			var mine []key
			for next < total {
				now := time.Now()
				due := int(float64(now.Sub(start)) / float64(time.Second) * float64(rate))
				b, mine = b[:0], mine[:0]
				for ; next < total && next < due; next += conns {
					a, k := next%aircraft, next/aircraft
					f := fleet[a]
					t := start.Add(time.Duration(k) * interval).UTC().Truncate(time.Millisecond)
					p := feed.Position{ICAO: uint32(0x300000 + a), AltFt: 10000, Time: t}
					ts := float64(k) * interval.Seconds()
					if a < crossers {
						// West of the edge until its own start, then swinging,
						// so entries are spread over time, not all at once.
						p.Lat, p.Lon = f.lat, f.lon-0.01
						if d := f.phase * 30; ts > d {
							p.Lon = f.lon - 0.01*math.Cos(2*math.Pi*(ts-d)/30)
						}
						mine = append(mine, key{p.ICAO, t.UnixMilli()})
					} else {
						p.Lat, p.Lon = f.lat+f.dlat*ts, f.lon+f.dlon*ts
					}
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
	// Let the last alerts arrive, then end the stream.
	time.Sleep(3 * time.Second)
	resp.Body.Close()
	if err := <-sseDone; err != nil {
		return err
	}
	sent := 0
	for _, w := range written {
		sent += w
	}
	var lat, toSeal, fromSeal []time.Duration
	unmatched := 0
	kinds := map[string]int{}
	for _, g := range gots {
		kinds[g.kind]++
		if s, ok := sentAt[g.k]; ok {
			lat = append(lat, g.at.Sub(s))
			rs, err := r.n.Store.Journal(ctx, g.index, g.index+1)
			if err != nil || len(rs) != 1 {
				return fmt.Errorf("journal entry %d of an alert: %v", g.index, err)
			}
			sealed := rs[0].Entry.Time
			toSeal = append(toSeal, sealed.Sub(s))
			fromSeal = append(fromSeal, g.at.Sub(sealed))
		} else {
			unmatched++
		}
	}
	fmt.Printf("sent %d SBS lines in %v: %.0f positions/s sustained (%d aircraft, %d crossing the zone, %d connections)\n",
		sent, elapsed.Round(time.Millisecond), float64(sent)/elapsed.Seconds(), aircraft, crossers, conns)
	fmt.Printf("monitor processed %d, shed %d\n", e.Counters.Processed.Load()-processed0, e.Counters.Dropped.Load()-dropped0)
	fmt.Printf("SSE alerts received: %d %v, matched to their triggering line: %d, unmatched: %d\n", len(gots), kinds, len(lat), unmatched)
	if len(lat) == 0 {
		return fmt.Errorf("no alert was delivered")
	}
	show := func(what string, ds []time.Duration) {
		slices.Sort(ds)
		q := func(f float64) time.Duration {
			return ds[max(0, min(len(ds)-1, int(math.Ceil(f*float64(len(ds))))-1))].Round(10 * time.Microsecond)
		}
		fmt.Printf("%s: p50 %v, p90 %v, p99 %v, max %v\n", what, q(0.50), q(0.90), q(0.99), q(1))
	}
	show("latency position sent → SSE event read", lat)
	// The journal entry's time is taken when the alert's change is sealed,
	// inside the transaction that commits it with its event: it splits the
	// latency into the feed, monitor, alert queue and the wait for the
	// group committer; and the commit, the bus and the stream (same clock,
	// same process).
	show("  sent → alert sealed in its transaction (feed, monitor, alert queue, committer queue)", toSeal)
	show("  sealed → SSE event read (commit of journal entry and event, stream)", fromSeal)
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
