package monitor_test

import (
	"math"
	"sync/atomic"
	"testing"
	"time"

	"github.com/truce-project/truce/monitor"
	"github.com/truce-project/truce/spatial"
)

// intents makes the Intents of one operation, op, with one volume: the box
// (lon0, lat0)-(lon1, lat1) × [floorM, ceilM] × [from, to), flown by the
// aircraft given.
func intents(t *testing.T, op string, lon0, lat0, lon1, lat1, floorM, ceilM float64, from, to time.Time, aircraft ...uint32) *monitor.Intents {
	t.Helper()
	snap := func(floor, ceil float64, window bool) *spatial.Snapshot {
		z := square(op+"/0", lon0, lat0, lon1, lat1)
		z.FloorM, z.CeilingM = floor, ceil
		if window {
			z.Windows = []spatial.Window{{Start: from, End: to}}
		}
		x := spatial.NewZoneIndex()
		if err := x.Load([]spatial.Zone{z}); err != nil {
			t.Fatal(err)
		}
		return x.Snapshot()
	}
	in := &monitor.Intents{Volumes: snap(floorM, ceilM, true), Areas: snap(math.Inf(-1), math.Inf(1), true), Footprints: snap(math.Inf(-1), math.Inf(1), false),
		Aircraft: map[uint32][]string{}}
	for _, a := range aircraft {
		in.Aircraft[a] = []string{op}
	}
	return in
}

// TestEngine_Conformance: an aircraft of an active operation leaving its
// volume's area, band or window raises a non-conformance alert naming
// the operation and why, once per episode; back inside, the episode ends;
// the operation's end closes an open episode. An aircraft not in the
// operation raises nothing wherever it flies.
func TestEngine_Conformance(t *testing.T) {
	const ac, other = 0xA1, 0xB2
	var cur atomic.Pointer[monitor.Intents]
	cur.Store(intents(t, "op-1", 36, 33, 36.2, 33.2, 0, 3000, t0, t0.Add(time.Hour), ac))
	e, _, rec := newEngine(t, monitor.Config{Intents: cur.Load, LookAhead: -1})
	steps := []struct {
		icao   uint32
		sec    float64
		lat    float64
		lon    float64
		ft     float64
		kind   monitor.Kind // the alert this step raises, "" none
		reason string
	}{
		{ac, 10, 33.1, 36.1, 5000, "", ""},                                                   // inside
		{ac, 20, 33.1, 36.1, 5000, "", ""},                                                   // still
		{other, 25, 33.5, 36.5, 5000, "", ""},                                                // not in the operation
		{ac, 30, 33.5, 36.1, 5000, monitor.KindNonConformance, monitor.ReasonOutsideVolumes}, // north of the area
		{ac, 40, 33.6, 36.1, 5000, "", ""},                                                   // same episode
		{ac, 50, 33.1, 36.1, 5000, monitor.KindNonConformanceEnded, monitor.ReasonConforms},
		{ac, 60, 33.1, 36.1, 12000, monitor.KindNonConformance, monitor.ReasonOutsideBand}, // above the band
		{ac, 70, 33.1, 36.1, 9000, monitor.KindNonConformanceEnded, monitor.ReasonConforms},
	}
	for i, s := range steps {
		before := len(rec.alerts)
		e.Process(pos(s.icao, s.sec, s.lat, s.lon, s.ft))
		got := rec.alerts[before:]
		if s.kind == "" {
			if len(got) != 0 {
				t.Fatalf("step %d: alerts %+v, want none", i, got)
			}
			continue
		}
		if len(got) != 1 || got[0].Kind != s.kind || got[0].Reason != s.reason || got[0].OperationID != "op-1" || got[0].Aircraft.ICAO != ac {
			t.Fatalf("step %d: alerts %+v, want one %s (%s) of op-1", i, got, s.kind, s.reason)
		}
	}
	open := rec.of(monitor.KindNonConformance)
	if ends := rec.of(monitor.KindNonConformanceEnded); len(open) != 2 || len(ends) != 2 || ends[0].Episode != open[0].Episode || open[0].Episode == open[1].Episode {
		t.Fatalf("episodes: opened %+v, ended %+v", open, ends)
	}
	// After its window.
	e.Process(pos(ac, 3700, 33.1, 36.1, 5000))
	if got := rec.alerts[len(rec.alerts)-1]; got.Kind != monitor.KindNonConformance || got.Reason != monitor.ReasonOutsideWindow {
		t.Fatalf("after the window: %+v", got)
	}
	// The operation completes: the open episode ends.
	cur.Store(&monitor.Intents{})
	e.IntentsChanged()
	if got := rec.alerts[len(rec.alerts)-1]; got.Kind != monitor.KindNonConformanceEnded || got.Reason != monitor.ReasonOperationEnded || got.OperationID != "op-1" {
		t.Fatalf("the operation's end: %+v", got)
	}
	n := len(rec.alerts)
	e.Process(pos(ac, 3710, 40, 40, 5000))
	if len(rec.alerts) != n {
		t.Fatalf("alerts after the operation ended: %+v", rec.alerts[n:])
	}
}

// TestEngine_Intrusion: an aircraft of another party entering an active
// operation's volume opens an intrusion episode naming the operation,
// closed when it leaves; an aircraft of the operation's own party, or of
// no party, in the volume raises nothing; the operation's end closes an
// open episode.
func TestEngine_Intrusion(t *testing.T) {
	const ru, us, unknown = 0xC3, 0xD4, 0xE5
	in := intents(t, "op-1", 36, 33, 36.2, 33.2, 0, 3000, t0, t0.Add(time.Hour))
	in.Parties = map[string][]string{"op-1": {"us"}}
	var cur atomic.Pointer[monitor.Intents]
	cur.Store(in)
	party := map[uint32]string{ru: "ru", us: "us"}
	e, _, rec := newEngine(t, monitor.Config{Intents: cur.Load, LookAhead: -1, Attribute: func(icao uint32, _ string) string { return party[icao] }})
	for _, p := range []struct {
		icao          uint32
		sec, lat, lon float64
	}{{us, 10, 33.1, 36.1}, {unknown, 10, 33.1, 36.1}, {ru, 10, 33.5, 36.1}, {ru, 20, 33.1, 36.1}, {ru, 30, 33.15, 36.1}, {ru, 40, 33.5, 36.1}, {ru, 50, 33.1, 36.1}} {
		e.Process(pos(p.icao, p.sec, p.lat, p.lon, 5000))
	}
	opened, ended := rec.of(monitor.KindIntrusion), rec.of(monitor.KindIntrusionEnded)
	if len(opened) != 2 || len(ended) != 1 || opened[0].Aircraft.ICAO != ru || opened[0].OperationID != "op-1" || ended[0].Episode != opened[0].Episode || ended[0].Reason != monitor.ReasonLeft {
		t.Fatalf("intrusions: opened %+v, ended %+v", opened, ended)
	}
	cur.Store(&monitor.Intents{})
	e.IntentsChanged()
	if ended := rec.of(monitor.KindIntrusionEnded); len(ended) != 2 || ended[1].Episode != opened[1].Episode || ended[1].Reason != monitor.ReasonOperationEnded {
		t.Fatalf("the operation's end: %+v", ended)
	}
	if n := len(rec.of(monitor.KindNonConformance)); n != 0 {
		t.Fatalf("%d non-conformance alerts for aircraft in no operation", n)
	}
}

// TestEngine_IntrusionPartyChanged: the engine keeps what it knows of an
// aircraft's operations between positions, so a change of the aircraft's
// party must reach it: an aircraft of the operation's party inside its
// volume raises nothing until it is attributed to another party
// (PartiesChanged), and then intrudes; attributed back, the episode ends.
func TestEngine_IntrusionPartyChanged(t *testing.T) {
	const ac = 0xC3
	in := intents(t, "op-1", 36, 33, 36.2, 33.2, 0, 3000, t0, t0.Add(time.Hour))
	in.Parties = map[string][]string{"op-1": {"us"}}
	var party atomic.Value
	party.Store("us")
	e, _, rec := newEngine(t, monitor.Config{Intents: func() *monitor.Intents { return in }, LookAhead: -1,
		Attribute: func(uint32, string) string { return party.Load().(string) }})
	e.Process(pos(ac, 10, 33.1, 36.1, 5000))
	e.Process(pos(ac, 20, 33.1, 36.1, 5000))
	if n := len(rec.of(monitor.KindIntrusion)); n != 0 {
		t.Fatalf("%d intrusions by the operation's own party", n)
	}
	party.Store("ru")
	e.PartiesChanged()
	e.Process(pos(ac, 30, 33.1, 36.1, 5000))
	if opened := rec.of(monitor.KindIntrusion); len(opened) != 1 || opened[0].OperationID != "op-1" {
		t.Fatalf("after the party changed: %+v", opened)
	}
	party.Store("us")
	e.PartiesChanged()
	e.Process(pos(ac, 40, 33.1, 36.1, 5000))
	if ended := rec.of(monitor.KindIntrusionEnded); len(ended) != 1 || ended[0].Reason != monitor.ReasonOperationEnded {
		t.Fatalf("attributed back: %+v", ended)
	}
}
