package monitor_test

import (
	"context"
	"fmt"
	"math"
	"testing"
	"time"

	"github.com/truce-project/truce/feed"
	"github.com/truce-project/truce/monitor"
)

// count returns how many alerts of kind concern aircraft icao.
func (r *recorder) count(kind monitor.Kind, icao uint32) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for _, a := range r.alerts {
		if a.Kind == kind && a.Aircraft.ICAO == icao {
			n++
		}
	}
	return n
}

// TestEngine_TableFullCampaign reproduces at small scale the campaign that
// blinded the monitor: a track table of 100, posters cycling 300 invented
// addresses far from any zone once a second, and five unknown aircraft
// flown from 50 km away into a no-fly zone. Every one of the five must
// raise its entry alert, and the refusals must be counted.
func TestEngine_TableFullCampaign(t *testing.T) {
	e, _, rec := newEngine(t, monitor.Config{MaxTracks: 100}, square("nfz", 36.0, 33.0, 36.5, 33.5))
	const invented, intruders = 300, 5
	const gs = 450.0 // kt, east
	start := 35.45   // lon: 50 km west of the zone
	for s := 0; s < 300; s++ {
		for i := range invented {
			// Far from the zone (about 250 km north-east), spread out.
			e.Process(moving(pos(0x900000+uint32(i), float64(s), 35.0+float64(i%20)*0.02, 38.0+float64(i/20)*0.02, 20000), 300, 45))
		}
		if s < 20 {
			continue // the invented addresses fill the table first
		}
		for k := range intruders {
			lon := start + gs*1852/3600*float64(s-20)/(111320*math.Cos(33.2*math.Pi/180))
			e.Process(moving(pos(0x700001+uint32(k), float64(s), 33.1+float64(k)*0.07, lon, 5000), gs, 90))
		}
		e.Expire(t0.Add(time.Duration(s) * time.Second))
	}
	for k := range intruders {
		if n := rec.count(monitor.KindZoneEntry, 0x700001+uint32(k)); n != 1 {
			t.Errorf("intruder %d raised %d entry alerts, want 1", k, n)
		}
	}
	if e.Counters.Refused.Load() == 0 {
		t.Error("no refusal counted, though 300 addresses cycled through a table of 100")
	}
	if e.Len() > 100+25 {
		t.Errorf("%d tracks: the overflow is bounded at a quarter of 100", e.Len())
	}
	t.Logf("tracks %d, refused %d, evicted %d, overflow %d", e.Len(), e.Counters.Refused.Load(), e.Counters.Evicted.Load(), e.Counters.Overflow.Load())
}

// TestEngine_TableFullPriority: a full table of unknown aircraft far away
// gives way to a registered aircraft and to one in a zone; a table full
// of aircraft in zones still takes one more in a zone (bounded overflow),
// and refuses an unknown one far away.
func TestEngine_TableFullPriority(t *testing.T) {
	t.Run("Eviction", func(t *testing.T) {
		e, _, rec := newEngine(t, monitor.Config{MaxTracks: 10, Attribute: func(icao uint32, _ string) string {
			if icao == 0xAE0001 {
				return "us"
			}
			return ""
		}}, square("nfz", 36.0, 33.0, 36.5, 33.5))
		for i := range 10 {
			e.Process(pos(uint32(i+1), 0, 36.0, 39.0+float64(i)*0.01, 20000))
		}
		if o := e.Process(pos(0xAE0001, 1, 36.0, 39.5, 20000)); o != monitor.Used {
			t.Fatalf("registered aircraft: %v", o)
		}
		if o := e.Process(pos(0xBAD001, 1, 36.1, 39.6, 20000)); o != monitor.TableFull {
			t.Fatalf("unknown aircraft far away in a full table: %v, want track_table_full", o)
		}
		for s := 1; s <= 3; s++ {
			if o := e.Process(pos(0x700001, float64(s), 33.2, 36.2, 5000)); o != monitor.Used {
				t.Fatalf("aircraft in the zone: %v", o)
			}
		}
		if rec.count(monitor.KindZoneEntry, 0x700001) != 1 || e.Len() != 10 || e.Counters.Evicted.Load() != 2 || e.Counters.Refused.Load() != 1 {
			t.Fatalf("entry alerts %d, tracks %d, evicted %d, refused %d", rec.count(monitor.KindZoneEntry, 0x700001), e.Len(), e.Counters.Evicted.Load(), e.Counters.Refused.Load())
		}
		if _, ok := e.Track(0xAE0001); !ok {
			t.Fatal("the registered aircraft was evicted")
		}
	})
	t.Run("Overflow", func(t *testing.T) {
		e, _, rec := newEngine(t, monitor.Config{MaxTracks: 8}, square("nfz", 36.0, 33.0, 36.5, 33.5))
		for i := range 8 {
			e.Process(pos(uint32(i+1), 0, 33.1+float64(i)*0.01, 36.1, 5000))
		}
		for s := 1; s <= 2; s++ {
			if o := e.Process(pos(0x700001, float64(s), 33.2, 36.2, 5000)); o != monitor.Used {
				t.Fatalf("aircraft in the zone, table full of aircraft in zones: %v", o)
			}
		}
		if rec.count(monitor.KindZoneEntry, 0x700001) != 1 || e.Len() != 9 || e.Counters.Overflow.Load() != 1 {
			t.Fatalf("entry alerts %d, tracks %d, overflow %d", rec.count(monitor.KindZoneEntry, 0x700001), e.Len(), e.Counters.Overflow.Load())
		}
		if o := e.Process(pos(0xBAD001, 2, 36.1, 39.6, 20000)); o != monitor.TableFull {
			t.Fatalf("unknown aircraft far away: %v, want track_table_full", o)
		}
		// The overflow is a quarter of MaxTracks (2): a third newcomer in
		// the zone is refused.
		e.Process(pos(0x700002, 3, 33.3, 36.3, 5000))
		if o := e.Process(pos(0x700003, 3, 33.4, 36.3, 5000)); o != monitor.TableFull || e.Len() != 10 {
			t.Fatalf("beyond the overflow: %v with %d tracks", o, e.Len())
		}
	})
}

// TestEngine_DelayedFeed flies an aircraft reported once a second for 5 s
// inside a no-fly zone, its reports 0 to 90 s late, beside a feed on time:
// each raises one entry alert, and its track is not lost sooner than
// StaleAfter after its last report arrived.
func TestEngine_DelayedFeed(t *testing.T) {
	for _, d := range []int{0, 3, 10, 20, 45, 90} {
		t.Run(fmt.Sprintf("%ds", d), func(t *testing.T) {
			wall := t0
			e, _, rec := newEngine(t, monitor.Config{Now: func() time.Time { return wall }}, square("nfz", 36.0, 33.0, 36.5, 33.5))
			const late = 0xABCDEF
			for s := 0; s <= 170; s++ {
				wall = t0.Add(time.Duration(s) * time.Second)
				e.Process(pos(0xC0FFEE, float64(s), 35.5, 36.5, 10000)) // elsewhere, on time
				if s >= 100 && s < 105 {
					e.Process(pos(late, float64(s-d), 33.2, 36.2, 5000))
				}
				e.Expire(wall) // as Run does every second
				if s == 104+59 && rec.count(monitor.KindZoneExit, late) != 0 {
					t.Fatalf("the track was lost within %d s of its last report's arrival", s-104)
				}
			}
			if n := rec.count(monitor.KindZoneEntry, late); n != 1 {
				t.Fatalf("%d entry alerts, want 1", n)
			}
			if n := rec.count(monitor.KindZoneExit, late); n != 1 {
				t.Fatalf("%d exit alerts after the track went silent, want 1", n)
			}
		})
	}
}

// TestEngine_Latency: reports older than MaxDelay and later than MaxAhead
// are not used and are counted; a report from the future does not make an
// aircraft's true reports look out of order.
func TestEngine_Latency(t *testing.T) {
	wall := t0.Add(time.Hour)
	e, _, rec := newEngine(t, monitor.Config{Now: func() time.Time { return wall }, MaxDelay: 60 * time.Second}, square("nfz", 36.0, 33.0, 36.5, 33.5))
	if o := e.Process(pos(1, 3600-61, 33.2, 36.2, 5000)); o != monitor.TooOld {
		t.Fatalf("a report 61 s late: %v, want too_old", o)
	}
	if o := e.Process(pos(1, 3600-59, 33.2, 36.2, 5000)); o != monitor.Used {
		t.Fatalf("a report 59 s late: %v, want used", o)
	}
	// Aircraft 2 is reported once half an hour in the future, then truly.
	if o := e.Process(pos(2, 3600+1800, 33.2, 36.2, 5000)); o != monitor.Future {
		t.Fatalf("a report 30 min ahead: %v, want future", o)
	}
	for s := range 3 {
		e.Process(pos(2, float64(3600+s), 33.2, 36.2, 5000))
	}
	if rec.count(monitor.KindZoneEntry, 2) != 1 {
		t.Fatal("a report from the future blinded the monitor to the aircraft's true reports")
	}
	if e.Counters.TooOld.Load() != 1 || e.Counters.Future.Load() != 1 {
		t.Fatalf("too old %d, future %d", e.Counters.TooOld.Load(), e.Counters.Future.Load())
	}
}

// TestEngine_SquawkPosition: an emergency squawk is raised at the
// position of the report that carries it; one without any position yet is
// raised with the aircraft's first position.
func TestEngine_SquawkPosition(t *testing.T) {
	e, _, rec := newEngine(t, monitor.Config{})
	sq := func(p feed.Position, code feed.Squawk) feed.Position {
		p.Squawk, p.Present = code, p.Present|feed.FieldSquawk
		return p
	}
	last := func() monitor.Alert { return rec.alerts[len(rec.alerts)-1] }
	e.Process(sq(pos(1, 0, 33.2, 36.2, 5000), feed.SquawkEmergency))
	if len(rec.alerts) != 1 || last().Aircraft.Position.Lat != 33.2 || last().Aircraft.Position.Lon != 36.2 {
		t.Fatalf("first report squawking 7700: %+v", rec.alerts)
	}
	e.Process(pos(1, 1, 33.3, 36.3, 5000))
	e.Process(sq(pos(1, 2, 33.4, 36.4, 5000), feed.SquawkHijack))
	if len(rec.alerts) != 2 || last().Aircraft.Position.Lat != 33.4 || last().Aircraft.Position.Lon != 36.4 || last().Squawk != feed.SquawkHijack {
		t.Fatalf("a later report squawking 7500: %+v", last())
	}
	// A squawk without a position (SBS MSG,6) on a new aircraft.
	e.Process(feed.Position{ICAO: 2, Squawk: feed.SquawkRadioFailure, Time: t0.Add(3 * time.Second), Present: feed.FieldSquawk})
	if len(rec.alerts) != 2 {
		t.Fatalf("an emergency raised with no position: %+v", last())
	}
	e.Process(pos(2, 4, 32.9, 35.9, 8000))
	if len(rec.alerts) != 3 || last().Aircraft.ICAO != 2 || last().Aircraft.Position.Lat != 32.9 || !last().Time.Equal(t0.Add(3*time.Second)) {
		t.Fatalf("the emergency with the first position: %+v", last())
	}
}

// TestEngine_Submit: a receipt tells what became of every queued
// position, by outcome.
func TestEngine_Submit(t *testing.T) {
	e, _, _ := newEngine(t, monitor.Config{MaxTracks: 2})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- e.Run(ctx) }()
	defer func() { cancel(); <-done }()
	now := time.Now().UTC()
	at := func(icao uint32, d time.Duration) feed.Position {
		return feed.Position{ICAO: icao, Lat: 36, Lon: 39, Time: now.Add(d), Present: feed.FieldLatLon}
	}
	r := e.Submit([]feed.Position{
		at(1, 0), at(2, 0), at(3, 0), // the third: table full
		at(1, -time.Second),    // out of order
		at(2, -10*time.Minute), // too old
		at(4, time.Hour),       // future
		{ICAO: 5, Lat: math.NaN(), Lon: 0, Time: now, Present: feed.FieldLatLon}, // invalid
	})
	select {
	case <-r.Done():
	case <-time.After(10 * time.Second):
		t.Fatal("the receipt was not completed")
	}
	want := map[monitor.Outcome]int{monitor.Used: 2, monitor.TableFull: 1, monitor.OutOfOrder: 1, monitor.TooOld: 1, monitor.Future: 1, monitor.Invalid: 1}
	for o, n := range want {
		if r.Count(o) != n {
			t.Errorf("%v: %d, want %d", o, r.Count(o), n)
		}
	}
	if r.Queued() != 7 || r.Processed() != 7 {
		t.Fatalf("queued %d, processed %d", r.Queued(), r.Processed())
	}
}

// TestEngine_LateSquawkKeepsEmergency: a squawk report older than the one
// that opened an emergency (a late feed, within the accepted delay) does
// not end the emergency, so the next report of the same emergency opens
// no second episode.
func TestEngine_LateSquawkKeepsEmergency(t *testing.T) {
	e, _, rec := newEngine(t, monitor.Config{})
	sq := func(p feed.Position, code feed.Squawk) feed.Position {
		p.Squawk, p.Present = code, p.Present|feed.FieldSquawk
		return p
	}
	e.Process(sq(pos(1, 20, 33.2, 36.2, 5000), feed.SquawkEmergency))
	// A late MSG,6 from before the emergency, 15 s behind.
	e.Process(feed.Position{ICAO: 1, Squawk: 0o7000, Time: t0.Add(5 * time.Second), Present: feed.FieldSquawk})
	e.Process(sq(pos(1, 21, 33.21, 36.21, 5000), feed.SquawkEmergency))
	n := 0
	for _, a := range rec.alerts {
		if a.Kind == monitor.KindEmergencySquawk {
			n++
		}
	}
	if n != 1 {
		t.Fatalf("one emergency, reported on both sides of a late 7000: %d emergency alerts", n)
	}
}
