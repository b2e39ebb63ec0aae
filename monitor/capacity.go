package monitor

import (
	"cmp"
	"slices"
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

// Capacity tuning: how long a track's "near a zone" verdict stands, and
// how often the track table may be swept and its eviction pools rebuilt.
const (
	nearRecheck = int64(10 * time.Second)
	scanEvery   = int64(time.Second)
)

// poolEntry is a track that may give its place to a newcomer, as it was
// when the pools were built.
type poolEntry struct {
	t       *track
	icao    uint32
	arrived int64
}

// admit makes a track for p's aircraft, or returns nil (and counts the
// refusal) when the table is full and no place can be made; see the
// package documentation. It is called with both locks held.
func (e *Engine) admit(p *feed.Position) *track {
	if len(e.tracks) >= e.cfg.MaxTracks && e.clock-e.poolAt >= scanEvery {
		// At most once a second, so a flood of new addresses cannot make
		// every report cost O(tracks).
		e.rebuildPools()
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

// rebuildPools drops the tracks silent for StaleAfter and lists the others
// that may give way to a newcomer, by class (below classZone), longest
// silent first.
func (e *Engine) rebuildPools() {
	e.poolAt = e.clock
	cut := e.clock - int64(e.cfg.StaleAfter)
	for k := range e.pools {
		clear(e.pools[k])
		e.pools[k] = e.pools[k][:0]
	}
	for _, t := range e.tracks {
		if t.arrived < cut {
			e.drop(t, time.Unix(0, e.clock).UTC())
			continue
		}
		if k := e.class(t); k < classZone {
			e.pools[k] = append(e.pools[k], poolEntry{t, t.icao, t.arrived})
		}
	}
	for k := range e.pools {
		slices.SortFunc(e.pools[k], func(a, b poolEntry) int { return cmp.Compare(a.arrived, b.arrived) })
	}
}

// victim finds the track a newcomer of class c may take the place of: one
// of a lower class, or, below classZone, one of its own class silent for
// a quarter of StaleAfter; the lowest class first, then the longest
// silent. It takes them from the pools, checking that each still
// qualifies; a newcomer for whom none does costs no look at the table.
func (e *Engine) victim(c int) *track {
	quiet := e.clock - int64(e.cfg.StaleAfter/4)
	for k := 0; k < len(e.pools) && k <= c; k++ {
		same := k == c
		pool := e.pools[k]
		for len(pool) > 0 {
			ent := pool[0]
			if same && ent.arrived > quiet {
				break // the rest were heard from later still
			}
			pool[0] = poolEntry{}
			pool = pool[1:]
			t := ent.t
			if e.tracks[ent.icao] != t || (same && t.arrived > quiet) {
				continue // gone, or heard from since
			}
			if kk := e.class(t); kk > k && (kk > c || (kk == c && (c == classZone || t.arrived > quiet))) {
				continue // it matters more now
			}
			e.pools[k] = pool
			return t
		}
		e.pools[k] = pool
	}
	return nil
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
