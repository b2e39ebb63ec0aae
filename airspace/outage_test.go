package airspace_test

import (
	"context"
	"io"
	"log/slog"
	"sync/atomic"
	"testing"
	"time"

	"github.com/truce-project/truce"
	"github.com/truce-project/truce/airspace"
	"github.com/truce-project/truce/internal/sqlstore"
	"github.com/truce-project/truce/internal/testwait"
	"github.com/truce-project/truce/node"
	"github.com/truce-project/truce/sqlite"
)

// unwritable is a store whose writes fail while failing is set, as a
// database on a full disk does.
type unwritable struct {
	*sqlstore.Store
	failing atomic.Bool
	failed  atomic.Int64
}

func (s *unwritable) Update(ctx context.Context, fn func(truce.Tx) error) error {
	if s.failing.Load() {
		s.failed.Add(1)
		return truce.Errorf(truce.EUNAVAILABLE, "The database cannot be written.")
	}
	return s.Store.Update(ctx, fn)
}

// Airspace is the airspace view whose writes fail while failing is set.
func (s *unwritable) Airspace() airspace.Store { return unwritableAirspace{s.Store.Airspace(), s} }

type unwritableAirspace struct {
	airspace.Store
	s *unwritable
}

func (a unwritableAirspace) Update(ctx context.Context, fn func(airspace.Tx) error) error {
	if a.s.failing.Load() {
		a.s.failed.Add(1)
		return truce.Errorf(truce.EUNAVAILABLE, "The database cannot be written.")
	}
	return a.Store.Update(ctx, fn)
}

// TestAirspace_CapacityAlertOutage: the track table fills while the
// journal cannot be written for longer than the server used to retry its
// own alerts (about 3 s); the coordinator's alert is journalled once the
// database can be written again, not given up.
func TestAirspace_CapacityAlertOutage(t *testing.T) {
	ctx := context.Background()
	airspace.SetCapacityEvery(t, time.Hour)
	us := &unwritable{}
	cfg := node.Config{DataDir: t.TempDir(), Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), SelfCheck: "off",
		WrapStore: func(st node.Store) node.Store {
			s, ok := st.(*sqlite.Store)
			if !ok {
				t.Fatalf("store %T", st)
			}
			us.Store = s.Store
			return us
		}}
	initCfg := cfg
	initCfg.WrapStore = nil
	if _, err := node.Init(ctx, initCfg, node.InitOptions{PartySlug: "secretariat", PartyName: "Secretariat", PartyKind: truce.PartyCoordinator, Username: "admin"}); err != nil {
		t.Fatal(err)
	}
	n, err := node.Open(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer n.Close()
	a := n.Airspace
	us.failing.Store(true)
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
	if us.failed.Load() == 0 {
		t.Fatal("no write was attempted while the store failed: the test injected nothing")
	}
	us.failing.Store(false)
	opened := testwait.Until(15*time.Second, func() bool {
		as, err := us.Alerts(ctx, truce.AlertFilter{Kind: truce.AlertTrackTableFull, Limit: 10})
		return err == nil && len(as) == 1
	})
	if !opened {
		t.Fatal("the track-table alert raised during a 4 s write outage was never journalled")
	}
	<-done
}
