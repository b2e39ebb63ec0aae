package api

import (
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/truce-project/truce"
	"github.com/truce-project/truce/events"
)

// DefaultHeartbeat is how often an idle event stream gets a comment line,
// so proxies keep it open and clients notice a dead connection.
const DefaultHeartbeat = 15 * time.Second

// EventRoutes are what the live-delivery routes call.
type EventRoutes struct {
	Bus   *events.Bus
	Hooks *events.Hooks
	// Heartbeat is the idle stream's comment interval; 0 means
	// DefaultHeartbeat.
	Heartbeat time.Duration
}

// RegisterEvents mounts the Server-Sent Events stream and the webhook
// subscriptions.
func RegisterEvents(s *Server, e EventRoutes) {
	if e.Heartbeat <= 0 {
		e.Heartbeat = DefaultHeartbeat
	}
	h := &eventHandlers{s: s, e: e}
	s.Registry().MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "truce_event_streams_dropped_total",
		Help: "Live event readers (SSE streams) dropped for falling the buffer behind."}, func() float64 { return float64(e.Bus.Dropped()) }))
	for _, rt := range []Route{
		{Method: "GET", Pattern: "/api/v1/events", Handler: h.stream},
		{Method: "GET", Pattern: "/api/v1/webhooks", Handler: h.listWebhooks},
		{Method: "POST", Pattern: "/api/v1/webhooks", Handler: h.createWebhook},
		{Method: "GET", Pattern: "/api/v1/webhooks/{id}", Handler: h.getWebhook},
		{Method: "GET", Pattern: "/api/v1/webhooks/{id}/deliveries", Handler: h.listDeliveries},
		{Method: "DELETE", Pattern: "/api/v1/webhooks/{id}", Handler: h.deleteWebhook},
	} {
		s.Handle(rt)
	}
}

type eventHandlers struct {
	s *Server
	e EventRoutes
}

// streamWriteTimeout bounds each write to a stream: a client that stops
// reading is cut off instead of holding its handler forever.
const streamWriteTimeout = 30 * time.Second

// stream serves GET /api/v1/events as text/event-stream (WHATWG HTML
// §9.2): every event the caller may see that passes kind and bbox, after
// Last-Event-ID (header) or last_event_id (query), from the log and then
// live. Without either it starts at the present and reads nothing from
// the log, so a crowd of new streams costs no replay; history is asked
// for with an id (0 for the oldest event kept). follow=false reads the
// log (from the oldest event kept when no id is given) and ends.
//
// A stream that falls the bus's buffer behind (a reader that stopped
// reading) is ended with an "event: dropped" carrying the id to resume
// after, rather than waited for: the writer and the other streams never
// wait on it, and EventSource reconnects with Last-Event-ID.
func (h *eventHandlers) stream(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	f, err := events.ParseFilter(q.Get("kind"), q.Get("bbox"))
	if err != nil {
		h.s.writeError(w, r, err)
		return
	}
	last := r.Header.Get("Last-Event-ID")
	if last == "" {
		last = q.Get("last_event_id")
	}
	after := events.FromNow
	if last != "" {
		if after, err = strconv.ParseInt(strings.TrimSpace(last), 10, 64); err != nil || after < 0 {
			h.s.writeError(w, r, truce.Errorf(truce.EINVALID, "Last-Event-ID must be an event id (a non-negative integer), not %q.", last))
			return
		}
	}
	live := true
	switch q.Get("follow") {
	case "", "true":
	case "false":
		live = false
	default:
		h.s.writeError(w, r, truce.Errorf(truce.EINVALID, "follow is true or false."))
		return
	}
	if !live && after == events.FromNow {
		after = 0 // a one-off read of the log asks for history
	}
	a, err := truce.RequireCaller(r.Context())
	if err != nil {
		h.s.writeError(w, r, err)
		return
	}
	ctx := r.Context()
	cur, err := h.e.Bus.Follow(ctx, a, f, after, live)
	if err != nil {
		h.s.writeError(w, r, err)
		return
	}
	defer cur.Close()
	cur.EndIfBehind = true
	rc := http.NewResponseController(w)
	hd := w.Header()
	hd.Set("Content-Type", "text/event-stream")
	hd.Set("Cache-Control", "no-store")
	hd.Set("X-Accel-Buffering", "no") // nginx: do not buffer the stream
	w.WriteHeader(http.StatusOK)
	write := func(b []byte, flush bool) bool {
		rc.SetWriteDeadline(time.Now().Add(streamWriteTimeout))
		if _, err := w.Write(b); err != nil {
			return false
		}
		return !flush || rc.Flush() == nil
	}
	send := func(s string) bool { return write([]byte(s), true) }
	var frame []byte
	unflushed := false
	// retry: how long EventSource waits before reconnecting.
	head := "retry: 3000\n\n"
	if cur.Missed {
		head += "event: missed\ndata: {\"after\":" + strconv.FormatInt(after, 10) + "}\n\n"
	}
	if !send(head) {
		return
	}
	for {
		wait := h.e.Heartbeat
		if unflushed {
			// What Buffered saw may all be filtered out: wait only a
			// moment before sending what is written.
			wait = time.Millisecond
		}
		ev, err := cur.Next(ctx, wait)
		switch {
		case errors.Is(err, io.EOF) || ctx.Err() != nil:
			return
		case errors.Is(err, events.ErrBehind):
			// The id line moves the client's Last-Event-ID to where this
			// stream stopped, so its reconnection misses nothing even if
			// the filter passed none of the events it went through.
			id := strconv.FormatInt(cur.LastID(), 10)
			send("event: dropped\nid: " + id + "\ndata: {\"detail\":\"The stream fell behind; reconnect with Last-Event-ID.\",\"last_event_id\":" + id + "}\n\n")
			return
		case err != nil:
			h.s.log.Error("event stream", "request_id", requestID(ctx), "err", err)
			send("event: error\ndata: {\"detail\":\"The event log could not be read; reconnect to resume.\"}\n\n")
			return
		case ev == nil && unflushed:
			if rc.Flush() != nil {
				return
			}
			unflushed = false
			continue
		case ev == nil:
			if !send(": heartbeat\n\n") {
				return
			}
			continue
		}
		data, err := encodeEvent(ev)
		if err != nil {
			h.s.log.Error("event stream: encode", "event", ev.ID, "err", err)
			continue
		}
		// Flushed once no further event is at hand: a batch of alerts
		// goes out in a few writes, not a write (and a syscall) each.
		frame = append(frame[:0], "id: "...)
		frame = strconv.AppendInt(frame, ev.ID, 10)
		frame = append(frame, "\ndata: "...)
		frame = append(frame, data...)
		frame = append(frame, "\n\n"...)
		unflushed = cur.Buffered()
		if !write(frame, !unflushed) {
			return
		}
	}
}

func (h *eventHandlers) listWebhooks(w http.ResponseWriter, r *http.Request) {
	ws, err := h.e.Hooks.List(r.Context(), r.URL.Query().Get("party"))
	if err != nil {
		h.s.writeError(w, r, err)
		return
	}
	pg, err := pageOf(r, ws, func(x *events.Webhook) string { return x.ID }, false)
	if err != nil {
		h.s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, pg)
}

func (h *eventHandlers) createWebhook(w http.ResponseWriter, r *http.Request) {
	var c events.WebhookCreate
	if err := decode(r, &c); err != nil {
		h.s.writeError(w, r, err)
		return
	}
	wh, err := h.e.Hooks.Create(r.Context(), c)
	if err != nil {
		h.s.writeError(w, r, err)
		return
	}
	w.Header().Set("Location", "/api/v1/webhooks/"+wh.ID)
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusCreated, wh)
}

func (h *eventHandlers) getWebhook(w http.ResponseWriter, r *http.Request) {
	wh, err := h.e.Hooks.Find(r.Context(), r.PathValue("id"))
	if err != nil {
		h.s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, wh)
}

func (h *eventHandlers) deleteWebhook(w http.ResponseWriter, r *http.Request) {
	if err := h.e.Hooks.Delete(r.Context(), r.PathValue("id")); err != nil {
		h.s.writeError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (h *eventHandlers) listDeliveries(w http.ResponseWriter, r *http.Request) {
	lim, err := limitParam(r)
	if err != nil {
		h.s.writeError(w, r, err)
		return
	}
	ds, next, err := h.e.Hooks.Deliveries(r.Context(), r.PathValue("id"), r.URL.Query().Get("cursor"), lim)
	if err != nil {
		h.s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, Page[*events.Delivery]{Items: nonNil(ds), NextCursor: next})
}
