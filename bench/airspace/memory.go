package main

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"net"
	"time"

	"github.com/truce-project/truce/feed"
)

// memory starts `truce serve` on DIR/z<nz> and fills its monitor with
// tracks live aircraft over the zones' area, each reporting every 10 s
// for 10 minutes of feed time (so every track's evidence history is full),
// sent over SBS as fast as the monitor takes them; then a round every 10 s
// of wall-clock time, as the fleet would report, so the tracks stay live.
// It reads the process's RSS from /proc as an operator's tools would,
// without forcing a garbage collection: with the zones loaded, right after
// the fill (and the peak, VmHWM), then at every round once the journal has
// caught up with the fill's alerts (steady state), rounds RSS readings.
func memory(ctx context.Context, root, bin, polygons string, tracks, nz, rounds int) error {
	src, err := loadPolygons(polygons)
	if err != nil {
		return err
	}
	_, bound := fences(src, nz)
	src = nil
	area := [4]float64{bound.Min[0], bound.Min[1], bound.Max[0], bound.Max[1]}
	s, err := startServer(ctx, bin, scenarioDir(root, "real", nz))
	if err != nil {
		return err
	}
	defer s.Close()
	mb := func(b int64) string { return fmt.Sprintf("%.1f MB", float64(b)/1e6) }
	rssZones, _, err := procMem(s.pid)
	if err != nil {
		return err
	}
	fmt.Printf("truce serve (pid %d) on %d zones: VmRSS %s; load %s\n", s.pid, nz, mb(rssZones), loadAvg())
	base, err := s.counts()
	if err != nil {
		return err
	}
	c, err := net.Dial("tcp", s.sbs)
	if err != nil {
		return err
	}
	defer c.Close()

	rng := rand.New(rand.NewPCG(1, 13))
	type ac struct{ lat, lon, gs, trk, alt float64 }
	fleet := make([]ac, tracks)
	for i := range fleet {
		fleet[i] = ac{lat: area[1] + rng.Float64()*(area[3]-area[1]), lon: area[0] + rng.Float64()*(area[2]-area[0]),
			gs: 150 + 350*rng.Float64(), trk: 360 * rng.Float64(), alt: 1000 + 39000*rng.Float64()}
	}
	// Feed time runs from ten minutes ago to now during the fill (the
	// server refuses reports more than 10 s ahead of its clock), then with
	// the clock.
	const fill = 61
	t0 := time.Now().UTC().Truncate(time.Second).Add(-10 * (fill - 1) * time.Second)
	sent := int64(0)
	processed := func() (counts, error) {
		c, err := s.counts()
		return c.minus(base), err
	}
	round := func(k int) error {
		var b []byte
		for a, f := range fleet {
			d := f.gs * 1852 / 3600 * float64(10*k)
			sn, cs := math.Sincos(f.trk * math.Pi / 180)
			p := feed.Position{ICAO: uint32(0x400000 + a), Lat: f.lat + d*cs/111320, Lon: f.lon + d*sn/(111320*math.Cos(f.lat*math.Pi/180)),
				AltFt: math.Round(f.alt), Time: t0.Add(time.Duration(10*k) * time.Second)}
			b = appendSBS(b, p)
		}
		// The fleet's round in pieces, at most window positions ahead of
		// the monitor.
		for off := 0; off < len(b); {
			for {
				d, err := processed()
				if err != nil {
					return err
				}
				if sent-(d.processed+d.dropped) <= window {
					break
				}
				time.Sleep(10 * time.Millisecond)
			}
			end, lines := off, 0
			for end < len(b) && lines < 5000 {
				if b[end] == '\n' {
					lines++
				}
				end++
			}
			if _, err := c.Write(b[off:end]); err != nil {
				return err
			}
			sent += int64(lines)
			off = end
		}
		for {
			d, err := processed()
			if err != nil {
				return err
			}
			if d.processed+d.dropped >= sent {
				return nil
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	cpu0, err := procCPU(s.pid)
	if err != nil {
		return err
	}
	start := time.Now()
	for k := range fill {
		if err := round(k); err != nil {
			return err
		}
	}
	d, err := processed()
	if err != nil {
		return err
	}
	rss, peak, err := procMem(s.pid)
	if err != nil {
		return err
	}
	cpu1, err := procCPU(s.pid)
	if err != nil {
		return err
	}
	fmt.Printf("fill: %d positions from %d aircraft processed in %v, server CPU %v (used %d, not used %d, shed %d), %d alerts raised (%.4f per position), %d journalled (%.0f µs of server CPU per journalled alert, positions included), %d waiting for the journal; the engine waited for the journal %d times\n",
		sent, tracks, time.Since(start).Round(time.Millisecond), cpu1-cpu0, d.used, d.unused, d.dropped, d.alerts, float64(d.alerts)/float64(sent),
		d.journalled, float64((cpu1-cpu0).Microseconds())/float64(max(1, d.journalled)), d.queue, d.waits)
	fmt.Printf("right after the fill: VmRSS %s, peak (VmHWM) %s; Go heap allocated %s, in use %s, next GC at %s, soft memory limit %s; load %s\n",
		mb(rss), mb(peak), mb(d.heapAlloc), mb(d.heapInuse), mb(d.nextGC), mb(d.memLimit), loadAvg())
	filled := time.Now()
	var last int64
	measured := 0
	for k := fill; measured < rounds; k++ {
		time.Sleep(time.Until(filled.Add(time.Duration(10*(k-fill+1)) * time.Second)))
		if err := round(k); err != nil {
			return err
		}
		d, err := processed()
		if err != nil {
			return err
		}
		rss, peak, err := procMem(s.pid)
		if err != nil {
			return err
		}
		state := "steady"
		if d.queue > int64(tracks/10) {
			state = "journal catching up"
			if time.Since(start) > 30*time.Minute {
				return fmt.Errorf("the journal did not catch up in 30 minutes")
			}
		} else {
			measured++
			last = rss
		}
		fmt.Printf("  feed time +%d s (%s): VmRSS %s, peak %s; Go heap allocated %s, in use %s, next GC at %s; %d alerts raised, %d waiting for the journal; load %s\n",
			10*k, state, mb(rss), mb(peak), mb(d.heapAlloc), mb(d.heapInuse), mb(d.nextGC), d.alerts, d.queue, loadAvg())
	}
	_, peak, _ = procMem(s.pid)
	fmt.Printf("RSS of truce serve, no forced collection: %s with the zones, %s right after the fill, %s steady with %d tracks; peak %s (target ≤ 300 MB)\n",
		mb(rssZones), mb(rss), mb(last), tracks, mb(peak))
	return nil
}
