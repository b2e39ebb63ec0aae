package events

import (
	"context"
	"io"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/truce-project/truce"
)

// Defaults for Options. DefaultBuffer holds several of the largest
// commits the server makes at a busy time (the airspace monitor journals
// up to 512 alerts in one write, each an event, handed to every live
// reader at once): a buffer under one such commit dropped every live
// reader at every full batch, each then reading the log, bodies and all.
const (
	DefaultBuffer     = 4096
	DefaultRetention  = 7 * 24 * time.Hour
	DefaultMaxEvents  = 1_000_000
	DefaultPurgeEvery = time.Hour
	DefaultPollEvery  = time.Second
)

// ErrClosed is returned by Publish once the bus is closed.
var ErrClosed = truce.Errorf(truce.EUNAVAILABLE, "The event bus is closed.")

// ErrBehind is returned by Next of a cursor with EndIfBehind set once its
// reader has fallen Options.Buffer events behind the live events: the
// reader should resume later after Cursor.LastID (an SSE client
// reconnects with Last-Event-ID).
var ErrBehind = truce.Errorf(truce.EUNAVAILABLE, "The stream fell too far behind the live events; reconnect with Last-Event-ID to resume from the log.")

// FromNow, as Follow's after, starts a cursor at the present: it returns
// only the events committed after it was made, and reads nothing from the
// log.
const FromNow int64 = -1

// Options tune a Bus.
type Options struct {
	// Buffer is how many events a live subscriber may fall behind before
	// it is dropped (and catches up from the log). Default DefaultBuffer.
	Buffer int
	// Retention and MaxEvents bound the log: older events, and all but
	// the newest MaxEvents, are purged every PurgeEvery.
	Retention  time.Duration
	MaxEvents  int64
	PurgeEvery time.Duration
	// PollEvery is how often the bus reads the log for events that other
	// servers sharing the database committed, to stream them too.
	// Default DefaultPollEvery.
	PollEvery time.Duration
	// OnDeliveries is called after each commit that logged events, whose
	// webhook deliveries are then to be queued (the node wakes the
	// Dispatcher with it, which queues them). It must not block.
	OnDeliveries func()
	// Transport, when set, carries this server's committed events to the
	// other servers sharing the store and theirs to this bus, so they
	// stream at once instead of at the next poll. See Transport.
	Transport Transport
	Logger    *slog.Logger
	Now       func() time.Time
}

// Bus is the in-process event bus in front of the persistent event log.
// Events are logged by the store, in the transaction of the change they
// report (truce.Tx.Publish) or on their own (Publish); the store hands
// each commit's events to the bus, which passes them to the live
// subscribers in id order. A subscriber that falls Buffer events behind is
// dropped rather than waited for, so a slow reader never holds up a
// writer; a Cursor then catches up from the log, or, with EndIfBehind,
// ends (ErrBehind) so its remote reader resumes with a new request. Drops
// are counted (Dropped).
type Bus struct {
	store Store
	opt   Options
	log   *slog.Logger

	quit chan struct{}
	once sync.Once
	wg   sync.WaitGroup

	streamsDone chan struct{}
	streamsOnce sync.Once

	stopListen func() // ends Options.Transport's Listen

	mu   sync.Mutex
	subs map[*sub]struct{}
	last int64 // the id of the last event handed to subscribers

	dropped atomic.Int64 // live subscribers dropped for lagging
}

type sub struct {
	ch chan *Record // closed when the subscriber lagged
}

// NewBus starts a bus over the store, with its purger, and takes the
// store's committed events (Store.OnEvents).
func NewBus(s Store, opt Options) *Bus {
	if opt.Buffer <= 0 {
		opt.Buffer = DefaultBuffer
	}
	if opt.Retention <= 0 {
		opt.Retention = DefaultRetention
	}
	if opt.MaxEvents <= 0 {
		opt.MaxEvents = DefaultMaxEvents
	}
	if opt.PurgeEvery <= 0 {
		opt.PurgeEvery = DefaultPurgeEvery
	}
	if opt.PollEvery <= 0 {
		opt.PollEvery = DefaultPollEvery
	}
	if opt.Logger == nil {
		opt.Logger = slog.Default()
	}
	if opt.Now == nil {
		opt.Now = time.Now
	}
	b := &Bus{store: s, opt: opt, log: opt.Logger, quit: make(chan struct{}), streamsDone: make(chan struct{}), subs: map[*sub]struct{}{}}
	b.last = -1 // unknown until the first delivery or poll reads the log
	s.OnEvents(b.deliver)
	if opt.Transport != nil {
		b.stopListen = opt.Transport.Listen(b.receive)
	}
	b.wg.Add(2)
	go b.purger()
	go b.poller()
	return b
}

// Close stops the bus. Live subscribers' cursors end; events committed
// afterwards are still logged, for cursors to read later.
func (b *Bus) Close() error {
	b.once.Do(func() { close(b.quit) })
	if b.stopListen != nil {
		b.stopListen()
	}
	b.wg.Wait()
	b.mu.Lock()
	for s := range b.subs {
		close(s.ch)
		delete(b.subs, s)
	}
	b.mu.Unlock()
	return nil
}

// EndStreams ends every live cursor (their Next returns io.EOF), now and
// from now on, while publishing goes on: a server shutting down gracefully
// calls it so long-lived streams do not hold the shutdown up.
func (b *Bus) EndStreams() {
	b.streamsOnce.Do(func() { close(b.streamsDone) })
}

// Publish logs an event that reports no change of its own (a change's
// event is published in its transaction, truce.Tx.Publish). It returns the
// event's id once the event is committed, so a caller that returns after
// Publish has made its event durable (and its webhook deliveries sure to
// be queued: see Dispatcher).
// Concurrent publishers share a transaction.
func (b *Bus) Publish(ctx context.Context, e truce.Event) (int64, error) {
	select {
	case <-b.quit:
		return 0, ErrClosed
	default:
	}
	if e.Time.IsZero() {
		e.Time = b.opt.Now()
	}
	e.Time = e.Time.UTC()
	r := &Record{Event: e}
	if err := b.store.AppendEvents(ctx, []*Record{r}); err != nil {
		return 0, err
	}
	return r.ID, nil
}

// deliver hands a commit's events to the live subscribers; the store calls
// it once per commit, in commit (and so id) order. Ids are given without
// gaps across every server sharing the database, so a gap before the
// commit's first id is events another server committed first: they are
// read from the log and handed over before this commit's.
func (b *Bus) deliver(recs []*Record) {
	b.mu.Lock()
	if len(recs) > 0 && b.last >= 0 && recs[0].ID > b.last+1 {
		b.catchUp(recs[0].ID - 1)
	}
	for _, r := range recs {
		b.fanOut(r)
	}
	b.mu.Unlock()
	if len(recs) > 0 && b.opt.OnDeliveries != nil {
		b.opt.OnDeliveries()
	}
	if len(recs) > 0 && b.opt.Transport != nil {
		b.opt.Transport.Send(recs)
	}
}

// receive hands over the events another server committed, which its bus
// sent over the transport: like deliver, after any earlier events read
// from the log, and each once.
func (b *Bus) receive(recs []*Record) {
	b.mu.Lock()
	defer b.mu.Unlock()
	select {
	case <-b.quit:
		return
	default:
	}
	if len(recs) == 0 || b.last < 0 {
		// Nothing handed out yet: the poller's first read of the log
		// sets where live delivery starts.
		return
	}
	if recs[0].ID > b.last+1 {
		b.catchUp(recs[0].ID - 1)
	}
	for _, r := range recs {
		r.Remote = true
		b.fanOut(r)
	}
}

// fanOut hands one event to every subscriber, once, in id order. It is
// called with b.mu held.
func (b *Bus) fanOut(r *Record) {
	if r.ID <= b.last {
		return // already handed over by a poll
	}
	b.last = r.ID
	for s := range b.subs {
		select {
		case s.ch <- r:
		default:
			close(s.ch)
			delete(b.subs, s)
			b.dropped.Add(1)
		}
	}
}

// Dropped returns how many live readers have been dropped so far for
// falling Options.Buffer events behind.
func (b *Bus) Dropped() int64 { return b.dropped.Load() }

// catchUp hands over the logged events after b.last up to id upto (all of
// them when upto < 0). It is called with b.mu held.
func (b *Bus) catchUp(upto int64) {
	ctx := context.Background()
	if b.last < 0 {
		_, last, err := b.store.EventBounds(ctx)
		if err != nil {
			b.log.Error("event log bounds", "err", err)
			return
		}
		b.last = last
		return
	}
	for upto < 0 || b.last < upto {
		page, err := b.store.Events(ctx, Query{After: b.last, Limit: replayPage})
		if err != nil {
			b.log.Error("event log read", "err", err)
			return
		}
		for _, r := range page {
			if upto >= 0 && r.ID > upto {
				return
			}
			r.Remote = true
			b.fanOut(r)
		}
		if len(page) < replayPage {
			return
		}
	}
}

// poller streams what other servers commit: it reads the log's new events
// every PollEvery.
func (b *Bus) poller() {
	defer b.wg.Done()
	t := time.NewTicker(b.opt.PollEvery)
	defer t.Stop()
	for {
		b.mu.Lock()
		b.catchUp(-1)
		b.mu.Unlock()
		select {
		case <-t.C:
		case <-b.quit:
			return
		}
	}
}

// MatchHooks returns the ids of the webhooks that get the event: those
// whose filter it passes and whose owner party may see it. Stores call it
// when they log an event.
func MatchHooks(hooks []*Webhook, e *truce.Event) []string {
	var ids []string
	for _, w := range hooks {
		if w.Filter().Match(e) && e.Visibility.Allows(partyActor(w.Party)) {
			ids = append(ids, w.ID)
		}
	}
	return ids
}

// partyActor is the reader a webhook stands for: its owner party, with no
// roles, so a webhook sees what every member of the party may see and no
// more (not what its creating administrator could).
func partyActor(party string) *truce.Caller {
	return &truce.Caller{User: &truce.User{PartyID: party}, Party: &truce.Party{ID: party}}
}

// subscribe adds a live subscriber and returns it with the id of the last
// event handed to subscribers before it (-1 when not known yet): every
// later event reaches it, none before.
func (b *Bus) subscribe() (*sub, int64) {
	s := &sub{ch: make(chan *Record, b.opt.Buffer)}
	b.mu.Lock()
	defer b.mu.Unlock()
	select {
	case <-b.quit:
		close(s.ch)
	default:
		b.subs[s] = struct{}{}
	}
	return s, b.last
}

func (b *Bus) unsubscribe(s *sub) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if _, ok := b.subs[s]; ok {
		delete(b.subs, s)
		close(s.ch)
	}
}

func (b *Bus) purger() {
	defer b.wg.Done()
	t := time.NewTicker(b.opt.PurgeEvery)
	defer t.Stop()
	for {
		b.Purge(context.Background())
		select {
		case <-t.C:
		case <-b.quit:
			return
		}
	}
}

// Purge deletes events beyond the retention now (the bus also does it
// every PurgeEvery) and returns how many it deleted.
func (b *Bus) Purge(ctx context.Context) int64 {
	n, err := b.store.PurgeEvents(ctx, b.opt.Now().Add(-b.opt.Retention), b.opt.MaxEvents)
	if err != nil {
		b.log.Error("event log purge", "err", err)
	}
	return n
}

// Cursor reads the events after an id that an actor may see and a filter
// selects: first from the log, then live, with no gap and no duplicate. A
// Cursor is used by one goroutine.
type Cursor struct {
	b      *Bus
	actor  *truce.Caller
	f      Filter
	last   int64
	live   bool
	sub    *sub
	page   []*Record
	caught bool // replay found nothing more in the log
	// Missed is set when events after the requested id were purged
	// before they could be read: the reader has a gap it cannot fill
	// and should reload its state.
	Missed bool
	// EndIfBehind makes Next return ErrBehind when the reader has
	// fallen Options.Buffer events behind, instead of catching up from
	// the log: a remote reader (a stream) then resumes with a new
	// request, so a slow one costs the server nothing while it lags.
	EndIfBehind bool
}

const replayPage = 256

// Follow returns a cursor over the events with ids greater than after, or
// over those committed from now on when after is FromNow. With live false
// the cursor ends (io.EOF) once the log is read; with live true it then
// waits for new events. An after beyond the newest id (a log from another
// database) is taken as the newest.
func (b *Bus) Follow(ctx context.Context, a *truce.Caller, f Filter, after int64, live bool) (*Cursor, error) {
	if err := f.Validate(); err != nil {
		return nil, err
	}
	if after < 0 && after != FromNow {
		return nil, truce.Errorf(truce.EINVALID, "The last event id must not be negative.")
	}
	c := &Cursor{b: b, actor: a, f: f, last: after, live: live}
	var handed int64 = -1
	if live {
		// Subscribe before reading the log: anything committed later is
		// then either in the log read or on the channel (or both, and
		// the id check drops the copy).
		c.sub, handed = b.subscribe()
	}
	if after == FromNow && handed >= 0 {
		// The subscription was taken right after the event with id
		// handed went out: the channel holds everything after it, so
		// the log need not be read at all.
		c.last, c.caught = handed, true
		return c, nil
	}
	first, last, err := b.store.EventBounds(ctx)
	if err != nil {
		c.Close()
		return nil, err
	}
	if after > last || after == FromNow {
		c.last = last
	}
	if after > 0 && first > after+1 {
		c.Missed = true
	}
	return c, nil
}

// LastID returns the id of the last event the cursor has passed (returned
// or skipped); a reader resumes after it.
func (c *Cursor) LastID() int64 { return c.last }

// Buffered reports whether Next has something at hand that it can return
// without waiting: events read from the log or queued by the bus, or a log
// still to replay. A stream flushes its writes only once nothing is, so a
// burst of events goes out in a few writes rather than one each.
func (c *Cursor) Buffered() bool {
	return len(c.page) > 0 || !c.caught || (c.sub != nil && len(c.sub.ch) > 0)
}

// Close ends the cursor's live subscription.
func (c *Cursor) Close() {
	if c.sub != nil {
		c.b.unsubscribe(c.sub)
		c.sub = nil
	}
}

func (c *Cursor) wants(r *Record) bool {
	return r.Visibility.Allows(c.actor) && c.f.Match(&r.Event)
}

// Next returns the next event. It waits up to wait for one (forever if
// wait <= 0) and returns nil, nil when none came, so the caller can send a
// heartbeat. It returns io.EOF at the end of a non-live cursor or once
// the bus is closed, and ctx's error when ctx ends.
func (c *Cursor) Next(ctx context.Context, wait time.Duration) (*Record, error) {
	var timeout <-chan time.Time
	if wait > 0 {
		t := time.NewTimer(wait)
		defer t.Stop()
		timeout = t.C
	}
	for {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		if len(c.page) > 0 {
			r := c.page[0]
			c.page = c.page[1:]
			if r.ID <= c.last {
				continue
			}
			c.last = r.ID
			if c.wants(r) {
				return r, nil
			}
			continue
		}
		if !c.caught {
			page, err := c.b.store.Events(ctx, c.f.query(c.last, replayPage))
			if err != nil {
				return nil, err
			}
			c.page = page
			c.caught = len(page) == 0
			continue
		}
		if !c.live {
			return nil, io.EOF
		}
		if c.sub == nil {
			return nil, io.EOF
		}
		select {
		case r, ok := <-c.sub.ch:
			if !ok {
				// Dropped for lagging (or the bus closed): catch up from
				// the log with a fresh subscription taken first.
				select {
				case <-c.b.quit:
					c.sub = nil
					return nil, io.EOF
				default:
				}
				if c.EndIfBehind {
					c.sub = nil
					return nil, ErrBehind
				}
				c.sub, _ = c.b.subscribe()
				c.caught = false
				continue
			}
			if r.ID <= c.last {
				continue
			}
			c.last = r.ID
			if c.wants(r) {
				return r, nil
			}
		case <-timeout:
			return nil, nil
		case <-c.b.streamsDone:
			c.Close()
			return nil, io.EOF
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}
