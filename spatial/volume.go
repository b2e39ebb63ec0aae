package spatial

import (
	"errors"
	"fmt"
	"math"
	"sync"
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
	eb          edgeBands
	// samples (see sampleOf) are kept in the struct, beside bound, so
	// that a candidate's first test reads no other memory.
	samples  [2 * samples]orb.Point
	nSamples int
	nVertex  int // samples[:nVertex] are vertices, the rest inner points
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
	// A finer raster than a zone's: volumes are small and few vertices
	// (a rectangle has four), and a coarse raster would send most
	// neighbours near an edge to the exact test.
	p, area := prepareRaster(area, volumeRaster)
	pv := &PreparedVolume{
		id: v.ID, owner: v.Owner, floor: v.FloorM, ceil: v.CeilingM,
		start: s, end: e, area: area, prep: p, eb: newEdgeBands(area, p),
		bound: orb.Bound{Min: orb.Point{p.minX, p.minY}, Max: orb.Point{p.maxX, p.maxY}},
	}
	ss, nv := sampleOf(p)
	pv.nSamples, pv.nVertex = copy(pv.samples[:], ss), nv
	return pv, nil
}

// edgeBands indexes every edge of a volume's area, horizontal ones
// included, in horizontal bands, for the exact test of two areas whose
// rasters could not decide. Edge e runs from pts[e] to pts[e+1].
type edgeBands struct {
	minY, invH float64
	nb         int
	offs       []uint32
	edges      []uint32
	parts      []uint32 // the first vertex of each polygon's exterior ring
}

func newEdgeBands(area orb.Geometry, p *prepared) edgeBands {
	var es, parts []uint32
	k := 0
	for _, poly := range polygons(area) {
		for j, r := range poly {
			if j == 0 && len(r) > 0 {
				parts = append(parts, uint32(k))
			}
			for i := 0; i+1 < len(r); i++ {
				es = append(es, uint32(k+i))
			}
			k += len(r)
		}
	}
	b := edgeBands{minY: p.minY, nb: max(1, min(len(es)/bandTarget, 1<<16)), parts: parts}
	if h := p.maxY - p.minY; h > 0 {
		b.invH = float64(b.nb) / h
	}
	counts := make([]uint32, b.nb+1)
	for _, e := range es {
		b0, b1 := b.span(p.pts[e][1], p.pts[e+1][1])
		for i := b0; i <= b1; i++ {
			counts[i+1]++
		}
	}
	for i := 1; i <= b.nb; i++ {
		counts[i] += counts[i-1]
	}
	b.offs = counts
	b.edges = make([]uint32, counts[b.nb])
	fill := append([]uint32(nil), counts[:b.nb]...)
	for _, e := range es {
		b0, b1 := b.span(p.pts[e][1], p.pts[e+1][1])
		for i := b0; i <= b1; i++ {
			b.edges[fill[i]] = e
			fill[i]++
		}
	}
	return b
}

func (b *edgeBands) band(y float64) int {
	return max(0, min(int((y-b.minY)*b.invH), b.nb-1))
}

func (b *edgeBands) span(y0, y1 float64) (int, int) {
	if y0 > y1 {
		y0, y1 = y1, y0
	}
	return b.band(y0), b.band(y1)
}

// exactMeet reports whether the areas of a and b share a point. Either
// some edges meet (decided by geo.SegmentsMeet, the robust test geo's
// predicates use), or the boundaries are apart and then one vertex of
// each part, which cannot be on the other's boundary, is inside the other
// or the two are disjoint.
//
// Only edges within the common box of both can meet: it walks a's bands
// over that box, each of a's edges once, and for each that reaches into
// the box, b's bands over it, keeping b's edges that come near the part of
// a's edge that crosses the band (a long edge's box would hold most of a
// small area's edges). It does not allocate.
func exactMeet(a, b *PreparedVolume) bool {
	ap, bp := a.prep.pts, b.prep.pts
	cx0, cy0 := math.Max(a.bound.Min[0], b.bound.Min[0]), math.Max(a.bound.Min[1], b.bound.Min[1])
	cx1, cy1 := math.Min(a.bound.Max[0], b.bound.Max[0]), math.Min(a.bound.Max[1], b.bound.Max[1])
	a0, a1 := a.eb.span(cy0, cy1)
	for i := a0; i <= a1; i++ {
		for _, e := range a.eb.edges[a.eb.offs[i]:a.eb.offs[i+1]] {
			p, q := ap[e], ap[e+1]
			if p[1] > q[1] {
				p, q = q, p
			}
			if max(a0, a.eb.band(p[1])) != i {
				continue // seen in an earlier band
			}
			x0, x1 := math.Min(p[0], q[0]), math.Max(p[0], q[0])
			if x1 < cx0 || x0 > cx1 || q[1] < cy0 || p[1] > cy1 {
				continue
			}
			ya, yb := math.Max(p[1], cy0), math.Min(q[1], cy1)
			b0, b1 := b.eb.span(ya, yb)
			for k := b0; k <= b1; k++ {
				// The x-range of a's edge within band k's rows, both
				// widened against rounding (1e-9° is 0.1 mm), so that the
				// band where two edges meet always finds them.
				lo, hi := x0, x1
				if dy := q[1] - p[1]; dy > 0 {
					yl := math.Max(ya, b.eb.minY+float64(k)/b.eb.invH-1e-9)
					yh := math.Min(yb, b.eb.minY+float64(k+1)/b.eb.invH+1e-9)
					if k == b0 {
						yl = ya
					}
					if k == b1 {
						yh = yb
					}
					xl := p[0] + (yl-p[1])/dy*(q[0]-p[0])
					xh := p[0] + (yh-p[1])/dy*(q[0]-p[0])
					lo, hi = math.Max(x0, math.Min(xl, xh)-1e-9), math.Min(x1, math.Max(xl, xh)+1e-9)
				}
				for _, f := range b.eb.edges[b.eb.offs[k]:b.eb.offs[k+1]] {
					r, s := bp[f], bp[f+1]
					if r[1] > s[1] {
						r, s = s, r
					}
					if s[1] < p[1] || r[1] > q[1] || math.Max(r[0], s[0]) < lo || math.Min(r[0], s[0]) > hi {
						continue
					}
					if geo.SegmentsMeet(p, q, r, s) {
						return true
					}
				}
			}
		}
	}
	for _, i := range a.eb.parts {
		if b.prep.contains(ap[i][0], ap[i][1]) {
			return true
		}
	}
	for _, i := range b.eb.parts {
		if a.prep.contains(bp[i][0], bp[i][1]) {
			return true
		}
	}
	return false
}

// volumeRaster is the least raster side of a volume's area: 32×32 cells
// take 256 bytes.
const volumeRaster = 32

// samples is how many vertices and inner points of one area are looked up
// in the other's raster before the exact test: enough to find a shared
// point where one area reaches well into the other, few enough that a
// check against a dozen candidates stays within a microsecond or two.
const samples = 8

// sampleOf returns up to samples vertices of the area, evenly spaced along
// its rings, and up to samples centres of cells its raster says are
// inside: points that are surely in the area, to look up in another's
// raster.
func sampleOf(p *prepared) (_ []orb.Point, vertices int) {
	var out []orb.Point
	step := max(1, len(p.pts)/samples)
	for i := 0; i < len(p.pts) && len(out) < samples; i += step {
		out = append(out, p.pts[i])
	}
	var in []int
	for i := range p.g * p.g {
		if p.cell(i) == cellIn {
			in = append(in, i)
		}
	}
	step = max(1, len(in)/samples)
	n := len(out)
	vertices = n
	for k := 0; k < len(in) && len(out) < n+samples; k += step {
		i, j := in[k]%p.g, in[k]/p.g
		out = append(out, orb.Point{p.minX + (float64(i)+0.5)/p.invW, p.minY + (float64(j)+0.5)/p.invR})
	}
	return out, vertices
}

// quick answers from a's raster alone when it can: no when every cell
// under b's box is outside a, yes when a sample point of b lies in a cell
// inside a.
func quick(a, b *PreparedVolume) verdict {
	p := a.prep
	if p.g == 0 {
		return unknown
	}
	cell := func(x, y float64) (int, int) {
		i := int((x - p.minX) * p.invW)
		j := int((y - p.minY) * p.invR)
		return max(0, min(i, p.g-1)), max(0, min(j, p.g-1))
	}
	i0, j0 := cell(b.bound.Min[0], b.bound.Min[1])
	i1, j1 := cell(b.bound.Max[0], b.bound.Max[1])
	allOut := true
	for j := j0; j <= j1 && allOut; j++ {
		for i := i0; i <= i1; i++ {
			if p.cell(j*p.g+i) != cellOut {
				allOut = false
				break
			}
		}
	}
	if allOut {
		return no
	}
	for _, q := range b.samples[:b.nSamples] {
		if q[0] < p.minX || q[0] > p.maxX || q[1] < p.minY || q[1] > p.maxY {
			continue
		}
		if i, j := cell(q[0], q[1]); p.cell(j*p.g+i) == cellIn {
			return yes
		}
	}
	// An inner point of b is more than rasterEps inside b, so if the
	// crossing test puts it in a, even by a rounding error, a reaches
	// into b. A vertex of b would not do: it is on b's boundary.
	for _, q := range b.samples[b.nVertex:b.nSamples] {
		if p.contains(q[0], q[1]) {
			return yes
		}
	}
	return unknown
}

// areasMeet reports whether the areas of a and b share a point (boundaries
// touching count), answering from either raster when it can and by
// [exactMeet] otherwise.
func areasMeet(a, b *PreparedVolume) bool {
	if !a.bound.Intersects(b.bound) {
		return false
	}
	switch quick(a, b) {
	case no:
		return false
	case yes:
		return true
	}
	switch quick(b, a) {
	case no:
		return false
	case yes:
		return true
	}
	return exactMeet(a, b)
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
// cutting a month of them into 120 layers. longBuckets is the most buckets
// a volume is copied into; a longer or unbounded one (a site) lives in the
// layer of long volumes, searched by every query.
const (
	bucketNs    = int64(6 * time.Hour)
	longBuckets = 8
)

// The grid: cellDeg is the side of a cell of a bucket's layer (0.1°, about
// 10 km, the size of an operation's area), longCellDeg that of the long
// layer (0.05°: sites are points with buffers of hundreds of metres, and
// ten thousand of them share one layer). A volume whose box spans more
// than maxCells cells of its layer (a long corridor, a province) lives in
// an R-tree of large volumes instead, searched by every query.
const (
	cellDeg     = 0.1
	longCellDeg = 0.05
	maxCells    = 64
	// longLayer is the bucket number of the long layer.
	longLayer = math.MinInt64
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
// Candidates are found in a time-bucketed grid: one layer per six-hour
// bucket of time for the volumes of bounded, short windows (a volume is in
// every bucket its window touches, and reported only from the bucket where
// its overlap with the query starts, so never twice) and one layer for
// the long and unbounded ones; in each layer a volume is in every cell
// its box meets, and reported only from the cell holding the low corner of
// the two boxes' common part. A cell's entries are one contiguous array
// holding each volume's box (float32, rounded outward), band, window and
// ids, so that a check reads a few cache lines per cell and no candidate
// it can decide from them; the few volumes too large for the grid are in
// an R-tree (github.com/tidwall/rtree). Candidates are filtered by band
// and window and tested exactly, each area's raster answering most tests
// and a walk of the edges near the common box the rest (geo.SegmentsMeet
// decides each pair of edges, so the answers are geo.Intersects's). A
// check does not allocate.
//
// Measured figures are in BenchmarkVolumeIndex_Check's comment.
//
// Queries take a read lock and may run on any number of goroutines; a
// write takes the write lock for the time of a few cell updates.
type VolumeIndex struct {
	mu    sync.RWMutex
	vols  map[string]*PreparedVolume
	cells map[cellKey][]entry
	// layers counts the cells of each bucket's layer that hold entries,
	// so that a query with an unbounded window visits the buckets there
	// are rather than every bucket it spans.
	layers map[int64]int
	large  rtree.RTreeG[item]
}

// cellKey names one cell of one layer.
type cellKey struct {
	b    int64
	x, y int32
}

// entry is what a cell holds of a volume: its box rounded outward to
// float32, its band, window and ids beside the pointer, so that
// candidates outside them are dropped, and those the query's raster
// decides are reported, without reading the volume (a cache miss each,
// with 100,000 volumes).
type entry struct {
	minX, minY, maxX, maxY float32
	floor, ceil            float64
	start, end             int64
	id, owner              string
	v                      *PreparedVolume
	// inner holds up to two points surely inside the area (NaN when
	// none): one in a cell the query's raster says is inside the query
	// proves an overlap without reading the volume.
	inner [2][2]float32
}

// item is what the R-tree of large volumes holds.
type item struct {
	floor, ceil float64
	start, end  int64
	id, owner   string
	v           *PreparedVolume
}

func down32(x float64) float32 {
	f := float32(x)
	if float64(f) > x {
		f = math.Nextafter32(f, float32(math.Inf(-1)))
	}
	return f
}

func up32(x float64) float32 {
	f := float32(x)
	if float64(f) < x {
		f = math.Nextafter32(f, float32(math.Inf(1)))
	}
	return f
}

func entryOf(p *PreparedVolume) entry {
	e := boxOf(p)
	nan := float32(math.NaN())
	e.inner = [2][2]float32{{nan, nan}, {nan, nan}}
	k := 0
	in := p.samples[p.nVertex:p.nSamples]
	for _, i := range []int{0, len(in) / 2} {
		if i >= len(in) || k == 2 {
			break
		}
		pt := [2]float32{float32(in[i][0]), float32(in[i][1])}
		// Kept only if still inside once rounded to float32.
		if p.prep.contains(float64(pt[0]), float64(pt[1])) {
			e.inner[k] = pt
			k++
		}
	}
	return e
}

// boxOf is entryOf without the summary: what a query needs of itself.
func boxOf(p *PreparedVolume) entry {
	return entry{down32(p.bound.Min[0]), down32(p.bound.Min[1]), up32(p.bound.Max[0]), up32(p.bound.Max[1]),
		p.floor, p.ceil, p.start, p.end, p.id, p.owner, p, [2][2]float32{}}
}

func itemOf(p *PreparedVolume) item {
	return item{p.floor, p.ceil, p.start, p.end, p.id, p.owner, p}
}

// cellSize is the side of a cell of layer b.
func cellSize(b int64) float64 {
	if b == longLayer {
		return longCellDeg
	}
	return cellDeg
}

// cellOf is the cell index of coordinate c in cells of side s. Every
// caller passes a float32 box coordinate, so insertion and the query's
// reference point agree on the cell.
func cellOf(c float32, s float64) int32 {
	return int32(math.Floor(float64(c) / s))
}

// span returns the cells of layer b that the box meets.
func span(b int64, minX, minY, maxX, maxY float32) (x0, y0, x1, y1 int32) {
	s := cellSize(b)
	return cellOf(minX, s), cellOf(minY, s), cellOf(maxX, s), cellOf(maxY, s)
}

// boxVerdict answers from a's raster and b's box alone, which the cell
// hands over with the entry: yes when every cell under the box is inside
// a (b's area, somewhere in its box, is then in a), no when every one is
// outside. A candidate decided so costs no read of its volume.
func boxVerdict(a *prepared, lo, hi [2]float64) verdict {
	if a.g == 0 {
		return unknown
	}
	cell := func(x, y float64) (int, int) {
		i := int((x - a.minX) * a.invW)
		j := int((y - a.minY) * a.invR)
		return max(0, min(i, a.g-1)), max(0, min(j, a.g-1))
	}
	i0, j0 := cell(lo[0], lo[1])
	i1, j1 := cell(hi[0], hi[1])
	first := a.cell(j0*a.g + i0)
	if first == cellEdge {
		return unknown
	}
	for j := j0; j <= j1; j++ {
		for i := i0; i <= i1; i++ {
			if a.cell(j*a.g+i) != first {
				return unknown
			}
		}
	}
	if first == cellOut {
		return no
	}
	// All in, and the box within a's: yes.
	if lo[0] >= a.minX && hi[0] <= a.maxX && lo[1] >= a.minY && hi[1] <= a.maxY {
		return yes
	}
	return unknown
}

// NewVolumeIndex returns an empty index.
func NewVolumeIndex() *VolumeIndex {
	return &VolumeIndex{vols: map[string]*PreparedVolume{}, cells: map[cellKey][]entry{}, layers: map[int64]int{}}
}

// Len returns the number of volumes in the index.
func (x *VolumeIndex) Len() int {
	x.mu.RLock()
	defer x.mu.RUnlock()
	return len(x.vols)
}

// isLong reports whether p lives in the long layer, and otherwise
// returns its first and last bucket.
func isLong(p *PreparedVolume) (long bool, b0, b1 int64) {
	if p.start == math.MinInt64 || p.end == math.MaxInt64 {
		return true, 0, 0
	}
	b0, b1 = bucketOf(p.start), bucketOf(p.end-1)
	return b1-b0 >= longBuckets, b0, b1
}

// layersOf returns the layers p is in, or nil if it is too large for the
// grid.
func layersOf(p *PreparedVolume, e *entry) []int64 {
	long, b0, b1 := isLong(p)
	var bs []int64
	if long {
		bs = []int64{longLayer}
	} else {
		for b := b0; b <= b1; b++ {
			bs = append(bs, b)
		}
	}
	x0, y0, x1, y1 := span(bs[0], e.minX, e.minY, e.maxX, e.maxY)
	if int64(x1-x0+1)*int64(y1-y0+1) > maxCells {
		return nil
	}
	return bs
}

func box(p *PreparedVolume) (min, max [2]float64) {
	return [2]float64(p.bound.Min), [2]float64(p.bound.Max)
}

func (x *VolumeIndex) add(p *PreparedVolume) {
	e := entryOf(p)
	bs := layersOf(p, &e)
	if bs == nil {
		mn, mx := box(p)
		x.large.Insert(mn, mx, itemOf(p))
		return
	}
	for _, b := range bs {
		x0, y0, x1, y1 := span(b, e.minX, e.minY, e.maxX, e.maxY)
		for cy := y0; cy <= y1; cy++ {
			for cx := x0; cx <= x1; cx++ {
				k := cellKey{b, cx, cy}
				es := x.cells[k]
				if len(es) == 0 {
					x.layers[b]++
				}
				x.cells[k] = append(es, e)
			}
		}
	}
}

func (x *VolumeIndex) drop(p *PreparedVolume) {
	e := boxOf(p)
	bs := layersOf(p, &e)
	if bs == nil {
		mn, mx := box(p)
		x.large.Delete(mn, mx, itemOf(p))
		return
	}
	for _, b := range bs {
		x0, y0, x1, y1 := span(b, e.minX, e.minY, e.maxX, e.maxY)
		for cy := y0; cy <= y1; cy++ {
			for cx := x0; cx <= x1; cx++ {
				k := cellKey{b, cx, cy}
				es := x.cells[k]
				for i := range es {
					if es[i].v == p {
						es[i] = es[len(es)-1]
						es[len(es)-1] = entry{}
						es = es[:len(es)-1]
						break
					}
				}
				if len(es) == 0 {
					delete(x.cells, k)
					if x.layers[b]--; x.layers[b] == 0 {
						delete(x.layers, b)
					}
				} else {
					x.cells[k] = es
				}
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

// check is one query's state.
type check struct {
	q    *PreparedVolume
	qe   entry // the query's box, rounded as entries' are
	fn   func(Overlap) bool
	goOn bool
}

// visit tests one candidate that has passed the box test and reports it
// if it overlaps; it returns whether to go on.
func (c *check) visit(floor, ceil float64, start, end int64, id, owner string, lo, hi [2]float64, v *PreparedVolume, inner *[2][2]float32) bool {
	q := c.q
	if floor > q.ceil || q.floor > ceil || start >= q.end || q.start >= end {
		return true
	}
	vd := unknown
	if inner != nil && inQuery(q.prep, inner) {
		vd = yes
	} else {
		vd = boxVerdict(q.prep, lo, hi)
	}
	switch vd {
	case no:
		return true
	case yes:
		c.goOn = c.fn(Overlap{
			ID: id, Owner: owner,
			FloorM: math.Max(q.floor, floor), CeilingM: math.Min(q.ceil, ceil),
			Start: fromNano(max(q.start, start), math.MinInt64),
			End:   fromNano(min(q.end, end), math.MaxInt64),
		})
		return c.goOn
	}
	if o, ok := overlap(q, v); ok {
		c.goOn = c.fn(o)
	}
	return c.goOn
}

// inQuery reports whether one of a candidate's inner points lies in a
// cell of a's raster that is wholly inside a.
func inQuery(a *prepared, pts *[2][2]float32) bool {
	if a.g == 0 {
		return false
	}
	for _, p := range pts {
		x, y := float64(p[0]), float64(p[1])
		if !(x >= a.minX && x <= a.maxX && y >= a.minY && y <= a.maxY) { // NaN fails too
			continue
		}
		i := min(int((x-a.minX)*a.invW), a.g-1)
		j := min(int((y-a.minY)*a.invR), a.g-1)
		if a.cell(j*a.g+i) == cellIn {
			return true
		}
	}
	return false
}

// cell visits the entries of one cell of layer b, reporting each volume
// from one cell only (the one holding the low corner of the common box)
// and, in a bucket's layer, from one bucket only (the one where the
// windows' overlap starts).
func (c *check) cell(es []entry, b int64, cx, cy int32) bool {
	q := &c.qe
	s := cellSize(b)
	for i := range es {
		e := &es[i]
		if e.minX > q.maxX || e.maxX < q.minX || e.minY > q.maxY || e.maxY < q.minY {
			continue
		}
		if cellOf(max(e.minX, q.minX), s) != cx || cellOf(max(e.minY, q.minY), s) != cy {
			continue
		}
		if b != longLayer && bucketOf(max(c.q.start, e.start)) != b {
			continue
		}
		lo := [2]float64{float64(e.minX), float64(e.minY)}
		hi := [2]float64{float64(e.maxX), float64(e.maxY)}
		if !c.visit(e.floor, e.ceil, e.start, e.end, e.id, e.owner, lo, hi, e.v, &e.inner) {
			return false
		}
	}
	return true
}

// layer visits the cells of layer b that the query's box meets.
func (x *VolumeIndex) layer(c *check, b int64) bool {
	q := &c.qe
	x0, y0, x1, y1 := span(b, q.minX, q.minY, q.maxX, q.maxY)
	if int64(x1-x0+1)*int64(y1-y0+1) > int64(len(x.cells)) {
		// A query larger than the grid's content: visit what is there.
		for k, es := range x.cells {
			if k.b == b && k.x >= x0 && k.x <= x1 && k.y >= y0 && k.y <= y1 && !c.cell(es, b, k.x, k.y) {
				return false
			}
		}
		return true
	}
	for cy := y0; cy <= y1; cy++ {
		for cx := x0; cx <= x1; cx++ {
			if es, ok := x.cells[cellKey{b, cx, cy}]; ok && !c.cell(es, b, cx, cy) {
				return false
			}
		}
	}
	return true
}

// OverlappingPrepared is [VolumeIndex.Overlapping] for a prepared volume.
// The order of the calls is unspecified. fn must not change the index.
func (x *VolumeIndex) OverlappingPrepared(q *PreparedVolume, fn func(Overlap) bool) {
	x.mu.RLock()
	defer x.mu.RUnlock()
	c := check{q: q, qe: boxOf(q), fn: fn, goOn: true}
	if x.large.Len() > 0 {
		mn, mx := box(q)
		x.large.Search(mn, mx, func(cmin, cmax [2]float64, it item) bool {
			return c.visit(it.floor, it.ceil, it.start, it.end, it.id, it.owner, cmin, cmax, it.v, nil)
		})
		if !c.goOn {
			return
		}
	}
	if x.layers[longLayer] > 0 && !x.layer(&c, longLayer) {
		return
	}
	qb0, qb1 := bucketOf(q.start), bucketOf(q.end-1)
	if q.start == math.MinInt64 || q.end == math.MaxInt64 || qb1-qb0 >= int64(len(x.layers)) {
		for b := range x.layers {
			if b != longLayer && b >= qb0 && b <= qb1 && !x.layer(&c, b) {
				return
			}
		}
		return
	}
	for b := qb0; b <= qb1; b++ {
		if x.layers[b] > 0 && !x.layer(&c, b) {
			return
		}
	}
}
