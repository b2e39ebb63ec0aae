package observation_test

import (
	"slices"
	"testing"
	"time"

	"github.com/truce-project/truce/observation"
)

// TestBuildTrend counts incidents per day, category and governorate over
// a window, leaving out those outside it and those rejected or merged.
func TestBuildTrend(t *testing.T) {
	last := time.Date(2026, 12, 7, 15, 0, 0, 0, time.UTC)
	inc := func(day int, hour int, cat observation.Category, pcode string, st observation.Status, violations int) *observation.Incident {
		return &observation.Incident{Category: cat, PCode: pcode, Status: st, Violations: make([]observation.Violation, violations),
			Start: time.Date(2026, 12, day, hour, 0, 0, 0, time.UTC)}
	}
	incs := []*observation.Incident{
		inc(7, 0, observation.CatExplosion, "SY120000", observation.StatusVerified, 1),
		inc(7, 23, observation.CatExplosion, "SY120300", observation.StatusReported, 0),
		inc(7, 12, observation.CatBurstShot, "SY010000", observation.StatusReported, 0),
		inc(6, 5, observation.CatExplosion, "", observation.StatusCorroborated, 0),
		inc(5, 5, observation.CatExplosion, "SY12", observation.StatusReported, 0),
		inc(7, 1, observation.CatExplosion, "SY120000", observation.StatusRejected, 0),
		inc(7, 2, observation.CatExplosion, "SY120000", observation.StatusMerged, 0),
		inc(8, 0, observation.CatExplosion, "SY120000", observation.StatusReported, 0),  // after the window
		inc(4, 23, observation.CatExplosion, "SY120000", observation.StatusReported, 0), // before it
	}
	tr := observation.BuildTrend(last, 3, incs)
	for _, c := range []struct {
		name      string
		got, want []int
	}{
		{"incidents", tr.Incidents, []int{1, 1, 3}},
		{"violations", tr.Violations, []int{0, 0, 1}},
		{"explosions", tr.ByCategory[observation.CatExplosion], []int{1, 1, 2}},
		{"bursts", tr.ByCategory[observation.CatBurstShot], []int{0, 0, 1}},
		{"Dar'a", tr.ByGovernorate["SY12"], []int{1, 0, 2}},
		{"Damascus", tr.ByGovernorate["SY01"], []int{0, 0, 1}},
		{"unknown area", tr.ByGovernorate[""], []int{0, 1, 0}},
	} {
		if !slices.Equal(c.got, c.want) {
			t.Errorf("%s: %v, want %v", c.name, c.got, c.want)
		}
	}
	if !slices.Equal(tr.Days, []string{"2026-12-05", "2026-12-06", "2026-12-07"}) {
		t.Errorf("days %v", tr.Days)
	}
	if got := observation.Keys(tr.ByGovernorate); !slices.Equal(got, []string{"SY12", "", "SY01"}) {
		t.Errorf("governorates by total: %q", got)
	}
	if n := len(observation.BuildTrend(last, 1000, nil).Days); n != observation.MaxTrendDays {
		t.Errorf("a trend of 1000 days has %d, want %d", n, observation.MaxTrendDays)
	}
}
