package monitor

import (
	"fmt"
	"math"
	"time"

	"github.com/paulmach/orb"
	"github.com/truce-project/truce/geo"
)

// grid buckets attributed tracks for the proximity search. Each track is
// registered in every cell that a circle of radiusM around it touches,
// where radiusM is the largest separation plus coverSlackM, so the aircraft
// within separation of a point are all registered in the point's own cell:
// a report costs one map lookup. The registration is redone only when the
// track has moved coverSlackM from where it was made (the circle of the
// separation around the track is still inside the registered one), so
// every few seconds, not at each report.
type grid struct {
	radiusM float64
	latDeg  float64
	cells   map[uint64][]*track
}

// metres per degree: the shortest meridian degree (at the equator) and the
// equatorial parallel degree, so cells are never smaller than intended.
const (
	minMetresPerDegLat = 110574
	maxMetresPerDegLat = 111694
	metresPerDegLon    = 111320
	maxCellKeys        = 9
	coverSlackM        = 1000
)

func (g *grid) init(radiusM float64) {
	g.radiusM = radiusM
	g.latDeg = 2 * radiusM / minMetresPerDegLat
	g.cells = make(map[uint64][]*track)
}

func (g *grid) row(lat float64) int32 { return int32(math.Floor(lat / g.latDeg)) }

// lonDeg is the cell width of a row, sized at its poleward edge.
func (g *grid) lonDeg(r int32) float64 {
	edge := math.Max(math.Abs(float64(r)*g.latDeg), math.Abs(float64(r+1)*g.latDeg))
	return 2 * g.radiusM / (metresPerDegLon * math.Cos(math.Min(edge, 89)*degRad))
}

func cellKey(r, c int32) uint64 { return uint64(uint32(r))<<32 | uint64(uint32(c)) }

func (g *grid) key(lat, lon float64) uint64 {
	r := g.row(lat)
	return cellKey(r, int32(math.Floor(lon/g.lonDeg(r))))
}

// cover writes the keys of the cells the circle of radiusM around (lat, lon)
// touches (its bounding box's), returning how many.
func (g *grid) cover(lat, lon float64, keys *[maxCellKeys]uint64) int {
	dLat := g.radiusM / minMetresPerDegLat
	poleward := math.Min(math.Max(math.Abs(lat-dLat), math.Abs(lat+dLat)), 89)
	dLon := g.radiusM / (metresPerDegLon * math.Cos(poleward*degRad))
	n := 0
	for r := g.row(lat - dLat); r <= g.row(lat+dLat); r++ {
		w := g.lonDeg(r)
		for c := int32(math.Floor((lon - dLon) / w)); c <= int32(math.Floor((lon+dLon)/w)); c++ {
			if n == maxCellKeys {
				return n // beyond 89° only; never in Truce's area
			}
			keys[n] = cellKey(r, c)
			n++
		}
	}
	return n
}

func (g *grid) add(t *track, key uint64) {
	g.cells[key] = append(g.cells[key], t)
}

func (g *grid) remove(t *track, key uint64) {
	s := g.cells[key]
	for i, o := range s {
		if o == t {
			s[i] = s[len(s)-1]
			s[len(s)-1] = nil
			s = s[:len(s)-1]
			break
		}
	}
	if len(s) == 0 {
		delete(g.cells, key)
	} else {
		g.cells[key] = s
	}
}

// pair is an open proximity episode.
type pair struct {
	a, b    *track
	episode string
	sep     Separation
}

func (p *pair) other(t *track) *track {
	if p.a == t {
		return p.b
	}
	return p.a
}

func pairKey(a, b uint32) uint64 {
	if a > b {
		a, b = b, a
	}
	return uint64(a)<<32 | uint64(b)
}

// leaveGrid takes a track out of proximity: out of the grid, its episodes
// ended.
func (e *Engine) leaveGrid(t *track) { e.leaveGridFor(t, ReasonTrackLost, t.lastSeen) }

// leaveGridFor is leaveGrid whose episodes end for reason at at.
func (e *Engine) leaveGridFor(t *track, reason string, at time.Time) {
	for len(t.partners) > 0 {
		e.endPair(t.partners[0], reason, at)
	}
	for _, k := range t.cells[:t.nCells] {
		e.grid.remove(t, k)
	}
	t.nCells = 0
}

// endPair ends a proximity episode, with an alert that says why.
func (e *Engine) endPair(p *pair, reason string, at time.Time) {
	delete(e.pairs, pairKey(p.a.icao, p.b.icao))
	other := p.b.aircraft(1)
	e.pending = append(e.pending, Alert{Kind: KindProximityEnded, Episode: p.episode, Time: at, Reason: reason,
		Aircraft: p.a.aircraft(1), Other: &other})
	for _, t := range []*track{p.a, p.b} {
		for i, q := range t.partners {
			if q == p {
				t.partners[i] = t.partners[len(t.partners)-1]
				t.partners[len(t.partners)-1] = nil
				t.partners = t.partners[:len(t.partners)-1]
				break
			}
		}
	}
}

func (e *Engine) separation(a, b string) Separation {
	if e.cfg.PairSeparation != nil {
		if s, ok := e.cfg.PairSeparation(a, b); ok && s.HorizontalM > 0 && s.VerticalFt > 0 {
			s.HorizontalM = math.Min(s.HorizontalM, e.cfg.MaxHorizontalM)
			return s
		}
	}
	return e.cfg.Separation
}

// apart returns the horizontal distance (m, WGS84 geodesic) and vertical
// distance (ft; NaN when an altitude is unknown) of two tracks.
func apart(a, b *track) (h, v float64) {
	return geo.Distance(orb.Point{a.pos.Lon, a.pos.Lat}, orb.Point{b.pos.Lon, b.pos.Lat}), math.Abs(a.pos.AltFt - b.pos.AltFt)
}

// roughM is a fast flat-earth distance, within 1% of the geodesic at the
// separation scale; it only rules candidates out.
func roughM(a, b *track) float64 {
	dy := (a.pos.Lat - b.pos.Lat) * degRad * earthRadiusM
	dx := (a.pos.Lon - b.pos.Lon) * degRad * earthRadiusM * math.Cos((a.pos.Lat+b.pos.Lat)/2*degRad)
	return math.Sqrt(dx*dx + dy*dy)
}

// within reports whether a vertical distance is inside a minimum; unknown
// counts as inside.
func within(v, min float64) bool { return math.IsNaN(v) || v < min }

// proximity moves t in the grid, ends its episodes that no longer hold and
// opens new ones.
func (e *Engine) proximity(t *track) {
	if t.party == "" {
		return
	}
	// An overestimate of the distance moved: the cosine is taken 0.1°
	// (11 km, beyond the slack) nearer the equator.
	dy := (t.pos.Lat - t.coverLat) * maxMetresPerDegLat
	dx := (t.pos.Lon - t.coverLon) * metresPerDegLon * t.coverCos
	if t.nCells == 0 || dx*dx+dy*dy > coverSlackM*coverSlackM {
		e.register(t)
	}
	stale := t.pos.Time.Add(-e.cfg.StaleAfter)
	m := 1 + e.cfg.ProximityMargin
	for i := 0; i < len(t.partners); {
		p := t.partners[i]
		o := p.other(t)
		h, v := apart(t, o)
		if o.lastSeen.Before(stale) {
			e.endPair(p, ReasonTrackLost, t.pos.Time)
			continue
		}
		if h > p.sep.HorizontalM*m || !within(v, p.sep.VerticalFt*m) {
			e.endPair(p, ReasonSeparated, t.pos.Time)
			continue
		}
		i++
	}
	for _, o := range e.grid.cells[e.grid.key(t.pos.Lat, t.pos.Lon)] {
		if o == t || o.party == t.party || o.lastSeen.Before(stale) {
			continue
		}
		e.tryPair(t, o)
	}
}

// register (re)registers t in the grid cells around its position.
func (e *Engine) register(t *track) {
	var keys [maxCellKeys]uint64
	n := e.grid.cover(t.pos.Lat, t.pos.Lon, &keys)
	for _, k := range t.cells[:t.nCells] {
		e.grid.remove(t, k)
	}
	for _, k := range keys[:n] {
		e.grid.add(t, k)
	}
	t.cells, t.nCells = keys, n
	t.coverLat, t.coverLon, t.coverCos = t.pos.Lat, t.pos.Lon, math.Cos(math.Max(math.Abs(t.pos.Lat)-0.1, 0)*degRad)
}

// SetMaxHorizontalM changes the largest horizontal minimum any pair may
// have (Config.MaxHorizontalM), for minima agreed while the engine runs: the
// proximity grid is resized and every attributed track registered in it
// again at once.
func (e *Engine) SetMaxHorizontalM(m float64) error {
	if !(m >= e.cfg.Separation.HorizontalM) || m > 1e6 {
		return fmt.Errorf("%w: MaxHorizontalM %v must be at least the default horizontal minimum and at most 1,000 km", ErrConfig, m)
	}
	e.proc.Lock()
	defer e.proc.Unlock()
	e.mu.Lock()
	defer e.mu.Unlock()
	if m == e.cfg.MaxHorizontalM {
		return nil
	}
	e.cfg.MaxHorizontalM = m
	e.grid.init(m + coverSlackM)
	for _, t := range e.tracks {
		t.nCells = 0
		if t.party != "" {
			e.register(t)
		}
	}
	return nil
}

func (e *Engine) tryPair(t, o *track) {
	sep := e.separation(t.party, o.party)
	if roughM(t, o) > sep.HorizontalM*1.02 {
		return
	}
	if _, open := e.pairs[pairKey(t.icao, o.icao)]; open {
		return
	}
	h, v := apart(t, o)
	if h >= sep.HorizontalM || !within(v, sep.VerticalFt) {
		return
	}
	lo, hi := t.icao, o.icao
	if lo > hi {
		lo, hi = hi, lo
	}
	p := &pair{a: t, b: o, sep: sep, episode: episodeID("proximity", lo, hi, "", t.pos.Time)}
	e.pairs[pairKey(t.icao, o.icao)] = p
	t.partners = append(t.partners, p)
	o.partners = append(o.partners, p)
	other := o.aircraft(1)
	e.pending = append(e.pending, Alert{
		Kind: KindProximity, Episode: p.episode, Time: t.pos.Time,
		Aircraft: t.aircraft(1), Other: &other,
		HorizontalM: h, VerticalFt: v, MinHorizontalM: sep.HorizontalM, MinVerticalFt: sep.VerticalFt,
	})
}
