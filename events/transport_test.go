package events_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/truce-project/truce"
	"github.com/truce-project/truce/events"
)

// TestLocal_Transport checks the in-process transport through the
// interface: what one endpoint sends reaches every other endpoint's
// listener, as copies, and not its own; a stopped listener gets nothing
// more; a stuck listener never blocks the sender.
func TestLocal_Transport(t *testing.T) {
	hub := &events.Local{}
	var a, b, c events.Transport = hub.Endpoint(), hub.Endpoint(), hub.Endpoint()
	got := map[string]chan []*events.Record{"a": make(chan []*events.Record, 10), "b": make(chan []*events.Record, 10), "c": make(chan []*events.Record, 10)}
	stopA := a.Listen(func(rs []*events.Record) { got["a"] <- rs })
	defer stopA()
	stopB := b.Listen(func(rs []*events.Record) { got["b"] <- rs })
	stopC := c.Listen(func(rs []*events.Record) { got["c"] <- rs })
	defer stopC()

	sent := []*events.Record{{ID: 7, Event: truce.Event{Kind: "alert", Subject: "s7"}}, {ID: 8, Event: truce.Event{Kind: "zone", Subject: "s8"}}}
	a.Send(sent)
	for _, name := range []string{"b", "c"} {
		select {
		case rs := <-got[name]:
			if len(rs) != 2 || rs[0].ID != 7 || rs[1].ID != 8 || rs[0].Subject != "s7" || rs[1].Kind != "zone" {
				t.Fatalf("%s received %+v", name, rs)
			}
			if rs[0] == sent[0] {
				t.Fatalf("%s received the sender's record itself, not a copy", name)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("%s received nothing", name)
		}
	}
	stopB()
	c.Send([]*events.Record{{ID: 9}})
	select {
	case rs := <-got["a"]:
		if len(rs) != 1 || rs[0].ID != 9 {
			t.Fatalf("a received %+v, want event 9", rs)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("a received nothing from c")
	}
	select {
	case rs := <-got["a"]:
		t.Fatalf("a received its own or a repeated send: %+v", rs)
	case rs := <-got["b"]:
		t.Fatalf("b received %+v after it stopped listening", rs)
	case rs := <-got["c"]:
		t.Fatalf("c received its own send: %+v", rs)
	case <-time.After(100 * time.Millisecond):
	}

	// A listener that never returns: sends go on, and are lost for it.
	other := &events.Local{}
	var d, e events.Transport = other.Endpoint(), other.Endpoint()
	stuck := make(chan struct{})
	stopD := d.Listen(func([]*events.Record) { <-stuck })
	done := make(chan struct{})
	go func() {
		for i := range events.LocalQueue + 50 {
			e.Send([]*events.Record{{ID: int64(100 + i)}})
		}
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("Send blocked on a stuck listener")
	}
	close(stuck)
	stopD()
}

// TestBus_Transport: two servers share a database, with the poll of the
// log set far off; an event committed on one streams on the other at once
// over the transport, marked Remote. Without a transport it does not
// (until the poll).
func TestBus_Transport(t *testing.T) {
	for _, withTransport := range []bool{true, false} {
		path := filepath.Join(t.TempDir(), "truce.db")
		sa, sb := openStore(t, path), openStore(t, path)
		hub := &events.Local{}
		optA, optB := events.Options{PollEvery: time.Hour}, events.Options{PollEvery: time.Hour}
		if withTransport {
			optA.Transport, optB.Transport = hub.Endpoint(), hub.Endpoint()
		}
		a, b := events.NewBus(sa, optA), events.NewBus(sb, optB)
		defer a.Close()
		defer b.Close()
		// A commit of b's own first, so b streams from the present.
		publish(t, b, truce.Event{Kind: "alert", Subject: "warm-up", Visibility: all})
		ctx := context.Background()
		c, err := b.Follow(ctx, actor("p1"), events.Filter{}, events.FromNow, true)
		if err != nil {
			t.Fatal(err)
		}
		id := publish(t, a, truce.Event{Kind: "alert", Subject: "from a", Visibility: all})
		wait := 10 * time.Second
		if !withTransport {
			wait = 300 * time.Millisecond
		}
		r, err := c.Next(ctx, wait)
		c.Close()
		switch {
		case err != nil:
			t.Fatal(err)
		case withTransport && (r == nil || r.ID != id || r.Subject != "from a" || !r.Remote):
			t.Fatalf("b streamed %+v, want event %d from a, marked remote", r, id)
		case !withTransport && r != nil:
			t.Fatalf("without a transport b streamed %+v before its poll", r)
		}
	}
}
