package events

import "sync"

// Transport carries committed events between the servers sharing a store,
// so that each server's Bus streams the others' events as soon as they
// commit rather than at its next read of the log (Options.PollEvery).
//
// The Bus sends the events of its own server's commits, in id order, and
// takes what it receives as a hint: it drops events it has already handed
// out, fills a gap before a received event from the log, and marks what it
// receives Remote. A transport may therefore lose, repeat or delay events
// without breaking the order or completeness of any stream; the log stays
// the source of truth and the poll the safety net.
//
// Local is the in-process implementation. A NATS JetStream transport
// (subjects truce.events.<kind>, see DESIGN.md) implements the same two
// methods, and a node selects it in Options.Transport: no caller of the
// Bus changes.
type Transport interface {
	// Send offers events this server committed, in id order, to the
	// other servers. It must not block, must not keep recs, and must not
	// change them.
	Send(recs []*Record)
	// Listen calls f with the events other servers send, until stop is
	// called; once stop has returned, f is not called again. f must not
	// keep or change the records' shared parts (Data), and is called from
	// one goroutine at a time.
	Listen(f func(recs []*Record)) (stop func())
}

// Local is a Transport between the buses of one process (servers run
// together in tests or a demo). Each server takes its own endpoint with
// Endpoint; what one endpoint sends reaches the listeners of the others.
// Each listener has a queue of LocalQueue sends and its own goroutine; a
// send that finds a listener's queue full is lost for that listener (its
// bus reads the events from the log instead), so Send never blocks.
type Local struct {
	mu        sync.Mutex
	listeners map[*localListener]*LocalEndpoint
}

// LocalQueue is how many sends a Local listener may fall behind.
const LocalQueue = 256

type localListener struct {
	q    chan []*Record
	done chan struct{}
}

// LocalEndpoint is one server's side of a Local transport.
type LocalEndpoint struct{ hub *Local }

var _ Transport = (*LocalEndpoint)(nil)

// Endpoint returns a new endpoint of the transport.
func (l *Local) Endpoint() *LocalEndpoint { return &LocalEndpoint{hub: l} }

// Send queues copies of the records for the other endpoints' listeners.
func (e *LocalEndpoint) Send(recs []*Record) {
	if len(recs) == 0 {
		return
	}
	e.hub.mu.Lock()
	defer e.hub.mu.Unlock()
	for l, owner := range e.hub.listeners {
		if owner == e {
			continue
		}
		cp := make([]*Record, len(recs))
		for i, r := range recs {
			c := *r
			cp[i] = &c
		}
		select {
		case l.q <- cp:
		default:
		}
	}
}

// Listen registers f for what the other endpoints send.
func (e *LocalEndpoint) Listen(f func(recs []*Record)) (stop func()) {
	l := &localListener{q: make(chan []*Record, LocalQueue), done: make(chan struct{})}
	go func() {
		defer close(l.done)
		for recs := range l.q {
			f(recs)
		}
	}()
	e.hub.mu.Lock()
	if e.hub.listeners == nil {
		e.hub.listeners = map[*localListener]*LocalEndpoint{}
	}
	e.hub.listeners[l] = e
	e.hub.mu.Unlock()
	var once sync.Once
	return func() {
		once.Do(func() {
			e.hub.mu.Lock()
			delete(e.hub.listeners, l)
			close(l.q) // under the lock: no Send is queueing on it
			e.hub.mu.Unlock()
			<-l.done
		})
	}
}
