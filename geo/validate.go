package geo

import (
	"fmt"
	"math"
	"math/big"
	"sort"
	"strings"

	"github.com/paulmach/orb"
	"github.com/tidwall/rtree"
)

// DefaultMaxVertices is the vertex cap [Validate] applies when
// Options.MaxVertices is zero. It bounds the cost of one geometry in every
// engine; the largest OCHA sub-district of Syria has about 4,000 vertices.
const DefaultMaxVertices = 20000

// Options tunes [Validate] and [Decode].
type Options struct {
	// MaxVertices caps the vertices of one geometry; 0 means
	// DefaultMaxVertices and a negative value means no cap.
	MaxVertices int
	// Repair applies [Repair] before validating, for imports of real
	// boundary data with repeated vertices and zero-width spikes.
	Repair bool
	// Planar skips the longitude/latitude range check, for geometry in
	// plane coordinates such as the JTS test suite's.
	Planar bool
	// SkipTopology checks coordinates and the vertex cap only, for a
	// caller that makes the geometry valid next ([MakeValid]).
	SkipTopology bool
}

// checkFinite reports the first coordinate that is NaN or infinite.
func checkFinite(g orb.Geometry) error {
	var bad error
	eachPoint(g, func(part, ring, vertex int, p orb.Point) bool {
		if !finite(p) {
			bad = verr(ReasonNotFinite, part, ring, vertex)
		}
		return bad == nil
	})
	return bad
}

// Reasons a [ValidationError] gives.
const (
	ReasonEmpty                = "empty geometry"
	ReasonNotFinite            = "coordinate is NaN or infinite"
	ReasonOutOfRange           = "coordinate out of range (longitude -180..180, latitude -90..90)"
	ReasonTooManyVertices      = "vertex cap exceeded"
	ReasonNotClosed            = "ring not closed"
	ReasonTooFewPoints         = "too few distinct vertices"
	ReasonSelfIntersection     = "self-intersection"
	ReasonHoleOutsideShell     = "hole outside its shell"
	ReasonNestedHoles          = "hole inside another hole"
	ReasonNestedShells         = "polygon inside or overlapping another polygon"
	ReasonDisconnectedInterior = "interior is disconnected"
	ReasonUnsupported          = "unsupported geometry type"
)

// ValidationError says why a geometry is invalid and where. Part is the index
// of the polygon in a MultiPolygon (or of the line in a MultiLineString, the
// point in a MultiPoint); Ring is the ring index in that polygon (0 is the
// exterior); Vertex is the index of the offending vertex in that ring or
// line. Each is -1 when it does not apply. At is the location of the fault
// when it has one.
type ValidationError struct {
	Reason string
	Part   int
	Ring   int
	Vertex int
	At     *orb.Point
	Detail string
}

// Error implements error.
func (e *ValidationError) Error() string {
	var b strings.Builder
	b.WriteString("geo: invalid geometry: ")
	b.WriteString(e.Reason)
	var where []string
	if e.Part >= 0 {
		where = append(where, fmt.Sprintf("part %d", e.Part))
	}
	if e.Ring >= 0 {
		where = append(where, fmt.Sprintf("ring %d", e.Ring))
	}
	if e.Vertex >= 0 {
		where = append(where, fmt.Sprintf("vertex %d", e.Vertex))
	}
	if len(where) > 0 {
		b.WriteString(" at ")
		b.WriteString(strings.Join(where, " "))
	}
	if e.At != nil {
		fmt.Fprintf(&b, " (%g %g)", e.At[0], e.At[1])
	}
	if e.Detail != "" {
		b.WriteString(": ")
		b.WriteString(e.Detail)
	}
	return b.String()
}

func verr(reason string, part, ring, vertex int) *ValidationError {
	return &ValidationError{Reason: reason, Part: part, Ring: ring, Vertex: vertex}
}

func (e *ValidationError) at(p orb.Point) *ValidationError {
	e.At = &p
	return e
}

// Validate checks g for what Truce accepts: finite coordinates, longitude
// and latitude in range (unless opts.Planar), at most opts.MaxVertices
// vertices, and the topological rules of [ValidateTopology]. The error is a
// [*ValidationError].
func Validate(g orb.Geometry, opts Options) error {
	if g == nil {
		return verr(ReasonEmpty, -1, -1, -1)
	}
	limit := opts.MaxVertices
	if limit == 0 {
		limit = DefaultMaxVertices
	}
	n := 0
	var bad error
	eachPoint(g, func(part, ring, vertex int, p orb.Point) bool {
		n++
		switch {
		case limit > 0 && n > limit:
			e := verr(ReasonTooManyVertices, part, ring, vertex)
			e.Detail = fmt.Sprintf("more than %d vertices", limit)
			bad = e
		case math.IsNaN(p[0]) || math.IsNaN(p[1]) || math.IsInf(p[0], 0) || math.IsInf(p[1], 0):
			bad = verr(ReasonNotFinite, part, ring, vertex)
		case !opts.Planar && (p[0] < -180 || p[0] > 180 || p[1] < -90 || p[1] > 90):
			bad = verr(ReasonOutOfRange, part, ring, vertex).at(p)
		}
		return bad == nil
	})
	if bad != nil {
		return bad
	}
	if isEmpty(g) {
		return verr(ReasonEmpty, -1, -1, -1)
	}
	if opts.SkipTopology {
		return nil
	}
	return ValidateTopology(g)
}

// eachPoint visits every vertex with its part, ring and vertex indexes.
func eachPoint(g orb.Geometry, fn func(part, ring, vertex int, p orb.Point) bool) {
	poly := func(part int, p orb.Polygon) bool {
		for r, ring := range p {
			for v, q := range ring {
				if !fn(part, r, v, q) {
					return false
				}
			}
		}
		return true
	}
	switch g := g.(type) {
	case orb.Point:
		fn(-1, -1, -1, g)
	case orb.MultiPoint:
		for i, q := range g {
			if !fn(i, -1, -1, q) {
				return
			}
		}
	case orb.LineString:
		for v, q := range g {
			if !fn(-1, -1, v, q) {
				return
			}
		}
	case orb.Ring:
		for v, q := range g {
			if !fn(-1, 0, v, q) {
				return
			}
		}
	case orb.MultiLineString:
		for i, l := range g {
			for v, q := range l {
				if !fn(i, -1, v, q) {
					return
				}
			}
		}
	case orb.Polygon:
		poly(-1, g)
	case orb.MultiPolygon:
		for i, p := range g {
			if !poly(i, p) {
				return
			}
		}
	case orb.Collection:
		for _, c := range g {
			eachPoint(c, fn)
		}
	}
}

func isEmpty(g orb.Geometry) bool {
	empty := true
	eachPoint(g, func(int, int, int, orb.Point) bool { empty = false; return false })
	return empty
}

// ValidateTopology checks g against the OGC Simple Features validity rules
// as JTS's IsValidOp applies them (a self-touching ring is invalid): lines
// need two distinct vertices; rings must be closed, have four vertices of
// which three are distinct, and not touch or cross themselves; the rings of
// a polygon may touch only at single points, never cross or overlap, holes
// lie inside their shell and not inside each other, and the interior must
// be connected; the polygons of a MultiPolygon may touch only at points and
// not nest. Coordinates must be finite; their range is not checked. Empty
// geometries are valid here. The error is a [*ValidationError].
func ValidateTopology(g orb.Geometry) error {
	if err := checkFinite(g); err != nil {
		return err
	}
	switch g := g.(type) {
	case orb.Point, orb.MultiPoint:
		return nil
	case orb.LineString:
		return validateLine(-1, g)
	case orb.MultiLineString:
		for i, l := range g {
			if err := validateLine(i, l); err != nil {
				return err
			}
		}
		return nil
	case orb.Ring:
		if err := validateRingShape(-1, 0, g); err != nil {
			return err
		}
		return validateAreas(orb.MultiPolygon{{g}}, false)
	case orb.Polygon:
		return validateAreas(orb.MultiPolygon{g}, false)
	case orb.MultiPolygon:
		return validateAreas(g, true)
	case orb.Bound:
		return nil
	default:
		return verr(ReasonUnsupported, -1, -1, -1)
	}
}

func validateLine(part int, l orb.LineString) error {
	if len(l) == 0 {
		return nil
	}
	for _, p := range l[1:] {
		if p != l[0] {
			return nil
		}
	}
	return verr(ReasonTooFewPoints, part, -1, len(l)-1)
}

func validateRingShape(part, ring int, r orb.Ring) error {
	if len(r) == 0 {
		return nil
	}
	if r[0] != r[len(r)-1] {
		return verr(ReasonNotClosed, part, ring, len(r)-1).at(r[len(r)-1])
	}
	if len(r) < 4 {
		return verr(ReasonTooFewPoints, part, ring, len(r)-1)
	}
	distinct := 1
	for i := 1; i < len(r); i++ {
		if r[i] != r[i-1] {
			distinct++
		}
	}
	if distinct < 4 {
		return verr(ReasonTooFewPoints, part, ring, len(r)-1)
	}
	return nil
}

// vseg is one non-degenerate segment of a polygonal geometry, with the
// indexes that locate it for error messages.
type vseg struct {
	a, b             orb.Point
	part, ring, v    int // v is the index of a in the ring
	minX, maxX       float64
	first, ringLastV int
}

func validateAreas(mp orb.MultiPolygon, multi bool) error {
	partIdx := func(i int) int {
		if multi {
			return i
		}
		return -1
	}
	var segs []vseg
	for pi, p := range mp {
		for ri, r := range p {
			if err := validateRingShape(partIdx(pi), ri, r); err != nil {
				return err
			}
			if len(r) == 0 {
				continue
			}
			if ri > 0 && len(p[0]) == 0 {
				return verr(ReasonHoleOutsideShell, partIdx(pi), ri, -1)
			}
			start := len(segs)
			for v := 0; v < len(r)-1; v++ {
				if r[v] == r[v+1] {
					continue
				}
				segs = append(segs, vseg{a: r[v], b: r[v+1], part: pi, ring: ri, v: v,
					minX: math.Min(r[v][0], r[v+1][0]), maxX: math.Max(r[v][0], r[v+1][0])})
			}
			for i := start; i < len(segs); i++ {
				segs[i].first = start
				segs[i].ringLastV = len(segs) - 1
			}
		}
	}
	// A sweep finds the candidate pairs without testing all n².
	order, after := sweepOrder(segs)

	// touches link rings (and touch points) for the connectivity check:
	// nodes 0..R-1 are rings, the rest are distinct touch points.
	ringBase := make([]int, len(mp))
	nr := 0
	for i, p := range mp {
		ringBase[i] = nr
		nr += len(p)
	}
	uf := newUnionFind(nr)
	pointNode := map[orb.Point]int{}
	touchesOf := map[[2]int]bool{} // (ringNode, pointNode) already linked

	for oi, i := range order {
		s := &segs[i]
		for _, j := range after(oi) {
			t := &segs[j]
			k, p0, p1, proper := intersect(s.a, s.b, t.a, t.b)
			if k == isectNone {
				continue
			}
			if s.part == t.part && s.ring == t.ring {
				// Neighbouring segments of a ring share one vertex legitimately.
				adjacent := false
				if k == isectPoint {
					lo, hi := s, t
					if i > j {
						lo, hi = t, s
					}
					li, hiIdx := i, j
					if i > j {
						li, hiIdx = j, i
					}
					if (hiIdx == li+1 && p0 == lo.b && p0 == hi.a) ||
						(li == lo.first && hiIdx == lo.ringLastV && p0 == lo.a && p0 == hi.b) {
						adjacent = true
					}
				}
				if !adjacent {
					e := verr(ReasonSelfIntersection, partIdx(s.part), s.ring, s.v).at(p0)
					how := "touches"
					switch {
					case proper:
						how = "crosses"
					case k == isectOverlap:
						how = "overlaps"
					}
					e.Detail = fmt.Sprintf("edge from vertex %d %s the same ring's edge from vertex %d", s.v, how, t.v)
					return e
				}
				continue
			}
			if k == isectOverlap || proper {
				e := verr(ReasonSelfIntersection, partIdx(s.part), s.ring, s.v).at(p0)
				other := fmt.Sprintf("ring %d", t.ring)
				if multi {
					other = fmt.Sprintf("part %d ring %d", t.part, t.ring)
				}
				how := "crosses"
				if k == isectOverlap {
					how = fmt.Sprintf("overlaps, up to (%g %g),", p1[0], p1[1])
				}
				e.Detail = fmt.Sprintf("edge %s the edge from vertex %d of %s", how, t.v, other)
				return e
			}
			if s.part != t.part {
				continue // polygons of a MultiPolygon may touch at points
			}
			pn, ok := pointNode[p0]
			if !ok {
				pn = uf.add()
				pointNode[p0] = pn
			}
			for _, rn := range [2]int{ringBase[s.part] + s.ring, ringBase[t.part] + t.ring} {
				if touchesOf[[2]int{rn, pn}] {
					continue
				}
				touchesOf[[2]int{rn, pn}] = true
				if !uf.union(rn, pn) {
					e := verr(ReasonDisconnectedInterior, partIdx(s.part), s.ring, s.v).at(p0)
					e.Detail = "rings touch so as to enclose part of the interior"
					return e
				}
			}
		}
	}

	// Nesting: each hole inside its shell and outside its sibling holes;
	// each polygon outside the others.
	for pi, p := range mp {
		if len(p) == 0 || len(p[0]) == 0 {
			continue
		}
		for hi := 1; hi < len(p); hi++ {
			if len(p[hi]) == 0 {
				continue
			}
			if loc, v := ringInRing(p[hi], p[0]); loc == Exterior {
				return verr(ReasonHoleOutsideShell, partIdx(pi), hi, v).at(p[hi][max(v, 0)])
			}
			for hj := 1; hj < len(p); hj++ {
				if hj == hi || len(p[hj]) == 0 {
					continue
				}
				if loc, v := ringInRing(p[hi], p[hj]); loc == Interior {
					e := verr(ReasonNestedHoles, partIdx(pi), hi, v).at(p[hi][max(v, 0)])
					e.Detail = fmt.Sprintf("inside hole %d", hj)
					return e
				}
			}
		}
	}
	if multi {
		for i := range mp {
			for j := range mp {
				if i == j || len(mp[i]) == 0 || len(mp[j]) == 0 || len(mp[i][0]) == 0 || len(mp[j][0]) == 0 {
					continue
				}
				if shellInPolygon(mp[i][0], mp[j]) {
					e := verr(ReasonNestedShells, i, 0, -1)
					e.Detail = fmt.Sprintf("inside part %d", j)
					return e
				}
			}
		}
	}
	return nil
}

// sweepOrder returns the order in which validateAreas visits segments and,
// for the segment at position oi of it, the segments after it in that
// order whose boxes may meet its own. It is a sweep over x, as before, when
// that visits few pairs (most real rings); else a sweep over y when that
// does (a ring running north-south, which a sweep over x visits in every
// pair: 20,000 vertices took 4.5 s); else an R-tree finds the boxes that
// meet, visited in the x sweep's order.
func sweepOrder(segs []vseg) ([]int, func(oi int) []int) {
	sweep := func(lo, hi func(s *vseg) float64) ([]int, []int, int) {
		order := make([]int, len(segs))
		for i := range order {
			order[i] = i
		}
		sort.Slice(order, func(i, j int) bool { return lo(&segs[order[i]]) < lo(&segs[order[j]]) })
		los := make([]float64, len(order))
		for r, i := range order {
			los[r] = lo(&segs[i])
		}
		ends := make([]int, len(order))
		pairs := 0
		for oi, i := range order {
			h := hi(&segs[i])
			ends[oi] = oi + 1 + sort.Search(len(order)-oi-1, func(k int) bool { return los[oi+1+k] > h })
			pairs += ends[oi] - oi - 1
		}
		return order, ends, pairs
	}
	order, ends, pairs := sweep(func(s *vseg) float64 { return s.minX }, func(s *vseg) float64 { return s.maxX })
	if pairs <= 16*len(segs)+1024 {
		return order, func(oi int) []int { return order[oi+1 : ends[oi]] }
	}
	yorder, yends, ypairs := sweep(func(s *vseg) float64 { return math.Min(s.a[1], s.b[1]) }, func(s *vseg) float64 { return math.Max(s.a[1], s.b[1]) })
	if ypairs <= 16*len(segs) {
		return yorder, func(oi int) []int { return yorder[oi+1 : yends[oi]] }
	}
	return order, laterOverlapping(segs, order)
}

// laterOverlapping returns, for the segment at position oi of order
// (sorted by minX), the segments after it whose boxes meet its own, found
// with an R-tree, in order.
func laterOverlapping(segs []vseg, order []int) func(oi int) []int {
	rank := make([]int32, len(segs))
	for r, i := range order {
		rank[i] = int32(r)
	}
	box := func(s *vseg) ([2]float64, [2]float64) {
		return [2]float64{s.minX, math.Min(s.a[1], s.b[1])}, [2]float64{s.maxX, math.Max(s.a[1], s.b[1])}
	}
	var tr rtree.RTreeG[int32]
	for i := range segs {
		lo, hi := box(&segs[i])
		tr.Insert(lo, hi, int32(i))
	}
	var buf []int
	return func(oi int) []int {
		buf = buf[:0]
		lo, hi := box(&segs[order[oi]])
		tr.Search(lo, hi, func(_, _ [2]float64, j int32) bool {
			if int(rank[j]) > oi {
				buf = append(buf, int(j))
			}
			return true
		})
		sort.Slice(buf, func(a, b int) bool { return rank[buf[a]] < rank[buf[b]] })
		return buf
	}
}

// ringInRing locates ring a against ring b, which it does not cross: by its
// first vertex that is not on b, else by the midpoint of its first edge that
// is not on b. It returns Boundary when a lies wholly on b, and the vertex
// it decided on (-1 for a midpoint).
func ringInRing(a, b orb.Ring) (Location, int) {
	for v, p := range a {
		if l := ringLocate(p, b); l != Boundary {
			return l, v
		}
	}
	for v := 0; v+1 < len(a); v++ {
		if l := midLocate(a[v], a[v+1], b); l != Boundary {
			return l, -1
		}
	}
	return Boundary, -1
}

// shellInPolygon reports whether shell s reaches into the interior of
// polygon p, given that their boundaries do not cross: some vertex or edge
// midpoint of s is interior to p. Midpoints matter when every vertex of s
// sits on p's boundary and its edges are chords through p.
func shellInPolygon(s orb.Ring, p orb.Polygon) bool {
	for _, q := range s {
		if polygonLocate(q, p) == Interior {
			return true
		}
	}
	for v := 0; v+1 < len(s); v++ {
		if midLocate(s[v], s[v+1], p[0]) != Interior {
			continue
		}
		inHole := false
		for _, h := range p[1:] {
			if midLocate(s[v], s[v+1], h) != Exterior {
				inHole = true
				break
			}
		}
		if !inHole {
			return true
		}
	}
	return false
}

// midLocate locates the exact midpoint of a-b against ring r. The midpoint
// is only consulted when a and b both lie on r, and then its rounded value
// can land on the wrong side of an edge that passes within a unit in the
// last place (as the slivers of [MakeValid]'s rounded crossings do), so the
// test is done in rationals; the point's y is compared exactly too.
func midLocate(a, b orb.Point, r orb.Ring) Location {
	m := orb.Point{(a[0] + b[0]) / 2, (a[1] + b[1]) / 2}
	if 2*m[0]-a[0] == b[0] && 2*m[1]-a[1] == b[1] {
		return ringLocate(m, r) // the rounded midpoint is exact
	}
	if l, ok := midLocateFast(m, r); ok {
		return l
	}
	var px, py, t big.Rat
	px.SetFloat64(a[0])
	px.Add(&px, t.SetFloat64(b[0]))
	px.Quo(&px, t.SetInt64(2))
	py.SetFloat64(a[1])
	py.Add(&py, t.SetFloat64(b[1]))
	py.Quo(&py, t.SetInt64(2))
	inside := false
	var ax, ay, bx, by, l, rr big.Rat
	for i := 0; i+1 < len(r); i++ {
		ax.SetFloat64(r[i][0])
		ay.SetFloat64(r[i][1])
		bx.SetFloat64(r[i+1][0])
		by.SetFloat64(r[i+1][1])
		aAbove, bAbove := ay.Cmp(&py) > 0, by.Cmp(&py) > 0
		// o = (b-a)×(p-a)
		l.Sub(&bx, &ax)
		t.Sub(&py, &ay)
		l.Mul(&l, &t)
		rr.Sub(&by, &ay)
		t.Sub(&px, &ax)
		rr.Mul(&rr, &t)
		o := l.Cmp(&rr)
		if aAbove != bAbove {
			if o == 0 {
				return Boundary
			}
			if (o > 0) == (by.Cmp(&ay) > 0) {
				inside = !inside
			}
			continue
		}
		if o == 0 && (ay.Cmp(&py) == 0 || by.Cmp(&py) == 0) &&
			minRat(&ax, &bx).Cmp(&px) <= 0 && maxRat(&ax, &bx).Cmp(&px) >= 0 &&
			minRat(&ay, &by).Cmp(&py) <= 0 && maxRat(&ay, &by).Cmp(&py) >= 0 {
			return Boundary
		}
	}
	return locFromBool(inside)
}

// midLocateFast locates the rounded midpoint m, off the true one by at
// most a unit in the last place, and reports false when that error could
// change an answer: m too near an edge's line or a vertex's height.
func midLocateFast(m orb.Point, r orb.Ring) (Location, bool) {
	ux := math.Abs(m[0])*0x1p-52 + math.SmallestNonzeroFloat64
	uy := math.Abs(m[1])*0x1p-52 + math.SmallestNonzeroFloat64
	inside := false
	for i := 0; i+1 < len(r); i++ {
		a, b := r[i], r[i+1]
		if math.Abs(a[1]-m[1]) <= 2*uy || math.Abs(b[1]-m[1]) <= 2*uy {
			return 0, false
		}
		if (a[1] > m[1]) == (b[1] > m[1]) {
			continue
		}
		l, rr := (b[0]-a[0])*(m[1]-a[1]), (b[1]-a[1])*(m[0]-a[0])
		det := l - rr
		bound := 4e-16*(math.Abs(l)+math.Abs(rr)) + 4*(math.Abs(b[0]-a[0])*uy+math.Abs(b[1]-a[1])*ux)
		if math.Abs(det) <= bound {
			return 0, false
		}
		if (det > 0) == (b[1] > a[1]) {
			inside = !inside
		}
	}
	return locFromBool(inside), true
}

func minRat(a, b *big.Rat) *big.Rat {
	if a.Cmp(b) <= 0 {
		return a
	}
	return b
}

func maxRat(a, b *big.Rat) *big.Rat {
	if a.Cmp(b) >= 0 {
		return a
	}
	return b
}

type unionFind struct{ parent []int }

func newUnionFind(n int) *unionFind {
	u := &unionFind{parent: make([]int, n)}
	for i := range u.parent {
		u.parent[i] = i
	}
	return u
}

func (u *unionFind) add() int {
	u.parent = append(u.parent, len(u.parent))
	return len(u.parent) - 1
}

func (u *unionFind) find(x int) int {
	for u.parent[x] != x {
		u.parent[x] = u.parent[u.parent[x]]
		x = u.parent[x]
	}
	return x
}

// union joins the sets of a and b and reports false if they were already
// one set, which in the ring-touch graph means a cycle.
func (u *unionFind) union(a, b int) bool {
	ra, rb := u.find(a), u.find(b)
	if ra == rb {
		return false
	}
	u.parent[ra] = rb
	return true
}
