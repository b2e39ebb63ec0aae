package monitor

import (
	"math"
	"slices"
	"time"

	"github.com/truce-project/truce/feed"
)

// track is one aircraft's state. Fields are guarded by Engine.mu.
type track struct {
	icao      uint32
	callsign  string
	squawk    feed.Squawk
	squawkAt  int64 // report time (Unix ns) of the squawk in force; 0 none
	party     string
	present   feed.Fields
	relocated bool
	onGround  bool
	vrate     float64 // ft/min, NaN unknown

	// pos is the last position, carrying the last known altitude and
	// velocity (NaN when never known).
	pos      Point
	hasPos   bool
	lastSeen time.Time
	arrived  int64 // engine clock (Unix ns) when its last report was processed

	// near says whether the position at nearAt (Unix ns, 0 never) was near
	// a watched zone; see Engine.class.
	near   bool
	nearAt int64

	zones   []zoneState
	nRecent int
	conf    []confState // open non-conformance episodes (conformance.go)
	intr    []confState // open intrusion episodes (conformance.go)
	// The operations the track takes part in and whether its party can
	// intrude on one, as of intents generation confGen and party confParty.
	confGen   uint64
	confParty string
	confOps   []string
	exposed   bool

	emergency feed.Squawk
	emergEp   string    // open emergency episode, "" when none
	emergAt   time.Time // time of the report that opened it
	emergDue  bool      // its alert waits for the track's first position

	pred predState

	histLast                     time.Time // time of the newest history point
	partners                     []*pair
	nCells                       int
	coverLat, coverLon, coverCos float64             // where the registration was made
	cells                        [maxCellKeys]uint64 // grid cells the track is registered in

	// Cold: read only for alerts.
	history history
	// recent is a ring of the last positions that may start a Confirm run,
	// for alert triggers: Confirm-1 of them (the run's last position is
	// pos), made when a track first has a count running.
	recent []fix
}

// zoneState is a track's relation to one watched zone: confirmed inside
// (inside, with run counting consecutive positions outside) or entering
// (run counting consecutive positions inside).
type zoneState struct {
	id      string
	inside  bool
	run     int
	start   time.Time // first position of the run that entered
	episode string
}

func newTrack(icao uint32, historyLen int) *track {
	t := &track{icao: icao, vrate: nan}
	t.pos = Point{Lat: nan, Lon: nan, AltFt: nan, GroundSpeedKt: nan, TrackDeg: nan}
	t.history.max = int32(historyLen)
	return t
}

func (t *track) altM() float64 {
	if math.IsNaN(t.pos.AltFt) {
		return nan
	}
	return t.pos.AltFt * feed.FeetToMetres
}

func (t *track) info() TrackInfo {
	ti := TrackInfo{
		ICAO: t.icao, Callsign: t.callsign, Squawk: t.squawk, Party: t.party,
		Position: t.pos, VerticalRateFpm: t.vrate, OnGround: t.onGround,
		Present: t.present, LastSeen: t.lastSeen, Relocated: t.relocated,
	}
	for _, z := range t.zones {
		if z.inside {
			ti.Zones = append(ti.Zones, z.id)
		}
	}
	return ti
}

// trigger returns the last n positions, oldest first: n-1 kept ones and the
// current one.
func (t *track) trigger(n int) []Point {
	k := min(n-1, t.nRecent)
	out := make([]Point, k+1)
	for i := range k {
		out[i] = t.recent[(t.nRecent-k+i)%len(t.recent)].point()
	}
	out[k] = t.pos
	return out
}

func (t *track) aircraft(trigger int) Aircraft {
	a := Aircraft{
		ICAO: t.icao, Callsign: t.callsign, Party: t.party,
		Squawk: t.squawk, HasSquawk: t.present.Has(feed.FieldSquawk), Relocated: t.relocated,
		History: t.history.points(nil),
	}
	if t.hasPos {
		a.Position = t.pos
		a.Trigger = t.trigger(trigger)
	}
	return a
}

// history is a ring of positions at least the configured spacing apart.
type history struct {
	buf  []fix
	next int32
	max  int32
}

// historyFirst is the most fixes (2 KB) a history ring starts with.
const historyFirst = 64

func (h *history) add(p Point) {
	if h.max <= 0 {
		return
	}
	if n := int32(len(h.buf)); n < h.max {
		if n == int32(cap(h.buf)) {
			// Grown by hand so that the full ring is exactly max long (an
			// append's doubling would leave a third of it unused at 48),
			// and made whole at once when that is small, as it is for a
			// track of any age: the garbage of a growing ring, made for
			// every new track, fragments the heap.
			buf := make([]fix, n, min(h.max, max(historyFirst, 2*n)))
			copy(buf, h.buf)
			h.buf = buf
		}
		h.buf = append(h.buf, compact(p))
		h.next = (n + 1) % h.max
		return
	}
	h.buf[h.next] = compact(p)
	h.next = (h.next + 1) % h.max
}

func (h *history) points(dst []Point) []Point {
	dst = slices.Grow(dst, len(h.buf))
	if int32(len(h.buf)) < h.max {
		for _, f := range h.buf {
			dst = append(dst, f.point())
		}
		return dst
	}
	for _, f := range h.buf[h.next:] {
		dst = append(dst, f.point())
	}
	for _, f := range h.buf[:h.next] {
		dst = append(dst, f.point())
	}
	return dst
}

// fix is a Point as kept for evidence, in 32 bytes where a Point takes 64:
// the time exact, latitude and longitude in 1e-7 degrees (about a
// centimetre), altitude in hundredths of a foot, ground speed in
// thousandths of a knot and track in 1e-5 degrees. Fixed decimal steps,
// unlike float32, give back the value a feed sent with no more decimals
// than that exactly, so evidence reads as it was reported.
type fix struct {
	ns           int64 // Unix ns; noTime for the zero time
	lat, lon     int32
	alt, gs, trk int32 // noValue for NaN
}

const (
	noTime  = math.MinInt64
	noValue = math.MinInt32
)

// toFixed rounds v/unit to an int32, NaN to noValue; values beyond the
// range (no real aircraft's) are clamped.
func toFixed(v, unit float64) int32 {
	if math.IsNaN(v) {
		return noValue
	}
	return int32(max(noValue+1, min(math.MaxInt32, math.Round(v/unit))))
}

// fromFixed undoes toFixed: dividing by the inverse of the unit gives the
// float64 nearest the decimal value.
func fromFixed(v int32, inv float64) float64 {
	if v == noValue {
		return nan
	}
	return float64(v) / inv
}

func compact(p Point) fix {
	f := fix{ns: noTime,
		lat: toFixed(p.Lat, 1e-7), lon: toFixed(p.Lon, 1e-7),
		alt: toFixed(p.AltFt, 1e-2), gs: toFixed(p.GroundSpeedKt, 1e-3), trk: toFixed(p.TrackDeg, 1e-5)}
	if !p.Time.IsZero() {
		f.ns = p.Time.UnixNano()
	}
	return f
}

func (f fix) point() Point {
	p := Point{Lat: fromFixed(f.lat, 1e7), Lon: fromFixed(f.lon, 1e7),
		AltFt: fromFixed(f.alt, 1e2), GroundSpeedKt: fromFixed(f.gs, 1e3), TrackDeg: fromFixed(f.trk, 1e5)}
	if f.ns != noTime {
		p.Time = time.Unix(0, f.ns).UTC()
	}
	return p
}

// process merges p into its track and runs the detections, and returns
// what it did with p. It is called with both locks held.
func (e *Engine) process(p *feed.Position) Outcome {
	// The feed decoders validate; a caller building positions itself may
	// not, and a NaN must not reach the indexes.
	if !(p.Lat >= -90 && p.Lat <= 90 && p.Lon >= -180 && p.Lon <= 180) && p.Present.Has(feed.FieldLatLon) ||
		p.Present.Has(feed.FieldAltitude) && (math.IsNaN(p.AltFt) || math.IsInf(p.AltFt, 0)) ||
		math.IsNaN(p.GroundSpeedKt) || math.IsInf(p.GroundSpeedKt, 0) || math.IsNaN(p.TrackDeg) || math.IsInf(p.TrackDeg, 0) ||
		math.IsNaN(p.VerticalRateFpm) || math.IsInf(p.VerticalRateFpm, 0) {
		e.Counters.Invalid.Add(1)
		return Invalid
	}
	// Judged on the report's own time: a late report is used like a
	// current one, up to MaxDelay behind the clock.
	ns := p.Time.UnixNano()
	if ns > e.wall+int64(e.cfg.MaxAhead) && (e.cfg.Now != nil || e.rereadWall(ns)) {
		e.Counters.Future.Add(1)
		return Future
	}
	if ns > e.clock {
		e.clock = min(ns, max(e.wall, e.clock))
	}
	if e.clock-ns > int64(e.cfg.MaxDelay) {
		e.Counters.TooOld.Add(1)
		return TooOld
	}
	t := e.tracks[p.ICAO]
	if t != nil && e.clock-t.arrived > int64(e.cfg.StaleAfter) {
		// Expire did not run during the gap (a replay, or a stalled
		// worker): close the old track as Expire would have.
		e.drop(t, t.lastSeen.Add(e.cfg.StaleAfter))
		t = nil
	}
	if t == nil {
		if t = e.admit(p); t == nil {
			return TableFull
		}
	}
	t.arrived = e.clock
	if p.Time.After(t.lastSeen) {
		t.lastSeen = p.Time
	}
	t.relocated = p.Relocated
	if p.Present.Has(feed.FieldCallsign) && p.Callsign != t.callsign {
		t.callsign = p.Callsign
		e.attribute(t)
	}
	t.present |= p.Present
	if t.hasPos && p.Time.Before(t.pos.Time) {
		if p.Present.Has(feed.FieldSquawk) {
			e.squawk(t, p)
		}
		if p.Present&(feed.FieldLatLon|feed.FieldAltitude|feed.FieldGroundSpeed|feed.FieldTrack|feed.FieldVerticalRate) != 0 {
			e.Counters.OutOfOrder.Add(1)
			return OutOfOrder
		}
		return Used
	}
	if p.Present.Has(feed.FieldAltitude) {
		t.pos.AltFt = p.AltFt
	}
	if p.Present.Has(feed.FieldGroundSpeed) {
		t.pos.GroundSpeedKt = p.GroundSpeedKt
	}
	if p.Present.Has(feed.FieldTrack) {
		t.pos.TrackDeg = p.TrackDeg
	}
	if p.Present.Has(feed.FieldVerticalRate) {
		t.vrate = p.VerticalRateFpm
	}
	if p.Present.Has(feed.FieldOnGround) {
		t.onGround = p.OnGround
	}
	if !p.Present.Has(feed.FieldLatLon) {
		if p.Present.Has(feed.FieldSquawk) {
			e.squawk(t, p)
		}
		return Used
	}
	t.pos.Lat, t.pos.Lon, t.pos.Time = p.Lat, p.Lon, p.Time
	t.hasPos = true
	// The newest history time is kept in the track's hot fields, so the
	// common case (too soon to keep) does not touch the history.
	if t.histLast.IsZero() || t.pos.Time.Sub(t.histLast) >= e.cfg.HistorySpacing {
		t.histLast = t.pos.Time
		t.history.add(t.pos)
	}
	// A squawk is placed at the report's own position (after the merge),
	// so an emergency in a first report is not at 0°, 0°.
	if p.Present.Has(feed.FieldSquawk) || t.emergDue {
		e.squawk(t, p)
	}

	e.hits = e.hits[:0]
	if e.snap != nil {
		e.snap.Containing(t.pos.Lon, t.pos.Lat, t.altM(), t.pos.Time, e.collect)
		e.nChecks++
	}
	if e.updateZones(t) {
		// Only positions that may become part of a Confirm run are kept
		// for triggers: every position of a run has a count running after
		// it, so the last Confirm-1 kept ones are the run's.
		if t.recent == nil {
			t.recent = make([]fix, max(1, e.cfg.Confirm-1))
		}
		t.recent[t.nRecent%len(t.recent)] = compact(t.pos)
		t.nRecent++
		if t.nRecent >= 2*len(t.recent) {
			t.nRecent -= len(t.recent)
		}
	}
	// Most aircraft take part in no operation and cannot intrude on one:
	// settled here, without a call, until the operations or the party change.
	if t.conf != nil || t.intr != nil || e.intents != nil && (t.confGen != e.confGen || t.confParty != t.party || t.exposed || t.confOps != nil) {
		e.conform(t)
	}
	if e.cfg.LookAhead > 0 {
		e.predict(t)
	}
	e.proximity(t)
	return Used
}

// rereadWall reads the wall clock again (startClock may have kept an
// older reading) and reports whether ns is still too far ahead of it.
func (e *Engine) rereadWall(ns int64) bool {
	e.wall = time.Now().UnixNano()
	return ns > e.wall+int64(e.cfg.MaxAhead)
}

// collectHit is the Containing callback (bound once in New, so that a check
// does not allocate).
func (e *Engine) collectHit(id string) bool {
	if e.cfg.Watch == nil || e.cfg.Watch(id) {
		e.hits = append(e.hits, id)
	}
	return true
}

func hasID(ids []string, id string) bool {
	for _, s := range ids {
		if s == id {
			return true
		}
	}
	return false
}

// updateZones applies the hysteresis of the package documentation to the
// zones in e.hits, and reports whether a count is running.
func (e *Engine) updateZones(t *track) (running bool) {
	k := e.cfg.Confirm
	for i := 0; i < len(t.zones); {
		zs := &t.zones[i]
		found := hasID(e.hits, zs.id)
		switch {
		case zs.inside && found:
			zs.run = 0
		case zs.inside:
			zs.run++
			if zs.run >= k {
				e.exit(t, zs, e.exitReason(t, zs), t.pos.Time, k)
				t.removeZone(i)
				continue
			}
		case found:
			zs.run++
			if zs.run >= k {
				e.enter(t, zs, "", t.pos.Time, k)
			}
		default:
			t.removeZone(i)
			continue
		}
		running = running || zs.run > 0
		i++
	}
	for _, id := range e.hits {
		if t.zoneIndex(id) >= 0 {
			continue
		}
		t.zones = append(t.zones, zoneState{id: id, run: 1, start: t.pos.Time})
		if k == 1 {
			e.enter(t, &t.zones[len(t.zones)-1], "", t.pos.Time, 1)
		} else {
			running = true
		}
	}
	return running
}

func (t *track) zoneIndex(id string) int {
	for i := range t.zones {
		if t.zones[i].id == id {
			return i
		}
	}
	return -1
}

func (t *track) removeZone(i int) {
	copy(t.zones[i:], t.zones[i+1:])
	t.zones[len(t.zones)-1] = zoneState{}
	t.zones = t.zones[:len(t.zones)-1]
}

// exitReason tells a flight out of a zone from a zone leaving force under
// the aircraft: in the latter case the zone still holds the position at the
// time the episode started, when it was in force.
func (e *Engine) exitReason(t *track, zs *zoneState) string {
	if (e.cfg.Watch != nil && !e.cfg.Watch(zs.id)) || e.snap == nil {
		return ReasonZoneInactive
	}
	found := false
	e.snap.Containing(t.pos.Lon, t.pos.Lat, t.altM(), zs.start, func(id string) bool {
		found = id == zs.id
		return !found
	})
	e.nChecks++
	if found {
		return ReasonZoneInactive
	}
	return ReasonLeft
}

func (e *Engine) enter(t *track, zs *zoneState, reason string, at time.Time, trigger int) {
	zs.inside, zs.run = true, 0
	zs.episode = episodeID("zone", t.icao, 0, zs.id, zs.start)
	e.pending = append(e.pending, Alert{
		Kind: KindZoneEntry, Episode: zs.episode, Time: at, Reason: reason,
		Aircraft: t.aircraft(trigger), ZoneID: zs.id,
	})
	// An entry ends a prediction episode for the zone, after the entry,
	// which the end names.
	e.endPrediction(t, zs.id, ReasonEntered, at, zs.episode)
}

// endPrediction ends t's prediction episode for zone id, if one is open,
// with an alert that says why (and, for an entry, which episode ended it).
func (e *Engine) endPrediction(t *track, id, reason string, at time.Time, by string) {
	for i := range t.pred.zones {
		if z := t.pred.zones[i]; z.id == id {
			t.pred.zones = append(t.pred.zones[:i], t.pred.zones[i+1:]...)
			e.pending = append(e.pending, Alert{Kind: KindPredictionEnded, Episode: z.episode, Time: at, Reason: reason,
				Aircraft: t.aircraft(1), ZoneID: id, EndedBy: by})
			return
		}
	}
}

func (e *Engine) exit(t *track, zs *zoneState, reason string, at time.Time, trigger int) {
	e.pending = append(e.pending, Alert{
		Kind: KindZoneExit, Episode: zs.episode, Time: at, Reason: reason,
		Aircraft: t.aircraft(trigger), ZoneID: zs.id,
	})
}

// squawk runs the emergency episode on a reported squawk, and raises an
// episode's alert at the track's position: the report's own when it has
// one (squawk is called after the merge), else the track's last; an
// emergency reported before the track has any position is raised with
// its first position, since an alert at no place escapes every consumer
// that filters by area.
func (e *Engine) squawk(t *track, p *feed.Position) {
	// A report older than the squawk in force (a late feed) does not
	// change it: a late 7000 must not end an emergency.
	if at := p.Time.UnixNano(); p.Present.Has(feed.FieldSquawk) && at >= t.squawkAt {
		t.squawk, t.squawkAt = p.Squawk, at
		switch {
		case !p.Squawk.IsEmergency():
			t.emergEp, t.emergDue = "", false
			return
		case t.emergEp == "" || t.emergency != p.Squawk:
			t.emergency = p.Squawk
			t.emergEp = episodeID("squawk", t.icao, uint32(p.Squawk), "", p.Time)
			t.emergAt, t.emergDue = p.Time, true
		}
	}
	if !t.emergDue || !t.hasPos {
		return
	}
	t.emergDue = false
	a := t.aircraft(1)
	a.Squawk, a.HasSquawk = t.emergency, true
	e.pending = append(e.pending, Alert{
		Kind: KindEmergencySquawk, Episode: t.emergEp, Time: t.emergAt,
		Aircraft: a, Squawk: t.emergency,
	})
}

// drop removes a track, closing its zone episodes with exits.
func (e *Engine) drop(t *track, at time.Time) {
	for i := range t.zones {
		if zs := &t.zones[i]; zs.inside {
			e.exit(t, zs, ReasonTrackLost, at, 1)
		}
	}
	t.zones = nil
	for len(t.conf) > 0 {
		e.endConformance(t, 0, ReasonTrackLost, at)
	}
	for _, c := range t.intr {
		e.pending = append(e.pending, Alert{Kind: KindIntrusionEnded, Episode: c.episode, Time: at, Reason: ReasonTrackLost,
			Aircraft: t.aircraft(1), OperationID: c.op})
	}
	t.intr = nil
	for len(t.pred.zones) > 0 {
		e.endPrediction(t, t.pred.zones[0].id, ReasonTrackLost, at, "")
	}
	e.leaveGridFor(t, ReasonTrackLost, at)
	delete(e.tracks, t.icao)
	e.Counters.Expired.Add(1)
}

// reevaluate applies a zone change to a track at once (no hysteresis).
func (e *Engine) reevaluate(t *track, now time.Time, only map[string]bool) {
	e.hits = e.hits[:0]
	if e.snap != nil {
		e.snap.Containing(t.pos.Lon, t.pos.Lat, t.altM(), now, e.collect)
		e.nChecks++
	}
	for i := 0; i < len(t.zones); {
		zs := &t.zones[i]
		if only != nil && !only[zs.id] {
			i++
			continue
		}
		found := hasID(e.hits, zs.id)
		switch {
		case zs.inside && found:
			zs.run = 0
		case zs.inside:
			e.exit(t, zs, ReasonZoneInactive, now, 1)
			t.removeZone(i)
			continue
		case found:
			zs.start = now
			e.enter(t, zs, ReasonZoneChange, now, 1)
		default:
			t.removeZone(i)
			continue
		}
		i++
	}
	for _, id := range e.hits {
		if (only != nil && !only[id]) || t.zoneIndex(id) >= 0 {
			continue
		}
		t.zones = append(t.zones, zoneState{id: id, start: now})
		e.enter(t, &t.zones[len(t.zones)-1], ReasonZoneChange, now, 1)
	}
}

// attribute asks for the track's party; a change ends its proximity
// episodes, which the next position re-opens if they still hold.
func (e *Engine) attribute(t *track) {
	party := ""
	if e.cfg.Attribute != nil {
		party = e.cfg.Attribute(t.icao, t.callsign)
	}
	if party == t.party {
		return
	}
	t.party = party
	e.leaveGridFor(t, ReasonAttributed, t.lastSeen)
}
