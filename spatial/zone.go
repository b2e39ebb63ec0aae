package spatial

import (
	"errors"
	"fmt"
	"math"
	"sync"
	"sync/atomic"
	"time"

	"github.com/paulmach/orb"
	"github.com/tidwall/rtree"
	"github.com/truce-project/truce/geo"
)

// ErrZone is wrapped by every error [ZoneIndex] returns for a zone it
// cannot hold.
var ErrZone = errors.New("spatial: invalid zone")

// Window is one half-open UTC interval [Start, End) in which a zone is
// active. A zero Start means "since always", a zero End "until further
// notice".
type Window struct {
	Start, End time.Time
}

// Zone is what the index needs of an agreed zone. Geometry is a Polygon or
// MultiPolygon in lon/lat, already validated (see geo.Validate); a
// LineString or MultiLineString (a contact line, a corridor's route) with
// BufferM > 0 is held as its buffer of that half-width (geo.BufferLine),
// and a Point with BufferM > 0 as the geodesic circle of that radius. The
// altitude band [FloorM, CeilingM] is in metres AMSL, inclusive; use
// math.Inf(-1) and math.Inf(1) for an unbounded floor or ceiling. An empty
// Windows means always active.
type Zone struct {
	ID       string
	Geometry orb.Geometry
	BufferM  float64
	FloorM   float64
	CeilingM float64
	Windows  []Window
}

type window struct{ start, end int64 }

// zone is a Zone prepared for queries.
type zone struct {
	id          string
	floor, ceil float64
	always      bool
	windows     []window
	area        orb.Geometry // the polygonal geometry, for exact tests
	prep        *prepared
	// exact is geo's prepared geometry for area tests, built on first use:
	// most zones never meet an operation's area, and it costs ~120 bytes a
	// vertex.
	exact    atomic.Pointer[geo.Prepared]
	min, max [2]float64
}

func (z *zone) activeAt(t int64) bool {
	if z.always {
		return true
	}
	for _, w := range z.windows {
		if w.start <= t && t < w.end {
			return true
		}
	}
	return false
}

func (z *zone) activeDuring(t0, t1 int64) bool {
	if z.always {
		return true
	}
	for _, w := range z.windows {
		if w.start < t1 && t0 < w.end {
			return true
		}
	}
	return false
}

func unixNano(t time.Time, zero int64) int64 {
	if t.IsZero() {
		return zero
	}
	// UnixNano is undefined outside 1678..2262; clamp rather than wrap.
	if t.Year() < 1700 {
		return math.MinInt64
	}
	if t.Year() > 2200 {
		return math.MaxInt64
	}
	return t.UnixNano()
}

func newZone(z Zone) (*zone, error) {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%w %q: %s", ErrZone, z.ID, fmt.Sprintf(format, args...))
	}
	if z.ID == "" {
		return nil, fmt.Errorf("%w: empty id", ErrZone)
	}
	if math.IsNaN(z.FloorM) || math.IsNaN(z.CeilingM) || !(z.FloorM < z.CeilingM) {
		return nil, bad("altitude band [%g, %g] is empty (floor must be below ceiling)", z.FloorM, z.CeilingM)
	}
	if math.IsNaN(z.BufferM) || math.IsInf(z.BufferM, 0) || z.BufferM < 0 {
		return nil, bad("buffer %g m", z.BufferM)
	}
	var area orb.Geometry
	var err error
	switch g := z.Geometry.(type) {
	case orb.Polygon, orb.MultiPolygon:
		if z.BufferM != 0 {
			return nil, bad("a polygon zone takes no buffer")
		}
		area = g
	case orb.LineString:
		if z.BufferM == 0 {
			return nil, bad("a line zone needs a buffer half-width")
		}
		area, err = geo.BufferLine(g, z.BufferM)
	case orb.MultiLineString:
		if z.BufferM == 0 {
			return nil, bad("a line zone needs a buffer half-width")
		}
		area, err = geo.BufferLines(g, z.BufferM)
	case orb.Point:
		if z.BufferM == 0 {
			return nil, bad("a point zone needs a radius")
		}
		area, err = geo.Circle(g, z.BufferM, 0)
	default:
		return nil, bad("geometry %T is not a zone shape", z.Geometry)
	}
	if err != nil {
		return nil, bad("%v", err)
	}
	// Topology is the zone service's to judge (geo.Validate); the index
	// needs only finite, in-range coordinates and some area to stay correct.
	if err := checkCoords(area); err != nil {
		return nil, bad("%v", err)
	}
	p, area := prepare(area)
	zz := &zone{
		id: z.ID, floor: z.FloorM, ceil: z.CeilingM,
		always: len(z.Windows) == 0,
		area:   area, prep: p,
		min: [2]float64{p.minX, p.minY}, max: [2]float64{p.maxX, p.maxY},
	}
	for i, w := range z.Windows {
		s, e := unixNano(w.Start, math.MinInt64), unixNano(w.End, math.MaxInt64)
		if s >= e {
			return nil, bad("window %d ends (%v) before it starts (%v)", i, w.End, w.Start)
		}
		zz.windows = append(zz.windows, window{s, e})
	}
	return zz, nil
}

// Snapshot is an immutable view of a [ZoneIndex]; a monitor checking a
// batch of positions against one snapshot sees one consistent set of
// zones. It is safe for any number of goroutines.
type Snapshot struct {
	tree  *rtree.RTreeG[*zone] // for area queries and cheap writes
	grid  *pointGrid           // for point queries
	zones map[string]*zone
}

// ZoneIndex holds agreed zones for point and area queries. Queries never
// block and may run on any number of goroutines while one writer at a time
// changes the index (writers are serialised by a mutex).
type ZoneIndex struct {
	mu   sync.Mutex
	snap atomic.Pointer[Snapshot]
}

// NewZoneIndex returns an empty index.
func NewZoneIndex() *ZoneIndex {
	x := &ZoneIndex{}
	x.snap.Store(&Snapshot{tree: &rtree.RTreeG[*zone]{}, grid: &pointGrid{}, zones: map[string]*zone{}})
	return x
}

// Snapshot returns the current view of the index.
func (x *ZoneIndex) Snapshot() *Snapshot { return x.snap.Load() }

// Len returns the number of zones in the index.
func (x *ZoneIndex) Len() int { return len(x.snap.Load().zones) }

// Insert adds z, or replaces the zone with the same ID (a new version of
// an agreed zone). The index is unchanged when the error is not nil; the
// error wraps [ErrZone].
func (x *ZoneIndex) Insert(z Zone) error {
	zz, err := newZone(z)
	if err != nil {
		return err
	}
	x.mu.Lock()
	defer x.mu.Unlock()
	old := x.snap.Load()
	next := &Snapshot{tree: old.tree.Copy(), zones: make(map[string]*zone, len(old.zones)+1)}
	for k, v := range old.zones {
		next.zones[k] = v
	}
	prev, ok := next.zones[z.ID]
	if ok {
		next.tree.Delete(prev.min, prev.max, prev)
	}
	next.zones[z.ID] = zz
	next.tree.Insert(zz.min, zz.max, zz)
	if next.grid = old.grid.with(prev, zz, len(next.zones)); next.grid == nil {
		next.grid = newPointGrid(next.zones)
	}
	x.snap.Store(next)
	return nil
}

// Delete removes the zone with this ID and reports whether it was there.
func (x *ZoneIndex) Delete(id string) bool {
	x.mu.Lock()
	defer x.mu.Unlock()
	old := x.snap.Load()
	prev, ok := old.zones[id]
	if !ok {
		return false
	}
	next := &Snapshot{tree: old.tree.Copy(), zones: make(map[string]*zone, len(old.zones))}
	for k, v := range old.zones {
		if k != id {
			next.zones[k] = v
		}
	}
	next.tree.Delete(prev.min, prev.max, prev)
	if next.grid = old.grid.with(prev, nil, len(next.zones)); next.grid == nil {
		next.grid = newPointGrid(next.zones)
	}
	x.snap.Store(next)
	return true
}

// Load replaces the whole content of the index with zs in one swap, as at
// start-up when the monitor rebuilds from the database. On error the index
// is unchanged; the error names the first bad zone. Duplicate IDs are an
// error.
func (x *ZoneIndex) Load(zs []Zone) error {
	next := &Snapshot{tree: &rtree.RTreeG[*zone]{}, zones: make(map[string]*zone, len(zs))}
	for _, z := range zs {
		zz, err := newZone(z)
		if err != nil {
			return err
		}
		if _, dup := next.zones[z.ID]; dup {
			return fmt.Errorf("%w %q: duplicate id", ErrZone, z.ID)
		}
		next.zones[z.ID] = zz
		next.tree.Insert(zz.min, zz.max, zz)
	}
	next.grid = newPointGrid(next.zones)
	x.mu.Lock()
	x.snap.Store(next)
	x.mu.Unlock()
	return nil
}

// Containing calls fn with the ID of every zone that holds the position
// (lon, lat) at altitude altM (metres AMSL) and is active at t, until fn
// returns false. A NaN altitude (unknown) matches every band, so that an
// aircraft without altitude is not missed. A position exactly on a zone's
// edge may be reported either way. It does not allocate.
func (x *ZoneIndex) Containing(lon, lat, altM float64, t time.Time, fn func(id string) bool) {
	x.snap.Load().Containing(lon, lat, altM, t, fn)
}

// Intersecting calls fn with the ID of every zone whose area intersects g
// (boundaries touching count), whose altitude band overlaps
// [floorM, ceilingM] and which is active at some time in [t0, t1) (a zero
// t1 means open-ended), until fn returns false. g may be any geometry
// geo.Intersects accepts; the error is geo's for geometry it cannot relate.
func (x *ZoneIndex) Intersecting(g orb.Geometry, floorM, ceilingM float64, t0, t1 time.Time, fn func(id string) bool) error {
	return x.snap.Load().Intersecting(g, floorM, ceilingM, t0, t1, fn)
}

// Containing is [ZoneIndex.Containing] on this snapshot.
func (s *Snapshot) Containing(lon, lat, altM float64, t time.Time, fn func(id string) bool) {
	if !(lon >= -180 && lon <= 180 && lat >= -90 && lat <= 90) {
		return // NaN, infinite or out of range: in no zone
	}
	tn := unixNano(t, math.MinInt64)
	cs := s.grid.candidates(lon, lat)
	for i := range cs {
		c := &cs[i]
		if lon < c.minX || lon > c.maxX || lat < c.minY || lat > c.maxY {
			continue
		}
		z := c.z
		if altM < z.floor || altM > z.ceil || !z.activeAt(tn) || !z.prep.contains(lon, lat) {
			continue
		}
		if !fn(z.id) {
			return
		}
	}
}

// Intersecting is [ZoneIndex.Intersecting] on this snapshot.
func (s *Snapshot) Intersecting(g orb.Geometry, floorM, ceilingM float64, t0, t1 time.Time, fn func(id string) bool) error {
	if g == nil {
		return fmt.Errorf("%w: nil geometry", geo.ErrUnsupported)
	}
	if math.IsNaN(floorM) || math.IsNaN(ceilingM) || floorM > ceilingM {
		return fmt.Errorf("%w: altitude band [%g, %g]", ErrZone, floorM, ceilingM)
	}
	if _, err := geo.Dimension(g); err != nil {
		return err
	}
	finite := eachVertex(g, func(p orb.Point) bool {
		return !math.IsNaN(p[0]) && !math.IsNaN(p[1]) && !math.IsInf(p[0], 0) && !math.IsInf(p[1], 0)
	})
	if !finite {
		return fmt.Errorf("%w: a coordinate is NaN or infinite", geo.ErrUnsupported)
	}
	b := g.Bound()
	a, e := unixNano(t0, math.MinInt64), unixNano(t1, math.MaxInt64)
	s.tree.Search([2]float64(b.Min), [2]float64(b.Max), func(_, _ [2]float64, z *zone) bool {
		if z.floor > ceilingM || floorM > z.ceil || !z.activeDuring(a, e) {
			return true
		}
		switch z.prep.quickIntersects(g, b) {
		case no:
			return true
		case unknown:
			if !z.exactIntersects(g) {
				return true
			}
		}
		return fn(z.id)
	})
	return nil
}

func checkCoords(g orb.Geometry) error {
	n := 0
	check := func(r orb.Ring) error {
		for _, p := range r {
			if !(p[0] >= -180 && p[0] <= 180 && p[1] >= -90 && p[1] <= 90) {
				return fmt.Errorf("vertex (%g %g) is not a longitude and latitude", p[0], p[1])
			}
		}
		if len(r) > 0 {
			n++
		}
		return nil
	}
	for _, p := range polygons(g) {
		for _, r := range p {
			if err := check(r); err != nil {
				return err
			}
		}
	}
	if n == 0 {
		return errors.New("empty geometry")
	}
	return nil
}

func (z *zone) exactIntersects(g orb.Geometry) bool {
	p := z.exact.Load()
	if p == nil {
		var err error
		if p, err = geo.Prepare(z.area); err != nil {
			return geo.Intersects(z.area, g)
		}
		z.exact.Store(p) // a racing reader may prepare it twice; both are equal
	}
	return p.Intersects(g)
}
