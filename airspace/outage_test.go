package airspace_test

import (
	"context"
	"testing"
	"time"

	"github.com/truce-project/truce"
	"github.com/truce-project/truce/airspace"
	"github.com/truce-project/truce/internal/teststores"
	"github.com/truce-project/truce/internal/testwait"
	"github.com/truce-project/truce/node"
	"github.com/truce-project/truce/sqlite"
)

// TestAirspace_CapacityAlertOutage: the track table fills while the
// journal cannot be written for longer than the server used to retry its
// own alerts (about 3 s); the coordinator's alert is journalled once the
// database can be written again, not given up.
func TestAirspace_CapacityAlertOutage(t *testing.T) {
	ctx := context.Background()
	airspace.SetCapacityEvery(t, time.Hour)
	us := &teststores.Unwritable{}
	n, _ := openNode(t, node.Config{WrapStore: func(st node.Store) node.Store {
		s, ok := st.(*sqlite.Store)
		if !ok {
			t.Fatalf("store %T", st)
		}
		us.Store = s.Store
		return us
	}})
	a := n.Airspace
	us.Failing.Store(true)
	t0 := time.Now()
	done := make(chan struct{})
	go func() {
		defer close(done)
		for s := 1; s <= 30; s++ {
			a.Engine().Counters.Refused.Add(100)
			a.CheckCapacity(t0.Add(time.Duration(s) * time.Second))
		}
	}()
	time.Sleep(4 * time.Second) // the outage outlasts the old give-up
	if us.Failed.Load() == 0 {
		t.Fatal("no write was attempted while the store failed: the test injected nothing")
	}
	us.Failing.Store(false)
	opened := testwait.Until(15*time.Second, func() bool {
		as, err := us.Alerts(ctx, truce.AlertFilter{Kind: truce.AlertTrackTableFull, Limit: 10})
		return err == nil && len(as) == 1
	})
	if !opened {
		t.Fatal("the track-table alert raised during a 4 s write outage was never journalled")
	}
	<-done
}
