package events_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/truce-project/truce"
	"github.com/truce-project/truce/events"
)

// TestCursor_FromNow: a cursor made FromNow returns only what is published
// after it, none of the history, whether or not the bus has handed out an
// event yet.
func TestCursor_FromNow(t *testing.T) {
	for _, warm := range []bool{false, true} {
		b, _ := newBus(t, events.Options{})
		for range 5 {
			publish(t, b, truce.Event{Kind: "old", Visibility: all})
		}
		if warm {
			// A live subscriber has seen an event: the bus knows where it
			// stands without reading the log.
			c, err := b.Follow(context.Background(), actor("x", truce.RoleAdmin), events.Filter{}, events.FromNow, true)
			if err != nil {
				t.Fatal(err)
			}
			publish(t, b, truce.Event{Kind: "old", Visibility: all})
			drain(t, c, 1)
			c.Close()
		}
		c, err := b.Follow(context.Background(), actor("x", truce.RoleAdmin), events.Filter{}, events.FromNow, true)
		if err != nil {
			t.Fatal(err)
		}
		id := publish(t, b, truce.Event{Kind: "new", Visibility: all})
		got := drain(t, c, 1)
		if got[0].ID != id || got[0].Kind != "new" {
			t.Fatalf("warm=%v: first event %d %s, want %d new", warm, got[0].ID, got[0].Kind, id)
		}
		c.Close()
	}
}

// TestCursor_EndIfBehind: a live cursor that falls the buffer behind ends
// with ErrBehind (after the events it had), LastID says where to resume,
// and the bus counts the drop.
func TestCursor_EndIfBehind(t *testing.T) {
	const buffer = 4
	b, _ := newBus(t, events.Options{Buffer: buffer})
	c, err := b.Follow(context.Background(), actor("x", truce.RoleAdmin), events.Filter{}, events.FromNow, true)
	if err != nil {
		t.Fatal(err)
	}
	c.EndIfBehind = true
	defer c.Close()
	for range 3 * buffer {
		publish(t, b, truce.Event{Kind: "flood", Visibility: all})
	}
	var n int
	var last int64
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for {
		r, err := c.Next(ctx, 0)
		if errors.Is(err, events.ErrBehind) {
			break
		}
		if err != nil {
			t.Fatalf("after %d events: %v", n, err)
		}
		n, last = n+1, r.ID
	}
	// What it had (from the log or its buffer) came first, never more
	// than was published.
	if n < buffer || n > 3*buffer {
		t.Fatalf("%d events before the drop; buffer %d, published %d", n, buffer, 3*buffer)
	}
	if c.LastID() != last || b.Dropped() != 1 {
		t.Fatalf("LastID %d (last returned %d), dropped %d", c.LastID(), last, b.Dropped())
	}
}
