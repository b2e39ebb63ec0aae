package events_test

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/truce-project/truce"
	"github.com/truce-project/truce/events"
	"github.com/truce-project/truce/internal/testwait"
)

// receiver is a webhook endpoint that verifies every delivery and counts
// each event it gets.
type receiver struct {
	t      *testing.T
	secret string
	status int
	// skew is how far the sender's clock may be from ours (5 min if 0).
	skew time.Duration
	mu   sync.Mutex
	got  map[int64]int // event id -> times received
	bad  []string
	srv  *httptest.Server
}

func (rc *receiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	rc.mu.Lock()
	defer rc.mu.Unlock()
	skew := rc.skew
	if skew == 0 {
		skew = 5 * time.Minute
	}
	err := events.Verify(rc.secret, r.Header.Get(events.HeaderTimestamp), r.Header.Get(events.HeaderSignature), body, time.Now(), skew)
	id, _ := strconv.ParseInt(r.Header.Get(events.HeaderEventID), 10, 64)
	if err != nil || r.Header.Get("Content-Type") != "application/json" || !strings.Contains(string(body), fmt.Sprintf(`"id":%d,`, id)) {
		rc.bad = append(rc.bad, fmt.Sprintf("event %d: %v: %s", id, err, body))
		w.WriteHeader(http.StatusBadRequest)
		return
	}
	if rc.status != 0 {
		w.WriteHeader(rc.status)
		return
	}
	rc.got[id]++
	w.WriteHeader(http.StatusNoContent)
}

// freeAddr returns an address nothing listens on (yet): connecting to it
// is refused.
func freeAddr(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// up starts the receiver on addr.
func (rc *receiver) up(addr string) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		rc.t.Fatalf("receiver cannot listen on %s: %v", addr, err)
	}
	rc.srv = httptest.NewUnstartedServer(rc)
	rc.srv.Listener = ln
	rc.srv.Start()
	rc.t.Cleanup(rc.srv.Close)
}

func createHook(t *testing.T, s events.Store, party, url string, kinds ...string) *events.Webhook {
	t.Helper()
	h := &events.Hooks{Store: s}
	w, err := h.Create(truce.NewContext(context.Background(), actor(party, truce.RoleOperator)), events.WebhookCreate{URL: url, Kinds: kinds})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(w.Secret, "whsec_") {
		t.Fatalf("secret %q", w.Secret)
	}
	return w
}

// waitFor polls cond until it holds; the deadline only guards against a
// hang and is far above what the test needs.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	testwait.For(t, 60*time.Second, what, cond)
}

func deliveries(t *testing.T, s events.Store, hook string) []*events.Delivery {
	t.Helper()
	ds, err := s.Deliveries(context.Background(), hook, 0, 1000)
	if err != nil {
		t.Fatal(err)
	}
	return ds
}

func allDelivered(t *testing.T, s events.Store, hook string, n int) func() bool {
	return func() bool {
		ds := deliveries(t, s, hook)
		done := 0
		for _, d := range ds {
			if d.DeliveredAt != nil {
				done++
			}
		}
		return len(ds) == n && done == n
	}
}

func anyFailedAttempt(t *testing.T, s events.Store, hook, errPart string) func() bool {
	return func() bool {
		for _, d := range deliveries(t, s, hook) {
			if d.Attempts > 0 && strings.Contains(d.LastError, errPart) {
				return true
			}
		}
		return false
	}
}

func (rc *receiver) check(ids []int64) {
	rc.t.Helper()
	rc.mu.Lock()
	defer rc.mu.Unlock()
	if len(rc.bad) > 0 {
		rc.t.Fatalf("bad deliveries: %v", rc.bad)
	}
	for _, id := range ids {
		if rc.got[id] != 1 {
			rc.t.Errorf("event %d received %d times, want once", id, rc.got[id])
		}
	}
	if len(rc.got) != len(ids) {
		rc.t.Errorf("received %d events, want %d", len(rc.got), len(ids))
	}
}

// TestDispatcher_DownThenUp: the receiver refuses connections at first,
// then comes up; it gets every wanted event exactly once, signed.
func TestDispatcher_DownThenUp(t *testing.T) {
	b, s := newBus(t, events.Options{})
	addr := freeAddr(t)
	hook := createHook(t, s, "p1", "http://"+addr+"/hook", "alert")
	d := &events.Dispatcher{Store: s, MinBackoff: 20 * time.Millisecond, MaxBackoff: 80 * time.Millisecond, Poll: 10 * time.Millisecond}
	d.Start()
	defer d.Stop()
	var ids []int64
	for i := range 20 {
		ids = append(ids, publish(t, b, truce.Event{Kind: "alert", Subject: fmt.Sprint(i), Point: &[2]float64{36, 33}, Data: map[string]int{"n": i}, Visibility: all}))
		publish(t, b, truce.Event{Kind: "zone", Subject: fmt.Sprint(i), Visibility: all})                                                // not wanted
		publish(t, b, truce.Event{Kind: "alert", Subject: "secret", Visibility: truce.Visibility{Scope: truce.ScopeParty, Owner: "p2"}}) // not visible
	}
	waitFor(t, "a refused attempt", anyFailedAttempt(t, s, hook.ID, "refused"))
	rc := &receiver{t: t, secret: hook.Secret, got: map[int64]int{}}
	rc.up(addr)
	waitFor(t, "every delivery", allDelivered(t, s, hook.ID, len(ids)))
	rc.check(ids)
}

// TestDispatcher_Restart: deliveries queued under one dispatcher (and
// process) are made by the next, from the database.
func TestDispatcher_Restart(t *testing.T) {
	path := filepath.Join(t.TempDir(), "truce.db")
	s := openStore(t, path)
	b := events.NewBus(s, events.Options{})
	addr := freeAddr(t)
	hook := createHook(t, s, "p1", "http://"+addr+"/hook")
	d := &events.Dispatcher{Store: s, MinBackoff: 20 * time.Millisecond, MaxBackoff: 40 * time.Millisecond, Poll: 10 * time.Millisecond}
	d.Start()
	var ids []int64
	for i := range 10 {
		ids = append(ids, publish(t, b, truce.Event{Kind: "alert", Subject: fmt.Sprint(i), Visibility: all}))
	}
	waitFor(t, "a refused attempt", anyFailedAttempt(t, s, hook.ID, "refused"))
	d.Stop()
	b.Close()
	s.Close()

	s = openStore(t, path)
	rc := &receiver{t: t, secret: hook.Secret, got: map[int64]int{}}
	rc.up(addr)
	d = &events.Dispatcher{Store: s, MinBackoff: 20 * time.Millisecond, MaxBackoff: 40 * time.Millisecond, Poll: 10 * time.Millisecond}
	d.Start()
	defer d.Stop()
	waitFor(t, "every delivery after the restart", allDelivered(t, s, hook.ID, len(ids)))
	rc.check(ids)
}

// TestDispatcher_BackoffAndGiveUp drives the clock: waits double from
// MinBackoff up to MaxBackoff, jittered within their upper half, and a
// delivery still failing MaxAge after its event is marked failed.
func TestDispatcher_BackoffAndGiveUp(t *testing.T) {
	b, s := newBus(t, events.Options{})
	rc := &receiver{t: t, got: map[int64]int{}, status: http.StatusServiceUnavailable, skew: 48 * time.Hour}
	rc.srv = httptest.NewServer(rc)
	defer rc.srv.Close()
	hook := createHook(t, s, "p1", rc.srv.URL)
	rc.secret = hook.Secret
	publish(t, b, truce.Event{Kind: "alert", Subject: "a", Visibility: all})
	now := time.Now().Add(time.Second)
	d := &events.Dispatcher{Store: s, MinBackoff: time.Minute, MaxBackoff: 4 * time.Minute, MaxAge: time.Hour, Now: func() time.Time { return now }}
	ctx := context.Background()
	wantWait := []time.Duration{time.Minute, 2 * time.Minute, 4 * time.Minute, 4 * time.Minute}
	for i, w := range wantWait {
		n, err := d.RunOnce(ctx)
		if err != nil || n != 1 {
			t.Fatalf("attempt %d: ran %d, %v", i+1, n, err)
		}
		dl := deliveries(t, s, hook.ID)[0]
		if dl.Attempts != i+1 || dl.LastError != "HTTP 503" || dl.NextAttemptAt == nil || dl.DeliveredAt != nil {
			t.Fatalf("after attempt %d: %+v", i+1, dl)
		}
		wait := dl.NextAttemptAt.Sub(now)
		if wait < w/2-time.Millisecond || wait > w+time.Millisecond {
			t.Fatalf("wait after attempt %d is %s, want within [%s, %s]", i+1, wait, w/2, w)
		}
		if n, _ := d.RunOnce(ctx); n != 0 {
			t.Fatalf("attempt %d retried before its time", i+1)
		}
		now = *dl.NextAttemptAt
	}
	now = now.Add(time.Hour)
	if n, err := d.RunOnce(ctx); err != nil || n != 1 {
		t.Fatalf("last attempt: %d, %v", n, err)
	}
	dl := deliveries(t, s, hook.ID)[0]
	if dl.FailedAt == nil || dl.NextAttemptAt != nil || dl.Attempts != 5 || dl.LastError != "HTTP 503" {
		t.Fatalf("after MaxAge: %+v", dl)
	}
	now = now.Add(24 * time.Hour)
	if n, _ := d.RunOnce(ctx); n != 0 {
		t.Fatal("a failed delivery was attempted again")
	}
}
