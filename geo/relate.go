package geo

import (
	"errors"
	"fmt"
	"math"
	"sort"

	"github.com/paulmach/orb"
	"github.com/tidwall/rtree"
)

// ErrUnsupported is returned by [Relate] for geometry it cannot relate:
// nil, GeometryCollections mixing dimensions, and bounds.
var ErrUnsupported = errors.New("geo: unsupported geometry")

// Matrix is a DE-9IM intersection matrix (OGC 06-103r4 §6.1.15). Entry
// [i][j] is the dimension (-1 for empty, 0, 1 or 2) of the intersection of
// location i of the first geometry with location j of the second, indexed
// by [Interior], [Boundary], [Exterior].
type Matrix [3][3]int8

// String renders m in the usual nine-character form, e.g. "212FF1FF2".
func (m Matrix) String() string {
	b := make([]byte, 0, 9)
	for i := range 3 {
		for j := range 3 {
			if m[i][j] < 0 {
				b = append(b, 'F')
			} else {
				b = append(b, byte('0'+m[i][j]))
			}
		}
	}
	return string(b)
}

// Matches reports whether m matches a nine-character DE-9IM pattern of
// 'T' (non-empty), 'F' (empty), '*' (anything) and '0', '1', '2'.
// A malformed pattern never matches.
func (m Matrix) Matches(pattern string) bool {
	if len(pattern) != 9 {
		return false
	}
	for k := range 9 {
		d := m[k/3][k%3]
		switch c := pattern[k]; c {
		case '*':
		case 'T', 't':
			if d < 0 {
				return false
			}
		case 'F', 'f':
			if d >= 0 {
				return false
			}
		case '0', '1', '2':
			if d != int8(c-'0') {
				return false
			}
		default:
			return false
		}
	}
	return true
}

// shape is a geometry reduced to one dimension, with polygon rings
// oriented so that the interior is on the left of every edge.
type shape struct {
	dim    int // -1 empty, 0 points, 1 lines, 2 areas
	points []orb.Point
	lines  [][]orb.Point
	polys  []orb.Polygon
	ends   map[orb.Point]int // line endpoint counts for the Mod-2 rule
	segs   []segment
	// collection is set when a GeometryCollection was added: its
	// polygons may overlap, so parity over all rings does not locate.
	collection bool
}

type segment struct {
	a, b     orb.Point
	minX     float64
	maxX     float64
	minY     float64
	maxY     float64
	area     bool
	overlaps []overlap
	nodes    []orb.Point
}

type overlap struct {
	p0, p1 orb.Point
	same   bool // the other geometry's segment runs the same way
}

func newShape(g orb.Geometry) (*shape, error) {
	s := &shape{dim: -1}
	if err := s.add(g); err != nil {
		return nil, err
	}
	if err := checkFinite(g); err != nil {
		return nil, err
	}
	if s.dim == 1 {
		s.ends = map[orb.Point]int{}
		for _, l := range s.lines {
			if len(l) > 0 {
				s.ends[l[0]]++
				s.ends[l[len(l)-1]]++
			}
		}
	}
	n := 0
	for _, l := range s.lines {
		n += len(l)
	}
	for _, p := range s.polys {
		for _, r := range p {
			n += len(r)
		}
	}
	s.segs = make([]segment, 0, n)
	addSegs := func(pts []orb.Point, area bool) {
		for i := 0; i+1 < len(pts); i++ {
			if pts[i] != pts[i+1] {
				s.segs = append(s.segs, newSegment(pts[i], pts[i+1], area))
			}
		}
	}
	for _, l := range s.lines {
		addSegs(l, false)
	}
	for _, p := range s.polys {
		for _, r := range p {
			addSegs(r, true)
		}
	}
	return s, nil
}

func newSegment(a, b orb.Point, area bool) segment {
	return segment{a: a, b: b, area: area,
		minX: math.Min(a[0], b[0]), maxX: math.Max(a[0], b[0]),
		minY: math.Min(a[1], b[1]), maxY: math.Max(a[1], b[1])}
}

// Dimension returns the topological dimension of g — 0 for points, 1 for
// lines, 2 for polygons, -1 when empty — or an error wrapping
// [ErrUnsupported] for geometry [Relate] cannot take (nil, bounds,
// collections mixing dimensions). It builds nothing, so it is a cheap check
// of input before a query.
func Dimension(g orb.Geometry) (int, error) { return shapeDim(g, -1) }

// shapeDim checks, without building anything, that g is a geometry
// newShape accepts, returning its dimension (-1 when empty) given the
// dimension d seen so far.
func shapeDim(g orb.Geometry, d int) (int, error) {
	one := func(n, gd int) (int, error) {
		if n == 0 {
			return d, nil
		}
		if d >= 0 && d != gd {
			return d, fmt.Errorf("%w: a collection mixing dimensions", ErrUnsupported)
		}
		return gd, nil
	}
	switch g := g.(type) {
	case orb.Point:
		return one(1, 0)
	case orb.MultiPoint:
		return one(len(g), 0)
	case orb.LineString:
		return one(len(g), 1)
	case orb.Ring:
		return one(len(g), 1)
	case orb.MultiLineString:
		n := 0
		for _, l := range g {
			n += len(l)
		}
		return one(n, 1)
	case orb.Polygon:
		if len(g) == 0 {
			return d, nil
		}
		return one(len(g[0]), 2)
	case orb.MultiPolygon:
		n := 0
		for _, p := range g {
			if len(p) > 0 {
				n += len(p[0])
			}
		}
		return one(n, 2)
	case orb.Collection:
		var err error
		for _, c := range g {
			if d, err = shapeDim(c, d); err != nil {
				return d, err
			}
		}
		return d, nil
	case nil:
		return d, fmt.Errorf("%w: nil", ErrUnsupported)
	default:
		return d, fmt.Errorf("%w: %T", ErrUnsupported, g)
	}
}

func (s *shape) setDim(d int) error {
	if s.dim >= 0 && s.dim != d {
		return fmt.Errorf("%w: a collection mixing dimensions", ErrUnsupported)
	}
	s.dim = d
	return nil
}

func (s *shape) add(g orb.Geometry) error {
	switch g := g.(type) {
	case orb.Point:
		s.points = append(s.points, g)
		return s.setDim(0)
	case orb.MultiPoint:
		if len(g) == 0 {
			return nil
		}
		s.points = append(s.points, g...)
		return s.setDim(0)
	case orb.LineString:
		if len(g) == 0 {
			return nil
		}
		s.lines = append(s.lines, g)
		return s.setDim(1)
	case orb.Ring:
		if len(g) == 0 {
			return nil
		}
		s.lines = append(s.lines, g)
		return s.setDim(1)
	case orb.MultiLineString:
		for _, l := range g {
			if err := s.add(l); err != nil {
				return err
			}
		}
		return nil
	case orb.Polygon:
		if len(g) == 0 || len(g[0]) == 0 {
			return nil
		}
		s.polys = append(s.polys, orientPolygon(g))
		return s.setDim(2)
	case orb.MultiPolygon:
		for _, p := range g {
			if err := s.add(p); err != nil {
				return err
			}
		}
		return nil
	case orb.Collection:
		s.collection = true
		for _, c := range g {
			if err := s.add(c); err != nil {
				return err
			}
		}
		return nil
	case nil:
		return fmt.Errorf("%w: nil", ErrUnsupported)
	default:
		return fmt.Errorf("%w: %T", ErrUnsupported, g)
	}
}

// locate finds where p lies relative to the shape.
func (s *shape) locate(p orb.Point) Location {
	switch s.dim {
	case 0:
		for _, q := range s.points {
			if q == p {
				return Interior
			}
		}
	case 1:
		if s.ends[p]%2 == 1 {
			return Boundary
		}
		for i := range s.segs {
			sg := &s.segs[i]
			if p[0] >= sg.minX && p[0] <= sg.maxX && p[1] >= sg.minY && p[1] <= sg.maxY && orient(sg.a, sg.b, p) == 0 {
				return Interior
			}
		}
		for _, l := range s.lines {
			for _, q := range l {
				if q == p {
					return Interior // a line of one repeated point
				}
			}
		}
	case 2:
		for _, poly := range s.polys {
			if l := polygonLocate(p, poly); l != Exterior {
				return l
			}
		}
	}
	return Exterior
}

// polygonLocate locates p against one polygon with holes.
func polygonLocate(p orb.Point, poly orb.Polygon) Location {
	l := ringLocate(p, poly[0])
	if l != Interior {
		return l
	}
	for _, h := range poly[1:] {
		switch ringLocate(p, h) {
		case Boundary:
			return Boundary
		case Interior:
			return Exterior
		}
	}
	return Interior
}

// Relate computes the DE-9IM matrix of a and b. Both must be points, lines
// or polygons (single, multi, or a GeometryCollection of one dimension);
// polygons are taken as valid (see [ValidateTopology]), and their ring
// orientation does not matter.
//
// It labels the arrangement of both geometries' edges: every vertex and
// edge-intersection node, every piece of edge between nodes, and the faces
// on each side of every piece, each contribute their dimension to the
// matrix entry of their pair of locations. Orientation tests are exact, so
// the answer never depends on rounding for input vertices; only the
// positions of proper crossings are rounded.
func Relate(a, b orb.Geometry) (Matrix, error) {
	m, _, _, err := relate(a, b)
	return m, err
}

func relate(a, b orb.Geometry) (m Matrix, da, db int, err error) {
	for i := range m {
		for j := range m[i] {
			m[i][j] = -1
		}
	}
	m[Exterior][Exterior] = 2
	sa, err := newShape(a)
	if err != nil {
		return m, 0, 0, err
	}
	sb, err := newShape(b)
	if err != nil {
		return m, 0, 0, err
	}
	set := func(la, lb Location, d int8) {
		if m[la][lb] < d {
			m[la][lb] = d
		}
	}
	loc := map[*shape]func(orb.Point) Location{sa: sa.locator(), sb: sb.locator()}
	// Vertices.
	for _, pair := range [2][2]*shape{{sa, sb}, {sb, sa}} {
		x, y := pair[0], pair[1]
		visit := func(p orb.Point) {
			lx, ly := x.ownLoc(p), loc[y](p)
			if x == sa {
				set(lx, ly, 0)
			} else {
				set(ly, lx, 0)
			}
		}
		for _, p := range x.points {
			visit(p)
		}
		for _, l := range x.lines {
			for _, p := range l {
				visit(p)
			}
		}
		for _, poly := range x.polys {
			for _, r := range poly {
				for _, p := range r {
					visit(p)
				}
			}
		}
	}
	// Edge intersections, found with a sweep over x.
	sweepPairs(sa.segs, nil, sb.segs, nil, func(s, t *segment) bool {
		k, p0, p1, proper := intersect(s.a, s.b, t.a, t.b)
		switch k {
		case isectPoint:
			s.nodes = append(s.nodes, p0)
			t.nodes = append(t.nodes, p0)
			if proper {
				// A crossing can still land on another vertex, such as
				// a line's endpoint, so it is located, not assumed.
				set(sa.nodeLoc(s, p0), sb.nodeLoc(t, p0), 0)
			}
		case isectOverlap:
			same := (s.b[0]-s.a[0])*(t.b[0]-t.a[0])+(s.b[1]-s.a[1])*(t.b[1]-t.a[1]) > 0
			s.nodes = append(s.nodes, p0, p1)
			t.nodes = append(t.nodes, p0, p1)
			s.overlaps = append(s.overlaps, overlap{p0, p1, same})
			t.overlaps = append(t.overlaps, overlap{p0, p1, same})
		}
		return true
	})
	// Points split the edges they lie on, so that no piece of edge has a
	// point of the other geometry inside it.
	for _, pair := range [2][2]*shape{{sa, sb}, {sb, sa}} {
		x, y := pair[0], pair[1]
		for _, p := range y.points {
			for i := range x.segs {
				s := &x.segs[i]
				if p[0] >= s.minX && p[0] <= s.maxX && p[1] >= s.minY && p[1] <= s.maxY && orient(s.a, s.b, p) == 0 {
					s.nodes = append(s.nodes, p)
				}
			}
		}
	}
	// Edge pieces and the faces beside them.
	for _, pair := range [2][2]*shape{{sa, sb}, {sb, sa}} {
		x, y := pair[0], pair[1]
		for i := range x.segs {
			s := &x.segs[i]
			pieces(s, func(p, q orb.Point, ov *overlap) {
				lx := lineLoc(s)
				var ly Location
				var lLeftY, lRightY Location = Exterior, Exterior
				if ov != nil {
					ly = Interior
					if y.dim == 2 {
						ly = Boundary
						if ov.same {
							lLeftY = Interior
						} else {
							lRightY = Interior
						}
					}
				} else {
					ly = loc[y](orb.Point{(p[0] + q[0]) / 2, (p[1] + q[1]) / 2})
					if y.dim == 2 {
						lLeftY, lRightY = ly, ly
					}
				}
				lLeftX, lRightX := Exterior, Exterior
				if s.area {
					lLeftX = Interior
				}
				if x == sa {
					set(lx, ly, 1)
					set(lLeftX, lLeftY, 2)
					set(lRightX, lRightY, 2)
				} else {
					set(ly, lx, 1)
					set(lLeftY, lLeftX, 2)
					set(lRightY, lRightX, 2)
				}
			})
		}
	}
	return m, sa.dim, sb.dim, nil
}

// ownLoc locates one of the shape's own vertices without a search.
func (x *shape) ownLoc(p orb.Point) Location {
	switch x.dim {
	case 2:
		return Boundary
	case 1:
		if x.ends[p]%2 == 1 {
			return Boundary
		}
	}
	return Interior
}

// nodeLoc locates a point p known to lie inside segment s of the shape.
func (x *shape) nodeLoc(s *segment, p orb.Point) Location {
	if s.area || x.ends[p]%2 == 1 {
		return Boundary
	}
	return Interior
}

func lineLoc(s *segment) Location {
	if s.area {
		return Boundary
	}
	return Interior
}

// pieces splits s at its nodes and calls fn for each piece, with the
// overlap it lies in, if any.
func pieces(s *segment, fn func(p, q orb.Point, ov *overlap)) {
	axis := 0
	if s.maxY-s.minY > s.maxX-s.minX {
		axis = 1
	}
	dir := 1.0
	if s.b[axis] < s.a[axis] {
		dir = -1
	}
	key := func(p orb.Point) float64 { return dir * (p[axis] - s.a[axis]) }
	nodes := append(s.nodes, s.a, s.b)
	sort.Slice(nodes, func(i, j int) bool { return key(nodes[i]) < key(nodes[j]) })
	for i := 0; i+1 < len(nodes); i++ {
		p, q := nodes[i], nodes[i+1]
		if key(p) == key(q) {
			continue
		}
		var ov *overlap
		mid := (key(p) + key(q)) / 2
		for k := range s.overlaps {
			o := &s.overlaps[k]
			k0, k1 := key(o.p0), key(o.p1)
			if math.Min(k0, k1) < mid && mid < math.Max(k0, k1) {
				ov = o
				break
			}
		}
		fn(p, q, ov)
	}
}

// orientPolygon returns p with its shell counter-clockwise and its holes
// clockwise, copying only when a ring must be reversed.
func orientPolygon(p orb.Polygon) orb.Polygon {
	out := p
	copied := false
	for i, r := range p {
		want := i == 0
		if (signedArea(r) > 0) != want && signedArea(r) != 0 {
			if !copied {
				out = append(orb.Polygon(nil), p...)
				copied = true
			}
			out[i] = reversed(r)
		}
	}
	return out
}

func signedArea(r orb.Ring) float64 {
	var s float64
	for i := 0; i+1 < len(r); i++ {
		s += (r[i][0]-r[0][0])*(r[i+1][1]-r[0][1]) - (r[i+1][0]-r[0][0])*(r[i][1]-r[0][1])
	}
	return s / 2
}

func reversed(r orb.Ring) orb.Ring {
	out := make(orb.Ring, len(r))
	for i, p := range r {
		out[len(r)-1-i] = p
	}
	return out
}

// Normalize returns g with every polygon ring oriented as RFC 7946 §3.1.6
// requires: exterior rings counter-clockwise, holes clockwise. Other
// geometry is returned unchanged. The input is not modified.
func Normalize(g orb.Geometry) orb.Geometry {
	switch g := g.(type) {
	case orb.Polygon:
		return orientPolygon(g)
	case orb.MultiPolygon:
		out := make(orb.MultiPolygon, len(g))
		for i, p := range g {
			out[i] = orientPolygon(p)
		}
		return out
	}
	return g
}

// Intersects reports whether a and b share at least one point. It is false
// when [Relate] fails.
func Intersects(a, b orb.Geometry) bool {
	if l, ok := pointInArea(a, b); ok {
		return l != Exterior
	}
	if l, ok := pointInArea(b, a); ok {
		return l != Exterior
	}
	r, err := intersects(a, b)
	return err == nil && r
}

// intersects decides intersection without the full matrix: two geometries
// meet if their edges meet, or else if one lies inside the other, which one
// vertex per part shows (with no edge crossing, a part is wholly inside or
// wholly outside).
func intersects(a, b orb.Geometry) (bool, error) {
	if a == nil || b == nil {
		return false, ErrUnsupported
	}
	if ba, bb := a.Bound(), b.Bound(); !ba.Intersects(bb) && !isEmpty(a) && !isEmpty(b) {
		// Still reject what Relate would refuse.
		if _, err := shapeDim(a, -1); err != nil {
			return false, err
		}
		_, err := shapeDim(b, -1)
		return false, err
	}
	sa, err := newShape(a)
	if err != nil {
		return false, err
	}
	sb, err := newShape(b)
	if err != nil {
		return false, err
	}
	if len(sa.segs)*len(sb.segs) > 1<<20 {
		// Large: the sweep over x visits every pair of two shapes running
		// north-south; an R-tree of one's edges does not.
		p, err := Prepare(a)
		if err != nil {
			return false, err
		}
		return p.Intersects(b), nil
	}
	return shapesIntersect(sa, nil, sb, nil), nil
}

// shapesIntersect decides intersection without the full matrix: two
// geometries meet if their edges meet, or else if one lies inside the
// other, which one vertex per part shows (with no edge crossing, a part is
// wholly inside or wholly outside). oa and ob are the shapes' segment orders
// by minimum x when already known.
func shapesIntersect(sa *shape, oa []int32, sb *shape, ob []int32) bool {
	if sa.dim < 0 || sb.dim < 0 {
		return false
	}
	met := false
	sweepPairs(sa.segs, oa, sb.segs, ob, func(s, t *segment) bool {
		k, _, _, _ := intersect(s.a, s.b, t.a, t.b)
		met = k != isectNone
		return !met
	})
	return met || partInside(sa, sb)
}

// partInside reports, for shapes whose edges do not meet, whether a part of
// one lies in the other: with no edge crossing, a part is wholly inside or
// wholly outside, so one vertex of each part shows it.
func partInside(sa, sb *shape) bool {
	return partInsideBy(sa, sb, sa.locator(), sb.locator())
}

// partInsideBy is partInside with the shapes' locate functions given.
func partInsideBy(sa, sb *shape, locA, locB func(orb.Point) Location) bool {
	for _, pair := range [2]struct {
		x   *shape
		loc func(orb.Point) Location
	}{{sa, locB}, {sb, locA}} {
		x, loc := pair.x, pair.loc
		for _, p := range x.points {
			if loc(p) != Exterior {
				return true
			}
		}
		for _, l := range x.lines {
			if len(l) > 0 && loc(l[0]) != Exterior {
				return true
			}
		}
		for _, poly := range x.polys {
			if loc(poly[0][0]) != Exterior {
				return true
			}
		}
	}
	return false
}

// locator returns s.locate, or for an area of many edges a locate that
// finds the edges a ray from the point crosses with an R-tree, built on
// the first call: many parts located in a large polygon otherwise cost
// parts × edges (5,000 triangles against a 20,000-vertex zone, 0.3 s).
func (s *shape) locator() func(orb.Point) Location {
	if s.dim != 2 || len(s.segs) < 256 || s.collection {
		return s.locate
	}
	var tree *rtree.RTreeG[int32]
	var maxX float64
	return func(p orb.Point) Location {
		if tree == nil {
			tree = &rtree.RTreeG[int32]{}
			maxX = math.Inf(-1)
			for i := range s.segs {
				sg := &s.segs[i]
				tree.Insert([2]float64{sg.minX, sg.minY}, [2]float64{sg.maxX, sg.maxY}, int32(i))
				maxX = math.Max(maxX, sg.maxX)
			}
		}
		return s.rayLocate(tree, maxX, p)
	}
}

// rayLocate locates p against the shape's polygons, taken as valid (their
// rings neither cross nor overlap, so the parity of the crossings of all
// rings together tells inside from outside), by the edges the ray from p
// towards +x meets, with ringLocate's rule.
func (s *shape) rayLocate(tree *rtree.RTreeG[int32], maxX float64, p orb.Point) Location {
	if p[0] > maxX {
		return Exterior
	}
	inside, boundary := false, false
	tree.Search(p, [2]float64{maxX, p[1]}, func(_, _ [2]float64, k int32) bool {
		a, b := s.segs[k].a, s.segs[k].b
		if (a[1] > p[1]) != (b[1] > p[1]) {
			o := orient(a, b, p)
			if o == 0 {
				boundary = true
				return false
			}
			if (o > 0) == (b[1] > a[1]) {
				inside = !inside
			}
		} else if (a[1] == p[1] || b[1] == p[1]) && onSegment(p, a, b) {
			boundary = true
			return false
		}
		return true
	})
	if boundary {
		return Boundary
	}
	return locFromBool(inside)
}

// Prepared is a geometry made ready for many [Prepared.Intersects] tests,
// as JTS's PreparedGeometry is: its edges are built and ordered once. It is
// safe for concurrent use.
type Prepared struct {
	g     orb.Geometry
	s     *shape
	tree  rtree.RTreeG[int32] // the edges' boxes
	bound orb.Bound
}

// Prepare builds a [Prepared] for g, or fails as [Relate] would.
func Prepare(g orb.Geometry) (*Prepared, error) {
	s, err := newShape(g)
	if err != nil {
		return nil, err
	}
	p := &Prepared{g: g, s: s, bound: g.Bound()}
	for i := range s.segs {
		sg := &s.segs[i]
		p.tree.Insert([2]float64{sg.minX, sg.minY}, [2]float64{sg.maxX, sg.maxY}, int32(i))
	}
	return p, nil
}

// Geometry returns the geometry p was prepared from.
func (p *Prepared) Geometry() orb.Geometry { return p.g }

// Intersects reports whether g shares a point with the prepared geometry,
// as [Intersects] does.
func (p *Prepared) Intersects(g orb.Geometry) bool {
	if g == nil || p.s.dim < 0 {
		return false
	}
	if l, ok := pointInArea(p.g, g); ok {
		return l != Exterior
	}
	if b := g.Bound(); !b.Intersects(p.bound) {
		return false
	}
	sb, err := newShape(g)
	if err != nil || sb.dim < 0 {
		return false
	}
	// Edges first, each of g's looked up in the tree of the prepared ones.
	met := false
	for i := range sb.segs {
		t := &sb.segs[i]
		p.tree.Search([2]float64{t.minX, t.minY}, [2]float64{t.maxX, t.maxY}, func(_, _ [2]float64, k int32) bool {
			s := &p.s.segs[k]
			kind, _, _, _ := intersect(s.a, s.b, t.a, t.b)
			met = kind != isectNone
			return !met
		})
		if met {
			return true
		}
	}
	// No edges meet: one vertex per part decides.
	locP := p.s.locate
	if p.s.dim == 2 && !p.s.collection {
		maxX := p.bound.Max[0]
		locP = func(q orb.Point) Location { return p.s.rayLocate(&p.tree, maxX, q) }
	}
	return partInsideBy(p.s, sb, locP, sb.locator())
}

// sweepPairs calls fn for every pair of segments, one from as and one from
// bs, whose bounding boxes meet, until fn returns false. Both are visited
// in order of minimum x while a list of the other side's segments still
// open at that x is kept, so the cost follows the pairs that are close
// rather than len(as)·len(bs).
func sweepPairs(as []segment, ia []int32, bs []segment, ib []int32, fn func(s, t *segment) bool) {
	if ia == nil {
		ia = sortedByMinX(as)
	}
	if ib == nil {
		ib = sortedByMinX(bs)
	}
	var openA, openB []int32
	i, j := 0, 0
	for i < len(ia) || j < len(ib) {
		fromA := j >= len(ib) || (i < len(ia) && as[ia[i]].minX <= bs[ib[j]].minX)
		if fromA {
			s := &as[ia[i]]
			i++
			openB = prune(openB, bs, s.minX)
			for _, k := range openB {
				t := &bs[k]
				if t.minY <= s.maxY && s.minY <= t.maxY && !fn(s, t) {
					return
				}
			}
			openA = append(openA, ia[i-1])
		} else {
			t := &bs[ib[j]]
			j++
			openA = prune(openA, as, t.minX)
			for _, k := range openA {
				s := &as[k]
				if t.minY <= s.maxY && s.minY <= t.maxY && !fn(s, t) {
					return
				}
			}
			openB = append(openB, ib[j-1])
		}
	}
}

func sortedByMinX(s []segment) []int32 {
	idx := make([]int32, len(s))
	for i := range idx {
		idx[i] = int32(i)
	}
	sort.Slice(idx, func(i, j int) bool { return s[idx[i]].minX < s[idx[j]].minX })
	return idx
}

// prune drops the segments that end before x.
func prune(open []int32, segs []segment, x float64) []int32 {
	out := open[:0]
	for _, k := range open {
		if segs[k].maxX >= x {
			out = append(out, k)
		}
	}
	return out
}

// Disjoint reports whether a and b share no point. It is false when
// [Relate] fails.
func Disjoint(a, b orb.Geometry) bool {
	m, err := Relate(a, b)
	return err == nil && m.Matches("FF*FF****")
}

// Contains reports whether no point of b lies outside a and some point of
// b's interior lies in a's interior (so a polygon does not contain a line
// along its boundary). It is false when [Relate] fails.
func Contains(a, b orb.Geometry) bool {
	if l, ok := pointInArea(a, b); ok {
		return l == Interior
	}
	m, err := Relate(a, b)
	return err == nil && m.Matches("T*****FF*")
}

// Covers reports whether no point of b lies outside a: like [Contains], but
// true for b on a's boundary. It is false when [Relate] fails.
func Covers(a, b orb.Geometry) bool {
	if l, ok := pointInArea(a, b); ok {
		return l != Exterior
	}
	m, err := Relate(a, b)
	return err == nil && covers(m)
}

// pointInArea locates b in a without building the arrangement when b is a
// point and a a polygon or multipolygon: the common case of a position
// against a zone. ok is false when the shortcut does not apply.
func pointInArea(a, b orb.Geometry) (Location, bool) {
	p, ok := b.(orb.Point)
	if !ok {
		return Exterior, false
	}
	if !finite(p) {
		return Exterior, true // nowhere, as Relate's error makes every predicate false
	}
	switch a := a.(type) {
	case orb.Polygon:
		if len(a) == 0 || len(a[0]) == 0 {
			return Exterior, true
		}
		return polygonLocate(p, a), true
	case orb.MultiPolygon:
		for _, poly := range a {
			if len(poly) == 0 || len(poly[0]) == 0 {
				continue
			}
			if l := polygonLocate(p, poly); l != Exterior {
				return l, true
			}
		}
		return Exterior, true
	}
	return Exterior, false
}

func covers(m Matrix) bool {
	return m.Matches("T*****FF*") || m.Matches("*T****FF*") || m.Matches("***T**FF*") || m.Matches("****T*FF*")
}

// Within reports whether a lies within b, that is Contains(b, a).
func Within(a, b orb.Geometry) bool { return Contains(b, a) }

// CoveredBy reports whether a is covered by b, that is Covers(b, a).
func CoveredBy(a, b orb.Geometry) bool { return Covers(b, a) }

// Touches reports whether a and b meet only on their boundaries: they
// intersect and their interiors do not. It is false when [Relate] fails.
func Touches(a, b orb.Geometry) bool {
	m, da, db, err := relate(a, b)
	if err != nil || (da == 0 && db == 0) {
		return false
	}
	return m.Matches("FT*******") || m.Matches("F**T*****") || m.Matches("F***T****")
}

// Crosses reports whether a and b share some but not all interior points
// and the intersection is of lower dimension than the larger of the two
// (a line crossing a polygon's boundary, two lines crossing at a point).
// It is false when [Relate] fails.
func Crosses(a, b orb.Geometry) bool {
	m, da, db, err := relate(a, b)
	switch {
	case err != nil:
		return false
	case da < db:
		return m.Matches("T*T******")
	case da > db:
		return m.Matches("T*****T**")
	case da == 1:
		return m.Matches("0********")
	}
	return false
}

// Overlaps reports whether a and b have the same dimension, share interior
// points of that dimension, and each has points outside the other. It is
// false when [Relate] fails.
func Overlaps(a, b orb.Geometry) bool {
	m, da, db, err := relate(a, b)
	switch {
	case err != nil || da != db:
		return false
	case da == 1:
		return m.Matches("1*T***T**")
	}
	return m.Matches("T*T***T**")
}

// Equal reports whether a and b are topologically equal: the same point
// set, whatever their vertices, and the same dimension (so a point is not
// equal to a zero-length line on it). It is false when [Relate] fails.
func Equal(a, b orb.Geometry) bool {
	m, da, db, err := relate(a, b)
	return err == nil && da == db && m.Matches("T*F**FFF*")
}

func finite(p orb.Point) bool {
	return !math.IsNaN(p[0]) && !math.IsNaN(p[1]) && !math.IsInf(p[0], 0) && !math.IsInf(p[1], 0)
}
