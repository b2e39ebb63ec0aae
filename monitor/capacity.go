package monitor

import (
	"time"

	"github.com/truce-project/truce/feed"
)

// Priorities of tracks when the table is full, lowest first.
const (
	classUnknown    = iota // not attributed to a party, far from watched zones
	classRegistered        // attributed to a party
	classZone              // in, entering, predicted into or near a watched zone; squawking an emergency; in a proximity episode
	nClasses
)

// Capacity tuning: how many tracks a newcomer looks at for a place, how
// long a track's "near a zone" verdict stands, and how often a newcomer
// with no place found by sampling may scan the whole table.
const (
	evictSample = 16
	nearRecheck = int64(10 * time.Second)
	scanEvery   = int64(time.Second)
)

// admit makes a track for p's aircraft, or returns nil (and counts the
// refusal) when the table is full and no place can be made; see the
// package documentation. It is called with both locks held.
func (e *Engine) admit(p *feed.Position) *track {
	if len(e.tracks) >= e.cfg.MaxTracks && e.clock-e.lastSweep >= int64(time.Second) {
		// At most one sweep a second, so a flood of new addresses
		// cannot make every report cost O(tracks).
		e.lastSweep = e.clock
		cut := e.clock - int64(e.cfg.StaleAfter)
		for _, o := range e.tracks {
			if o.arrived < cut {
				e.drop(o, time.Unix(0, e.clock).UTC())
			}
		}
	}
	var near, judged bool
	if len(e.tracks) >= e.cfg.MaxTracks {
		c := classUnknown
		if e.cfg.Attribute != nil && e.cfg.Attribute(p.ICAO, p.Callsign) != "" {
			c = classRegistered
		}
		if p.Present.Has(feed.FieldLatLon) {
			near, judged = e.nearZone(p.Lon, p.Lat, p.Time), true
			e.full = [2]float64{p.Lon, p.Lat}
		}
		if near || (p.Present.Has(feed.FieldSquawk) && p.Squawk.IsEmergency()) {
			c = classZone
		}
		switch v := e.victim(c); {
		case v != nil:
			e.evict(v)
		case c == classZone && len(e.tracks) < e.cfg.MaxTracks+e.overflow:
			// Better a bounded overflow than an aircraft in a zone unseen.
			e.Counters.Overflow.Add(1)
		default:
			e.Counters.Refused.Add(1)
			return nil
		}
	}
	t := newTrack(p.ICAO, e.cfg.HistoryLen)
	e.tracks[p.ICAO] = t
	t.lastSeen = p.Time
	if judged {
		t.near, t.nearAt = near, p.Time.UnixNano()
	}
	e.attribute(t)
	return t
}

// nearZone reports whether (lon, lat) is within NearM of a watched zone
// active at t (by bounding box).
func (e *Engine) nearZone(lon, lat float64, t time.Time) bool {
	if e.snap == nil {
		return false
	}
	near := false
	e.snap.Near(lon, lat, e.cfg.NearM, t, func(id string) bool {
		near = e.cfg.Watch == nil || e.cfg.Watch(id)
		return !near
	})
	return near
}

// class is a track's priority; the "near a zone" verdict is kept for
// nearRecheck of the track's time, so judging the same tracks again costs
// no index search.
func (e *Engine) class(t *track) int {
	if len(t.zones) > 0 || len(t.pred.zones) > 0 || t.emergEp != "" || len(t.partners) > 0 {
		return classZone
	}
	if t.hasPos {
		if ns := t.pos.Time.UnixNano(); t.nearAt == 0 || ns-t.nearAt >= nearRecheck || ns < t.nearAt {
			t.near, t.nearAt = e.nearZone(t.pos.Lon, t.pos.Lat, t.pos.Time), ns
		}
		if t.near {
			return classZone
		}
	}
	if t.party != "" {
		return classRegistered
	}
	return classUnknown
}

// victim finds the track a newcomer of class c may take the place of: one
// of a lower class, or, below classZone, one of its own class silent for
// a quarter of StaleAfter; the lowest class first, then the longest
// silent. It looks at a sample of the table, and when that finds none and
// the newcomer is registered or near a zone, at the whole table (at most
// once a second per class while that finds none).
func (e *Engine) victim(c int) *track {
	quiet := e.clock - int64(e.cfg.StaleAfter/4)
	var best *track
	bestClass := nClasses
	consider := func(t *track) {
		k := e.class(t)
		if k > c || (k == c && (c == classZone || t.arrived > quiet)) {
			return
		}
		if best == nil || k < bestClass || (k == bestClass && t.arrived < best.arrived) {
			best, bestClass = t, k
		}
	}
	n := 0
	// Map iteration starts at a random place: a random sample.
	for _, t := range e.tracks {
		consider(t)
		if n++; n == evictSample {
			break
		}
	}
	if best != nil || c == classUnknown || e.clock-e.noRoom[c] < scanEvery {
		return best
	}
	for _, t := range e.tracks {
		consider(t)
	}
	if best == nil {
		e.noRoom[c] = e.clock
	}
	return best
}

// evict drops a track to make room; it has no open zone episode (its
// class is below classZone), so it closes none.
func (e *Engine) evict(t *track) {
	e.leaveGrid(t)
	delete(e.tracks, t.icao)
	e.Counters.Evicted.Add(1)
}

// MaxTracks is the capacity of the track table (Config.MaxTracks); Len
// may exceed it by up to a quarter (see the package documentation).
func (e *Engine) MaxTracks() int { return e.cfg.MaxTracks }

// FullAt returns the position (lon, lat) of the last new aircraft that met
// a full track table, if any: where the pressure on the table comes from.
func (e *Engine) FullAt() (lon, lat float64, ok bool) {
	e.mu.RLock()
	defer e.mu.RUnlock()
	return e.full[0], e.full[1], e.full != [2]float64{}
}
