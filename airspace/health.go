package airspace

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/truce-project/truce"
	"github.com/truce-project/truce/monitor"
)

// capacityEvery is how often the track table's pressure is checked;
// capacityWindow how long after the last refusal or eviction the episode
// lasts (and /readyz says degraded).
var (
	capacityEvery  = time.Second
	capacityWindow = time.Minute
)

// capacity follows the pressure on the monitor's track table: an episode
// starts when new aircraft are refused, tracks evicted or the table is
// past MaxTracks, and ends capacityWindow after the last of these. Each
// episode journals one alert when it starts and one when it ends, for the
// coordinator, and makes /readyz answer "degraded" meanwhile.
type capacity struct {
	mu       sync.Mutex
	episode  string    // "" when none
	start    time.Time // of the episode
	last     time.Time // last sign of pressure
	base     [2]uint64 // refused, evicted at the episode's start
	window   []sample  // the last capacityWindow of counts
	degraded string    // the /readyz problem, "" when none
}

type sample struct {
	at               time.Time
	refused, evicted uint64
}

// watchCapacity checks the pressure every capacityEvery until the
// airspace stops.
func (a *Host) watchCapacity() {
	t := time.NewTicker(capacityEvery)
	defer t.Stop()
	for {
		select {
		case <-t.C:
			a.checkCapacity(time.Now())
		case <-a.ctx.Done():
			return
		}
	}
}

func (a *Host) checkCapacity(now time.Time) {
	e := a.engine
	c := &a.capacity
	refused, evicted := e.Counters.Refused.Load(), e.Counters.Evicted.Load()
	n, max := e.Len(), e.MaxTracks()
	c.mu.Lock()
	pressed := n > max
	if k := len(c.window); k > 0 {
		prev := c.window[k-1]
		pressed = pressed || refused > prev.refused || evicted > prev.evicted
	}
	c.window = append(c.window, sample{now, refused, evicted})
	for len(c.window) > 1 && now.Sub(c.window[0].at) > capacityWindow {
		c.window = c.window[1:]
	}
	first := c.window[0]
	inWindow := [2]uint64{refused - first.refused, evicted - first.evicted}
	var raise *truce.Alert
	if pressed {
		c.last = now
		if c.episode == "" {
			c.episode, c.start = truce.NewID(), now
			c.base = [2]uint64{first.refused, first.evicted}
			raise = a.capacityAlert(c, now, n, max, inWindow, true)
		}
	} else if c.episode != "" && now.Sub(c.last) >= capacityWindow {
		raise = a.capacityAlert(c, now, n, max, [2]uint64{refused - c.base[0], evicted - c.base[1]}, false)
		c.episode = ""
	}
	c.degraded = ""
	if c.episode != "" {
		c.degraded = fmt.Sprintf("monitor: track table full (%d tracks, capacity %d): in the last minute %d positions of new aircraft refused and %d tracks evicted; aircraft in or near watched zones are still tracked (raise --max-tracks)",
			n, max, inWindow[0], inWindow[1])
	}
	c.mu.Unlock()
	if raise != nil {
		a.raiseSystemAlert(raise)
	}
}

// capacityAlert words the alert that opens or closes an episode; counts
// are refusals and evictions in the last minute (opening) or over the
// episode (closing). It is called with c.mu held.
func (a *Host) capacityAlert(c *capacity, now time.Time, n, max int, counts [2]uint64, opening bool) *truce.Alert {
	al := &truce.Alert{Kind: truce.AlertTrackTableFull, Time: now.UTC(), Episode: c.episode, Aircraft: []truce.AlertAircraft{}}
	if lon, lat, ok := a.engine.FullAt(); ok {
		al.Lon, al.Lat = lon, lat
	}
	state := "opened"
	if opening {
		al.Summary = fmt.Sprintf("The airspace monitor's track table is full (%d tracks, capacity %d): positions of new aircraft are being refused (%d in the last minute) and tracks evicted (%d); aircraft in or near no-fly zones are still tracked",
			n, max, counts[0], counts[1])
	} else {
		state = "closed"
		al.Summary = fmt.Sprintf("The airspace monitor's track table has room again after %s: %d positions of new aircraft were refused and %d tracks evicted",
			now.Sub(c.start).Round(time.Second), counts[0], counts[1])
	}
	al.Evidence, _ = json.Marshal(map[string]any{"reason": "track_table_full", "episode": state, "tracks": n, "max_tracks": max,
		"refused": counts[0], "evicted": counts[1], "overflow": a.engine.Counters.Overflow.Load(), "since": c.start.UTC()})
	return al
}

// raiseSystemAlert journals an alert of the server itself as record does
// the engine's; it stops trying shortly after the host stops.
func (a *Host) raiseSystemAlert(al *truce.Alert) {
	a.journalAlert(item{raise: al}, a.ctx.Done())
}

// Degraded is the /readyz report of a monitor that is not blind but is
// refusing or evicting aircraft, or waiting to journal its alerts.
func (a *Host) Degraded(context.Context) []string {
	var out []string
	if p := a.journalProblem(); p != "" {
		out = append(out, p)
	}
	a.capacity.mu.Lock()
	defer a.capacity.mu.Unlock()
	if a.capacity.degraded != "" {
		out = append(out, a.capacity.degraded)
	}
	return out
}

// startHealth starts following the track table's pressure and registers
// the per-reason metrics (on reg, if any).
func (a *Host) startHealth(reg *prometheus.Registry) {
	a.wg.Add(1)
	go func() { defer a.wg.Done(); a.watchCapacity() }()
	if reg == nil {
		return
	}
	c := &a.engine.Counters
	for _, m := range []struct {
		name, help string
		f          func() uint64
	}{
		{"evicted", "Airspace monitor: tracks evicted to make room for a new aircraft of higher priority.", c.Evicted.Load},
		{"overflow", "Airspace monitor: tracks made beyond the capacity for aircraft in or near watched zones.", c.Overflow.Load},
	} {
		reg.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "truce_monitor_" + m.name + "_total", Help: m.help},
			func() float64 { return float64(m.f()) }))
	}
	for _, o := range monitor.Outcomes() {
		var f func() uint64
		switch o {
		case monitor.TableFull:
			f = c.Refused.Load
		case monitor.TooOld:
			f = c.TooOld.Load
		case monitor.Future:
			f = c.Future.Load
		case monitor.OutOfOrder:
			f = c.OutOfOrder.Load
		case monitor.Invalid:
			f = c.Invalid.Load
		default:
			continue
		}
		reg.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "truce_monitor_unused_total",
			Help: "Airspace monitor: positions seen and not used, by reason.", ConstLabels: prometheus.Labels{"reason": o.String()}},
			func() float64 { return float64(f()) }))
	}
	reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "truce_monitor_track_capacity", Help: "Capacity of the airspace monitor's track table (--max-tracks)."},
		func() float64 { return float64(a.engine.MaxTracks()) }))
	reg.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "truce_feed_bad_lines_total", Help: "Lines of live SBS feeds refused as bad."},
		func() float64 { return float64(a.badLines.n.Load()) }))
}

// badSBS logs a live SBS feed's bad line with its reason (the sender's
// operator reads the server's log), at most once per source every 10 s,
// and counts it.
func (a *Host) badSBS(source string) func(error) {
	var mu sync.Mutex
	var last time.Time
	var skipped int
	return func(err error) {
		a.badLines.n.Add(1)
		mu.Lock()
		defer mu.Unlock()
		if now := time.Now(); now.Sub(last) >= 10*time.Second {
			a.log.Warn("monitor: bad line from a live SBS feed", "source", source, "err", err, "more_since_last", skipped)
			last, skipped = now, 0
			return
		}
		skipped++
	}
}

// metrics registers the engine's and the alert queue's metrics.
func (a *Host) metrics(reg *prometheus.Registry) {
	c := &a.engine.Counters
	for name, f := range map[string]func() uint64{
		"ingested": c.Ingested.Load, "dropped": c.Dropped.Load, "processed": c.Processed.Load, "used": c.Used.Load,
		"checks": c.Checks.Load, "alerts": c.Alerts.Load, "refused": c.Refused.Load, "expired": c.Expired.Load,
	} {
		reg.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "truce_monitor_" + name + "_total",
			Help: "Airspace monitor: positions or alerts " + name + "."}, func() float64 { return float64(f()) }))
	}
	reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "truce_monitor_tracks", Help: "Live tracks."},
		func() float64 { return float64(a.engine.Len()) }))
	reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "truce_monitor_alert_queue", Help: "Alerts waiting for the journal."},
		func() float64 { a.mu.Lock(); defer a.mu.Unlock(); return float64(a.outstanding) }))
	reg.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "truce_monitor_alerts_lost_total",
		Help: "Alerts the journal refused for good, or could not take before shutdown."}, func() float64 { return float64(a.lost.Load()) }))
	reg.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "truce_monitor_alert_queue_waits_total",
		Help: "Times the engine waited for the journal because the alert queue was full."}, func() float64 { return float64(a.waits.Load()) }))
}
