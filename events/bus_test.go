package events_test

import (
	"context"
	"fmt"
	"io"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/truce-project/truce"
	"github.com/truce-project/truce/events"
)

func publish(t testing.TB, b *events.Bus, e truce.Event) int64 {
	t.Helper()
	id, err := b.Publish(context.Background(), e)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// drain reads a cursor until it has n events, failing on error.
func drain(t *testing.T, c *events.Cursor, n int) []*events.Record {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	var out []*events.Record
	for len(out) < n {
		r, err := c.Next(ctx, 0)
		if err != nil {
			t.Fatalf("after %d of %d events: %v", len(out), n, err)
		}
		out = append(out, r)
	}
	return out
}

// TestBus_ConcurrentNoGaps publishes from several goroutines while
// readers with tiny buffers (so they lag, are dropped and catch up from
// the log) follow from the start and from the middle: each must see every
// event once, in id order.
func TestBus_ConcurrentNoGaps(t *testing.T) {
	b, _ := newBus(t, events.Options{Buffer: 2})
	const publishers, each = 4, 100
	first := publish(t, b, truce.Event{Kind: "alert", Subject: "first", Visibility: all})
	readers := []*events.Cursor{}
	for _, after := range []int64{0, first} {
		c, err := b.Follow(context.Background(), actor("p1"), events.Filter{}, after, true)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		readers = append(readers, c)
	}
	var wg sync.WaitGroup
	for p := range publishers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				if _, err := b.Publish(context.Background(), truce.Event{Kind: "alert", Subject: fmt.Sprintf("%d-%d", p, i), Visibility: all}); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	results := make([][]*events.Record, len(readers))
	var rwg sync.WaitGroup
	for i, c := range readers {
		want := publishers * each
		if i == 0 {
			want++
		}
		rwg.Add(1)
		go func() {
			defer rwg.Done()
			results[i] = drain(t, c, want)
		}()
	}
	wg.Wait()
	rwg.Wait()
	for i, got := range results {
		seen := map[string]bool{}
		for j, r := range got {
			if j > 0 && r.ID != got[j-1].ID+1 {
				t.Fatalf("reader %d: id %d after %d: a gap or a repeat", i, r.ID, got[j-1].ID)
			}
			if seen[r.Subject] {
				t.Fatalf("reader %d: %s twice", i, r.Subject)
			}
			seen[r.Subject] = true
		}
		if i == 1 && got[0].ID != first+1 {
			t.Fatalf("reader after %d started at %d", first, got[0].ID)
		}
	}
}

// TestBus_SlowReaderDoesNotBlock: a reader that never reads must not hold
// up publishers; it is dropped and later catches up from the log.
func TestBus_SlowReaderDoesNotBlock(t *testing.T) {
	b, _ := newBus(t, events.Options{Buffer: 1})
	c, err := b.Follow(context.Background(), actor("p1"), events.Filter{}, 0, true)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	var ids []int64
	for i := range 50 {
		id, err := b.Publish(ctx, truce.Event{Kind: "alert", Subject: fmt.Sprint(i), Visibility: all})
		if err != nil {
			t.Fatalf("publish %d blocked or failed: %v", i, err)
		}
		ids = append(ids, id)
	}
	got := drain(t, c, 50)
	for i, r := range got {
		if r.ID != ids[i] {
			t.Fatalf("event %d has id %d, want %d", i, r.ID, ids[i])
		}
	}
}

func TestCursor_FilterAndVisibility(t *testing.T) {
	b, _ := newBus(t, events.Options{})
	pt := func(lon, lat float64) *[2]float64 { return &[2]float64{lon, lat} }
	evs := []truce.Event{
		{Kind: "alert", Subject: "in-all", Point: pt(36.2, 33.5), Visibility: all},
		{Kind: "alert", Subject: "out-all", Point: pt(10, 50), Visibility: all},
		{Kind: "zone", Subject: "zone-in", BBox: &truce.BBox{36, 33, 36.5, 33.5}, Visibility: all},
		{Kind: "alert", Subject: "in-p2-only", Point: pt(36.3, 33.4), Visibility: truce.Visibility{Scope: truce.ScopeParty, Owner: "p2"}},
		{Kind: "alert", Subject: "in-p1-p2", Point: pt(36.3, 33.4), Visibility: truce.Visibility{Scope: truce.ScopeParties, Owner: "p2", Parties: []string{"p1"}}},
		{Kind: "party", Subject: "no-place", Visibility: all},
		{Kind: "alert", Subject: "no-visibility", Point: pt(36.3, 33.4)},
		{Kind: "alert", Subject: "fiji", Point: pt(-179.5, -17), Visibility: all},
	}
	for _, e := range evs {
		publish(t, b, e)
	}
	syria := &events.BBox{35, 32, 37, 34}
	cases := []struct {
		name  string
		actor *truce.Caller
		f     events.Filter
		want  []string
	}{
		{"P1All", actor("p1"), events.Filter{}, []string{"in-all", "out-all", "zone-in", "in-p1-p2", "no-place", "fiji"}},
		{"P3All", actor("p3"), events.Filter{}, []string{"in-all", "out-all", "zone-in", "no-place", "fiji"}},
		{"P2Alerts", actor("p2"), events.Filter{Kinds: []string{"alert"}}, []string{"in-all", "out-all", "in-p2-only", "in-p1-p2", "fiji"}},
		{"P1BBox", actor("p1"), events.Filter{BBox: syria}, []string{"in-all", "zone-in", "in-p1-p2"}},
		{"P1BBoxKinds", actor("p1"), events.Filter{Kinds: []string{"zone", "party"}, BBox: syria}, []string{"zone-in"}},
		{"AdminSeesAll", actor("p9", truce.RoleAdmin), events.Filter{Kinds: []string{"alert"}, BBox: syria}, []string{"in-all", "in-p2-only", "in-p1-p2", "no-visibility"}},
		{"Antimeridian", actor("p1"), events.Filter{BBox: &events.BBox{179, -18, -179, -16}}, []string{"fiji"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cur, err := b.Follow(context.Background(), c.actor, c.f, 0, false)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for {
				r, err := cur.Next(context.Background(), 0)
				if err == io.EOF {
					break
				}
				if err != nil {
					t.Fatal(err)
				}
				got = append(got, r.Subject)
			}
			if fmt.Sprint(got) != fmt.Sprint(c.want) {
				t.Fatalf("got %v, want %v", got, c.want)
			}
		})
	}
}

// TestBus_ResumeAcrossRestart: ids and events outlive the process.
func TestBus_ResumeAcrossRestart(t *testing.T) {
	path := filepath.Join(t.TempDir(), "truce.db")
	s := openStore(t, path)
	b := events.NewBus(s, events.Options{})
	var ids []int64
	for i := range 5 {
		ids = append(ids, publish(t, b, truce.Event{Kind: "alert", Subject: fmt.Sprint(i), Visibility: all}))
	}
	b.Close()
	s.Close()

	s = openStore(t, path)
	b = events.NewBus(s, events.Options{})
	defer b.Close()
	next := publish(t, b, truce.Event{Kind: "alert", Subject: "5", Visibility: all})
	if next <= ids[4] {
		t.Fatalf("id after restart %d, not above %d", next, ids[4])
	}
	c, err := b.Follow(context.Background(), actor("p1"), events.Filter{}, ids[2], true)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	got := drain(t, c, 3)
	if got[0].ID != ids[3] || got[1].ID != ids[4] || got[2].ID != next {
		t.Fatalf("resumed with %d, %d, %d", got[0].ID, got[1].ID, got[2].ID)
	}
	// Nothing more: Next waits, and reports the wait with nil, nil.
	if r, err := c.Next(context.Background(), 10*time.Millisecond); r != nil || err != nil {
		t.Fatalf("extra event %+v, %v", r, err)
	}
}

func TestCursor_MissedAfterPurge(t *testing.T) {
	now := time.Date(2017, 7, 9, 12, 0, 0, 0, time.UTC)
	b, s := newBus(t, events.Options{MaxEvents: 3, Now: func() time.Time { return now }})
	var ids []int64
	for i := range 6 {
		ids = append(ids, publish(t, b, truce.Event{Kind: "alert", Subject: fmt.Sprint(i), Time: now, Visibility: all}))
	}
	// The bus's own purger may have run meanwhile; either way the
	// newest three remain.
	b.Purge(context.Background())
	if first, last, err := s.EventBounds(context.Background()); first != ids[3] || last != ids[5] || err != nil {
		t.Fatalf("after purging: ids %d to %d (%v), want %d to %d", first, last, err, ids[3], ids[5])
	}
	for _, c := range []struct {
		after  int64
		missed bool
	}{{ids[0], true}, {ids[1], true}, {ids[2], false}, {0, false}} {
		cur, err := b.Follow(context.Background(), actor("p1"), events.Filter{}, c.after, false)
		if err != nil {
			t.Fatal(err)
		}
		if cur.Missed != c.missed {
			t.Errorf("after %d: Missed %v, want %v", c.after, cur.Missed, c.missed)
		}
	}
}

func TestBus_PublishAfterClose(t *testing.T) {
	b, _ := newBus(t, events.Options{})
	b.Close()
	if _, err := b.Publish(context.Background(), truce.Event{Kind: "alert"}); truce.ErrorCode(err) != truce.EUNAVAILABLE {
		t.Fatalf("publish after close: %v", err)
	}
}

func TestBus_EndStreams(t *testing.T) {
	b, _ := newBus(t, events.Options{})
	c, err := b.Follow(context.Background(), actor("p1"), events.Filter{}, 0, true)
	if err != nil {
		t.Fatal(err)
	}
	id := publish(t, b, truce.Event{Kind: "alert", Visibility: all})
	b.EndStreams()
	// What the log holds is still served; then the stream ends.
	if r, err := c.Next(context.Background(), 0); err != nil || r.ID != id {
		t.Fatalf("first Next: %v, %v", r, err)
	}
	if _, err := c.Next(context.Background(), 0); err != io.EOF {
		t.Fatalf("after EndStreams: %v, want io.EOF", err)
	}
	if _, err := b.Publish(context.Background(), truce.Event{Kind: "alert", Visibility: all}); err != nil {
		t.Fatalf("publishing after EndStreams: %v", err)
	}
}

// A stream flushes what it wrote once Buffered says nothing is at hand:
// it must say so after the log is replayed and the queue read, and not
// before.
func TestCursor_Buffered(t *testing.T) {
	b, _ := newBus(t, events.Options{})
	publish(t, b, truce.Event{Kind: "alert", Subject: "a", Visibility: all})
	c, err := b.Follow(context.Background(), actor("p1"), events.Filter{}, 0, true)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if !c.Buffered() {
		t.Fatal("Buffered false with the log not replayed")
	}
	drain(t, c, 1)
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	if r, err := c.Next(ctx, 10*time.Millisecond); r != nil || err != nil {
		t.Fatalf("Next = %v, %v; want nothing", r, err)
	}
	cancel()
	if c.Buffered() {
		t.Fatal("Buffered true with nothing left")
	}
	publish(t, b, truce.Event{Kind: "alert", Subject: "b", Visibility: all})
	publish(t, b, truce.Event{Kind: "alert", Subject: "c", Visibility: all})
	if !c.Buffered() {
		t.Fatal("Buffered false with two events queued")
	}
	drain(t, c, 1)
	if !c.Buffered() {
		t.Fatal("Buffered false with one event queued")
	}
	drain(t, c, 1)
	if c.Buffered() {
		t.Fatal("Buffered true after the queue was read")
	}
}
