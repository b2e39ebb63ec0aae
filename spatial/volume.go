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
	ch          chains
	// samples (see sampleOf) are kept in the struct, beside bound, so
	// that a candidate's first test reads no other memory.
	samples  [2 * samples]orb.Point
	nSamples int
	nVertex  int // samples[:nVertex] are vertices, the rest inner points
	// rows holds the raster as bit masks, two per row: in (bit i of
	// rows[2j] is set when cell (i, j) is inside) and not out (rows[2j+1]),
	// so that a box's cells are tested a row at a time.
	rows []uint64
	// inner is a box wholly inside the area (the largest rectangle of
	// inside cells, shrunk by a hair), or empty (Min above Max).
	inner orb.Bound
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
		start: s, end: e, area: area, prep: p, ch: newChains(area),
		bound: orb.Bound{Min: orb.Point{p.minX, p.minY}, Max: orb.Point{p.maxX, p.maxY}},
	}
	ss, nv := sampleOf(p)
	pv.nSamples, pv.nVertex = copy(pv.samples[:], ss), nv
	pv.rows, pv.inner = rowsOf(p)
	return pv, nil
}

// rowsOf returns p's raster as row masks (see PreparedVolume.rows) and
// the largest box of inside cells.
func rowsOf(p *prepared) ([]uint64, orb.Bound) {
	empty := orb.Bound{Min: orb.Point{1, 1}, Max: orb.Point{-1, -1}}
	if p.g == 0 {
		return nil, empty
	}
	g := p.g
	rows := make([]uint64, 2*g)
	for j := range g {
		for i := range g {
			switch p.cell(j*g + i) {
			case cellIn:
				rows[2*j] |= 1 << i
				rows[2*j+1] |= 1 << i
			case cellEdge:
				rows[2*j+1] |= 1 << i
			}
		}
	}
	// The largest rectangle of inside cells: for each row, the height of
	// the run of inside cells ending there in each column, and for each
	// column the widest span of columns at least as high (a stack).
	var h [64]int
	var stack [65]int
	best, bi0, bi1, bj0, bj1 := 0, 0, -1, 0, -1
	for j := range g {
		for i := range g {
			if rows[2*j]>>i&1 == 1 {
				h[i]++
			} else {
				h[i] = 0
			}
		}
		top := 0
		for i := 0; i <= g; i++ {
			hi := 0
			if i < g {
				hi = h[i]
			}
			for top > 0 && h[stack[top-1]] >= hi {
				k := stack[top-1]
				top--
				left := 0
				if top > 0 {
					left = stack[top-1] + 1
				}
				if a := h[k] * (i - left); a > best {
					best, bi0, bi1, bj0, bj1 = a, left, i-1, j-h[k]+1, j
				}
			}
			stack[top] = i
			top++
		}
	}
	if best == 0 {
		return rows, empty
	}
	// An inside cell is clear of every edge by rasterEps, so the hair
	// taken off its sides covers any rounding in the cell's bounds.
	const hair = rasterEps / 16
	return rows, orb.Bound{
		Min: orb.Point{p.minX + float64(bi0)/p.invW + hair, p.minY + float64(bj0)/p.invR + hair},
		Max: orb.Point{p.minX + float64(bi1+1)/p.invW - hair, p.minY + float64(bj1+1)/p.invR - hair},
	}
}

// cellSpan returns the columns or rows of a raster of g cells from lo,
// at inv cells per degree, that [a, b] covers, clamped to the raster.
func cellSpan(lo, inv float64, g int, a, b float64) (int, int) {
	return max(0, min(int((a-lo)*inv), g-1)), max(0, min(int((b-lo)*inv), g-1))
}

// spanMask is the mask of bits i0..i1.
func spanMask(i0, i1 int) uint64 {
	return (^uint64(0) >> (63 - i1)) &^ (1<<i0 - 1)
}

// chains cuts every ring of a volume's area into runs of consecutive
// edges (chainLen at most), each with its bounding box, for the exact
// test of two areas whose rasters could not decide: two edges that meet
// do so inside the common box of both areas, so only runs that reach
// into it, and within them edges that do, are compared. Runs follow the
// boundary, so a box that catches a short stretch of it catches a run or
// two, whichever way the stretch lies (bands of rows, used before, read
// every edge of a tall area for a thin common box).
type chains struct {
	runs  []chain
	parts []uint32 // the first vertex of each polygon's exterior ring
}

// chain is the edges first..last-1 (edge e runs from pts[e] to pts[e+1])
// and their box.
type chain struct {
	bound       [4]float64 // min x, min y, max x, max y
	first, last uint32
}

// chainLen is the most edges in a run: short enough that a box near the
// boundary catches few edges it does not need, long enough that the boxes
// of a circle's 64 edges are eight.
const chainLen = 8

func newChains(area orb.Geometry) chains {
	var c chains
	k := 0
	for _, poly := range polygons(area) {
		for j, r := range poly {
			if j == 0 && len(r) > 0 {
				c.parts = append(c.parts, uint32(k))
			}
			for i := 0; i+1 < len(r); i += chainLen {
				n := min(chainLen, len(r)-1-i)
				b := [4]float64{math.Inf(1), math.Inf(1), math.Inf(-1), math.Inf(-1)}
				for _, q := range r[i : i+n+1] {
					b = [4]float64{min(b[0], q[0]), min(b[1], q[1]), max(b[2], q[0]), max(b[3], q[1])}
				}
				c.runs = append(c.runs, chain{bound: b, first: uint32(k + i), last: uint32(k + i + n)})
			}
			k += len(r)
		}
	}
	return c
}

// orientErr is the relative error bound of the float orientation test
// (Shewchuk's ccwerrboundA, as geo's orientation uses): a determinant
// larger than orientErr × the sum of its products' magnitudes has its
// true sign.
const orientErr = 3.3306690738754716e-16

func boxesMeet(a, b *[4]float64) bool {
	return a[0] <= b[2] && b[0] <= a[2] && a[1] <= b[3] && b[1] <= a[3]
}

// exactMeet reports whether the areas of a and b share a point. Either
// some edges meet (decided by geo.SegmentsMeet, the robust test geo's
// predicates use), or the boundaries are apart and then one vertex of
// each part, which cannot be on the other's boundary, is inside the other
// or the two are disjoint. That vertex may be within a rounding error of
// the other's boundary, so its crossing test is exact (containsExact).
//
// Only edges within the common box of both can meet: it compares the
// runs of each (see chains) that reach into that box, and within a pair
// of runs whose boxes meet, the edges whose boxes meet. It does not
// allocate.
func exactMeet(a, b *PreparedVolume) bool {
	ap, bp := a.prep.pts, b.prep.pts
	common := [4]float64{
		max(a.bound.Min[0], b.bound.Min[0]), max(a.bound.Min[1], b.bound.Min[1]),
		min(a.bound.Max[0], b.bound.Max[0]), min(a.bound.Max[1], b.bound.Max[1]),
	}
	for i := range a.ch.runs {
		ra := &a.ch.runs[i]
		if !boxesMeet(&ra.bound, &common) {
			continue
		}
		for j := range b.ch.runs {
			rb := &b.ch.runs[j]
			if !boxesMeet(&rb.bound, &ra.bound) || !boxesMeet(&rb.bound, &common) {
				continue
			}
			for e := ra.first; e < ra.last; e++ {
				p, q := ap[e], ap[e+1]
				eb := [4]float64{min(p[0], q[0]), min(p[1], q[1]), max(p[0], q[0]), max(p[1], q[1])}
				if !boxesMeet(&eb, &rb.bound) {
					continue
				}
				dx, dy := q[0]-p[0], q[1]-p[1]
				for f := rb.first; f < rb.last; f++ {
					r, s := bp[f], bp[f+1]
					if max(r[0], s[0]) < eb[0] || min(r[0], s[0]) > eb[2] ||
						max(r[1], s[1]) < eb[1] || min(r[1], s[1]) > eb[3] {
						continue
					}
					// Both ends of r-s surely on one side of p-q: the
					// float filter of geo's orientation test (the same
					// products and error bound), done here so that the
					// pairs it settles cost no call.
					lr, rr := dx*(r[1]-p[1]), dy*(r[0]-p[0])
					ls, rs := dx*(s[1]-p[1]), dy*(s[0]-p[0])
					dr, ds := lr-rr, ls-rs
					br, bs := orientErr*(math.Abs(lr)+math.Abs(rr)), orientErr*(math.Abs(ls)+math.Abs(rs))
					if dr > br && ds > bs || dr < -br && ds < -bs {
						continue
					}
					if geo.SegmentsMeet(p, q, r, s) {
						return true
					}
				}
			}
		}
	}
	for _, i := range a.ch.parts {
		if b.prep.containsExact(ap[i][0], ap[i][1]) {
			return true
		}
	}
	for _, i := range b.ch.parts {
		if a.prep.containsExact(bp[i][0], bp[i][1]) {
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
		FloorM: max(a.floor, b.floor), CeilingM: min(a.ceil, b.ceil),
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
// tested exactly: first from what the tree holds (the candidate's box and
// inner box against the new volume's raster, held as row bit masks), then
// from each area's raster and sample points, and the rest by comparing
// the runs of edges (see chains) that reach into the common box
// (geo.SegmentsMeet decides each pair of edges, so the answers are
// geo.Intersects's). A check does not allocate.
//
// Measured on 2026-12-07 (2 shared cores at load average 10-27, go test
// ./spatial -run X -bench 'VolumeIndex_Check(Hot)?$' -benchtime=200000x,
// each against the code before the inner boxes and runs of edges in the
// same run): 15-20 µs of CPU per check of a new volume against 100,000
// stored ones over a 2°×2° box of south-west Syria (18 candidates from the
// trees, 12 within band and window, 6.4 decided from the tree's entry,
// 1.4 sent to the exact test, 8 overlaps found per check), against 18-26
// before; 4.4-5.8 µs when what the check reads of the index is in the
// CPU's caches, against 5.3-9.3. In one pair of three the two were level.
// The target of 2 µs is not reached: most of the time left is cache
// misses on the trees' nodes and on the candidates the tree's entry
// cannot decide.
//
// Measured again on 2026-12-07 at load 14-25, alternating: with exactMeet
// settling most pairs of edges by the orientation's float filter inline,
// 1.79-1.90 µs per check when what it reads is in the caches (2.65-2.72
// before); the cold check is 9-14 µs, within the machine's noise of what
// it was. Counted per cold check: 18 candidates, 12.3 within band and
// window, 2.8 left open by the tree's entry, 1.4 of them sent to the
// exact test; the trees' search alone takes about 2 µs, and each open
// candidate about 2 µs more in cache misses (its volume, its raster, its
// edges). An 8×8 raster of each volume in the tree's entry decided 0.3
// of the 2.8 and made the entries larger, so it is not here.
//
// Queries take a read lock and may run on any number of goroutines; a
// write takes the write lock for the time of a few R-tree updates.
type VolumeIndex struct {
	mu      sync.RWMutex
	vols    map[string]*PreparedVolume
	long    rtree.RTreeG[item]
	buckets map[int64]*rtree.RTreeG[item]
}

// item is what a tree holds of a volume: its band and window beside the
// pointer, so that candidates outside them are dropped without reading
// the volume (a cache miss each, with 100,000 volumes).
type item struct {
	floor, ceil float64
	start, end  int64
	inner       [4]float32 // the volume's inner box, rounded inwards
	id, owner   string
	v           *PreparedVolume
}

func itemOf(p *PreparedVolume) item {
	in := [4]float32{1, 1, -1, -1}
	if p.inner.Min[0] <= p.inner.Max[0] {
		up := float32(math.Inf(1))
		in = [4]float32{
			roundTowards(p.inner.Min[0], up), roundTowards(p.inner.Min[1], up),
			roundTowards(p.inner.Max[0], -up), roundTowards(p.inner.Max[1], -up),
		}
	}
	return item{p.floor, p.ceil, p.start, p.end, in, p.id, p.owner, p}
}

// roundTowards rounds x to a float32 on the side of x that dir is.
func roundTowards(x float64, dir float32) float32 {
	f := float32(x)
	if (float64(f) < x && dir > 0) || (float64(f) > x && dir < 0) {
		f = math.Nextafter32(f, dir)
	}
	return f
}

// boxVerdict answers from a's raster and what the tree hands over with
// a candidate, its box and its inner box, so that a candidate decided so
// costs no read of its volume: no when every cell of a under the box is
// outside a; yes when a cell inside a meets the inner box (a point of
// both), or when every cell under the box is inside a and the box is
// within a's (the candidate's area, somewhere in its box, is then in a).
func boxVerdict(a *PreparedVolume, lo, hi [2]float64, inner *[4]float32) verdict {
	p := a.prep
	if p.g == 0 {
		return unknown
	}
	i0, i1 := cellSpan(p.minX, p.invW, p.g, lo[0], hi[0])
	j0, j1 := cellSpan(p.minY, p.invR, p.g, lo[1], hi[1])
	m := spanMask(i0, i1)
	rows := a.rows[2*j0 : 2*j1+2]
	var notOut uint64
	allIn := true
	for k := 0; k < len(rows); k += 2 {
		notOut |= rows[k+1]
		allIn = allIn && rows[k]&m == m
	}
	if notOut&m == 0 {
		return no
	}
	if allIn && lo[0] >= p.minX && hi[0] <= p.maxX && lo[1] >= p.minY && hi[1] <= p.maxY {
		return yes
	}
	x0, y0, x1, y1 := max(float64(inner[0]), p.minX), max(float64(inner[1]), p.minY),
		min(float64(inner[2]), p.maxX), min(float64(inner[3]), p.maxY)
	if x0 > x1 || y0 > y1 {
		return unknown // empty, or apart from a's box
	}
	i0, i1 = cellSpan(p.minX, p.invW, p.g, x0, x1)
	j0, j1 = cellSpan(p.minY, p.invR, p.g, y0, y1)
	m = spanMask(i0, i1)
	for j := j0; j <= j1; j++ {
		if a.rows[2*j]&m != 0 {
			return yes
		}
	}
	return unknown
}

// NewVolumeIndex returns an empty index.
func NewVolumeIndex() *VolumeIndex {
	return &VolumeIndex{vols: map[string]*PreparedVolume{}, buckets: map[int64]*rtree.RTreeG[item]{}}
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
		x.long.Insert(mn, mx, itemOf(p))
		return
	}
	for b := b0; b <= b1; b++ {
		t := x.buckets[b]
		if t == nil {
			t = &rtree.RTreeG[item]{}
			x.buckets[b] = t
		}
		t.Insert(mn, mx, itemOf(p))
	}
}

func (x *VolumeIndex) drop(p *PreparedVolume) {
	mn, mx := box(p)
	long, b0, b1 := isLong(p)
	if long {
		x.long.Delete(mn, mx, itemOf(p))
		return
	}
	for b := b0; b <= b1; b++ {
		if t := x.buckets[b]; t != nil {
			t.Delete(mn, mx, itemOf(p))
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
	visit := func(cmin, cmax [2]float64, c item) bool {
		if c.floor > q.ceil || q.floor > c.ceil || c.start >= q.end || q.start >= c.end {
			return true
		}
		switch boxVerdict(q, cmin, cmax, &c.inner) {
		case no:
			return true
		case yes:
			goOn = fn(Overlap{
				ID: c.id, Owner: c.owner,
				FloorM: max(q.floor, c.floor), CeilingM: min(q.ceil, c.ceil),
				Start: fromNano(max(q.start, c.start), math.MinInt64),
				End:   fromNano(min(q.end, c.end), math.MaxInt64),
			})
			return goOn
		}
		if o, ok := overlap(q, c.v); ok {
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
	inBucket := func(b int64, t *rtree.RTreeG[item]) bool {
		t.Search(mn, mx, func(cmin, cmax [2]float64, c item) bool {
			if bucketOf(max(q.start, c.start)) != b {
				return true
			}
			return visit(cmin, cmax, c)
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
