package node

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/paulmach/orb"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/truce-project/truce"
	"github.com/truce-project/truce/api"
	"github.com/truce-project/truce/feed"
	"github.com/truce-project/truce/monitor"
	"github.com/truce-project/truce/service"
	"github.com/truce-project/truce/spatial"
)

// WatchedZoneKinds are the zone kinds the airspace monitor checks aircraft
// against.
var WatchedZoneKinds = []truce.ZoneKind{truce.ZoneNoFly}

// airspace runs the monitor: feeds in, alerts out to the journal.
type airspace struct {
	n      *Node
	engine *monitor.Engine
	attr   service.Attribution
	seps   atomic.Pointer[map[partyPair]monitor.Separation]
	// following serialises handle and the periodic reloads: each reads
	// the database and then swaps in what it read, so two at once (a
	// request's change and another server's) could leave the older
	// reading in place.
	following sync.Mutex

	mu      sync.Mutex
	holder  string                        // this server's name for leases
	leading bool                          // it holds the feeds lease
	feeds   map[string]context.CancelFunc // feed id -> stop
	alerts  []monitor.Alert               // queued for the journal
	room    *sync.Cond                    // signalled when an alert has been written
	wake    chan struct{}
	waits   atomic.Uint64 // times the engine waited for room in the queue
	// failingSince is when journalling alerts began to fail (unix ns; 0
	// while it succeeds); lost counts alerts the journal refused for good.
	failingSince atomic.Int64
	lost         atomic.Uint64
	outstanding  int // alerts queued or being written
	limit        int // MaxQueuedAlerts; lowered by tests
	peak         int // the most alerts outstanding at once

	ctx    context.Context // feeds and the engine
	cancel context.CancelFunc
	wg     sync.WaitGroup
	ln     net.Listener

	stopJournal chan struct{} // closed once the engine has stopped
	journalDone chan struct{}

	capacity capacity                  // pressure on the track table; monitor_health.go
	badLines struct{ n atomic.Uint64 } // live SBS lines refused
}

// MaxQueuedAlerts bounds the alerts waiting for the journal (queued or
// being written). When it is reached the engine waits (alerts are never dropped), its position queue
// fills, and positions are shed and counted instead: memory stays bounded
// however busy the sky.
const MaxQueuedAlerts = 4096

func (n *Node) startAirspace(ctx context.Context, c Config) error {
	a := &airspace{n: n, feeds: map[string]context.CancelFunc{}, wake: make(chan struct{}, 1),
		stopJournal: make(chan struct{}), journalDone: make(chan struct{})}
	a.room = sync.NewCond(&a.mu)
	a.limit = MaxQueuedAlerts
	a.ctx, a.cancel = context.WithCancel(context.Background())
	a.attr.Vouch = n.Service.JournalledAircraft
	if err := a.attr.Load(ctx, n.Store); err != nil {
		return err
	}
	maxSep, err := a.loadSeparations(ctx)
	if err != nil {
		return err
	}
	idx := n.Service.Zones.Spatial()
	e, err := monitor.New(monitor.Config{
		Zones: func() *spatial.Snapshot { return idx.Snapshot() },
		// The index holds each entry's version as the journal vouches
		// for it: a watched kind there is a watched zone.
		Watch: func(id string) bool {
			r, ok := n.Service.Zones.Record(id)
			return ok && slices.Contains(WatchedZoneKinds, r.Version.Spec.Kind)
		},
		Attribute: a.attr.Party,
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
		Emit:           a.enqueue,
	})
	if err != nil {
		return err
	}
	a.engine = e
	n.air = a
	a.wg.Add(2)
	go func() { defer a.wg.Done(); e.Run(a.ctx) }()
	go func() { defer a.wg.Done(); a.followPeriods() }()
	go func() { defer close(a.journalDone); a.journal() }()
	a.holder = leaseHolder(c.DataDir)
	if err := a.lead(ctx); err != nil {
		return err
	}
	a.wg.Add(1)
	go func() { defer a.wg.Done(); a.keepLease() }()
	if c.SBSListen != "" {
		ln, err := net.Listen("tcp", c.SBSListen)
		if err != nil {
			return fmt.Errorf("SBS listener: %w", err)
		}
		a.ln = ln
		l := &feed.SBSListener{Source: "push:" + c.SBSListen, Handle: func(p feed.Position) { e.Ingest(p) }, OnBad: a.badSBS("push:" + c.SBSListen)}
		a.wg.Add(1)
		go func() { defer a.wg.Done(); l.Serve(a.ctx, ln) }()
	}
	a.metrics(n.API.Registry())
	a.startHealth(n.API.Registry())
	api.RegisterMonitor(n.API, api.Monitor{Alerts: n.Service, Aircraft: n.Service, Feeds: n.Service, Tracks: a,
		Positions: &service.Positions{Use: a.usePositions}, Sender: LogOrigin(c.Name)})
	return nil
}

// followPeriods reloads the separation minima every minute, so an
// agreement's effective period starting or ending takes effect without a
// change to it.
func (a *airspace) followPeriods() {
	t := time.NewTicker(time.Minute)
	defer t.Stop()
	for {
		select {
		case <-t.C:
			a.following.Lock()
			a.n.refresh.do("separations", "monitor: separation minima", &a.following, a.reloadSeparations, nil)
			a.following.Unlock()
		case <-a.ctx.Done():
			return
		}
	}
}

// reloadSeparations reloads the minima and sizes the engine's proximity
// grid for the largest.
func (a *airspace) reloadSeparations(ctx context.Context) error {
	m, err := a.loadSeparations(ctx)
	if err != nil {
		return err
	}
	return a.engine.SetMaxHorizontalM(max(monitor.DefaultHorizontalM, m))
}

// partyPair is an unordered pair of parties.
type partyPair struct{ a, b string }

func pairOf(p, q string) partyPair {
	if q < p {
		p, q = q, p
	}
	return partyPair{p, q}
}

// loadSeparations rebuilds the separation minima between parties from the
// agreements in force now: parties that sign an agreement together are
// held to its minima (the largest, where several agreements bind them);
// other pairs keep the monitor's defaults. It returns the largest
// horizontal minimum.
func (a *airspace) loadSeparations(ctx context.Context) (float64, error) {
	m := map[partyPair]monitor.Separation{}
	largest := 0.0
	now := a.n.Service.Now()
	for cursor := ""; ; {
		ags, err := a.n.Store.Agreements(ctx, truce.AgreementFilter{Status: truce.AgreementInForce, Cursor: cursor, Limit: 500})
		if err != nil {
			return 0, err
		}
		for _, ag := range ags {
			// As the journal vouches for it (a changed row is reported).
			if ag, err = a.n.Service.JournalledAgreement(ctx, ag); err != nil {
				return 0, err
			}
			if ag == nil || ag.Status != truce.AgreementInForce || !ag.InForceAt(now) {
				continue
			}
			r := ag.Rules.WithDefaults()
			s := monitor.Separation{HorizontalM: r.SeparationNM * 1852, VerticalFt: r.SeparationFt}
			largest = max(largest, s.HorizontalM)
			for i, p := range ag.Signatories {
				for _, q := range ag.Signatories[i+1:] {
					k, v := pairOf(p, q), s
					if old, ok := m[k]; ok {
						v = monitor.Separation{HorizontalM: max(old.HorizontalM, s.HorizontalM), VerticalFt: max(old.VerticalFt, s.VerticalFt)}
					}
					m[k] = v
				}
			}
		}
		if len(ags) < 500 {
			break
		}
		cursor = ags[len(ags)-1].ID
	}
	a.seps.Store(&m)
	return largest, nil
}

// handle follows committed changes that move the air picture.
func (a *airspace) handle(e truce.Event) {
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
		// watched (a failed refresh is retried until it succeeds: follow.go).
		a.engine.ZonesChanged(nil)
	case "agreement":
		// The watched set is zones by kind and name, which an agreement
		// change leaves alone; its zones' own changes come as zone events.
		a.n.refresh.do("separations", "monitor: separation minima", &a.following, a.reloadSeparations, func() { a.engine.ZonesChanged(nil) })
		a.engine.ZonesChanged(nil)
	case "aircraft":
		a.n.refresh.do("aircraft", "monitor: aircraft registry", &a.following,
			func(ctx context.Context) error { return a.attr.Load(ctx, a.n.Store) }, a.engine.PartiesChanged)
		a.engine.PartiesChanged()
	case "feed":
		f, ok := e.Data.(*truce.FeedSource)
		if !ok {
			// Another server's change, read back from the event log: the
			// feed is configured if it is listed, removed if not.
			fs, err := a.n.Service.JournalledFeeds(ctx)
			if err != nil {
				a.n.log.Error("monitor: feeds", "err", err)
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

// The outbound feeds (SBS sources the server connects to) are run by one
// of the servers sharing a database: the holder of the feeds lease, taken
// for leaseTTL and renewed every leaseRenew. Without it every server would
// connect to every source and journal each alert once per server.
const feedsLease = "airspace-feeds"

var (
	leaseTTL   = 15 * time.Second
	leaseRenew = 5 * time.Second
)

// leaseHolder names this server for leases: its host and data directory,
// so a server restarted on the same host and directory takes its lease
// back at once rather than waiting for it to expire.
func leaseHolder(dataDir string) string {
	host, _ := os.Hostname()
	if abs, err := filepath.Abs(dataDir); err == nil {
		dataDir = abs
	}
	return host + ":" + dataDir
}

// lead takes or renews the feeds lease and starts or stops the feeds to
// match. A server that cannot reach the database to renew stops its
// feeds: another may hold the lease by then.
func (a *airspace) lead(ctx context.Context) error {
	now := time.Now()
	ok, err := a.n.Store.AcquireLease(ctx, feedsLease, a.holder, now, now.Add(leaseTTL))
	a.mu.Lock()
	was := a.leading
	a.leading = ok && err == nil
	if was && !a.leading {
		for id, stop := range a.feeds {
			stop()
			delete(a.feeds, id)
		}
	}
	a.mu.Unlock()
	if err != nil {
		return err
	}
	if a.leading && !was {
		a.n.log.Info("monitor: this server runs the outbound feeds", "holder", a.holder)
		fs, err := a.n.Service.JournalledFeeds(ctx)
		if err != nil {
			return err
		}
		for _, f := range fs {
			a.startFeed(f)
		}
	} else if was && !a.leading {
		a.n.log.Warn("monitor: the feeds lease is held by another server; feeds stopped here")
	}
	return nil
}

// keepLease renews the feeds lease until the server stops, then gives it up.
func (a *airspace) keepLease() {
	t := time.NewTicker(leaseRenew)
	defer t.Stop()
	for {
		select {
		case <-t.C:
			if err := a.lead(a.ctx); err != nil && a.ctx.Err() == nil {
				a.n.log.Error("monitor: feeds lease", "err", err)
			}
		case <-a.ctx.Done():
			a.mu.Lock()
			leading := a.leading
			a.mu.Unlock()
			if leading {
				if err := a.n.Store.ReleaseLease(context.Background(), feedsLease, a.holder); err != nil {
					a.n.log.Error("monitor: releasing the feeds lease", "err", err)
				}
			}
			return
		}
	}
}

func (a *airspace) startFeed(f *truce.FeedSource) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if !a.leading {
		return
	}
	if _, ok := a.feeds[f.ID]; ok || f.Removed {
		return
	}
	ctx, cancel := context.WithCancel(a.ctx)
	a.feeds[f.ID] = cancel
	c := &feed.SBSClient{Addr: f.Addr, Source: "feed:" + f.Name, Handle: func(p feed.Position) { a.engine.Ingest(p) }, OnBad: a.badSBS("feed:" + f.Name)}
	a.wg.Add(1)
	go func() { defer a.wg.Done(); c.Run(ctx) }()
}

func (a *airspace) stopFeed(id string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if stop, ok := a.feeds[id]; ok {
		stop()
		delete(a.feeds, id)
	}
}

// enqueue receives the engine's alerts. It never drops one: when
// MaxQueuedAlerts are waiting for the journal (queued or being written) it
// waits for room, so the engine sheds positions, not alerts; except while
// shutting down, when the journal writes whatever is left.
func (a *airspace) enqueue(al monitor.Alert) {
	a.mu.Lock()
	if a.outstanding >= a.limit && a.ctx.Err() == nil {
		a.waits.Add(1)
		for a.outstanding >= a.limit && a.ctx.Err() == nil {
			a.room.Wait()
		}
	}
	a.alerts = append(a.alerts, al)
	a.outstanding++
	a.peak = max(a.peak, a.outstanding)
	a.mu.Unlock()
	select {
	case a.wake <- struct{}{}:
	default:
	}
}

// take empties the queue.
func (a *airspace) take() []monitor.Alert {
	a.mu.Lock()
	defer a.mu.Unlock()
	batch := a.alerts
	a.alerts = nil
	return batch
}

// done counts an alert as journalled (or given up on), making room.
func (a *airspace) done() {
	a.mu.Lock()
	a.outstanding--
	a.room.Broadcast()
	a.mu.Unlock()
}

// journal writes queued alerts until the engine has stopped, then writes
// what is left. Each aircraft's alerts are written in order, one after
// the other; different aircraft's at once, up to maxWriters, so that group
// commit puts many in one transaction and an alert never waits for an
// unrelated aircraft's.
func (a *airspace) journal() {
	chains := &alertChains{a: a, busy: map[uint32]*[]monitor.Alert{}, sem: make(chan struct{}, maxWriters)}
	for {
		batch := a.take()
		for _, al := range batch {
			chains.add(al)
		}
		if len(batch) > 0 {
			continue
		}
		select {
		case <-a.wake:
		case <-a.stopJournal:
			for _, al := range a.take() {
				chains.add(al)
			}
			chains.wg.Wait()
			return
		}
	}
}

// maxWriters bounds the alerts being written at once.
const maxWriters = 64

// alertChains writes alerts: one writer per aircraft with alerts in
// flight, which writes that aircraft's later alerts after it.
type alertChains struct {
	a    *airspace
	mu   sync.Mutex
	busy map[uint32]*[]monitor.Alert // aircraft being written -> its alerts waiting
	sem  chan struct{}
	wg   sync.WaitGroup
}

func (c *alertChains) add(al monitor.Alert) {
	k := al.Aircraft.ICAO
	c.mu.Lock()
	if q, ok := c.busy[k]; ok {
		*q = append(*q, al)
		c.mu.Unlock()
		return
	}
	c.busy[k] = new([]monitor.Alert)
	c.mu.Unlock()
	c.sem <- struct{}{}
	c.wg.Add(1)
	go func() {
		defer func() { <-c.sem; c.wg.Done() }()
		for {
			c.a.record(al)
			c.a.done()
			c.mu.Lock()
			q := c.busy[k]
			if len(*q) == 0 {
				delete(c.busy, k)
				c.mu.Unlock()
				return
			}
			al, *q = (*q)[0], (*q)[1:]
			c.mu.Unlock()
		}
	}()
}

func (a *airspace) record(al monitor.Alert) {
	var name string
	if r, ok := a.n.Service.Zones.Record(al.ZoneID); ok {
		name = r.Version.Spec.Name
	}
	t := toAlert(al, name)
	// An alert is never given up while the journal may take it again: a
	// full disk or a lost database retries, with backoff, for as long as
	// it lasts (the bounded queue then holds the engine back, and it sheds
	// positions, counted); /readyz says so meanwhile. Only an alert the
	// journal refuses for what it is, or one still unwritten a while
	// after shutdown began, is lost, and counted and logged as such.
	var stopping time.Time
	for attempt := 0; ; attempt++ {
		_, err := a.n.Service.RaiseAlert(context.Background(), t)
		if err == nil {
			a.failingSince.Store(0)
			return
		}
		switch truce.ErrorCode(err) {
		case truce.EINVALID, truce.EFORBIDDEN, truce.ECONFLICT, truce.ENOTFOUND, truce.ETOOLARGE:
			a.lost.Add(1)
			a.n.log.Error("monitor: the journal refused an alert", "kind", al.Kind, "err", err)
			return
		}
		a.failingSince.CompareAndSwap(0, time.Now().UnixNano())
		a.n.log.Error("monitor: journalling an alert", "kind", al.Kind, "attempt", attempt, "err", err)
		select {
		case <-a.stopJournal:
			if stopping.IsZero() {
				stopping = time.Now()
			} else if time.Since(stopping) > shutdownRetry {
				a.lost.Add(1)
				a.n.log.Error("monitor: shutting down with an alert the journal could not take", "kind", al.Kind, "err", err)
				return
			}
		default:
		}
		time.Sleep(min(maxAlertBackoff, time.Duration(1<<min(attempt, 6))*100*time.Millisecond))
	}
}

// maxAlertBackoff bounds the wait between two attempts to journal an
// alert; shutdownRetry is how long a stopping server keeps trying.
const (
	maxAlertBackoff = 5 * time.Second
	shutdownRetry   = 10 * time.Second
)

// journalProblem is the /readyz report of alerts that cannot be
// journalled, "" when they can.
func (a *airspace) journalProblem() string {
	since := a.failingSince.Load()
	if since == 0 {
		return ""
	}
	a.mu.Lock()
	waiting := a.outstanding
	a.mu.Unlock()
	return fmt.Sprintf("monitor: alerts cannot be journalled since %s (%d waiting; they are retried, and positions are shed once the alert queue is full)",
		time.Unix(0, since).UTC().Format(time.RFC3339), waiting)
}

// toAlert turns an engine alert into the journalled record.
func toAlert(al monitor.Alert, zoneName string) *truce.Alert {
	ac := func(x monitor.Aircraft) truce.AlertAircraft {
		out := truce.AlertAircraft{ICAO: feed.FormatICAO(x.ICAO), Callsign: x.Callsign, Party: x.Party}
		if x.HasSquawk {
			out.Squawk = x.Squawk.String()
		}
		return out
	}
	p := al.Aircraft.Position
	t := &truce.Alert{Kind: truce.AlertKind(al.Kind), Time: al.Time, Lon: p.Lon, Lat: p.Lat, Episode: al.Episode,
		ZoneID: service.ZoneOf(al.ZoneID), ZoneName: zoneName, Aircraft: []truce.AlertAircraft{ac(al.Aircraft)}}
	if !math.IsNaN(p.AltFt) {
		m := p.AltFt * feed.FeetToMetres
		t.AltM = &m
	}
	if al.Other != nil {
		t.Aircraft = append(t.Aircraft, ac(*al.Other))
	}
	name := al.Aircraft.Callsign
	if name == "" {
		name = feed.FormatICAO(al.Aircraft.ICAO)
	}
	alt := ""
	if !math.IsNaN(p.AltFt) {
		alt = fmt.Sprintf(" at %.0f ft", p.AltFt)
	}
	switch al.Kind {
	case monitor.KindZoneEntry:
		t.Summary = fmt.Sprintf("%s entered no-fly zone %s%s", name, zoneName, alt)
	case monitor.KindZoneExit:
		t.Summary = fmt.Sprintf("%s left no-fly zone %s%s (%s)", name, zoneName, alt, strings.ReplaceAll(al.Reason, "_", " "))
	case monitor.KindPredictedEntry:
		t.Summary = fmt.Sprintf("%s predicted to enter no-fly zone %s in %.0f s", name, zoneName, al.PredictedAt.Sub(al.Time).Seconds())
	case monitor.KindProximity:
		other := al.Other.Callsign
		if other == "" {
			other = feed.FormatICAO(al.Other.ICAO)
		}
		t.Summary = fmt.Sprintf("%s and %s within %.1f NM and %.0f ft", name, other, al.HorizontalM/1852, al.VerticalFt)
	case monitor.KindEmergencySquawk:
		t.Summary = fmt.Sprintf("%s squawks %s", name, al.Squawk.String())
	default:
		t.Summary = fmt.Sprintf("%s: %s", name, al.Kind)
	}
	ev, _ := json.Marshal(evidence(al))
	t.Evidence = ev
	return t
}

type evidencePoint struct {
	Time     time.Time `json:"time"`
	Lon      float64   `json:"lon"`
	Lat      float64   `json:"lat"`
	AltFt    *float64  `json:"alt_ft,omitempty"`
	GS       *float64  `json:"gs_kt,omitempty"`
	TrackDeg *float64  `json:"track_deg,omitempty"`
}

func evPoints(ps []monitor.Point) []evidencePoint {
	out := make([]evidencePoint, len(ps))
	num := func(v float64) *float64 {
		if math.IsNaN(v) {
			return nil
		}
		return &v
	}
	for i, p := range ps {
		out[i] = evidencePoint{p.Time, p.Lon, p.Lat, num(p.AltFt), num(p.GroundSpeedKt), num(p.TrackDeg)}
	}
	return out
}

func evidence(al monitor.Alert) map[string]any {
	ev := map[string]any{"reason": al.Reason, "trigger": evPoints(al.Aircraft.Trigger), "history": evPoints(al.Aircraft.History)}
	if al.Other != nil {
		ev["other_trigger"] = evPoints(al.Other.Trigger)
		ev["horizontal_m"], ev["min_horizontal_m"] = al.HorizontalM, al.MinHorizontalM
		if !math.IsNaN(al.VerticalFt) {
			ev["vertical_ft"], ev["min_vertical_ft"] = al.VerticalFt, al.MinVerticalFt
		}
	}
	if al.Kind == monitor.KindPredictedEntry {
		ev["predicted_at"], ev["predicted_point"] = al.PredictedAt, evPoints([]monitor.Point{al.PredictedPoint})[0]
	}
	return ev
}

// Tracks implements api.TrackSource.
func (a *airspace) Tracks(bbox *[4]float64) []truce.Track {
	var b orb.Bound
	if bbox != nil {
		b = orb.Bound{Min: orb.Point{bbox[0], bbox[1]}, Max: orb.Point{bbox[2], bbox[3]}}
	}
	var out []truce.Track
	var icaos []uint32
	num := func(v float64) *float64 {
		if math.IsNaN(v) {
			return nil
		}
		return &v
	}
	a.engine.Tracks(b, func(ti monitor.TrackInfo) bool {
		t := truce.Track{ICAO: feed.FormatICAO(ti.ICAO), Callsign: ti.Callsign, Party: ti.Party, Lon: ti.Position.Lon, Lat: ti.Position.Lat,
			GroundSpeedKt: num(ti.Position.GroundSpeedKt), TrackDeg: num(ti.Position.TrackDeg), VerticalRateFpm: num(ti.VerticalRateFpm),
			LastSeen: ti.LastSeen, Relocated: ti.Relocated}
		if ti.Present.Has(feed.FieldSquawk) {
			t.Squawk = ti.Squawk.String()
		}
		if !math.IsNaN(ti.Position.AltFt) {
			m := ti.Position.AltFt * feed.FeetToMetres
			t.AltM = &m
		}
		for _, z := range ti.Zones {
			t.Zones = append(t.Zones, service.ZoneOf(z))
		}
		out, icaos = append(out, t), append(icaos, ti.ICAO)
		return true
	})
	// Tracks leaves the histories out; Track has them.
	for i := range out {
		if ti, ok := a.engine.Track(icaos[i]); ok {
			for _, p := range ti.History {
				out[i].Trail = append(out[i].Trail, [2]float64{p.Lon, p.Lat})
			}
		}
	}
	return out
}

func (a *airspace) metrics(reg *prometheus.Registry) {
	c := &a.engine.Counters
	for name, f := range map[string]func() uint64{
		"ingested": c.Ingested.Load, "dropped": c.Dropped.Load, "processed": c.Processed.Load,
		"checks": c.Checks.Load, "alerts": c.Alerts.Load, "refused": c.Refused.Load, "expired": c.Expired.Load,
	} {
		f := f
		reg.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "truce_monitor_" + name + "_total",
			Help: "Airspace monitor: positions or alerts " + name + "."}, func() float64 { return float64(f()) }))
	}
	reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "truce_monitor_tracks", Help: "Live tracks."},
		func() float64 { return float64(a.engine.Len()) }))
	reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "truce_monitor_alert_queue", Help: "Alerts waiting for the journal."},
		func() float64 { a.mu.Lock(); defer a.mu.Unlock(); return float64(a.outstanding) }))
	reg.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "truce_monitor_alerts_lost_total",
		Help: "Alerts the journal refused for good, or could not take before shutdown."}, func() float64 { return float64(a.lost.Load()) }))
	reg.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "truce_monitor_alert_queue_waits_total",
		Help: "Times the engine waited for the journal because the alert queue was full."}, func() float64 { return float64(a.waits.Load()) }))
}

// stop stops feeds and the engine, then writes the alerts still queued.
func (a *airspace) stop() {
	if a.ln != nil {
		a.ln.Close()
	}
	a.cancel()
	a.mu.Lock()
	a.room.Broadcast() // an engine waiting for room goes on
	a.mu.Unlock()
	a.wg.Wait()
	close(a.stopJournal)
	<-a.journalDone
}

// IngestPosition hands a position to the airspace monitor, as a feed
// would; false means it was shed under overload.
func (n *Node) IngestPosition(p feed.Position) bool {
	if n.air == nil {
		return false
	}
	return n.air.engine.Ingest(p)
}
