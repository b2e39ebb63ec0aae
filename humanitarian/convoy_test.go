package humanitarian_test

import (
	"math"
	"slices"
	"testing"
	"time"

	"github.com/paulmach/orb"
	"github.com/truce-project/truce/geo"
	"github.com/truce-project/truce/humanitarian"
)

// The road from the Ramtha/Dar'a crossing into Dar'a city.
var ramthaDaraa = orb.LineString{{36.0076, 32.5560}, {36.0500, 32.5900}, {36.1020, 32.6189}}

func TestCorridor_DistanceM(t *testing.T) {
	c := humanitarian.NewCorridor(ramthaDaraa, 500)
	tests := []struct {
		name string
		p    orb.Point
	}{
		{"OnAVertex", orb.Point{36.0500, 32.5900}},
		{"NearTheMiddle", orb.Point{36.03, 32.58}},
		{"EastOfTheEnd", orb.Point{36.12, 32.6189}},
		{"FarSouth", orb.Point{36.05, 32.50}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// The reference: the geodesic distance to the nearest of many
			// points along the route.
			ref := math.Inf(1)
			for i := 1; i < len(ramthaDaraa); i++ {
				a, b := ramthaDaraa[i-1], ramthaDaraa[i]
				for k := 0; k <= 2000; k++ {
					f := float64(k) / 2000
					ref = math.Min(ref, geo.Distance(tt.p, orb.Point{a[0] + f*(b[0]-a[0]), a[1] + f*(b[1]-a[1])}))
				}
			}
			got := c.DistanceM(tt.p[0], tt.p[1])
			if math.Abs(got-ref) > 5+0.01*ref {
				t.Errorf("DistanceM = %.1f m, geodesic reference %.1f m", got, ref)
			}
		})
	}
}

func TestConvoyWatch(t *testing.T) {
	t0 := time.Date(2030, 1, 1, 6, 0, 0, 0, time.UTC)
	on := orb.Point{36.0500, 32.5900}
	off := orb.Point{36.0500, 32.5700} // about 2 km south of the road
	type step struct {
		p    orb.Point
		at   time.Duration
		want humanitarian.ConvoyEventKind // "" none
	}
	tests := []struct {
		name  string
		steps []step
	}{
		{"StaysOnRoute", []step{{on, 0, ""}, {on, time.Minute, ""}, {on, 10 * time.Minute, ""}}},
		{"ShortDetourWithinGrace", []step{{on, 0, ""}, {off, time.Minute, ""}, {off, 90 * time.Second, ""}, {on, 2 * time.Minute, ""}}},
		{"DeviationOnceThenReturn", []step{{on, 0, ""}, {off, time.Minute, ""}, {off, 2 * time.Minute, humanitarian.ConvoyDeviation},
			{off, 3 * time.Minute, ""}, {on, 4 * time.Minute, humanitarian.ConvoyReturned}, {on, 5 * time.Minute, ""}}},
		{"SecondEpisodeAlertsAgain", []step{{off, 0, ""}, {off, time.Minute, humanitarian.ConvoyDeviation}, {on, 2 * time.Minute, humanitarian.ConvoyReturned},
			{off, 3 * time.Minute, ""}, {off, 4 * time.Minute, humanitarian.ConvoyDeviation}}},
		{"OlderPositionIgnored", []step{{off, 5 * time.Minute, ""}, {on, 4 * time.Minute, ""}, {off, 6 * time.Minute, humanitarian.ConvoyDeviation}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := &humanitarian.ConvoyWatch{Corridor: humanitarian.NewCorridor(ramthaDaraa, 500), Grace: time.Minute}
			for i, s := range tt.steps {
				ev := w.Observe(s.p[0], s.p[1], t0.Add(s.at))
				var got humanitarian.ConvoyEventKind
				if ev != nil {
					got = ev.Kind
				}
				if got != s.want {
					t.Fatalf("step %d: event %q, want %q", i, got, s.want)
				}
				if ev != nil && ev.Kind == humanitarian.ConvoyDeviation && (ev.DistanceM < 1500 || ev.DistanceM > 2500) {
					t.Errorf("step %d: distance %.0f m, want about 2 km", i, ev.DistanceM)
				}
			}
		})
	}
}

// BenchmarkCorridor measures corridor checks of positions along a 40-vertex
// route (a 200 km road); the target is ≥ 1 M positions per CPU-second.
func BenchmarkCorridor(b *testing.B) {
	route := make(orb.LineString, 40)
	for i := range route {
		route[i] = orb.Point{36.0 + float64(i)*0.045, 32.5 + 0.02*math.Sin(float64(i))}
	}
	c := humanitarian.NewCorridor(route, 500)
	b.ResetTimer()
	inside := 0
	for i := 0; i < b.N; i++ {
		f := float64(i%1000) / 1000
		if c.Inside(36.0+f*1.75, 32.5+0.01*math.Cos(f*7)) {
			inside++
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "positions/s")
	_ = inside
}

// pointAlong is the point d metres along a route (geodesic lengths,
// linear between vertices).
func pointAlong(route orb.LineString, d float64) orb.Point {
	for i := 1; i < len(route); i++ {
		l := geo.Distance(route[i-1], route[i])
		if d <= l {
			f := d / l
			return orb.Point{route[i-1][0] + f*(route[i][0]-route[i-1][0]), route[i-1][1] + f*(route[i][1]-route[i-1][1])}
		}
		d -= l
	}
	return route[len(route)-1]
}

// TestConvoyWatch_Clock: the clock's events, each once per episode, with
// the schedule of a convoy that must leave by 07:00 and arrive by 09:00
// on the 11 km road from Ramtha to Dar'a.
func TestConvoyWatch_Clock(t *testing.T) {
	t0 := time.Date(2030, 1, 1, 6, 0, 0, 0, time.UTC)
	min := func(n int) time.Time { return t0.Add(time.Duration(n) * time.Minute) }
	sched := humanitarian.Schedule{Depart: min(60), Arrive: min(180)}
	type step struct {
		at   int     // minutes after 06:00
		pos  float64 // metres along the route; <0: a check of the clock, not a position
		want []humanitarian.ConvoyEventKind
	}
	const check = -1
	k := func(ks ...humanitarian.ConvoyEventKind) []humanitarian.ConvoyEventKind { return ks }
	stopped, silent, behind := humanitarian.ConvoyStopped, humanitarian.ConvoySilent, humanitarian.ConvoyBehind
	tests := []struct {
		name    string
		started int // minutes; -1: zero
		steps   []step
	}{
		{"OnSchedule", 30, []step{{30, 0, nil}, {40, 1000, nil}, {50, 2000, nil}, {60, 3000, nil}, {70, 4000, nil}, {80, 5000, nil}, {80, check, nil},
			{90, 6000, nil}, {100, 7000, nil}, {110, 8000, nil}, {120, 9000, nil}, {130, 10000, nil}, {135, 11000, nil}, {145, check, nil},
			// At its destination, it is not behind.
			{195, 11300, nil}, {200, check, nil}}},
		// Stopped at a checkpoint, with GPS wander of 50 m.
		{"StoppedTwice", 55, []step{{60, 1000, nil}, {65, 1050, nil}, {70, 1000, nil}, {75, 1040, nil}, {75, check, nil},
			{80, 1020, nil}, {80, check, k(stopped)}, {81, 1000, nil}, {81, check, nil},
			{85, 2500, nil}, {85, check, nil}, {95, 2550, nil}, {105, 2500, nil}, {105, check, k(stopped)}}},
		{"SilentThenHeard", 55, []step{{60, 1000, nil}, {70, check, nil}, {75, check, k(silent)}, {80, check, nil},
			{81, 2000, nil}, {90, 3000, nil}, {104, check, nil}, {105, check, k(silent)}}},
		// Silent from its start, and 30 minutes after it had to leave,
		// behind.
		{"NeverHeard", 60, []step{{74, check, nil}, {75, check, k(silent)}, {89, check, nil}, {90, check, k(behind)}, {100, check, nil}}},
		{"NoStartNoSilence", -1, []step{{89, check, nil}, {100, check, k(behind)}}},
		// 300 m every 10 minutes from 07:00: 34 minutes behind the
		// latest schedule at 07:50.
		{"Behind", 60, []step{{60, 0, nil}, {70, 300, nil}, {80, 600, nil}, {90, 900, nil}, {100, 1200, nil}, {100, check, nil},
			{110, 1500, nil}, {110, check, k(behind)}, {115, 1650, nil}, {115, check, nil}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := &humanitarian.ConvoyWatch{Corridor: humanitarian.NewCorridor(ramthaDaraa, 500)}
			var started time.Time
			if tt.started >= 0 {
				started = min(tt.started)
			}
			for i, s := range tt.steps {
				if s.pos >= 0 {
					p := pointAlong(ramthaDaraa, s.pos)
					if ev := w.Observe(p[0], p[1], min(s.at)); ev != nil {
						t.Fatalf("step %d: %s", i, ev.Kind)
					}
					continue
				}
				var got []humanitarian.ConvoyEventKind
				for _, ev := range w.Check(min(s.at), started, sched, humanitarian.ConvoyLimits{}) {
					got = append(got, ev.Kind)
				}
				if !slices.Equal(got, s.want) {
					t.Fatalf("step %d at +%d min: events %v, want %v", i, s.at, got, s.want)
				}
			}
		})
	}
}
