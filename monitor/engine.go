package monitor

import (
	"context"
	"errors"
	"fmt"
	"math"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/paulmach/orb"
	"github.com/truce-project/truce/feed"
	"github.com/truce-project/truce/spatial"
)

// Defaults for Config's zero values.
const (
	DefaultHorizontalM     = 9260 // 5 NM
	DefaultVerticalFt      = 1000
	DefaultLookAhead       = 120 * time.Second
	DefaultPredictStep     = 5 * time.Second
	DefaultPredictHold     = 30 * time.Second
	DefaultStaleAfter      = 60 * time.Second
	DefaultConfirm         = 2
	DefaultProximityMargin = 0.1
	DefaultHistoryLen      = 48
	DefaultHistorySpacing  = 10 * time.Second
	DefaultMaxTracks       = 20000
	DefaultQueueSize       = 1 << 16
	DefaultMaxDelay        = 120 * time.Second
	DefaultMaxAhead        = 10 * time.Second
	DefaultNearM           = 40000
)

// MaxMaxDelay bounds Config.MaxDelay and Config.MaxAhead: the feed
// decoders refuse reports timed further from their receipt than that.
const MaxMaxDelay = time.Hour

// MaxConfirm bounds Config.Confirm: more would delay an entry alert by
// minutes at a typical report rate.
const MaxConfirm = 16

// ErrConfig is wrapped by New's errors about a bad Config.
var ErrConfig = errors.New("monitor: invalid configuration")

// ErrRunning is returned by Run when another Run is already working.
var ErrRunning = errors.New("monitor: already running")

// Separation is a pair of separation minima.
type Separation struct {
	HorizontalM float64 // metres
	VerticalFt  float64 // feet
}

// Config configures an Engine. Every field is optional; zero values take
// the defaults above.
type Config struct {
	// Zones returns the zones to check against, typically
	// (*spatial.ZoneIndex).Snapshot; nil or a nil result means no zones.
	// It is called once per batch of positions, so it must be cheap.
	Zones func() *spatial.Snapshot
	// Watch says which zones raise alerts (for example only no-fly zones);
	// nil watches every zone. It is called for every zone holding a
	// position, so it must be cheap (a map lookup) and safe to call from the
	// engine's goroutine.
	Watch func(zoneID string) bool
	// Attribute returns the party an aircraft belongs to, or "" for none.
	// It is called when a track is created and when its callsign changes.
	Attribute func(icao uint32, callsign string) string

	// Separation is the default minima (5 NM, 1,000 ft).
	Separation Separation
	// PairSeparation, when set, may override the minima for a pair of
	// parties (ok = false keeps the default). Its horizontal minimum is
	// capped at MaxHorizontalM.
	PairSeparation func(partyA, partyB string) (s Separation, ok bool)
	// MaxHorizontalM is the largest horizontal minimum any pair may have;
	// it sizes the proximity grid. Default Separation.HorizontalM.
	MaxHorizontalM float64
	// ProximityMargin is how far beyond the minima (as a fraction) a pair
	// must be for its proximity episode to end. Default 0.1.
	ProximityMargin float64

	// LookAhead is how far ahead predicted entry looks (default 120 s; a
	// negative value disables prediction). PredictStep is the spacing in
	// time of the tested points (default 5 s). PredictHold is how long a
	// predicted entry must stay unpredicted before its episode ends (default
	// 30 s).
	LookAhead, PredictStep, PredictHold time.Duration

	// StaleAfter is the silence after which a track is dropped (default
	// 60 s): the time on the engine's clock since its last report was
	// processed, so a track fed late is not dropped sooner than one fed on
	// time.
	StaleAfter time.Duration
	// MaxDelay is the latency the engine accepts (default 120 s): a report
	// timed more than MaxDelay before the engine's clock is not used
	// (outcome TooOld). Below it, a late report is judged on its own time
	// like a current one. Aggregators, MLAT and satellite ADS-B run 5–30 s
	// late; at most MaxMaxDelay.
	MaxDelay time.Duration
	// MaxAhead is how far after the wall clock (Config.Now when set) a
	// report may be timed (default 10 s, for receivers' clock errors); a
	// later one is not used (outcome Future), since it would make every
	// true report of its aircraft look out of order.
	MaxAhead time.Duration
	// NearM is how far (metres, default 40 km: two minutes at 650 kt) from
	// a watched zone's bounding box an aircraft counts as near the zone
	// when the track table is full (see the package documentation).
	NearM float64
	// Confirm is the number of consecutive positions that make an entry or
	// exit (default 2, at most MaxConfirm); see the package documentation.
	Confirm int

	// HistoryLen and HistorySpacing bound each track's evidence history:
	// at most HistoryLen positions (default 48) at least HistorySpacing
	// apart (default 10 s). A negative HistoryLen keeps none.
	HistoryLen     int
	HistorySpacing time.Duration
	// MaxTracks is the capacity of the track table (default 20,000). When
	// it is full a new aircraft takes the place of a track of lower
	// priority, or of a silent one of its own; one in or near a watched
	// zone may take up to MaxTracks/4 more places; otherwise its reports
	// are refused (outcome TableFull). See the package documentation.
	MaxTracks int
	// QueueSize is the capacity of Ingest's queue (default 65,536).
	QueueSize int

	// Now, when set, is the clock of Run's expiry and of ZonesChanged. By
	// default the engine follows its feed: the time of the latest position
	// processed, advanced by the wall-clock time since, but never ahead of
	// the wall clock. So a replay of a past recording does not see every
	// track go stale at once, and one report stamped in the future cannot
	// expire the others.
	Now func() time.Time
	// Intents returns the active operations whose aircraft are held to
	// their volumes (see Intents); nil or a nil result: none. Like Zones,
	// it is called once per batch of positions, so it must be cheap.
	Intents func() *Intents
	// Emit receives every alert; see the package documentation. Nil
	// discards alerts (they are still counted).
	Emit func(Alert)
}

// Counters are the engine's counts, safe to read at any time.
type Counters struct {
	Ingested   atomic.Uint64 // positions accepted by Ingest
	Dropped    atomic.Uint64 // positions Ingest refused because the queue was full
	Processed  atomic.Uint64 // positions processed (by Run or Process): Used plus the counts below of positions seen and not used
	Used       atomic.Uint64 // positions processed and used: merged into their track and checked
	Checks     atomic.Uint64 // zone-index lookups: one per position, plus predicted points
	Alerts     atomic.Uint64 // alerts emitted
	Refused    atomic.Uint64 // positions of new aircraft refused at MaxTracks (outcome TableFull)
	Evicted    atomic.Uint64 // tracks dropped to make room for a new aircraft of higher priority
	Overflow   atomic.Uint64 // tracks made beyond MaxTracks for aircraft in or near watched zones
	Expired    atomic.Uint64 // tracks dropped as stale
	OutOfOrder atomic.Uint64 // positions older than their track's last one
	TooOld     atomic.Uint64 // positions older than the engine's clock by more than MaxDelay
	Future     atomic.Uint64 // positions later than the wall clock by more than MaxAhead
	Invalid    atomic.Uint64 // positions with coordinates out of range or not finite, ignored
	Sweeps     atomic.Uint64 // passes of Run's expiry of stale tracks (one a second), counted when each ends
}

// Engine is the monitor. Its methods are safe for concurrent use.
type Engine struct {
	cfg Config

	// Counters are the engine's counts.
	Counters Counters

	// The queue is a list of chunks of batchSize positions under its own
	// lock, which Run empties at once: a channel cost a lock, a copy and
	// often a wake-up of the worker for every position; this costs a lock
	// and a copy, and a wake-up only when the queue was empty. Chunks are
	// recycled, so a busy queue neither allocates nor copies what it holds.
	qmu     sync.Mutex
	qfull   [][]feed.Position // filled chunks, oldest first
	qcur    []feed.Position   // the chunk being filled, or nil
	qfree   [][]feed.Position // empty chunks for reuse
	qlen    int               // positions queued
	qtaken  [][]feed.Position // scratch of take
	qseq    uint64            // positions ever queued: the next one's sequence number
	qrcpt   []*Receipt        // receipts of queued positions, in sequence order
	qrtaken []*Receipt        // scratch of take
	wake    chan struct{}     // capacity 1: the queue became non-empty
	running atomic.Bool

	// proc serialises processing, so that alerts are emitted in order;
	// mu guards the track table against readers (Track, Tracks).
	proc sync.Mutex
	mu   sync.RWMutex

	tracks  map[uint32]*track
	grid    grid
	pairs   map[uint64]*pair
	gen     uint64 // zone generation, bumped by ZonesChanged
	snap    *spatial.Snapshot
	intents *Intents // conformance.go
	opHits  []string // scratch of conform: operations holding the position
	opIn    []string // scratch of intrude: those of other parties
	confGen uint64   // bumped when intents changes (conformance.go)
	confFor *Intents // the intents confGen and inEvery were derived from
	inEvery []string // parties in every active operation: they intrude on none
	pending []Alert
	hits    []string // scratch: zones holding the current position
	collect func(string) bool
	nChecks uint64 // scratch counters, published once per batch

	// Guarded by proc: the receipts of positions taken from the queue and
	// not yet all processed, in sequence order; those completed by the
	// batch being processed; the sequence number of the next position.
	rq, rdone []*Receipt
	pseq      uint64

	// The batch's clock (Unix ns, guarded by proc and mu): wall is the
	// wall clock (Config.Now when set) and clock the time positions are
	// judged against; see startClock.
	wall, clock int64
	reads       uint64 // batches processed: Process reads the wall clock every 16th (startClock)
	// Capacity: how many tracks beyond MaxTracks positions in or near
	// watched zones may take; the tracks that may give way to a newcomer,
	// by class, and the clock time they were listed (and the table swept)
	// at; where the last newcomer met a full table.
	overflow int
	pools    [classZone][]poolEntry
	poolAt   int64
	full     [2]float64 // see FullAt
	// latest is the time of the latest position processed and latestAt
	// the wall-clock time when it was (Unix ns), for the default clock.
	latest, latestAt atomic.Int64
}

// New returns an engine for cfg, or an error wrapping ErrConfig.
func New(cfg Config) (*Engine, error) {
	if cfg.Separation.HorizontalM == 0 {
		cfg.Separation.HorizontalM = DefaultHorizontalM
	}
	if cfg.Separation.VerticalFt == 0 {
		cfg.Separation.VerticalFt = DefaultVerticalFt
	}
	if cfg.MaxHorizontalM == 0 {
		cfg.MaxHorizontalM = cfg.Separation.HorizontalM
	}
	if cfg.ProximityMargin == 0 {
		cfg.ProximityMargin = DefaultProximityMargin
	}
	if cfg.LookAhead == 0 {
		cfg.LookAhead = DefaultLookAhead
	}
	if cfg.PredictStep == 0 {
		cfg.PredictStep = DefaultPredictStep
	}
	if cfg.PredictHold == 0 {
		cfg.PredictHold = DefaultPredictHold
	}
	if cfg.StaleAfter == 0 {
		cfg.StaleAfter = DefaultStaleAfter
	}
	if cfg.Confirm == 0 {
		cfg.Confirm = DefaultConfirm
	}
	if cfg.HistoryLen == 0 {
		cfg.HistoryLen = DefaultHistoryLen
	}
	if cfg.HistorySpacing == 0 {
		cfg.HistorySpacing = DefaultHistorySpacing
	}
	if cfg.MaxTracks == 0 {
		cfg.MaxTracks = DefaultMaxTracks
	}
	if cfg.QueueSize == 0 {
		cfg.QueueSize = DefaultQueueSize
	}
	if cfg.MaxDelay == 0 {
		cfg.MaxDelay = DefaultMaxDelay
	}
	if cfg.MaxAhead == 0 {
		cfg.MaxAhead = DefaultMaxAhead
	}
	if cfg.NearM == 0 {
		cfg.NearM = DefaultNearM
	}
	bad := func(format string, a ...any) (*Engine, error) {
		return nil, fmt.Errorf("%w: "+format, append([]any{ErrConfig}, a...)...)
	}
	switch {
	case !(cfg.Separation.HorizontalM > 0) || !(cfg.Separation.VerticalFt > 0) || math.IsInf(cfg.Separation.HorizontalM, 0) || math.IsInf(cfg.Separation.VerticalFt, 0):
		return bad("separation minima must be positive and finite, got %+v", cfg.Separation)
	case !(cfg.MaxHorizontalM >= cfg.Separation.HorizontalM) || cfg.MaxHorizontalM > 1e6:
		return bad("MaxHorizontalM %v must be at least the default horizontal minimum and at most 1,000 km", cfg.MaxHorizontalM)
	case !(cfg.ProximityMargin > 0) || cfg.ProximityMargin > 10:
		return bad("ProximityMargin %v must be in (0, 10]", cfg.ProximityMargin)
	case cfg.PredictStep < 0 || cfg.PredictHold < 0 || cfg.StaleAfter < 0 || cfg.HistorySpacing < 0:
		return bad("durations must not be negative")
	case cfg.LookAhead > 0 && cfg.LookAhead/cfg.PredictStep > 1000:
		return bad("LookAhead %v over PredictStep %v gives more than 1,000 points", cfg.LookAhead, cfg.PredictStep)
	case cfg.Confirm < 1 || cfg.Confirm > MaxConfirm:
		return bad("Confirm %d must be in [1, %d]", cfg.Confirm, MaxConfirm)
	case cfg.HistoryLen > 10000:
		return bad("HistoryLen %d is above 10,000", cfg.HistoryLen)
	case cfg.MaxTracks < 1 || cfg.QueueSize < 1:
		return bad("MaxTracks and QueueSize must be positive")
	case cfg.MaxDelay < 0 || cfg.MaxDelay > MaxMaxDelay || cfg.MaxAhead < 0 || cfg.MaxAhead > MaxMaxDelay:
		return bad("MaxDelay %v and MaxAhead %v must be in (0, %v]", cfg.MaxDelay, cfg.MaxAhead, MaxMaxDelay)
	case !(cfg.NearM > 0) || cfg.NearM > 1e6:
		return bad("NearM %v must be in (0, 1,000 km]", cfg.NearM)
	}
	e := &Engine{
		cfg:    cfg,
		wake:   make(chan struct{}, 1),
		tracks: make(map[uint32]*track),
		pairs:  make(map[uint64]*pair),
	}
	e.collect = e.collectHit
	e.overflow = max(1, cfg.MaxTracks/4)
	e.grid.init(cfg.MaxHorizontalM + coverSlackM)
	return e, nil
}

// Ingest queues p for Run's worker without blocking. It returns false, and
// counts the position as dropped, when the queue is full.
func (e *Engine) Ingest(p feed.Position) bool {
	e.qmu.Lock()
	if e.qlen >= e.cfg.QueueSize {
		e.qmu.Unlock()
		e.Counters.Dropped.Add(1)
		return false
	}
	if len(e.qcur) == cap(e.qcur) {
		e.nextChunk()
	}
	e.qcur = append(e.qcur, p)
	e.qlen++
	e.qseq++
	first := e.qlen == 1
	e.qmu.Unlock()
	e.Counters.Ingested.Add(1)
	if first {
		e.signal()
	}
	return true
}

// IngestBatch queues as many of ps as the queue has room for, in order,
// and counts the rest as dropped; it returns how many it queued. It is
// Ingest for a caller holding many positions at once (one lock for all).
func (e *Engine) IngestBatch(ps []feed.Position) int {
	e.qmu.Lock()
	k, wake := e.enqueue(ps)
	e.qmu.Unlock()
	e.ingested(k, len(ps), wake)
	return k
}

// enqueue appends as many of ps as the queue has room for and returns how
// many, and whether the queue was empty before (the worker must be woken).
// It is called with qmu held.
func (e *Engine) enqueue(ps []feed.Position) (int, bool) {
	k := min(len(ps), e.cfg.QueueSize-e.qlen)
	for rest := ps[:k]; len(rest) > 0; {
		if len(e.qcur) == cap(e.qcur) {
			e.nextChunk()
		}
		n := min(len(rest), cap(e.qcur)-len(e.qcur))
		e.qcur = append(e.qcur, rest[:n]...)
		rest = rest[n:]
	}
	wake := k > 0 && e.qlen == 0
	e.qlen += k
	e.qseq += uint64(k)
	return k, wake
}

// ingested counts k of n positions queued, the rest dropped, and wakes the
// worker if the queue was empty.
func (e *Engine) ingested(k, n int, wake bool) {
	if k > 0 {
		e.Counters.Ingested.Add(uint64(k))
	}
	if wake {
		e.signal()
	}
	if k < n {
		e.Counters.Dropped.Add(uint64(n - k))
	}
}

// nextChunk files the current chunk, if any, and starts another. It is
// called with qmu held.
func (e *Engine) nextChunk() {
	if e.qcur != nil {
		e.qfull = append(e.qfull, e.qcur)
	}
	if n := len(e.qfree); n > 0 {
		e.qcur, e.qfree = e.qfree[n-1], e.qfree[:n-1]
	} else {
		e.qcur = make([]feed.Position, 0, batchSize)
	}
}

func (e *Engine) signal() {
	select {
	case e.wake <- struct{}{}:
	default: // a wake-up is pending already
	}
}

// take empties the queue and returns its chunks, oldest first, and the
// receipts of what they hold; the slices are valid until the next take.
func (e *Engine) take() ([][]feed.Position, []*Receipt) {
	e.qmu.Lock()
	defer e.qmu.Unlock()
	b := append(e.qtaken[:0], e.qfull...)
	if len(e.qcur) > 0 {
		b = append(b, e.qcur)
		e.qcur = nil
	}
	clear(e.qfull)
	e.qfull, e.qlen, e.qtaken = e.qfull[:0], 0, b
	rs := append(e.qrtaken[:0], e.qrcpt...)
	clear(e.qrcpt)
	e.qrcpt, e.qrtaken = e.qrcpt[:0], rs
	return b, rs
}

// batchSize is the size of the queue's chunks, each processed under one
// hold of the track lock, so readers (Track, Tracks) wait for at most a
// few hundred positions.
const batchSize = 256

// processQueued processes the chunks taken from the queue and recycles
// them.
func (e *Engine) processQueued(chunks [][]feed.Position, rs []*Receipt) {
	if len(rs) > 0 {
		e.proc.Lock()
		e.rq = append(e.rq, rs...)
		e.proc.Unlock()
		clear(rs)
	}
	for _, c := range chunks {
		e.processBatch(c, true)
		clear(c) // drop the strings the positions held
	}
	e.qmu.Lock()
	// Keep as many empty chunks as a full queue needs, no more.
	for _, c := range chunks {
		if len(e.qfree)*batchSize >= e.cfg.QueueSize+batchSize {
			break
		}
		e.qfree = append(e.qfree, c[:0])
	}
	e.qmu.Unlock()
	clear(chunks)
}

// Run processes queued positions and expires stale tracks every second
// until ctx is done, then processes what is still queued and returns ctx's
// error. Only one Run may work at a time.
func (e *Engine) Run(ctx context.Context) error {
	if !e.running.CompareAndSwap(false, true) {
		return ErrRunning
	}
	defer e.running.Store(false)
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			// What was queued before the end, not what keeps coming.
			e.processQueued(e.take())
			return ctx.Err()
		case <-tick.C:
			e.Expire(e.Now())
			e.Counters.Sweeps.Add(1)
		case <-e.wake:
			e.processQueued(e.take())
			// Yield a few times before blocking on an empty queue: a feed
			// delivering a position every microsecond would otherwise wake
			// this goroutine (a futex call) for a few positions at a time.
			// Positions queued meanwhile have signalled (the first into
			// the emptied queue does), so the select comes back for them,
			// and lets the expiry tick and the end of ctx in between.
			for i := 0; i < 4 && e.queued() == 0; i++ {
				runtime.Gosched()
			}
		}
	}
}

func (e *Engine) queued() int {
	e.qmu.Lock()
	defer e.qmu.Unlock()
	return e.qlen
}

// Now returns the engine's clock: Config.Now, or by default the feed's
// time as described there.
func (e *Engine) Now() time.Time {
	if e.cfg.Now != nil {
		return e.cfg.Now()
	}
	wall := time.Now()
	at := e.latestAt.Load()
	if at == 0 {
		return wall
	}
	feedNow := time.Unix(0, e.latest.Load()+wall.UnixNano()-at)
	if feedNow.After(wall) {
		return wall
	}
	return feedNow
}

// Process processes one position at once, emitting its alerts before it
// returns, and returns what it did with it. It is for tests and replays; a
// live feed goes through Ingest or Submit.
func (e *Engine) Process(p feed.Position) Outcome {
	return e.processBatch([]feed.Position{p}, false)
}

// processBatch processes ps (taken from the queue when queued) and returns
// the outcome of the last.
func (e *Engine) processBatch(ps []feed.Position, queued bool) Outcome {
	e.proc.Lock()
	defer e.proc.Unlock()
	e.mu.Lock()
	e.snap = nil
	if e.cfg.Zones != nil {
		e.snap = e.cfg.Zones()
	}
	e.loadIntents()
	e.startClock(queued)
	o := Used
	var used uint64
	for i := range ps {
		if o = e.process(&ps[i]); o == Used {
			used++
		}
		if queued {
			e.tally(e.pseq, o)
			e.pseq++
		}
	}
	if e.clock > e.latest.Load() {
		e.latest.Store(e.clock)
		e.latestAt.Store(e.wall)
	}
	e.Counters.Processed.Add(uint64(len(ps)))
	e.Counters.Used.Add(used)
	e.flush()
	for i, r := range e.rdone {
		close(r.done)
		e.rdone[i] = nil
	}
	e.rdone = e.rdone[:0]
	return o
}

// startClock sets the engine's clock for a batch: the wall clock
// (Config.Now when set), and the clock the positions are judged on, which
// by default follows the feed (see Config.Now) and is moved on by each
// position used. Reading the wall clock costs as much as a tenth of a
// position's processing, so Process (one position a call) reads it every
// 16 calls, and sooner if a position may be from the future; a queued
// batch (fresh) reads it every time.
func (e *Engine) startClock(fresh bool) {
	if e.cfg.Now != nil {
		e.wall = e.cfg.Now().UnixNano()
		e.clock = e.wall
		return
	}
	if e.reads++; fresh || e.reads%16 == 0 || e.wall == 0 {
		e.wall = time.Now().UnixNano()
	}
	if at := e.latestAt.Load(); at != 0 {
		e.clock = min(e.latest.Load()+e.wall-at, e.wall)
	} else {
		e.clock = math.MinInt64 // no position yet: the first sets the clock
	}
}

// flush publishes the scratch counters, releases the track lock and emits
// the pending alerts. It is called with both locks held and returns with
// only e.proc held.
func (e *Engine) flush() {
	if e.nChecks > 0 {
		e.Counters.Checks.Add(e.nChecks)
		e.nChecks = 0
	}
	alerts := e.pending
	e.pending = e.pending[len(e.pending):]
	e.mu.Unlock()
	if len(alerts) > 0 {
		e.Counters.Alerts.Add(uint64(len(alerts)))
		if e.cfg.Emit != nil {
			for i := range alerts {
				e.cfg.Emit(alerts[i])
			}
		}
		clear(alerts)
		e.pending = alerts[:0]
	}
}

// Expire drops the tracks silent since before now - StaleAfter, closing
// their episodes (zone exits with Reason "track_lost").
func (e *Engine) Expire(now time.Time) {
	e.proc.Lock()
	defer e.proc.Unlock()
	e.mu.Lock()
	cut := now.UnixNano() - int64(e.cfg.StaleAfter)
	for _, t := range e.tracks {
		if t.arrived < cut {
			e.drop(t, now)
		}
	}
	e.flush()
}

// ZonesChanged re-evaluates every track's last position against the zones
// with these ids (nil means every zone) as they are now, at the engine's
// clock time, and raises entry and exit alerts at once (see the package
// documentation). Call it after changing the zone index or the Watch rule.
func (e *Engine) ZonesChanged(ids []string) {
	e.proc.Lock()
	defer e.proc.Unlock()
	e.mu.Lock()
	e.snap = nil
	if e.cfg.Zones != nil {
		e.snap = e.cfg.Zones()
	}
	e.gen++
	now := e.Now().UTC()
	var only map[string]bool
	if ids != nil {
		only = make(map[string]bool, len(ids))
		for _, id := range ids {
			only[id] = true
		}
	}
	for _, t := range e.tracks {
		if t.hasPos {
			e.reevaluate(t, now, only)
		}
	}
	e.flush()
}

// PartiesChanged calls Attribute again for every track, as when the
// attribution rules change. Proximity episodes between aircraft that are now
// of the same party or unattributed end silently.
func (e *Engine) PartiesChanged() {
	e.proc.Lock()
	defer e.proc.Unlock()
	e.mu.Lock()
	for _, t := range e.tracks {
		e.attribute(t)
	}
	e.flush()
}

// TrackInfo is a copy of a track's state.
type TrackInfo struct {
	ICAO            uint32
	Callsign        string
	Squawk          feed.Squawk
	Party           string
	Position        Point   // the last position; AltFt, GroundSpeedKt, TrackDeg are the last known values
	VerticalRateFpm float64 // NaN when unknown
	OnGround        bool
	Present         feed.Fields // the fields ever received
	LastSeen        time.Time   // time of the last report of any kind
	Relocated       bool
	Zones           []string // watched zones the track is confirmed inside, in entry order
	History         []Point  // oldest first; only Track fills it
}

// Track returns the state of one aircraft, with its history.
func (e *Engine) Track(icao uint32) (TrackInfo, bool) {
	e.mu.RLock()
	defer e.mu.RUnlock()
	t := e.tracks[icao]
	if t == nil {
		return TrackInfo{}, false
	}
	ti := t.info()
	ti.History = t.history.points(nil)
	return ti, true
}

// Tracks calls fn with every track whose last position is in bbox (lon/lat;
// a zero bbox means everywhere), without history, until fn returns false.
// Tracks holds a read lock while it runs, so fn must be quick.
func (e *Engine) Tracks(bbox orb.Bound, fn func(TrackInfo) bool) {
	all := bbox == orb.Bound{}
	e.mu.RLock()
	defer e.mu.RUnlock()
	for _, t := range e.tracks {
		if !t.hasPos || (!all && !bbox.Contains(orb.Point{t.pos.Lon, t.pos.Lat})) {
			continue
		}
		if !fn(t.info()) {
			return
		}
	}
}

// Len returns the number of tracks.
func (e *Engine) Len() int {
	e.mu.RLock()
	defer e.mu.RUnlock()
	return len(e.tracks)
}
