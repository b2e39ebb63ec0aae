package airspace_test

import (
	"context"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/truce-project/truce"
	"github.com/truce-project/truce/airspace"
	"github.com/truce-project/truce/events"
	"github.com/truce-project/truce/feed"
	"github.com/truce-project/truce/internal/sqlstore"
	"github.com/truce-project/truce/internal/teststores"
	"github.com/truce-project/truce/internal/testwait"
	"github.com/truce-project/truce/node"
	"github.com/truce-project/truce/postgres"
	"github.com/truce-project/truce/postgres/pgtest"
	"github.com/truce-project/truce/sqlite"
)

// onBothStores runs test on a node over SQLite and, when
// TRUCE_TEST_POSTGRES is set, over PostgreSQL; wrap (when set) wraps the
// store's SQL core as node.Config.WrapStore would.
func onBothStores(t *testing.T, wrap func(*sqlstore.Store) node.Store, test func(t *testing.T, n *node.Node)) {
	run := func(t *testing.T, dsn string) {
		cfg := node.Config{DB: dsn}
		if wrap != nil {
			cfg.WrapStore = func(st node.Store) node.Store {
				switch s := st.(type) {
				case *sqlite.Store:
					return wrap(s.Store)
				case *postgres.Store:
					return wrap(s.Store)
				}
				t.Fatalf("store %T", st)
				return nil
			}
		}
		n, _ := openNode(t, cfg)
		test(t, n)
	}
	t.Run("sqlite", func(t *testing.T) { run(t, "") })
	if os.Getenv("TRUCE_TEST_POSTGRES") != "" {
		t.Run("postgres", func(t *testing.T) { run(t, pgtest.DSN(t)) })
	}
}

// squawkAll reports an emergency from aircraft aircraft 0x700000 on, each
// raising one alert.
func squawkAll(t *testing.T, n *node.Node, aircraft int) {
	sq, _ := feed.ParseSquawk("7700")
	t0 := time.Now().UTC()
	for i := range aircraft {
		p := feed.Position{ICAO: 0x700000 + uint32(i), Squawk: sq, Lat: 33 + float64(i)*0.001, Lon: 36, Time: t0, Source: "test",
			Present: feed.FieldSquawk | feed.FieldLatLon}
		testwait.For(t, time.Minute, "the monitor to take a position", func() bool { return n.IngestPosition(p) })
	}
}

// emergencyAlerts returns the journalled emergency alerts.
func emergencyAlerts(t *testing.T, n *node.Node) []*truce.Alert {
	var all []*truce.Alert
	for cursor := ""; ; {
		as, err := n.Store.Airspace().Alerts(context.Background(), truce.AlertFilter{Kind: truce.AlertKind("emergency_squawk"), Cursor: cursor, Limit: 500})
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, as...)
		if len(as) < 500 {
			return all
		}
		cursor = as[len(as)-1].ID
	}
}

// refusing is a store whose transactions refuse to store the alert of
// one aircraft, as a store refuses a record it cannot take; it counts the
// alerts each write stores.
type refusing struct {
	*sqlstore.Store
	icao string

	mu     sync.Mutex
	writes []int // alerts put by each write that put any
	at     []int // the refused alert's place in each write that tried it (1: first)
}

// Airspace is the airspace view whose transactions refuse the alert.
func (s *refusing) Airspace() airspace.Store { return refusingAirspace{s.Store.Airspace(), s} }

type refusingAirspace struct {
	airspace.Store
	s *refusing
}

func (r refusingAirspace) Update(ctx context.Context, fn func(airspace.Tx) error) error {
	s := r.s
	t := &refusingTx{s: s}
	err := r.Store.Update(ctx, func(tx airspace.Tx) error {
		t.Tx, t.n, t.refused = tx, 0, false // the store may run fn again
		return fn(t)
	})
	s.mu.Lock()
	defer s.mu.Unlock()
	if t.refused {
		s.at = append(s.at, t.n)
	} else if err == nil && t.n > 0 {
		s.writes = append(s.writes, t.n)
	}
	return err
}

type refusingTx struct {
	airspace.Tx
	s       *refusing
	n       int
	refused bool
}

// NextIndex keeps the store's own transaction's prediction of indexes
// (journal.Write asks a transaction for it).
func (t *refusingTx) NextIndex() int64 { return t.Tx.(interface{ NextIndex() int64 }).NextIndex() }

func (t *refusingTx) PutAlert(ctx context.Context, a *truce.Alert) error {
	t.n++
	if len(a.Aircraft) > 0 && a.Aircraft[0].ICAO == t.s.icao {
		t.refused = true
		return truce.Errorf(truce.EINVALID, "This alert is refused.")
	}
	return t.Tx.PutAlert(ctx, a)
}

// TestAirspace_AlertBatchRefusal: the host journals the engine's alerts in
// batches, and when the store refuses one alert of a batch, every other
// alert of the batch is journalled all the same, and the refused one is
// counted lost.
func TestAirspace_AlertBatchRefusal(t *testing.T) {
	const aircraft = 600
	bad := feed.FormatICAO(0x700000 + 377)
	var st *refusing
	onBothStores(t, func(s *sqlstore.Store) node.Store {
		st = &refusing{Store: s, icao: bad}
		return st
	}, func(t *testing.T, n *node.Node) {
		squawkAll(t, n, aircraft)
		var got []*truce.Alert
		testwait.Until(time.Minute, func() bool {
			got = emergencyAlerts(t, n)
			return len(got) >= aircraft-1
		})
		if len(got) != aircraft-1 {
			t.Fatalf("%d emergency alerts journalled, want %d", len(got), aircraft-1)
		}
		for _, a := range got {
			if a.Aircraft[0].ICAO == bad {
				t.Fatalf("the refused alert was journalled: %+v", a)
			}
		}
		st.mu.Lock()
		defer st.mu.Unlock()
		if len(st.at) == 0 || st.at[0] < 2 {
			t.Fatalf("the refused alert's places in the writes that tried it: %v; never after others in a batch, the test proves nothing", st.at)
		}
		if largest := maxOf(st.writes); largest < 2 {
			t.Fatalf("no write stored more than %d alert: no batching", largest)
		}
		t.Logf("the refused alert's places in the writes that tried it: %v; %d alerts stored in %d writes", st.at, aircraft-1, len(st.writes))
		if lost := n.Airspace.Lost(); lost != 1 {
			t.Fatalf("%d alerts counted lost, want 1", lost)
		}
	})
}

func maxOf(xs []int) int {
	m := 0
	for _, x := range xs {
		m = max(m, x)
	}
	return m
}

// TestAirspace_AlertEventsAfterCommit: a batch of alerts' events reach
// the server's engines (Journal.OnEvent, called synchronously by the
// writer) and the event streams (a live cursor on the bus) only once the
// alert is committed: at the moment each event is handed over, another
// connection reads the alert and a journal that holds its entry.
func TestAirspace_AlertEventsAfterCommit(t *testing.T) {
	const aircraft = 300
	onBothStores(t, nil, func(t *testing.T, n *node.Node) {
		ctx := context.Background()
		var mu sync.Mutex
		var handed, early []string
		check := func(e truce.Event, how string) {
			if e.Kind != "alert" {
				return
			}
			a, err := n.Store.Airspace().Alert(ctx, e.Subject)
			size, serr := n.Store.JournalSize(ctx)
			mu.Lock()
			defer mu.Unlock()
			handed = append(handed, how)
			if err != nil || serr != nil || size <= e.Index || a.JournalIndex != e.Index {
				early = append(early, how+" "+e.Subject)
			}
		}
		follow := n.Base.OnEvent
		n.Base.OnEvent = func(e truce.Event) {
			check(e, "engines")
			follow(e)
		}
		_, last, err := n.Store.(events.Store).EventBounds(ctx)
		if err != nil {
			t.Fatal(err)
		}
		system := &truce.Caller{User: &truce.User{ID: "system", Roles: []truce.Role{truce.RoleAdmin}}, Party: &truce.Party{ID: "system"}}
		c, err := n.Events.Follow(ctx, system, events.Filter{Kinds: []string{"alert"}}, last, true)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		streamed := make(chan int)
		go func() {
			k := 0
			for k < aircraft {
				r, err := c.Next(ctx, 30*time.Second)
				if err != nil || r == nil {
					break
				}
				check(r.Event, "stream")
				k++
			}
			streamed <- k
		}()
		squawkAll(t, n, aircraft)
		if k := <-streamed; k != aircraft {
			t.Fatalf("%d alert events streamed, want %d", k, aircraft)
		}
		testwait.For(t, time.Minute, "every event to reach the engines", func() bool {
			mu.Lock()
			defer mu.Unlock()
			return len(handed) >= 2*aircraft
		})
		mu.Lock()
		defer mu.Unlock()
		if len(early) > 0 {
			t.Fatalf("%d of %d events handed over before their alert was committed: %v", len(early), len(handed), early[:min(5, len(early))])
		}
	})
}

// TestAirspace_AlertShutdownOutage: a server stopping while the journal
// cannot be written gives up its queued alerts after one shutdownRetry
// for them all, not one each (the batches' alerts are retried one after
// another), and counts every one lost.
func TestAirspace_AlertShutdownOutage(t *testing.T) {
	const aircraft = 200
	airspace.SetShutdownRetry(t, time.Second)
	var us *teststores.Unwritable
	onBothStores(t, func(s *sqlstore.Store) node.Store {
		us = &teststores.Unwritable{Store: s}
		return us
	}, func(t *testing.T, n *node.Node) {
		us.Failing.Store(true)
		squawkAll(t, n, aircraft)
		e := n.Monitor()
		testwait.For(t, time.Minute, "the alerts to be raised and a write to fail", func() bool {
			return e.Counters.Alerts.Load() >= aircraft && us.Failed.Load() > 0
		})
		t0 := time.Now()
		n.Close()
		// One shutdownRetry, then at most one backoff of the alert
		// being retried, then a failed attempt per alert left.
		if took := time.Since(t0); took > 12*time.Second {
			t.Fatalf("closing took %v with %d alerts the journal could not take", took, aircraft)
		}
		if lost := n.Airspace.Lost(); lost != aircraft {
			t.Fatalf("%d alerts counted lost, want %d", lost, aircraft)
		}
	})
}
