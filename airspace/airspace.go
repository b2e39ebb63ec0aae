package airspace

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/truce-project/truce"
	"github.com/truce-project/truce/feed"
	"github.com/truce-project/truce/monitor"
	"github.com/truce-project/truce/spatial"
	"github.com/truce-project/truce/zones"
)

// WatchedZoneKinds are the zone kinds the airspace monitor checks aircraft
// against.
var WatchedZoneKinds = []truce.ZoneKind{truce.ZoneNoFly}

// Host runs the monitor: feeds in, alerts out to the journal.
type Host struct {
	svc     *Service
	zones   *zones.Service
	store   HostStore
	log     *slog.Logger
	refresh Refresh
	reg     *prometheus.Registry
	cfg     Config

	engine *monitor.Engine
	attr   Attribution
	seps   atomic.Pointer[map[partyPair]monitor.Separation]
	// signatories are the signatories of the agreements in force, by
	// agreement id: the parties a zone alert concerns.
	signatories atomic.Pointer[map[string][]string]
	// rules are the rules of the agreements in force, by agreement id:
	// the exemptions from flying in their no-fly zones (exempt.go).
	rules atomic.Pointer[map[string]truce.AgreementRules]
	// intents are the active operations the engine holds aircraft to,
	// and their parties (conformance.go).
	intents atomic.Pointer[intents]
	// following serialises handle and the periodic reloads: each reads
	// the database and then swaps in what it read, so two at once (a
	// request's change and another server's) could leave the older
	// reading in place.
	following sync.Mutex

	mu       sync.Mutex
	holder   string                        // this server's name for leases
	leading  bool                          // it holds the feeds lease
	leaseGen uint64                        // counts successful renewals
	feeds    map[string]context.CancelFunc // feed id -> stop
	alerts   []monitor.Alert               // queued for the journal
	room     *sync.Cond                    // signalled when an alert has been written
	wake     chan struct{}
	waits    atomic.Uint64 // times the engine waited for room in the queue
	// failingSince is when journalling alerts began to fail (unix ns; 0
	// while it succeeds); lost counts alerts the journal refused for good.
	failingSince atomic.Int64
	lost         atomic.Uint64
	outstanding  int // alerts queued or being written
	limit        int // MaxQueuedAlerts; lowered by tests
	peak         int // the most alerts outstanding at once

	// stoppingSince is when the journal first found itself stopping with
	// an alert it could not write (unix ns; 0: not yet).
	stoppingSince atomic.Int64

	ctx     context.Context // feeds and the engine
	cancel  context.CancelFunc
	wg      sync.WaitGroup
	ln      net.Listener
	started bool

	stopJournal chan struct{} // closed once the engine has stopped
	journalDone chan struct{}

	capacity capacity                  // pressure on the track table; capacity.go
	badLines struct{ n atomic.Uint64 } // live SBS lines refused
}

// HostStore is what the air picture reads and leases beyond the service:
// the agreements (for separation minima), the aircraft registry (for
// attribution) and the feeds lease.
type HostStore interface {
	Agreements(ctx context.Context, f truce.AgreementFilter) ([]*truce.Agreement, error)
	AircraftList(ctx context.Context, partyID string) ([]*truce.Aircraft, error)
	AcquireLease(ctx context.Context, name, holder string, now, until time.Time) (bool, error)
	ReleaseLease(ctx context.Context, name, holder string) error
}

// Refresh runs fn, a refresh of an engine after a commit known by key, and
// retries it until it succeeds (node's refresher); lock is held around fn
// and after on a retry, and after tells the engine what a retry changed.
type Refresh func(key, what string, lock sync.Locker, fn func(context.Context) error, after func())

// Config is what a Host is built from.
type Config struct {
	// Service journals the alerts and vouches for the registry and feeds
	// read.
	Service *Service
	// Zones holds the agreements and the zone index, which must be loaded.
	Zones  *zones.Service
	Store  HostStore
	Logger *slog.Logger
	// Refresh retries the refreshes that follow commits; nil runs each
	// once and logs a failure.
	Refresh Refresh
	// Registry takes the monitor's metrics; nil registers none.
	Registry *prometheus.Registry
	// Holder names this server for the feeds lease (LeaseHolder).
	Holder string
	// SBSListen, when set, is a TCP address on which pushed SBS-1
	// streams are accepted.
	SBSListen string
	// The engine's settings: see node.Config and monitor.Config.
	StaleAfter, LookAhead time.Duration
	MaxTracks             int
	MaxDelay, MaxAhead    time.Duration
}

// MaxQueuedAlerts bounds the alerts waiting for the journal (queued or
// being written). When it is reached the engine waits (alerts are never dropped), its position queue
// fills, and positions are shed and counted instead: memory stays bounded
// however busy the sky.
const MaxQueuedAlerts = 4096

// New builds the host and its engine from the registry and the
// agreements in force; Start runs it.
func New(ctx context.Context, c Config) (*Host, error) {
	a := &Host{svc: c.Service, zones: c.Zones, store: c.Store, log: c.Logger, refresh: c.Refresh, reg: c.Registry, cfg: c,
		feeds: map[string]context.CancelFunc{}, wake: make(chan struct{}, 1),
		stopJournal: make(chan struct{}), journalDone: make(chan struct{}), holder: c.Holder}
	if a.log == nil {
		a.log = slog.Default()
	}
	if a.refresh == nil {
		a.refresh = func(_, what string, _ sync.Locker, fn func(context.Context) error, _ func()) {
			if err := fn(context.Background()); err != nil {
				a.log.Error("engine refresh failed", "what", what, "err", err)
			}
		}
	}
	a.room = sync.NewCond(&a.mu)
	a.limit = MaxQueuedAlerts
	a.ctx, a.cancel = context.WithCancel(context.Background())
	a.attr.Vouch = a.svc.JournalledAircraft
	if err := a.attr.Load(ctx, a.store); err != nil {
		return nil, err
	}
	maxSep, err := a.loadSeparations(ctx)
	if err != nil {
		return nil, err
	}
	zi := a.zones.Index
	idx := zi.Spatial()
	e, err := monitor.New(monitor.Config{
		Zones: func() *spatial.Snapshot { return idx.Snapshot() },
		// The index holds each entry's version as the journal vouches
		// for it: a watched kind there is a watched zone.
		Watch: func(id string) bool {
			r, ok := zi.Record(id)
			return ok && slices.Contains(WatchedZoneKinds, r.Version.Spec.Kind)
		},
		Attribute: a.attr.Party,
		Intents:   a.engineIntents,
		PairSeparation: func(p, q string) (monitor.Separation, bool) {
			s, ok := (*a.seps.Load())[pairOf(p, q)]
			return s, ok
		},
		MaxHorizontalM: max(monitor.DefaultHorizontalM, maxSep),
		StaleAfter:     c.StaleAfter,
		LookAhead:      c.LookAhead,
		MaxTracks:      c.MaxTracks,
		MaxDelay:       c.MaxDelay,
		MaxAhead:       c.MaxAhead,
		Emit:           a.emit,
	})
	if err != nil {
		return nil, err
	}
	a.engine = e
	return a, nil
}

// Start runs the engine and the journal writer, takes the feeds lease if
// it is free, and opens the SBS listener. Whatever it returns, Stop stops
// what it started.
func (a *Host) Start(ctx context.Context) error {
	e := a.engine
	a.started = true
	a.wg.Add(2)
	go func() { defer a.wg.Done(); e.Run(a.ctx) }()
	go func() { defer a.wg.Done(); a.followPeriods() }()
	go func() { defer close(a.journalDone); a.journal() }()
	if err := a.lead(ctx); err != nil {
		return err
	}
	a.wg.Add(1)
	go func() { defer a.wg.Done(); a.keepLease() }()
	if addr := a.cfg.SBSListen; addr != "" {
		ln, err := net.Listen("tcp", addr)
		if err != nil {
			return fmt.Errorf("SBS listener: %w", err)
		}
		a.ln = ln
		l := &feed.SBSListener{Source: "push:" + addr, Handle: func(p feed.Position) { e.Ingest(p) }, OnBad: a.badSBS("push:" + addr)}
		a.wg.Add(1)
		go func() { defer a.wg.Done(); l.Serve(a.ctx, ln) }()
	}
	if a.reg != nil {
		a.metrics(a.reg)
	}
	a.startHealth(a.reg)
	return nil
}

// Engine is the monitor engine, for benchmarks and operators' tools that
// read its counters and tracks.
func (a *Host) Engine() *monitor.Engine { return a.engine }

// Ingest hands a position to the engine, as a feed would; false means it
// was shed under overload.
func (a *Host) Ingest(p feed.Position) bool { return a.engine.Ingest(p) }

// Attribute returns the party an aircraft is registered to, or "".
func (a *Host) Attribute(icao uint32, callsign string) string { return a.attr.Party(icao, callsign) }

// ZonesChanged tells the engine that the zone index changed.
func (a *Host) ZonesChanged() { a.engine.ZonesChanged(nil) }

// Positions takes the position batches posted to the API for this host's
// engine.
func (a *Host) Positions() *Positions { return &Positions{Use: a.usePositions} }

// Handle follows committed changes that move the air picture.
func (a *Host) Handle(e truce.Event) {
	switch e.Kind {
	case "zone", "agreement", "aircraft", "feed":
	default:
		// Alerts above all: their writers must never wait here, since
		// a change being followed may wait for the engine, and the
		// engine for room that only written alerts make.
		return
	}
	a.following.Lock()
	defer a.following.Unlock()
	ctx := context.Background()
	switch e.Kind {
	case "zone":
		// The zone index, refreshed before this, says which zones are
		// watched (a failed refresh is retried until it succeeds).
		a.engine.ZonesChanged(nil)
	case "agreement":
		// The watched set is zones by kind and name, which an agreement
		// change leaves alone; its zones' own changes come as zone events.
		a.refresh("separations", "monitor: separation minima", &a.following, a.reloadSeparations, func() { a.engine.ZonesChanged(nil) })
		a.engine.ZonesChanged(nil)
	case "aircraft":
		a.refresh("aircraft", "monitor: aircraft registry", &a.following,
			func(ctx context.Context) error { return a.attr.Load(ctx, a.store) }, a.engine.PartiesChanged)
		a.engine.PartiesChanged()
	case "feed":
		f, ok := e.Data.(*truce.FeedSource)
		if !ok {
			// Another server's change, read back from the event log: the
			// feed is configured if it is listed, removed if not.
			fs, err := a.svc.JournalledFeeds(ctx)
			if err != nil {
				a.log.Error("monitor: feeds", "err", err)
				return
			}
			f = &truce.FeedSource{ID: e.Subject, Removed: true}
			for _, x := range fs {
				if x.ID == e.Subject {
					f = x
				}
			}
		}
		if f.Removed {
			a.stopFeed(f.ID)
		} else {
			a.startFeed(f)
		}
	}
}

// Stop stops feeds and the engine, then writes the alerts still queued.
func (a *Host) Stop() {
	if a.ln != nil {
		a.ln.Close()
	}
	a.cancel()
	a.mu.Lock()
	a.room.Broadcast() // an engine waiting for room goes on
	a.mu.Unlock()
	a.wg.Wait()
	if a.started {
		close(a.stopJournal)
		<-a.journalDone
	}
}
