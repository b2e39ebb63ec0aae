package geo

import (
	"fmt"
	"math"
	"sort"

	"github.com/paulmach/orb"
	"github.com/tidwall/rtree"
)

// bufferSides is the vertex count of the circle placed at every vertex of a
// buffered line.
const bufferSides = 32

// BufferLine returns the area within halfWidth metres of the line l (a
// corridor or a contact line's buffer zone) as a polygon, or a
// MultiPolygon if its parts do not meet.
//
// The buffer is the union of a geodesic rectangle along each segment and a
// circle at each vertex, which round the caps and the outer side of every
// bend. Circles are polygons circumscribed about the true circle, so the
// result covers every point within halfWidth (in the plane of lon/lat edges
// that RFC 7946 prescribes) and overshoots by at most 0.5 % of halfWidth at
// caps and bends. The union is computed exactly on the shapes' vertices:
// edges are split where they cross, and the pieces inside no other shape are
// chained into rings. It fails for an empty line, a halfWidth outside
// (0, MaxRadius], and a result that crosses the antimeridian or a pole.
func BufferLine(l orb.LineString, halfWidth float64) (orb.Geometry, error) {
	return BufferLines(orb.MultiLineString{l}, halfWidth)
}

// BufferLines is [BufferLine] for several lines at once; their buffers are
// merged where they meet.
func BufferLines(ls orb.MultiLineString, halfWidth float64) (orb.Geometry, error) {
	if !(halfWidth > 0 && halfWidth <= MaxRadius) {
		return nil, fmt.Errorf("%w: buffer half-width %g m not in (0, %d]", ErrGeodesy, halfWidth, MaxRadius)
	}
	if err := Validate(ls, Options{MaxVertices: -1}); err != nil {
		return nil, err
	}
	var shapes []orb.Ring
	circled := map[orb.Point]bool{}
	r := halfWidth / math.Cos(math.Pi/bufferSides)
	for _, l := range ls {
		var pts []orb.Point
		for i, p := range l {
			if i == 0 || p != l[i-1] {
				pts = append(pts, p)
			}
		}
		for i, p := range pts {
			if !circled[p] {
				// A route revisiting a point needs its circle once.
				circled[p] = true
				c, err := Circle(p, r, bufferSides)
				if err != nil {
					return nil, err
				}
				shapes = append(shapes, c[0])
			}
			if i+1 < len(pts) {
				q := pts[i+1]
				// Each end's offsets are square to the geodesic there.
				_, az1, az2 := inverse(p, q)
				ring := orb.Ring{
					Destination(p, az1+90, halfWidth), Destination(q, az2+90, halfWidth),
					Destination(q, az2-90, halfWidth), Destination(p, az1-90, halfWidth),
				}
				for k := 1; k < 4; k++ {
					if math.Abs(ring[k][0]-ring[k-1][0]) > 180 {
						return nil, fmt.Errorf("%w: buffer crosses the antimeridian", ErrGeodesy)
					}
				}
				shapes = append(shapes, append(ring, ring[0]))
			}
		}
	}
	return unionRings(shapes)
}

type uedge struct {
	a, b  orb.Point
	shape int
	nodes []orb.Point
}

// unionRings returns the union of simple counter-clockwise rings.
func unionRings(shapes []orb.Ring) (orb.Geometry, error) {
	var edges []uedge
	var etree rtree.RTreeG[int]
	var stree rtree.RTreeG[int]
	for si, r := range shapes {
		b := r.Bound()
		stree.Insert(b.Min, b.Max, si)
		for i := 0; i+1 < len(r); i++ {
			if r[i] == r[i+1] {
				continue
			}
			edges = append(edges, uedge{a: r[i], b: r[i+1], shape: si})
			eb := orb.MultiPoint{r[i], r[i+1]}.Bound()
			etree.Insert(eb.Min, eb.Max, len(edges)-1)
		}
	}
	for i := range edges {
		e := &edges[i]
		eb := orb.MultiPoint{e.a, e.b}.Bound()
		etree.Search(eb.Min, eb.Max, func(_, _ [2]float64, j int) bool {
			if j <= i || edges[j].shape == e.shape {
				return true
			}
			f := &edges[j]
			k, p0, p1, _ := intersect(e.a, e.b, f.a, f.b)
			switch k {
			case isectPoint:
				e.nodes = append(e.nodes, p0)
				f.nodes = append(f.nodes, p0)
			case isectOverlap:
				e.nodes = append(e.nodes, p0, p1)
				f.nodes = append(f.nodes, p0, p1)
			}
			return true
		})
	}
	// Keep the pieces of edge that lie inside no other shape.
	type piece struct{ a, b orb.Point }
	var kept []piece
	for i := range edges {
		e := &edges[i]
		seg := segment{a: e.a, b: e.b, minX: math.Min(e.a[0], e.b[0]), maxX: math.Max(e.a[0], e.b[0]),
			minY: math.Min(e.a[1], e.b[1]), maxY: math.Max(e.a[1], e.b[1]), nodes: e.nodes}
		pieces(&seg, func(p, q orb.Point, _ *overlap) {
			m := orb.Point{(p[0] + q[0]) / 2, (p[1] + q[1]) / 2}
			keep := true
			stree.Search(m, m, func(_, _ [2]float64, si int) bool {
				if si == e.shape {
					return true
				}
				switch ringLocate(m, shapes[si]) {
				case Interior:
					keep = false
				case Boundary:
					// A piece shared by two shapes is kept once.
					keep = keep && e.shape < si
				}
				return keep
			})
			if keep {
				kept = append(kept, piece{p, q})
			}
		})
	}
	// Chain the pieces into rings. Where several leave one node, take the
	// first clockwise from the way back, which closes the smallest ring and
	// so keeps touching parts as separate rings.
	out := map[orb.Point][]int{}
	for i, pc := range kept {
		out[pc.a] = append(out[pc.a], i)
	}
	used := make([]bool, len(kept))
	var rings []orb.Ring
	for start := range kept {
		if used[start] {
			continue
		}
		ring := orb.Ring{kept[start].a}
		cur := start
		for steps := 0; ; steps++ {
			used[cur] = true
			pc := kept[cur]
			ring = append(ring, pc.b)
			if pc.b == ring[0] || steps > len(kept) {
				break
			}
			back := orb.Point{pc.a[0] - pc.b[0], pc.a[1] - pc.b[1]}
			next, best := -1, math.Inf(1)
			for _, j := range out[pc.b] {
				if used[j] {
					continue
				}
				d := orb.Point{kept[j].b[0] - pc.b[0], kept[j].b[1] - pc.b[1]}
				cw := math.Atan2(back[0]*d[1]-back[1]*d[0], back[0]*d[0]+back[1]*d[1])
				// atan2 gives the counter-clockwise angle from back to d.
				ang := -cw
				if ang <= 0 {
					ang += 2 * math.Pi
				}
				if ang < best {
					next, best = j, ang
				}
			}
			if next < 0 {
				break
			}
			cur = next
		}
		if len(ring) >= 4 && ring[0] == ring[len(ring)-1] && signedArea(ring) != 0 {
			rings = append(rings, ring)
		}
	}
	var shells, holes []orb.Ring
	for _, r := range rings {
		if signedArea(r) > 0 {
			shells = append(shells, r)
		} else {
			holes = append(holes, r)
		}
	}
	if len(shells) == 0 {
		return nil, fmt.Errorf("%w: buffer union produced no area", ErrGeodesy)
	}
	sort.Slice(shells, func(i, j int) bool { return signedArea(shells[i]) > signedArea(shells[j]) })
	polys := make(orb.MultiPolygon, len(shells))
	for i, s := range shells {
		polys[i] = orb.Polygon{s}
	}
	for _, h := range holes {
		placed := false
		// Smallest shell holding the hole: shells are sorted largest first.
		for i := len(shells) - 1; i >= 0 && !placed; i-- {
			if loc, _ := ringInRing(h, shells[i]); loc == Interior {
				polys[i] = append(polys[i], h)
				placed = true
			}
		}
		if !placed {
			return nil, fmt.Errorf("%w: buffer union left a stray hole", ErrGeodesy)
		}
	}
	var g orb.Geometry = polys
	if len(polys) == 1 {
		g = polys[0]
	}
	if err := ValidateTopology(g); err != nil {
		return nil, fmt.Errorf("%w: buffer is not a valid polygon (simplify the line): %v", ErrGeodesy, err)
	}
	return g, nil
}
