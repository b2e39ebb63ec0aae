package api_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/truce-project/truce"
	"github.com/truce-project/truce/internal/testwait"
	"github.com/truce-project/truce/node"
)

// TestEvents_NewStreamsStartAtThePresent: a stream opened without
// Last-Event-ID (or last_event_id) gets no history, only what is
// published after it opened; many such streams all see one write
// promptly.
func TestEvents_NewStreamsStartAtThePresent(t *testing.T) {
	e := newEnv(t)
	for i := range 50 {
		e.publish(truce.Event{Kind: "history", Subject: fmt.Sprintf("old-%d", i), Visibility: visAll})
	}
	const streams = 200
	ss := make([]*sse, streams)
	for i := range ss {
		ss[i] = e.stream(e.tokens["ru-viewer"], "")
	}
	start := time.Now()
	id := e.publish(truce.Event{Kind: "live", Subject: "now", Visibility: visAll})
	wrote := time.Since(start)
	if wrote > 2*time.Second {
		t.Errorf("one write with %d streams open took %s", streams, wrote)
	}
	var wg sync.WaitGroup
	errs := make(chan string, streams)
	for i, s := range ss {
		wg.Add(1)
		go func() {
			defer wg.Done()
			got := s.records(t, 1)
			if len(got) != 1 || got[0].ID != id || got[0].Subject != "now" {
				errs <- fmt.Sprintf("stream %d: first events %v, want the live one (%d)", i, subjects(got), id)
			}
		}()
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
		t.Logf("%d streams: the write took %s, every stream had the event %s after it began", streams, wrote, time.Since(start))
	case <-time.After(10 * time.Second):
		t.Fatalf("not every stream had the live event after 10 s")
	}
	close(errs)
	for msg := range errs {
		t.Error(msg)
	}
	// History is still there for whoever asks for it.
	got := e.stream(e.tokens["ru-viewer"], "?kind=history&follow=false&last_event_id=0").records(t, -1)
	if len(got) != 50 {
		t.Fatalf("asked for history: %d events, want 50", len(got))
	}
}

// stalledWriter is a client that stops reading: after its first write
// every Write blocks until release is closed.
type stalledWriter struct {
	h       http.Header
	mu      sync.Mutex
	writes  int
	body    strings.Builder
	release chan struct{}
}

func (w *stalledWriter) Header() http.Header { return w.h }
func (w *stalledWriter) WriteHeader(int)     {}
func (w *stalledWriter) Flush()              {}
func (w *stalledWriter) Write(b []byte) (int, error) {
	w.mu.Lock()
	w.writes++
	n := w.writes
	w.mu.Unlock()
	if n > 1 {
		<-w.release
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.body.Write(b)
}

// TestEvents_StalledReaderIsDropped: a stream whose reader stops reading
// holds up neither the writer nor the other streams; once it falls a
// buffer behind its stream is ended (the client reconnects with
// Last-Event-ID), and the drop is counted in the metrics.
func TestEvents_StalledReaderIsDropped(t *testing.T) {
	const buffer = 16
	e := newEnvWith(t, node.Config{EventBuffer: buffer})
	w := &stalledWriter{h: http.Header{}, release: make(chan struct{})}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	req := httptest.NewRequestWithContext(ctx, "GET", "/api/v1/events?kind=flood", nil)
	req.Header.Set("Authorization", "Bearer "+e.tokens["ru-viewer"])
	served := make(chan struct{})
	go func() { defer close(served); e.node.API.ServeHTTP(w, req) }()
	testwait.For(t, time.Minute, "the stalled stream to be open", func() bool {
		w.mu.Lock()
		defer w.mu.Unlock()
		return w.writes > 0
	})
	healthy := e.stream(e.tokens["ru-viewer"], "?kind=flood")
	const total = 4 * buffer
	var slowest time.Duration
	for i := range total {
		start := time.Now()
		e.publish(truce.Event{Kind: "flood", Subject: fmt.Sprint(i), Visibility: visAll})
		slowest = max(slowest, time.Since(start))
	}
	if slowest > time.Second {
		t.Errorf("a write waited %s with a stalled stream open", slowest)
	}
	if got := healthy.records(t, total); len(got) != total {
		t.Fatalf("the healthy stream got %d events, want %d", len(got), total)
	}
	close(w.release)
	select {
	case <-served:
	case <-time.After(5 * time.Second):
		t.Fatal("the stalled stream was not ended after it fell behind")
	}
	w.mu.Lock()
	body := w.body.String()
	w.mu.Unlock()
	if !strings.Contains(body, "event: dropped\n") {
		t.Errorf("the dropped stream was not told why:\n%s", body)
	}
	if n := strings.Count(body, "\ndata: {\"id\""); n >= total {
		t.Errorf("the stalled stream got all %d events; it should have been dropped", n)
	}
	_, _, m := e.do("GET", "/metrics", "", "")
	if !strings.Contains(string(m), "truce_event_streams_dropped_total 1\n") {
		t.Errorf("metrics do not count the dropped stream:\n%s", grepLines(string(m), "truce_event"))
	}
}

func grepLines(s, sub string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, sub) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}
