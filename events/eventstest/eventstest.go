// Package eventstest is the test suite every events.Store must pass; the
// sqlite and postgres packages run it against their databases.
package eventstest

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/truce-project/truce"
	"github.com/truce-project/truce/events"
)

// Run runs the suite; open returns an empty, migrated store.
func Run(t *testing.T, open func(t testing.TB) events.Store) {
	t.Run("AppendAndRead", func(t *testing.T) { testAppend(t, open(t)) })
	t.Run("Query", func(t *testing.T) { testQuery(t, open(t)) })
	t.Run("Purge", func(t *testing.T) { testPurge(t, open(t)) })
	t.Run("Webhooks", func(t *testing.T) { testWebhooks(t, open(t)) })
	t.Run("Deliveries", func(t *testing.T) { testDeliveries(t, open(t)) })
	t.Run("QueueAfterCommit", func(t *testing.T) { testQueueAfterCommit(t, open(t)) })
	t.Run("QueueTogether", func(t *testing.T) { testQueueTogether(t, open(t)) })
	t.Run("PublishInTransaction", func(t *testing.T) { testPublishInTx(t, open(t)) })
	t.Run("EntryBody", func(t *testing.T) { testEntryBody(t, open(t)) })
}

var t0 = time.Date(2017, 7, 9, 12, 0, 0, 0, time.UTC)

func rec(kind, subject string, at time.Time, data any) *events.Record {
	return &events.Record{Event: truce.Event{Kind: kind, Subject: subject, Index: -1, Time: at, Data: data,
		Visibility: truce.Visibility{Scope: truce.ScopeAll}}}
}

func appendAll(t *testing.T, s events.Store, rs ...*events.Record) {
	t.Helper()
	if err := s.AppendEvents(context.Background(), rs); err != nil {
		t.Fatal(err)
	}
}

// queue queues the deliveries of every event logged so far, as a
// dispatcher does, and returns how many it queued.
func queue(t *testing.T, s events.Store) int {
	t.Helper()
	total := 0
	for {
		n, more, err := s.QueueDeliveries(context.Background(), 3)
		if err != nil {
			t.Fatal(err)
		}
		total += n
		if !more {
			return total
		}
	}
}

func ids(rs []*events.Record) []int64 {
	var out []int64
	for _, r := range rs {
		out = append(out, r.ID)
	}
	return out
}

func testAppend(t *testing.T, s events.Store) {
	ctx := context.Background()
	a := rec("alert", "a1", t0, map[string]any{"track": "4ca123", "alt": 1200})
	a.Point = &[2]float64{36.2, 33.4}
	a.Visibility = truce.Visibility{Scope: truce.ScopeParties, Owner: "p1", Parties: []string{"p2", "p3"}}
	a.Index = 17
	b := rec("zone", "z1", t0.Add(time.Second), nil)
	b.BBox = &truce.BBox{36, 33, 36.5, 33.5}
	appendAll(t, s, a, b)
	if a.ID <= 0 || b.ID <= a.ID {
		t.Fatalf("ids %d, %d: want positive and increasing", a.ID, b.ID)
	}
	got, err := s.Events(ctx, events.Query{After: 0, Limit: 10})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(ids(got), []int64{a.ID, b.ID}) {
		t.Fatalf("ids %v, want %v", ids(got), []int64{a.ID, b.ID})
	}
	g := got[0]
	if g.Kind != "alert" || g.Subject != "a1" || g.Index != 17 || !g.Time.Equal(t0) || g.Point == nil || *g.Point != *a.Point || g.BBox != nil {
		t.Fatalf("read back %+v", g.Event)
	}
	if v := g.Visibility; v.Scope != truce.ScopeParties || v.Owner != "p1" || !slices.Equal(v.Parties, []string{"p2", "p3"}) {
		t.Fatalf("visibility %+v", v)
	}
	raw, ok := g.Data.(json.RawMessage)
	if !ok {
		t.Fatalf("data is %T, want json.RawMessage", g.Data)
	}
	var d map[string]any
	if err := json.Unmarshal(raw, &d); err != nil || d["track"] != "4ca123" || d["alt"] != 1200.0 {
		t.Fatalf("data %s (%v)", raw, err)
	}
	if got[1].Data != nil || got[1].BBox == nil || *got[1].BBox != *b.BBox {
		t.Fatalf("second event %+v", got[1].Event)
	}
	first, last, err := s.EventBounds(ctx)
	if err != nil || first != a.ID || last != b.ID {
		t.Fatalf("bounds %d, %d, %v; want %d, %d", first, last, err, a.ID, b.ID)
	}
	if got, _ := s.Events(ctx, events.Query{After: a.ID, Limit: 10}); !slices.Equal(ids(got), []int64{b.ID}) {
		t.Fatalf("after %d: %v", a.ID, ids(got))
	}
	if got, _ := s.Events(ctx, events.Query{After: 0, Limit: 1}); len(got) != 1 {
		t.Fatalf("limit 1 gave %d", len(got))
	}
}

func testQuery(t *testing.T, s events.Store) {
	ctx := context.Background()
	at := func(kind string, lon, lat float64) *events.Record {
		r := rec(kind, "s", t0, nil)
		r.Point = &[2]float64{lon, lat}
		return r
	}
	damascus, beirut, fiji := at("alert", 36.29, 33.51), at("zone", 35.5, 33.89), at("alert", 179.5, -17)
	nowhere := rec("alert", "s", t0, nil)
	appendAll(t, s, damascus, beirut, fiji, nowhere)
	cases := []struct {
		name string
		q    events.Query
		want []*events.Record
	}{
		{"All", events.Query{}, []*events.Record{damascus, beirut, fiji, nowhere}},
		{"Kind", events.Query{Kinds: []string{"alert"}}, []*events.Record{damascus, fiji, nowhere}},
		{"Kinds", events.Query{Kinds: []string{"zone", "party"}}, []*events.Record{beirut}},
		{"BBox", events.Query{BBox: &events.BBox{36, 33, 37, 34}}, []*events.Record{damascus}},
		{"BBoxEdge", events.Query{BBox: &events.BBox{35.5, 33.89, 36, 34}}, []*events.Record{beirut}},
		{"BBoxAndKind", events.Query{Kinds: []string{"zone"}, BBox: &events.BBox{35, 33, 37, 34}}, []*events.Record{beirut}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			c.q.Limit = 100
			got, err := s.Events(ctx, c.q)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(ids(got), ids(c.want)) {
				t.Fatalf("got %v, want %v", ids(got), ids(c.want))
			}
		})
	}
	// The store may leave an antimeridian box to Filter.Match, but must
	// not drop what is inside it.
	got, err := s.Events(ctx, events.Query{BBox: &events.BBox{179, -18, -179, -16}, Limit: 100})
	if err != nil || !slices.Contains(ids(got), fiji.ID) {
		t.Fatalf("antimeridian box: %v, %v; want it to include %d", ids(got), err, fiji.ID)
	}
}

func testPurge(t *testing.T, s events.Store) {
	ctx := context.Background()
	hook := &events.Webhook{ID: "w1", Party: "p1", URL: "http://127.0.0.1:1/", Secret: "s", CreatedBy: "u", CreatedAt: t0}
	if err := s.InsertWebhook(ctx, hook); err != nil {
		t.Fatal(err)
	}
	var rs []*events.Record
	for i := range 10 {
		rs = append(rs, rec("alert", "s", t0.Add(time.Duration(i)*time.Hour), nil))
	}
	appendAll(t, s, rs...)
	if n := queue(t, s); n != 10 {
		t.Fatalf("queued %d deliveries, want 10", n)
	}
	// Older than t0+3h: three events.
	n, err := s.PurgeEvents(ctx, t0.Add(3*time.Hour), 1000)
	if err != nil || n != 3 {
		t.Fatalf("purge by time deleted %d, %v; want 3", n, err)
	}
	if first, _, _ := s.EventBounds(ctx); first != rs[3].ID {
		t.Fatalf("first id %d, want %d", first, rs[3].ID)
	}
	// Keep the newest 2 of the remaining 7.
	n, err = s.PurgeEvents(ctx, t0, 2)
	if err != nil || n != 5 {
		t.Fatalf("purge by count deleted %d, %v; want 5", n, err)
	}
	got, _ := s.Events(ctx, events.Query{Limit: 100})
	if !slices.Equal(ids(got), ids(rs[8:])) {
		t.Fatalf("left %v, want %v", ids(got), ids(rs[8:]))
	}
	if ds, _ := s.Deliveries(ctx, "w1", 0, 100); len(ds) != 2 {
		t.Fatalf("%d deliveries left, want the 2 of the kept events", len(ds))
	}
	// Ids are never reused, even once every event is gone.
	if _, err := s.PurgeEvents(ctx, t0.Add(100*time.Hour), 0); err != nil {
		t.Fatal(err)
	}
	if first, last, _ := s.EventBounds(ctx); first != 0 || last != 0 {
		t.Fatalf("bounds of an empty log %d, %d", first, last)
	}
	next := rec("alert", "s", t0, nil)
	appendAll(t, s, next)
	if next.ID <= rs[9].ID {
		t.Fatalf("id %d reused (last was %d)", next.ID, rs[9].ID)
	}
	// The log is purged from its oldest event on, and stays whole: an
	// event logged after a newer one but dated earlier (an alert on a
	// replayed track) is kept as long as that one, so that a reader
	// resuming from an id kept finds no event missing after it.
	if _, err := s.PurgeEvents(ctx, t0.Add(100*time.Hour), 0); err != nil {
		t.Fatal(err)
	}
	recent, backdated, last := rec("alert", "s", t0.Add(10*time.Hour), nil), rec("alert", "s", t0, nil), rec("alert", "s", t0.Add(11*time.Hour), nil)
	appendAll(t, s, recent, backdated, last)
	if n, err := s.PurgeEvents(ctx, t0.Add(5*time.Hour), 1000); err != nil || n != 0 {
		t.Fatalf("purge by time deleted %d, %v; want 0 (the oldest is recent)", n, err)
	}
	got, _ = s.Events(ctx, events.Query{Limit: 100})
	if !slices.Equal(ids(got), ids([]*events.Record{recent, backdated, last})) {
		t.Fatalf("left %v, want %v", ids(got), ids([]*events.Record{recent, backdated, last}))
	}
	if n, err := s.PurgeEvents(ctx, t0.Add(10*time.Hour+time.Minute), 1000); err != nil || n != 2 {
		t.Fatalf("purge by time deleted %d, %v; want 2 (the recent one and the backdated one after it)", n, err)
	}
}

func testWebhooks(t *testing.T, s events.Store) {
	ctx := context.Background()
	w1 := &events.Webhook{ID: "w1", Party: "p1", URL: "https://a.example/hook", Secret: "s1", Kinds: []string{"alert", "zone"},
		BBox: &events.BBox{35, 32, 37, 34}, CreatedBy: "u1", CreatedAt: t0}
	w2 := &events.Webhook{ID: "w2", Party: "p2", URL: "https://b.example/hook", Secret: "s2", CreatedBy: "u2", CreatedAt: t0}
	for _, w := range []*events.Webhook{w1, w2} {
		if err := s.InsertWebhook(ctx, w); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.InsertWebhook(ctx, w1); truce.ErrorCode(err) != truce.ECONFLICT {
		t.Fatalf("duplicate id: %v, want %s", err, truce.ECONFLICT)
	}
	got, err := s.Webhook(ctx, "w1")
	if err != nil {
		t.Fatal(err)
	}
	if got.Party != "p1" || got.URL != w1.URL || got.Secret != "s1" || !slices.Equal(got.Kinds, w1.Kinds) || got.BBox == nil || *got.BBox != *w1.BBox || got.CreatedBy != "u1" || !got.CreatedAt.Equal(t0) {
		t.Fatalf("read back %+v", got)
	}
	if _, err := s.Webhook(ctx, "nope"); truce.ErrorCode(err) != truce.ENOTFOUND {
		t.Fatalf("missing: %v", err)
	}
	for party, want := range map[string][]string{"": {"w1", "w2"}, "p2": {"w2"}, "p9": nil} {
		ws, err := s.Webhooks(ctx, party)
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, w := range ws {
			names = append(names, w.ID)
		}
		if !slices.Equal(names, want) {
			t.Fatalf("party %q: %v, want %v", party, names, want)
		}
	}
	// w1 wants alerts in its box, w2 everything.
	inBox := rec("alert", "s", t0, nil)
	inBox.Point = &[2]float64{36, 33}
	appendAll(t, s, inBox)
	queue(t, s)
	if err := s.DeleteWebhook(ctx, "w1"); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteWebhook(ctx, "w1"); truce.ErrorCode(err) != truce.ENOTFOUND {
		t.Fatalf("second delete: %v", err)
	}
	if ds, _ := s.Deliveries(ctx, "w1", 0, 10); len(ds) != 0 {
		t.Fatalf("deleted webhook kept %d deliveries", len(ds))
	}
	if ds, _ := s.Deliveries(ctx, "w2", 0, 10); len(ds) != 1 {
		t.Fatalf("other webhook has %d deliveries, want 1", len(ds))
	}
	// Events logged after the deletion go to the webhooks left only.
	appendAll(t, s, rec("alert", "after", t0, nil))
	queue(t, s)
	if ds, _ := s.Deliveries(ctx, "w1", 0, 10); len(ds) != 0 {
		t.Fatalf("a deleted webhook got %d deliveries", len(ds))
	}
	if ds, _ := s.Deliveries(ctx, "w2", 0, 10); len(ds) != 2 {
		t.Fatalf("the webhook left has %d deliveries, want 2", len(ds))
	}
}

func testDeliveries(t *testing.T, s events.Store) {
	ctx := context.Background()
	w := &events.Webhook{ID: "w1", Party: "p1", URL: "https://a.example/hook", Secret: "s1", Kinds: []string{"alert"}, CreatedBy: "u1", CreatedAt: t0}
	if err := s.InsertWebhook(ctx, w); err != nil {
		t.Fatal(err)
	}
	var reported [][]int64
	s.OnEvents(func(rs []*events.Record) {
		reported = append(reported, ids(rs))
	})
	defer s.OnEvents(nil)
	e1, e2 := rec("alert", "a1", t0, map[string]int{"n": 1}), rec("zone", "z2", t0, nil)
	// Not for p1's eyes: no delivery to p1's webhook.
	hidden := rec("alert", "a3", t0, nil)
	hidden.Visibility = truce.Visibility{Scope: truce.ScopeParty, Owner: "p2"}
	appendAll(t, s, e1)
	appendAll(t, s, e2, hidden) // no webhook wants these
	if want := [][]int64{{e1.ID}, {e2.ID, hidden.ID}}; !slices.EqualFunc(reported, want, slices.Equal) {
		t.Fatalf("reported %v, want %v", reported, want)
	}
	if n := queue(t, s); n != 1 {
		t.Fatalf("queued %d deliveries, want 1", n)
	}
	now := time.Now()
	due, err := s.DueDeliveries(ctx, now.Add(time.Second), 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(due) != 1 {
		t.Fatalf("%d due, want 1", len(due))
	}
	d := due[0]
	if d.EventID != e1.ID || d.WebhookID != "w1" || d.Attempts != 0 || d.NextAttemptAt == nil || d.DeliveredAt != nil ||
		d.Event == nil || d.Event.ID != e1.ID || d.Event.Subject != "a1" || d.Webhook == nil || d.Webhook.Secret != "s1" || d.Webhook.URL != w.URL {
		t.Fatalf("due delivery %+v (event %+v, webhook %+v)", d, d.Event, d.Webhook)
	}
	if string(d.Event.Data.(json.RawMessage)) != `{"n":1}` {
		t.Fatalf("event data %s", d.Event.Data)
	}
	lease := now.Add(time.Minute)
	ok, err := s.ClaimDelivery(ctx, d.ID, *d.NextAttemptAt, lease)
	if err != nil || !ok {
		t.Fatalf("first claim: %v, %v", ok, err)
	}
	if ok, _ := s.ClaimDelivery(ctx, d.ID, *d.NextAttemptAt, lease); ok {
		t.Fatal("a second claim with the same due time succeeded")
	}
	if due, _ := s.DueDeliveries(ctx, now.Add(time.Second), 10); len(due) != 0 {
		t.Fatalf("claimed delivery still due: %d", len(due))
	}
	// A failed attempt is due again at its retry time, not before.
	retry := now.Add(30 * time.Second).Truncate(time.Microsecond)
	if err := s.RecordAttempt(ctx, d.ID, events.Attempt{Attempts: 1, Error: "HTTP 503", NextAttemptAt: &retry}); err != nil {
		t.Fatal(err)
	}
	if due, _ := s.DueDeliveries(ctx, retry.Add(-time.Second), 10); len(due) != 0 {
		t.Fatal("due before its retry time")
	}
	due, _ = s.DueDeliveries(ctx, retry, 10)
	if len(due) != 1 || due[0].Attempts != 1 || due[0].LastError != "HTTP 503" || !due[0].NextAttemptAt.Equal(retry) {
		t.Fatalf("after a failure: %+v", due)
	}
	at := retry.Add(time.Second)
	if err := s.RecordAttempt(ctx, d.ID, events.Attempt{Attempts: 2, DeliveredAt: &at}); err != nil {
		t.Fatal(err)
	}
	if due, _ := s.DueDeliveries(ctx, at.Add(time.Hour), 10); len(due) != 0 {
		t.Fatal("delivered delivery still due")
	}
	ds, err := s.Deliveries(ctx, "w1", 0, 10)
	if err != nil || len(ds) != 1 || ds[0].Attempts != 2 || ds[0].DeliveredAt == nil || !ds[0].DeliveredAt.Equal(at) || ds[0].NextAttemptAt != nil {
		t.Fatalf("deliveries %+v, %v", ds, err)
	}
	if err := s.RecordAttempt(ctx, 999999, events.Attempt{Attempts: 1}); truce.ErrorCode(err) != truce.ENOTFOUND {
		t.Fatalf("attempt on a missing delivery: %v", err)
	}
}

// testPublishInTx: an event published in a journalled transaction is
// logged if and only if the transaction commits, with ids in commit order
// even when concurrent transactions share a batch and some of them fail,
// and each commit's events reach OnEvents in id order.
func testPublishInTx(t *testing.T, es events.Store) {
	s, ok := es.(truce.Store)
	if !ok {
		t.Fatalf("%T logs events but is not a truce.Store", es)
	}
	ctx := context.Background()
	var mu sync.Mutex
	var reported []int64
	es.OnEvents(func(rs []*events.Record) {
		mu.Lock()
		reported = append(reported, ids(rs)...)
		mu.Unlock()
	})
	defer es.OnEvents(nil)
	var wg sync.WaitGroup
	committed := map[string]int64{} // subject -> journal index
	for i := range 40 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			subject := fmt.Sprint(i)
			var idx int64
			err := s.Update(ctx, func(tx truce.Tx) error {
				c, err := truce.Change{Kind: "test", Subject: subject, Body: i, Visibility: truce.Visibility{Scope: truce.ScopeAll}}.Seal("p", "u", t0)
				if err != nil {
					return err
				}
				if idx, err = tx.Append(ctx, c); err != nil {
					return err
				}
				if err := tx.Publish(ctx, &truce.Event{Kind: "test", Subject: subject, Index: idx, Time: t0, Data: i,
					Visibility: truce.Visibility{Scope: truce.ScopeAll}}); err != nil {
					return err
				}
				if i%3 == 0 {
					return truce.Errorf(truce.EINVALID, "refused")
				}
				return nil
			})
			if (err == nil) != (i%3 != 0) {
				t.Errorf("call %d: %v", i, err)
			}
			if err == nil {
				mu.Lock()
				committed[subject] = idx
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	got, err := es.Events(ctx, events.Query{Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(committed) {
		t.Fatalf("%d events logged for %d committed changes", len(got), len(committed))
	}
	for j, r := range got {
		if idx, ok := committed[r.Subject]; !ok || idx != r.Index {
			t.Fatalf("event %d (%s, journal %d): committed %v", r.ID, r.Subject, r.Index, ok)
		}
		if j > 0 && r.ID <= got[j-1].ID {
			t.Fatalf("ids %d then %d", got[j-1].ID, r.ID)
		}
		// Journal index order is commit order: ids must follow it.
		if j > 0 && r.Index <= got[j-1].Index {
			t.Fatalf("event %d has journal index %d after %d: ids not in commit order", r.ID, r.Index, got[j-1].Index)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	if !slices.Equal(reported, ids(got)) {
		t.Fatalf("reported %v, logged %v", reported, ids(got))
	}
}

// testQueueAfterCommit: logging events queues no delivery (the commit does
// not match them); QueueDeliveries then queues one per matching webhook
// created before the event, once however often it runs, and resumes where
// it stopped.
func testQueueAfterCommit(t *testing.T, s events.Store) {
	ctx := context.Background()
	early := rec("alert", "before any webhook", t0, nil)
	appendAll(t, s, early)
	w := &events.Webhook{ID: "w1", Party: "p1", URL: "https://a.example/hook", Secret: "s1", CreatedBy: "u1", CreatedAt: t0}
	if err := s.InsertWebhook(ctx, w); err != nil {
		t.Fatal(err)
	}
	var rs []*events.Record
	for i := range 7 {
		rs = append(rs, rec("alert", fmt.Sprint(i), t0, nil))
	}
	appendAll(t, s, rs[:4]...)
	appendAll(t, s, rs[4:]...)
	if ds, _ := s.Deliveries(ctx, "w1", 0, 100); len(ds) != 0 {
		t.Fatalf("%d deliveries queued by the commits themselves, want 0", len(ds))
	}
	// A pass of 3 events leaves some to the next.
	n, more, err := s.QueueDeliveries(ctx, 3)
	if err != nil || n != 3 || !more {
		t.Fatalf("first pass queued %d (more %v), %v; want 3 (more true)", n, more, err)
	}
	if n := queue(t, s); n != 4 {
		t.Fatalf("the passes after queued %d, want 4", n)
	}
	if n := queue(t, s); n != 0 {
		t.Fatalf("a pass with nothing new queued %d", n)
	}
	ds, err := s.Deliveries(ctx, "w1", 0, 100)
	if err != nil {
		t.Fatal(err)
	}
	var got []int64
	for _, d := range ds {
		got = append(got, d.EventID)
		if d.NextAttemptAt == nil || d.Attempts != 0 {
			t.Fatalf("delivery %+v is not pending", d)
		}
	}
	slices.Sort(got)
	if !slices.Equal(got, ids(rs)) {
		t.Fatalf("deliveries of events %v, want %v (not %d, logged before the webhook)", got, ids(rs), early.ID)
	}
}

// testQueueTogether: dispatchers matching at once (several servers) queue
// each delivery once.
func testQueueTogether(t *testing.T, s events.Store) {
	ctx := context.Background()
	for _, id := range []string{"w1", "w2"} {
		if err := s.InsertWebhook(ctx, &events.Webhook{ID: id, Party: "p1", URL: "https://a.example/" + id, Secret: "s", CreatedBy: "u1", CreatedAt: t0}); err != nil {
			t.Fatal(err)
		}
	}
	const events_ = 50
	var rs []*events.Record
	for i := range events_ {
		rs = append(rs, rec("alert", fmt.Sprint(i), t0, nil))
	}
	appendAll(t, s, rs...)
	var wg sync.WaitGroup
	var mu sync.Mutex
	total := 0
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				n, more, err := s.QueueDeliveries(ctx, 7)
				if err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				total += n
				mu.Unlock()
				if !more {
					return
				}
			}
		}()
	}
	wg.Wait()
	for _, id := range []string{"w1", "w2"} {
		if ds, _ := s.Deliveries(ctx, id, 0, 1000); len(ds) != events_ {
			t.Errorf("webhook %s has %d deliveries, want %d", id, len(ds), events_)
		}
	}
	if total != 2*events_ {
		t.Errorf("the dispatchers reported %d deliveries queued, want %d", total, 2*events_)
	}
}

// testEntryBody: an event published with its change's sealed body as data
// (as journal.Write does) reads back with that body, byte for byte, from
// Events and DueDeliveries, whether or not the store keeps it in the event
// log or takes it from the journal; an event of the same change with other
// data keeps its own; queries by kind and place still select them.
func testEntryBody(t *testing.T, es events.Store) {
	s, ok := es.(truce.Store)
	if !ok {
		t.Fatalf("%T logs events but is not a truce.Store", es)
	}
	ctx := context.Background()
	w := &events.Webhook{ID: "w1", Party: "p1", URL: "https://a.example/hook", Secret: "s1", Kinds: []string{"alert"}, CreatedBy: "u1", CreatedAt: t0}
	if err := es.InsertWebhook(ctx, w); err != nil {
		t.Fatal(err)
	}
	vis := truce.Visibility{Scope: truce.ScopeAll}
	type body struct {
		ID   string `json:"id"`
		Note string `json:"note"`
		N    int    `json:"n"`
	}
	bodies := map[string]string{} // subject -> sealed body
	point := [2]float64{36.2, 33.5}
	for i := range 3 {
		subject := fmt.Sprintf("a%d", i)
		err := s.Update(ctx, func(tx truce.Tx) error {
			// A second change in the same write first, so the alert's
			// entry is not the transaction's first.
			if i == 1 {
				c, err := truce.Change{Kind: "zone", Subject: "z", Body: body{ID: "z"}, Visibility: vis}.Seal("p", "u", t0)
				if err != nil {
					return err
				}
				if _, err := tx.Append(ctx, c); err != nil {
					return err
				}
			}
			c, err := truce.Change{Kind: "alert", Subject: subject, Body: body{ID: subject, Note: "é \u2028 <" + strings.Repeat("x", 500), N: i}, Visibility: vis}.Seal("p", "u", t0)
			if err != nil {
				return err
			}
			idx, err := tx.Append(ctx, c)
			if err != nil {
				return err
			}
			bodies[subject] = string(c.Body)
			if err := tx.Publish(ctx, &truce.Event{Kind: "alert", Subject: subject, Index: idx, Time: t0,
				Data: truce.CanonicalJSON(c.Body), Point: &point, Visibility: vis}); err != nil {
				return err
			}
			// Canonical data that is not the entry's body is kept as it is.
			return tx.Publish(ctx, &truce.Event{Kind: "alert.note", Subject: subject, Index: idx, Time: t0,
				Data: truce.CanonicalJSON(`{"other":true}`), Visibility: vis})
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	// A SQL store keeps an alert's body in the journal only: its event
	// rows hold less than the bodies.
	if db, ok := es.(interface{ DB() *sql.DB }); ok {
		var stored, sealed int
		if err := db.DB().QueryRowContext(ctx, `SELECT SUM(LENGTH(data)) FROM events WHERE kind = 'alert'`).Scan(&stored); err != nil {
			t.Fatal(err)
		}
		for _, b := range bodies {
			sealed += len(b)
		}
		if stored >= sealed {
			t.Fatalf("the alerts' event rows hold %d bytes for %d bytes of bodies: the bodies are stored twice", stored, sealed)
		}
	}
	data := func(r *events.Record) string {
		raw, ok := r.Data.(json.RawMessage)
		if !ok {
			t.Fatalf("event %d (%s %s): data %T", r.ID, r.Kind, r.Subject, r.Data)
		}
		return string(raw)
	}
	got, err := es.Events(ctx, events.Query{Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 6 {
		t.Fatalf("%d events, want 6", len(got))
	}
	for _, r := range got {
		want := bodies[r.Subject]
		if r.Kind == "alert.note" {
			want = `{"other":true}`
		}
		if data(r) != want {
			t.Fatalf("event %d (%s %s): data %s, want %s", r.ID, r.Kind, r.Subject, data(r), want)
		}
		if r.Kind == "alert" && (r.Point == nil || *r.Point != point) {
			t.Fatalf("event %d: point %v", r.ID, r.Point)
		}
	}
	// Kind and place still select, with the body.
	box := events.BBox{36, 33, 37, 34}
	sel, err := es.Events(ctx, events.Query{After: got[1].ID, Kinds: []string{"alert"}, BBox: &box, Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	if len(sel) != 2 || sel[0].Subject != "a1" || sel[1].Subject != "a2" || data(sel[1]) != bodies["a2"] {
		t.Fatalf("alerts in the box after %d: %v", got[1].ID, ids(sel))
	}
	if n := queue(t, es); n != 3 {
		t.Fatalf("queued %d deliveries, want 3", n)
	}
	due, err := es.DueDeliveries(ctx, time.Now().Add(time.Second), 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(due) != 3 {
		t.Fatalf("%d due, want 3", len(due))
	}
	for _, d := range due {
		if d.Event.Kind != "alert" || data(d.Event) != bodies[d.Event.Subject] {
			t.Fatalf("delivery of event %d (%s %s): data %s", d.EventID, d.Event.Kind, d.Event.Subject, data(d.Event))
		}
	}
}
