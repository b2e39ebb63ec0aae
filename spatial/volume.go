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

// ErrVolume is wrapped by every error [VolumeIndex] and [PrepareVolume]
// return for a volume they cannot hold.
var ErrVolume = errors.New("spatial: invalid volume")

// Volume is a 4D volume: an area × an altitude band × a time window. The
// area is a Polygon or MultiPolygon in lon/lat (already validated, see
// geo.Validate), a circle (a Point with BufferM > 0, held as the geodesic
// circle geo.Circle draws), or a corridor (a LineString or MultiLineString
// with BufferM > 0 as its half-width, held as geo.BufferLine's buffer).
//
// The altitude band [FloorM, CeilingM] is in metres AMSL and closed: two
// bands that meet at one altitude overlap there, as a zone's band does
// (use math.Inf for an unbounded end). The window [Start, End) is half-open:
// an operation that ends at T does not overlap one that starts at T. A zero
// Start means "since always" and a zero End "until further notice", so a
// static site is a volume with both zero.
//
// Owner is not interpreted by the index; it comes back in each [Overlap]
// so that a caller can tell, say, its own operations from another party's
// without a look-up.
type Volume struct {
	ID       string
	Owner    string
	Geometry orb.Geometry
	BufferM  float64
	FloorM   float64
	CeilingM float64
	Start    time.Time
	End      time.Time
}

// Overlap is one stored volume that overlaps a queried one, and where: the
// band and window that both share. Start or End is zero where both volumes
// are unbounded on that side.
type Overlap struct {
	ID       string
	Owner    string
	FloorM   float64
	CeilingM float64
	Start    time.Time
	End      time.Time
}

// PreparedVolume is a [Volume] made ready for checks and insertion: its
// area built (circle, corridor) and indexed once. Preparing costs what
// drawing the area costs (a corridor's buffer is by far the dearest), so a
// service that checks a new volume and then stores it prepares it once. It
// is immutable and safe for concurrent use.
type PreparedVolume struct {
	id, owner   string
	floor, ceil float64
	start, end  int64 // unix ns; math.MinInt64 and math.MaxInt64 when unbounded
	area        orb.Geometry
	bound       orb.Bound
	prep        *prepared
	// exact is geo's prepared geometry for the tests the raster cannot
	// answer, built on first use: most volumes never need it.
	exact atomic.Pointer[geo.Prepared]
}

// ID returns the volume's ID.
func (p *PreparedVolume) ID() string { return p.id }

// Area returns the polygonal area the volume covers (the circle or the
// corridor drawn), in lon/lat.
func (p *PreparedVolume) Area() orb.Geometry { return p.area }

// PrepareVolume checks v and prepares it. The error wraps [ErrVolume].
func PrepareVolume(v Volume) (*PreparedVolume, error) {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%w %q: %s", ErrVolume, v.ID, fmt.Sprintf(format, args...))
	}
	if v.ID == "" {
		return nil, fmt.Errorf("%w: empty id", ErrVolume)
	}
	if math.IsNaN(v.FloorM) || math.IsNaN(v.CeilingM) || v.FloorM > v.CeilingM {
		return nil, bad("altitude band [%g, %g] has its floor above its ceiling", v.FloorM, v.CeilingM)
	}
	if math.IsNaN(v.BufferM) || math.IsInf(v.BufferM, 0) || v.BufferM < 0 {
		return nil, bad("buffer %g m", v.BufferM)
	}
	if v.Geometry == nil {
		return nil, bad("no geometry")
	}
	finite := eachVertex(v.Geometry, func(p orb.Point) bool {
		return p[0] >= -180 && p[0] <= 180 && p[1] >= -90 && p[1] <= 90
	})
	if !finite {
		return nil, bad("a vertex is not a longitude and latitude")
	}
	var area orb.Geometry
	var err error
	switch g := v.Geometry.(type) {
	case orb.Polygon, orb.MultiPolygon:
		if v.BufferM != 0 {
			return nil, bad("a polygon volume takes no buffer")
		}
		area = g
	case orb.LineString:
		if v.BufferM == 0 {
			return nil, bad("a corridor needs a half-width")
		}
		area, err = geo.BufferLine(g, v.BufferM)
	case orb.MultiLineString:
		if v.BufferM == 0 {
			return nil, bad("a corridor needs a half-width")
		}
		area, err = geo.BufferLines(g, v.BufferM)
	case orb.Point:
		if v.BufferM == 0 {
			return nil, bad("a circle needs a radius")
		}
		area, err = geo.Circle(g, v.BufferM, 0)
	default:
		return nil, bad("geometry %T is not a volume's shape", v.Geometry)
	}
	if err != nil {
		return nil, bad("%v", err)
	}
	if err := checkCoords(area); err != nil {
		return nil, bad("%v", err)
	}
	if _, err := geo.Dimension(area); err != nil {
		return nil, bad("%v", err)
	}
	s, e := unixNano(v.Start, math.MinInt64), unixNano(v.End, math.MaxInt64)
	if s >= e {
		return nil, bad("window ends (%v) before it starts (%v)", v.End, v.Start)
	}
	p, area := prepare(area)
	return &PreparedVolume{
		id: v.ID, owner: v.Owner, floor: v.FloorM, ceil: v.CeilingM,
		start: s, end: e, area: area, prep: p,
		bound: orb.Bound{Min: orb.Point{p.minX, p.minY}, Max: orb.Point{p.maxX, p.maxY}},
	}, nil
}

func (p *PreparedVolume) exactIntersects(g orb.Geometry) bool {
	x := p.exact.Load()
	if x == nil {
		var err error
		if x, err = geo.Prepare(p.area); err != nil {
			return geo.Intersects(p.area, g)
		}
		p.exact.Store(x) // a racing reader may prepare it twice; both are equal
	}
	return x.Intersects(g)
}

// areasMeet reports whether the areas of a and b share a point (boundaries
// touching count), answering from either raster when it can and from geo's
// exact predicate otherwise.
func areasMeet(a, b *PreparedVolume) bool {
	if !a.bound.Intersects(b.bound) {
		return false
	}
	switch a.prep.quickIntersects(b.area, b.bound) {
	case no:
		return false
	case yes:
		return true
	}
	switch b.prep.quickIntersects(a.area, a.bound) {
	case no:
		return false
	case yes:
		return true
	}
	// The larger one's edges are indexed; the other's are walked.
	if len(a.prep.pts) >= len(b.prep.pts) {
		return a.exactIntersects(b.area)
	}
	return b.exactIntersects(a.area)
}

// overlap returns where a and b overlap in band and time, and whether they
// do in all four dimensions.
func overlap(a, b *PreparedVolume) (Overlap, bool) {
	if a.floor > b.ceil || b.floor > a.ceil || a.start >= b.end || b.start >= a.end {
		return Overlap{}, false
	}
	if !areasMeet(a, b) {
		return Overlap{}, false
	}
	return Overlap{
		ID: b.id, Owner: b.owner,
		FloorM: math.Max(a.floor, b.floor), CeilingM: math.Min(a.ceil, b.ceil),
		Start: fromNano(max(a.start, b.start), math.MinInt64),
		End:   fromNano(min(a.end, b.end), math.MaxInt64),
	}, true
}

func fromNano(t, unbounded int64) time.Time {
	if t == unbounded {
		return time.Time{}
	}
	return time.Unix(0, t).UTC()
}

// bucketNs is the time span of one bucket of the index. Operations last
// hours; a bucket of six hours keeps most in one or two buckets while
// cutting a month of them into 120 trees. longBuckets is the most buckets
// a volume is copied into; a longer or unbounded one (a site) lives in the
// tree of long volumes, searched by every query.
const (
	bucketNs    = int64(6 * time.Hour)
	longBuckets = 8
)

func bucketOf(t int64) int64 {
	b := t / bucketNs
	if t%bucketNs < 0 {
		b--
	}
	return b
}

// VolumeIndex holds 4D volumes and answers which of them overlap a given
// one, exactly: the areas share a point (polygon overlap, not grid cells),
// the bands share an altitude and the windows an instant.
//
// Candidates are found by bounding box in R-trees
// (github.com/tidwall/rtree, as [ZoneIndex] uses), one per six-hour bucket
// of time that holds volumes of bounded, short windows (a volume is in
// every bucket its window touches, and reported only from the bucket where
// its overlap with the query starts, so never twice), and one for the long
// and unbounded ones. Candidates are then filtered by band and window and
// tested exactly, each area's raster answering most tests and
// geo.Prepared the rest.
//
// Queries take a read lock and may run on any number of goroutines; a
// write takes the write lock for the time of a few R-tree updates.
type VolumeIndex struct {
	mu      sync.RWMutex
	vols    map[string]*PreparedVolume
	long    rtree.RTreeG[*PreparedVolume]
	buckets map[int64]*rtree.RTreeG[*PreparedVolume]
}

// NewVolumeIndex returns an empty index.
func NewVolumeIndex() *VolumeIndex {
	return &VolumeIndex{vols: map[string]*PreparedVolume{}, buckets: map[int64]*rtree.RTreeG[*PreparedVolume]{}}
}

// Len returns the number of volumes in the index.
func (x *VolumeIndex) Len() int {
	x.mu.RLock()
	defer x.mu.RUnlock()
	return len(x.vols)
}

// isLong reports whether p lives in the tree of long volumes, and
// otherwise returns its first and last bucket.
func isLong(p *PreparedVolume) (long bool, b0, b1 int64) {
	if p.start == math.MinInt64 || p.end == math.MaxInt64 {
		return true, 0, 0
	}
	b0, b1 = bucketOf(p.start), bucketOf(p.end-1)
	return b1-b0 >= longBuckets, b0, b1
}

func box(p *PreparedVolume) (min, max [2]float64) {
	return [2]float64(p.bound.Min), [2]float64(p.bound.Max)
}

func (x *VolumeIndex) add(p *PreparedVolume) {
	mn, mx := box(p)
	long, b0, b1 := isLong(p)
	if long {
		x.long.Insert(mn, mx, p)
		return
	}
	for b := b0; b <= b1; b++ {
		t := x.buckets[b]
		if t == nil {
			t = &rtree.RTreeG[*PreparedVolume]{}
			x.buckets[b] = t
		}
		t.Insert(mn, mx, p)
	}
}

func (x *VolumeIndex) drop(p *PreparedVolume) {
	mn, mx := box(p)
	long, b0, b1 := isLong(p)
	if long {
		x.long.Delete(mn, mx, p)
		return
	}
	for b := b0; b <= b1; b++ {
		if t := x.buckets[b]; t != nil {
			t.Delete(mn, mx, p)
			if t.Len() == 0 {
				delete(x.buckets, b)
			}
		}
	}
}

// Insert prepares v and adds it, replacing the volume with the same ID (a
// new version). The index is unchanged when the error is not nil; the
// error wraps [ErrVolume].
func (x *VolumeIndex) Insert(v Volume) error {
	p, err := PrepareVolume(v)
	if err != nil {
		return err
	}
	x.InsertPrepared(p)
	return nil
}

// InsertPrepared adds p, replacing the volume with the same ID.
func (x *VolumeIndex) InsertPrepared(p *PreparedVolume) {
	x.mu.Lock()
	defer x.mu.Unlock()
	if old, ok := x.vols[p.id]; ok {
		x.drop(old)
	}
	x.vols[p.id] = p
	x.add(p)
}

// Remove removes the volume with this ID and reports whether it was there.
func (x *VolumeIndex) Remove(id string) bool {
	x.mu.Lock()
	defer x.mu.Unlock()
	p, ok := x.vols[id]
	if ok {
		x.drop(p)
		delete(x.vols, id)
	}
	return ok
}

// Overlapping calls fn with every stored volume that overlaps v in area,
// band and window, and where, until fn returns false. A stored volume with
// v's own ID is reported like any other (a caller replacing a volume skips
// it). It is [VolumeIndex.OverlappingPrepared] after [PrepareVolume].
func (x *VolumeIndex) Overlapping(v Volume, fn func(Overlap) bool) error {
	p, err := PrepareVolume(v)
	if err != nil {
		return err
	}
	x.OverlappingPrepared(p, fn)
	return nil
}

// OverlappingPrepared is [VolumeIndex.Overlapping] for a prepared volume.
// The order of the calls is unspecified. fn must not change the index.
func (x *VolumeIndex) OverlappingPrepared(q *PreparedVolume, fn func(Overlap) bool) {
	x.mu.RLock()
	defer x.mu.RUnlock()
	mn, mx := box(q)
	goOn := true
	visit := func(_, _ [2]float64, c *PreparedVolume) bool {
		if o, ok := overlap(q, c); ok {
			goOn = fn(o)
		}
		return goOn
	}
	x.long.Search(mn, mx, visit)
	if !goOn || len(x.buckets) == 0 {
		return
	}
	// In bucket b, report c only if the overlap of the windows starts in
	// b: a volume in several buckets is then reported once.
	inBucket := func(b int64, t *rtree.RTreeG[*PreparedVolume]) bool {
		t.Search(mn, mx, func(_, _ [2]float64, c *PreparedVolume) bool {
			if bucketOf(max(q.start, c.start)) != b {
				return true
			}
			return visit(mn, mx, c)
		})
		return goOn
	}
	qb0, qb1 := bucketOf(q.start), bucketOf(q.end-1)
	if q.start == math.MinInt64 || q.end == math.MaxInt64 || qb1-qb0 >= int64(len(x.buckets)) {
		for b, t := range x.buckets {
			if b >= qb0 && b <= qb1 && !inBucket(b, t) {
				return
			}
		}
		return
	}
	for b := qb0; b <= qb1; b++ {
		if t := x.buckets[b]; t != nil && !inBucket(b, t) {
			return
		}
	}
}
