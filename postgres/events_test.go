package postgres_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/truce-project/truce"
	"github.com/truce-project/truce/events"
	"github.com/truce-project/truce/events/eventstest"
	"github.com/truce-project/truce/postgres"
)

func TestEventStore(t *testing.T) {
	eventstest.Run(t, func(t testing.TB) events.Store { return open(t).(events.Store) })
}

// TestBus_TwoServers: two servers share one database and each publishes;
// a stream on either sees every event of both, once each, in id order with
// no gap.
func TestBus_TwoServers(t *testing.T) {
	d := dsn(t)
	var buses []*events.Bus
	for range 2 {
		s, err := postgres.Open(context.Background(), d)
		if err != nil {
			t.Fatal(err)
		}
		b := events.NewBus(s, events.Options{PollEvery: 20 * time.Millisecond})
		t.Cleanup(func() { b.Close(); s.Close() })
		buses = append(buses, b)
	}
	reader := &truce.Caller{User: &truce.User{ID: "u", PartyID: "p"}, Party: &truce.Party{ID: "p"}}
	var cursors []*events.Cursor
	for _, b := range buses {
		c, err := b.Follow(context.Background(), reader, events.Filter{}, 0, true)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		cursors = append(cursors, c)
	}
	const each = 100
	var wg sync.WaitGroup
	for i, b := range buses {
		wg.Go(func() {
			for j := range each {
				if _, err := b.Publish(context.Background(), truce.Event{Kind: "alert", Subject: fmt.Sprintf("%d-%d", i, j),
					Visibility: truce.Visibility{Scope: truce.ScopeAll}}); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for k, c := range cursors {
		seen := map[string]bool{}
		var prev int64
		for n := 0; n < 2*each; n++ {
			r, err := c.Next(ctx, 0)
			if err != nil {
				t.Fatalf("server %d's stream after %d events: %v", k, n, err)
			}
			if prev != 0 && r.ID != prev+1 {
				t.Fatalf("server %d's stream: id %d after %d", k, r.ID, prev)
			}
			if seen[r.Subject] {
				t.Fatalf("server %d's stream: %s twice", k, r.Subject)
			}
			seen[r.Subject], prev = true, r.ID
		}
	}
}
