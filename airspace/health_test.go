package airspace_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/truce-project/truce"
	"github.com/truce-project/truce/airspace"
	"github.com/truce-project/truce/node"
)

// TestAirspace_CapacityEpisode: refusals at a full track table open one
// episode, whatever their number: one journalled alert for the
// coordinator when it starts, /readyz degraded with the reason while it
// lasts, and one alert with the same episode when a minute has passed
// without refusal.
func TestAirspace_CapacityEpisode(t *testing.T) {
	ctx := context.Background()
	// The test drives the checks with its own clock.
	airspace.SetCapacityEvery(t, time.Hour)
	n, _ := openNode(t, node.Config{})
	a := n.Airspace
	alerts := func() []*truce.Alert {
		as, err := n.Store.Airspace().Alerts(ctx, truce.AlertFilter{Kind: truce.AlertTrackTableFull, Limit: 10})
		if err != nil {
			t.Fatal(err)
		}
		return as
	}
	t0 := time.Now()
	a.CheckCapacity(t0)
	if len(alerts()) != 0 || a.Degraded(ctx) != nil {
		t.Fatal("an episode with no refusal")
	}
	for s := 1; s <= 30; s++ {
		a.Engine().Counters.Refused.Add(100)
		a.CheckCapacity(t0.Add(time.Duration(s) * time.Second))
	}
	as := alerts()
	if len(as) != 1 || !strings.Contains(as[0].Summary, "positions of new aircraft are being refused") {
		t.Fatalf("alerts after 30 s of refusals: %+v", as)
	}
	if d := a.Degraded(ctx); len(d) != 1 || !strings.Contains(d[0], "track table full") || !strings.Contains(d[0], "3000 positions of new aircraft refused") {
		t.Fatalf("degraded: %q", d)
	}
	a.CheckCapacity(t0.Add(80 * time.Second)) // 50 s quiet: still the episode
	if len(alerts()) != 1 || a.Degraded(ctx) == nil {
		t.Fatal("the episode ended before a minute without refusal")
	}
	a.CheckCapacity(t0.Add(91 * time.Second))
	as = alerts()
	if len(as) != 2 || as[0].Episode != as[1].Episode || !strings.Contains(as[0].Summary+as[1].Summary, "has room again") || a.Degraded(ctx) != nil {
		t.Fatalf("after a minute without refusal: %+v, degraded %q", as, a.Degraded(ctx))
	}
}
