package monitor

import (
	"math"

	"github.com/paulmach/orb"
	"github.com/truce-project/truce/geo"
)

// grid buckets attributed tracks by cells at least cellM on a side, so a
// separation circle of radius ≤ cellM touches at most two rows and two
// columns of cells.
type grid struct {
	cellM  float64
	latDeg float64
	cells  map[uint64][]*track
}

// metres per degree: the shortest meridian degree (at the equator) and the
// equatorial parallel degree, so cells are never smaller than cellM.
const (
	minMetresPerDegLat = 110574
	metresPerDegLon    = 111320
)

func (g *grid) init(cellM float64) {
	g.cellM = cellM
	g.latDeg = cellM / minMetresPerDegLat
	g.cells = make(map[uint64][]*track)
}

func (g *grid) row(lat float64) int32 { return int32(math.Floor(lat / g.latDeg)) }

// lonDeg is the cell width of a row, sized at its poleward edge.
func (g *grid) lonDeg(r int32) float64 {
	edge := math.Max(math.Abs(float64(r)*g.latDeg), math.Abs(float64(r+1)*g.latDeg))
	return g.cellM / (metresPerDegLon * math.Cos(math.Min(edge, 89)*degRad))
}

func cellKey(r, c int32) uint64 { return uint64(uint32(r))<<32 | uint64(uint32(c)) }

func (g *grid) key(lat, lon float64) uint64 {
	r := g.row(lat)
	return cellKey(r, int32(math.Floor(lon/g.lonDeg(r))))
}

func (g *grid) remove(t *track) {
	s := g.cells[t.cell]
	for i, o := range s {
		if o == t {
			s[i] = s[len(s)-1]
			s[len(s)-1] = nil
			s = s[:len(s)-1]
			break
		}
	}
	if len(s) == 0 {
		delete(g.cells, t.cell)
	} else {
		g.cells[t.cell] = s
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
func (e *Engine) leaveGrid(t *track) {
	for len(t.partners) > 0 {
		e.endPair(t.partners[0])
	}
	if t.inGrid {
		e.grid.remove(t)
		t.inGrid = false
	}
}

func (e *Engine) endPair(p *pair) {
	delete(e.pairs, pairKey(p.a.icao, p.b.icao))
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
	key := e.grid.key(t.pos.Lat, t.pos.Lon)
	if !t.inGrid || key != t.cell {
		if t.inGrid {
			e.grid.remove(t)
		}
		t.cell, t.inGrid = key, true
		e.grid.cells[key] = append(e.grid.cells[key], t)
	}
	stale := t.pos.Time.Add(-e.cfg.StaleAfter)
	m := 1 + e.cfg.ProximityMargin
	for i := 0; i < len(t.partners); {
		p := t.partners[i]
		o := p.other(t)
		h, v := apart(t, o)
		if o.lastSeen.Before(stale) || h > p.sep.HorizontalM*m || !within(v, p.sep.VerticalFt*m) {
			e.endPair(p)
			continue
		}
		i++
	}
	g := &e.grid
	dLat := e.cfg.MaxHorizontalM / minMetresPerDegLat
	r0, r1 := g.row(t.pos.Lat-dLat), g.row(t.pos.Lat+dLat)
	for r := r0; r <= r1; r++ {
		w := g.lonDeg(r)
		poleward := math.Min(math.Max(math.Abs(t.pos.Lat-dLat), math.Abs(t.pos.Lat+dLat)), 89)
		dLon := e.cfg.MaxHorizontalM / (metresPerDegLon * math.Cos(poleward*degRad))
		c0, c1 := int32(math.Floor((t.pos.Lon-dLon)/w)), int32(math.Floor((t.pos.Lon+dLon)/w))
		for c := c0; c <= c1; c++ {
			for _, o := range g.cells[cellKey(r, c)] {
				if o == t || o.party == t.party || o.lastSeen.Before(stale) {
					continue
				}
				e.tryPair(t, o)
			}
		}
	}
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
