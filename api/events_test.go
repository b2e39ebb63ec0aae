package api_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/truce-project/truce"
	"github.com/truce-project/truce/events"
	"github.com/truce-project/truce/internal/testwait"
	"github.com/truce-project/truce/node"
)

// sse is a minimal Server-Sent Events reader (WHATWG HTML §9.2.6).
type sse struct {
	resp *http.Response
	r    *bufio.Reader
}

type sseEvent struct {
	id, event, data string
	comment         bool
}

func (e *env) stream(token, query string, hdr ...string) *sse {
	e.t.Helper()
	req, err := http.NewRequest("GET", e.srv.URL+"/api/v1/events"+query, nil)
	if err != nil {
		e.t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "text/event-stream" {
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		e.t.Fatalf("stream %s: %d %s %s", query, resp.StatusCode, resp.Header.Get("Content-Type"), b)
	}
	s := &sse{resp: resp, r: bufio.NewReader(resp.Body)}
	e.t.Cleanup(s.close)
	return s
}

func (s *sse) close() { s.resp.Body.Close() }

// next returns the next dispatched event or comment; io.EOF at the end.
func (s *sse) next() (sseEvent, error) {
	var ev sseEvent
	var data []string
	for {
		line, err := s.r.ReadString('\n')
		if err != nil {
			return ev, err
		}
		line = strings.TrimSuffix(line, "\n")
		switch {
		case line == "":
			if data != nil || ev.event != "" {
				ev.data = strings.Join(data, "\n")
				return ev, nil
			}
		case strings.HasPrefix(line, ":"):
			return sseEvent{comment: true, data: line}, nil
		default:
			field, value, _ := strings.Cut(line, ":")
			value = strings.TrimPrefix(value, " ")
			switch field {
			case "id":
				ev.id = value
			case "event":
				ev.event = value
			case "data":
				data = append(data, value)
			}
		}
	}
}

// records reads the stream's events (skipping comments and retry) to its
// end or until n have come.
func (s *sse) records(t *testing.T, n int) []events.Record {
	t.Helper()
	var out []events.Record
	for n < 0 || len(out) < n {
		ev, err := s.next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if ev.comment || ev.event != "" {
			continue
		}
		var r events.Record
		if err := json.Unmarshal([]byte(ev.data), &r); err != nil {
			t.Fatalf("data %q: %v", ev.data, err)
		}
		if ev.id != strconv.FormatInt(r.ID, 10) {
			t.Fatalf("id field %q, data id %d", ev.id, r.ID)
		}
		out = append(out, r)
	}
	return out
}

func subjects(rs []events.Record) []string {
	var out []string
	for _, r := range rs {
		out = append(out, r.Subject)
	}
	return out
}

func (e *env) publish(ev truce.Event) int64 {
	e.t.Helper()
	id, err := e.node.Events.Publish(context.Background(), ev)
	if err != nil {
		e.t.Fatal(err)
	}
	return id
}

var (
	visAll = truce.Visibility{Scope: truce.ScopeAll}
	syria  = "35,32,37,34"
)

// TestEvents_StreamFilters reads the log (follow=false) as different
// callers: kind and bbox filters, and visibility, including a real zone
// change whose visibility comes from its journal entry.
func TestEvents_StreamFilters(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	us := e.parties["us"].ID
	start := e.publish(truce.Event{Kind: "marker", Subject: "start", Visibility: visAll})
	e.publish(truce.Event{Kind: "alert", Subject: "a-all", Point: &[2]float64{36.2, 33.5}, Visibility: visAll})
	e.publish(truce.Event{Kind: "alert", Subject: "a-us", Point: &[2]float64{36.3, 33.4}, Visibility: truce.Visibility{Scope: truce.ScopeParty, Owner: us}})
	e.publish(truce.Event{Kind: "alert", Subject: "a-far", Point: &[2]float64{2.35, 48.85}, Visibility: visAll})
	z, _, err := e.client(e.tokens["us-op"]).ProposeZone(context.Background(), truce.ZoneProposal{Agreement: e.agreement.ID, Name: "Second", Kind: truce.ZoneBuffer, Geometry: json.RawMessage(boxJSON)})
	if err != nil {
		t.Fatal(err)
	}
	after := "&last_event_id=" + strconv.FormatInt(start, 10)
	cases := []struct {
		name, user, query string
		want              []string
	}{
		{"ViewerAlertsInSyria", "ru-viewer", "?kind=alert&bbox=" + syria, []string{"a-all"}},
		{"OwnerAlertsInSyria", "us-op", "?kind=alert&bbox=" + syria, []string{"a-all", "a-us"}},
		{"AdminAlerts", "admin", "?kind=alert", []string{"a-all", "a-us", "a-far"}},
		{"ViewerEverything", "ru-viewer", "?kind=", []string{"a-all", "a-far", z.ID}},
		{"Zones", "ru-viewer", "?kind=zone,party", []string{z.ID}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := e.stream(e.tokens[c.user], c.query+after+"&follow=false").records(t, -1)
			if fmt.Sprint(subjects(got)) != fmt.Sprint(c.want) {
				t.Fatalf("got %v, want %v", subjects(got), c.want)
			}
		})
	}
	// The zone event carries the zone as its data.
	got := e.stream(e.admin, "?kind=zone&follow=false"+after).records(t, -1)
	if len(got) != 1 {
		t.Fatalf("zone events %+v", got)
	}
	if data, _ := json.Marshal(got[0].Data); !strings.Contains(string(data), `"Second"`) {
		t.Fatalf("zone event data %s lacks the zone's name", data)
	}
	for _, bad := range []string{"?bbox=1,2,3", "?bbox=0,95,1,96", "?last_event_id=x", "?last_event_id=-1", "?follow=maybe"} {
		status, h, b := e.do("GET", "/api/v1/events"+bad, e.admin, "")
		if status != 400 || problemCode(t, h, b) != truce.EINVALID {
			t.Errorf("%s: %d %s", bad, status, b)
		}
	}
	status, h, b := e.do("GET", "/api/v1/events", "", "", "Last-Event-ID", "notanumber")
	if status != 401 {
		t.Errorf("no token: %d %s %v", status, b, h)
	}
}

// TestEvents_ResumeUnderLoad follows the stream live while several
// goroutines publish, disconnects part way, reconnects with Last-Event-ID,
// and checks every event arrived once, in order. Idle, the stream sends
// heartbeats.
func TestEvents_ResumeUnderLoad(t *testing.T) {
	t.Parallel()
	e := newEnvWith(t, node.Config{EventHeartbeat: 20 * time.Millisecond})
	start := e.publish(truce.Event{Kind: "marker", Subject: "start", Visibility: visAll})
	const publishers, each = 4, 50
	total := publishers * each
	s := e.stream(e.tokens["ru-viewer"], "?kind=load", "Last-Event-ID", strconv.FormatInt(start, 10))
	var wg sync.WaitGroup
	for p := range publishers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				if _, err := e.node.Events.Publish(context.Background(), truce.Event{Kind: "load", Subject: fmt.Sprintf("%d-%d", p, i), Visibility: visAll}); err != nil {
					t.Error(err)
					return
				}
				// Events the reader does not want, interleaved.
				e.node.Events.Publish(context.Background(), truce.Event{Kind: "noise", Visibility: visAll})
			}
		}()
	}
	got := s.records(t, total/3)
	s.close()
	last := got[len(got)-1].ID
	s = e.stream(e.tokens["ru-viewer"], "?kind=load&last_event_id=1", "Last-Event-ID", strconv.FormatInt(last, 10))
	got = append(got, s.records(t, total-len(got))...)
	wg.Wait()
	seen := map[string]bool{}
	for i, r := range got {
		if i > 0 && r.ID <= got[i-1].ID {
			t.Fatalf("id %d after %d", r.ID, got[i-1].ID)
		}
		if r.Kind != "load" || seen[r.Subject] {
			t.Fatalf("unexpected or repeated event %+v", r)
		}
		seen[r.Subject] = true
	}
	if len(seen) != total {
		t.Fatalf("%d distinct events, want %d", len(seen), total)
	}
	// Nothing left to send: the next thing on the stream is a heartbeat.
	ev, err := s.next()
	if err != nil || !ev.comment {
		t.Fatalf("idle stream sent %+v, %v; want a heartbeat comment", ev, err)
	}
}

// TestWebhooks_EndToEnd creates a webhook through the API and receives a
// signed event at a real HTTP receiver.
func TestWebhooks_EndToEnd(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	type got struct {
		body []byte
		err  error
	}
	var mu sync.Mutex
	var secret string
	var received []got
	rcv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		defer mu.Unlock()
		received = append(received, got{b, events.Verify(secret, r.Header.Get(events.HeaderTimestamp), r.Header.Get(events.HeaderSignature), b, time.Now(), time.Minute)})
	}))
	defer rcv.Close()
	status, h, b := e.do("POST", "/api/v1/webhooks", e.tokens["us-op"], `{"url":"`+rcv.URL+`/hook","kinds":["alert"],"bbox":[35,32,37,34]}`)
	if status != 201 {
		t.Fatalf("create: %d %s", status, b)
	}
	var hook events.Webhook
	json.Unmarshal(b, &hook)
	mu.Lock()
	secret = hook.Secret
	mu.Unlock()
	if hook.Party != e.parties["us"].ID || !strings.HasPrefix(secret, "whsec_") || h.Get("Location") != "/api/v1/webhooks/"+hook.ID {
		t.Fatalf("created %+v at %s", hook, h.Get("Location"))
	}
	status, _, b = e.do("GET", "/api/v1/webhooks/"+hook.ID, e.tokens["us-op"], "")
	if status != 200 || strings.Contains(string(b), secret) || strings.Contains(string(b), `"secret"`) {
		t.Fatalf("get shows the secret or fails: %d %s", status, b)
	}
	status, _, b = e.do("GET", "/api/v1/webhooks", e.tokens["us-padmin"], "")
	if status != 200 || !strings.Contains(string(b), hook.ID) || strings.Contains(string(b), secret) {
		t.Fatalf("list: %d %s", status, b)
	}
	for _, bad := range []string{`{"url":"ftp://x"}`, `{"url":"https://x","bbox":[1,2,3]}`, `{"url":"https://x","colour":1}`, `{"url":"https://u:p@x"}`} {
		if status, _, b := e.do("POST", "/api/v1/webhooks", e.tokens["us-op"], bad); status != 400 {
			t.Errorf("%s: %d %s", bad, status, b)
		}
	}
	wanted := e.publish(truce.Event{Kind: "alert", Subject: "in", Point: &[2]float64{36.2, 33.5}, Visibility: visAll})
	e.publish(truce.Event{Kind: "alert", Subject: "out", Point: &[2]float64{2, 48}, Visibility: visAll})
	e.publish(truce.Event{Kind: "alert", Subject: "ru-only", Point: &[2]float64{36.2, 33.5}, Visibility: truce.Visibility{Scope: truce.ScopeParty, Owner: e.parties["ru"].ID}})
	e.publish(truce.Event{Kind: "zone", Subject: "z", BBox: &truce.BBox{36, 33, 37, 34}, Visibility: visAll})
	var ds struct{ Items []events.Delivery }
	delivered := testwait.Until(30*time.Second, func() bool {
		_, _, b = e.do("GET", "/api/v1/webhooks/"+hook.ID+"/deliveries", e.tokens["us-op"], "")
		json.Unmarshal(b, &ds)
		return len(ds.Items) == 1 && ds.Items[0].DeliveredAt != nil
	})
	if !delivered {
		t.Fatalf("not delivered: %s", b)
	}
	mu.Lock()
	if len(received) != 1 || received[0].err != nil {
		t.Fatalf("received %d deliveries (%v)", len(received), received)
	}
	var r events.Record
	json.Unmarshal(received[0].body, &r)
	mu.Unlock()
	if r.ID != wanted || r.Subject != "in" || ds.Items[0].EventID != wanted {
		t.Fatalf("delivered event %+v, delivery %+v; want id %d", r, ds.Items[0], wanted)
	}
	if status, _, b := e.do("DELETE", "/api/v1/webhooks/"+hook.ID, e.tokens["us-padmin"], ""); status != 204 {
		t.Fatalf("delete: %d %s", status, b)
	}
	if status, _, _ := e.do("GET", "/api/v1/webhooks/"+hook.ID, e.tokens["us-op"], ""); status != 404 {
		t.Fatalf("after delete: %d", status)
	}
}

// TestEvents_GracefulShutdown: open streams end when the server shuts
// down, so they do not hold the shutdown up.
func TestEvents_GracefulShutdown(t *testing.T) {
	e := newEnv(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- e.node.Serve(ctx, ln) }()
	req, _ := http.NewRequest("GET", "http://"+ln.Addr().String()+"/api/v1/events", nil)
	req.Header.Set("Authorization", "Bearer "+e.admin)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	s := &sse{resp: resp, r: bufio.NewReader(resp.Body)}
	cancel()
	for {
		if _, err := s.next(); err != nil {
			break
		}
	}
	if err := <-served; err != nil {
		t.Fatalf("Serve: %v", err)
	}
}

// An event the stream wrote goes out even when what follows it in the
// queue is filtered out and nothing else comes: the stream must not hold
// it back until its next heartbeat (an hour here).
func TestEvents_StreamFlushesBeforeFilteredOut(t *testing.T) {
	t.Parallel()
	e := newEnvWith(t, node.Config{EventHeartbeat: time.Hour})
	start := e.publish(truce.Event{Kind: "marker", Subject: "start", Visibility: visAll})
	// Each wanted event is followed by some the viewer may not see
	// (administrators only), which the log's replay returns with it.
	for i := range 20 {
		e.publish(truce.Event{Kind: "want", Subject: fmt.Sprint(i), Visibility: visAll})
		for range 5 {
			e.publish(truce.Event{Kind: "want", Subject: "hidden"})
		}
	}
	s := e.stream(e.tokens["ru-viewer"], "?kind=want", "Last-Event-ID", strconv.FormatInt(start, 10))
	got := make(chan []events.Record, 1)
	go func() { got <- s.records(t, 20) }()
	select {
	case rs := <-got:
		if len(rs) != 20 || rs[19].Subject != "19" {
			t.Fatalf("got %v", subjects(rs))
		}
	case <-time.After(10 * time.Second):
		s.close()
		t.Fatal("the stream held its events back")
	}
}
