package humanitarian_test

import (
	"math"
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
