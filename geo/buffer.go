package geo

import (
	"context"
	"fmt"
	"math"
	"sort"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/simplify"
)

// bufferSides is the vertex count of a full circle about a buffered
// line's vertex: each cap and bend is drawn with bufferSides/2 edges per
// half turn.
const bufferSides = 32

// maxBufferSegment is the longest segment a buffer is built on: longer
// ones are cut along the geodesic, so that the straight lon/lat edges of the
// buffer follow the geodesic to within metres.
const maxBufferSegment = 20_000.0

// BufferLine returns the area within halfWidth metres of the line l (a
// corridor or a contact line's buffer zone) as a polygon, or a
// MultiPolygon if its parts do not meet.
//
// The buffer is the area within the line's raw offset curve (see
// rawOffsetCurve): the two sides offset square to the geodesic, arcs about
// the vertices on the outer side of bends, half circles at the ends, the
// area where that curve's winding number is at least one. Arcs are polygons
// circumscribed about the true circle. Before buffering, the line is
// simplified (Douglas-Peucker, orb/simplify) to within halfWidth/500 and
// buffered by halfWidth plus that: detail smaller than that cannot change
// the corridor. So the result covers every point within halfWidth of the
// line and reaches at most 0.7 % of halfWidth (0.5 % from the polygonal
// arcs, 0.2 % from the simplification) beyond it.
//
// The line is cut into runs of consecutive segments, shorter where it folds
// on itself; each run's curve is noded (snap rounding, as [MakeValid]) and
// its faces labelled by winding number; the runs' areas are then merged by
// a cascaded union (neighbours along the line, then pairs of those, ...),
// each merge noding only the edges near the other operand. The cost grows
// with the number of vertices times its logarithm for a corridor, and with
// the crossings of the curve where the line folds on itself. It fails for
// an empty line, a halfWidth outside (0, MaxRadius], a result that crosses
// the antimeridian or a pole, and, with a [*LimitError], a line whose
// buffer would exceed [MaxPairs], [MaxNodes] or [MaxOutputVertices].
func BufferLine(l orb.LineString, halfWidth float64) (orb.Geometry, error) {
	return BufferLinesContext(context.Background(), orb.MultiLineString{l}, halfWidth)
}

// BufferLines is [BufferLine] for several lines at once; their buffers are
// merged where they meet.
func BufferLines(ls orb.MultiLineString, halfWidth float64) (orb.Geometry, error) {
	return BufferLinesContext(context.Background(), ls, halfWidth)
}

// BufferLinesContext is [BufferLines] that stops, returning ctx.Err(),
// soon after ctx is done.
func BufferLinesContext(ctx context.Context, ls orb.MultiLineString, halfWidth float64) (orb.Geometry, error) {
	if !(halfWidth > 0 && halfWidth <= MaxRadius) {
		return nil, fmt.Errorf("%w: buffer half-width %g m not in (0, %d]", ErrGeodesy, halfWidth, MaxRadius)
	}
	if err := Validate(ls, Options{MaxVertices: -1}); err != nil {
		return nil, err
	}
	w := newWork(ctx, "buffer")
	if err := w.check(); err != nil {
		return nil, err
	}
	tol := halfWidth / 500
	width := halfWidth + tol
	// Each line is cut into runs of consecutive segments; each run's raw
	// offset curve is one overlay. A run grows while its segments' boxes
	// (widened by the buffer) together cover at most runDensity times the
	// run's box, and to at most runMax segments: a corridor is then merged
	// in long runs, and a line folded on itself, whose offset curve crosses
	// itself many times, in short ones.
	const runDensity, runMax = 12, 1024
	area := func(b orb.Bound) float64 { return (b.Max[0] - b.Min[0]) * (b.Max[1] - b.Min[1]) }
	var parts []orb.MultiPolygon
	total := 0
	for _, l := range ls {
		pts, err := simplifyLine(w, l, tol)
		if err != nil {
			return nil, err
		}
		// Long segments are cut along the geodesic.
		var cut []orb.Point
		for i, p := range pts {
			if i > 0 {
				prev := pts[i-1]
				s, az, _ := inverse(prev, p)
				for k, n := 1, int(math.Ceil(s/maxBufferSegment)); k < n; k++ {
					cut = append(cut, Destination(prev, az, s*float64(k)/float64(n)))
				}
			}
			cut = append(cut, p)
		}
		// A segment adds at most bufferSides/2+4 vertices: refuse before
		// computing what cannot be merged within the bounds.
		total += len(cut)
		if err := w.nodes(total * (bufferSides/2 + 4)); err != nil {
			return nil, err
		}
		if len(cut) == 1 {
			c, err := Circle(cut[0], width/math.Cos(math.Pi/bufferSides), bufferSides)
			if err != nil {
				return nil, err
			}
			parts = append(parts, orb.MultiPolygon{c})
			continue
		}
		if err := checkPoles(cut, width); err != nil {
			return nil, err
		}
		dLat := width / 111_000
		box := func(i int) orb.Bound {
			b := orb.MultiPoint{cut[i], cut[i+1]}.Bound()
			dLon := dLat / math.Max(math.Cos(math.Max(math.Abs(b.Min[1]), math.Abs(b.Max[1]))*deg), 0.01)
			return orb.Bound{Min: orb.Point{b.Min[0] - dLon, b.Min[1] - dLat}, Max: orb.Point{b.Max[0] + dLon, b.Max[1] + dLat}}
		}
		for i := 0; i+1 < len(cut); {
			if err := w.check(); err != nil {
				return nil, err
			}
			b := box(i)
			sum := area(b)
			j := i + 1 // the run is segments i..j-1
			for ; j+1 < len(cut) && j-i < runMax; j++ {
				sb := box(j)
				nb := b.Union(sb)
				if j-i >= 2 && sum+area(sb) > runDensity*area(nb) {
					break
				}
				b, sum = nb, sum+area(sb)
			}
			ring, err := rawOffsetCurve(w, cut[i:j+1], width)
			if err != nil {
				return nil, err
			}
			u, err := unionRaw(w, ring)
			if err != nil {
				return nil, err
			}
			parts = append(parts, u)
			i = j
		}
	}
	// Cascaded union: merging neighbours along the line keeps every
	// overlay small, as the union of overlapping runs has a short boundary
	// even where their curves cross many times.
	for len(parts) > 1 {
		next := parts[:0]
		for i := 0; i < len(parts); i += 2 {
			if i+1 == len(parts) {
				next = append(next, parts[i])
				continue
			}
			if err := w.check(); err != nil {
				return nil, err
			}
			u, err := union2(w, parts[i], parts[i+1])
			if err != nil {
				return nil, err
			}
			next = append(next, u)
		}
		parts = next
	}
	mp := parts[0]
	n := 0
	for _, p := range mp {
		for _, r := range p {
			n += len(r)
		}
	}
	if n > MaxOutputVertices {
		return nil, &LimitError{Op: "buffer", What: "vertices in the result", Limit: MaxOutputVertices}
	}
	sort.SliceStable(mp, func(i, j int) bool { return signedArea(mp[i][0]) > signedArea(mp[j][0]) })
	var g orb.Geometry = mp
	if len(mp) == 1 {
		g = mp[0]
	}
	// The construction makes this impossible; say so rather than hand
	// back an invalid area.
	if err := ValidateTopology(g); err != nil {
		return nil, fmt.Errorf("%w: buffer is not a valid polygon (simplify the line): %v", ErrGeodesy, err)
	}
	return g, nil
}

// simplifyLine drops repeated vertices and simplifies l with orb's
// Douglas-Peucker to within tol metres. It runs in a plane whose scale is,
// in both directions and over all of l, at least the ground's (degrees of
// longitude scaled for the latitude nearest the equator, degrees of latitude
// for the longest meridian degree), so that tol in the plane is at most tol
// on the ground.
func simplifyLine(w *work, l orb.LineString, tol float64) ([]orb.Point, error) {
	var pts []orb.Point
	for i, p := range l {
		if i == 0 || p != l[i-1] {
			pts = append(pts, p)
		}
	}
	if len(pts) < 3 {
		return pts, nil
	}
	minAbsLat := math.Inf(1)
	for _, p := range pts {
		minAbsLat = math.Min(minAbsLat, math.Abs(p[1]))
	}
	const mPerDegLat = 111_700 // above the longest degree of latitude, 111,694 m at the poles
	kx := mPerDegLat * math.Cos(minAbsLat*deg)
	proj := make(orb.LineString, len(pts))
	for i, p := range pts {
		proj[i] = orb.Point{p[0] * kx, p[1] * mPerDegLat}
	}
	// Douglas-Peucker is quadratic at worst (a zigzag splits one vertex
	// off at a time), so it runs on runs of at most dpRun vertices, which
	// share their ends: the bound holds within each.
	const dpRun = 1024
	out := []orb.Point{pts[0]}
	for lo := 0; lo+1 < len(proj); lo += dpRun - 1 {
		if err := w.check(); err != nil {
			return nil, err
		}
		hi := min(lo+dpRun, len(proj))
		kept := simplify.DouglasPeucker(tol).LineString(append(orb.LineString(nil), proj[lo:hi]...))
		// The simplifier keeps a subsequence of its input's points, so
		// the kept points are found by walking both in order.
		j := 1
		for i := lo + 1; i < hi; i++ {
			if j < len(kept) && proj[i] == kept[j] {
				out = append(out, pts[i])
				j++
			}
		}
	}
	return out, nil
}

// rawOffsetCurve returns the raw offset curve of the line through pts
// (distinct consecutive points) at distance w, as one closed ring: the
// right side forward, a half circle about the end, the left side back, a
// half circle about the start. At the outer side of a bend it turns by an
// arc about the vertex; at the inner side it goes to the crossing of the
// two offset segments, or, where they do not cross (a bend sharper than the
// segments are long), back to the vertex and out again (as JTS's
// OffsetSegmentGenerator does; the crossing only where the loop it cuts off
// is covered twice over, see below). The ring may cross itself; the area within
// w of the line is where its winding number is at least one: it is the sum,
// as a chain, of the boundaries of a hexagon along each segment (between
// the offsets square to the geodesic at its ends and through the ends), a
// fan on the outer side of each bend and the two end caps, where shared
// edges cancel, and every point within w lies in the piece of its nearest
// point on the line. A crossing that replaces a detour removes a loop lying
// inside two hexagons, so it changes the winding from 2 to 1 or 3 there.
// Arcs are circumscribed: their edges are tangent to the circle of radius w.
func rawOffsetCurve(wk *work, pts []orb.Point, w float64) (orb.Ring, error) {
	n := len(pts) - 1 // segments
	az1, az2, length := make([]float64, n), make([]float64, n), make([]float64, n)
	for i := range n {
		length[i], az1[i], az2[i] = inverse(pts[i], pts[i+1])
	}
	if err := wk.add(n); err != nil {
		return nil, err
	}
	step := 360.0 / bufferSides
	// arc appends the vertices strictly between the offsets at bearings
	// from and from+sweep about c.
	arc := func(r orb.Ring, c orb.Point, from, sweep float64) orb.Ring {
		k := max(int(math.Ceil(math.Abs(sweep)/step-1e-9)), 1)
		d := sweep / float64(k)
		rr := w / math.Cos(d/2*deg)
		for j := range k {
			r = append(r, Destination(c, from+(float64(j)+0.5)*d, rr))
		}
		return r
	}
	// side returns one side's vertices from start to end; sgn is +1 for
	// the right side, -1 for the left.
	side := func(sgn float64) orb.Ring {
		p := make([]orb.Point, n) // offset of each segment's start
		q := make([]orb.Point, n) // and end
		for i := range n {
			p[i] = Destination(pts[i], az1[i]+sgn*90, w)
			q[i] = Destination(pts[i+1], az2[i]+sgn*90, w)
		}
		r := orb.Ring{p[0]}
		for i := range n {
			if i == n-1 {
				r = append(r, q[i])
				break
			}
			turn := normTurn(az1[i+1] - az2[i])
			switch {
			case turn == 0:
				r = append(r, q[i])
				if p[i+1] != q[i] {
					r = append(r, p[i+1])
				}
			case (turn > 0) == (sgn > 0):
				// The inner side of the bend. The crossing replaces the
				// detour only when the loop it cuts off lies inside both
				// segments' hexagons: the bend is under a right angle and
				// each segment is longer than the other's offset reaches
				// back along it (w·sin(turn)); otherwise (short segments,
				// sharp bends) the loop can reach outside both, and
				// cutting it off would cover ground farther than w.
				reach := w * math.Sin(math.Abs(turn)*deg)
				if k, x, _, proper := intersect(r[len(r)-1], q[i], p[i+1], q[i+1]); k == isectPoint && proper &&
					math.Abs(turn) < 90 && reach <= length[i] && reach <= length[i+1] {
					r = append(r, x)
				} else {
					r = append(r, q[i], pts[i+1], p[i+1])
				}
			default:
				// The outer side: turn with the line about the vertex.
				r = append(r, q[i])
				r = arc(r, pts[i+1], az2[i]+sgn*90, turn)
				r = append(r, p[i+1])
			}
		}
		return r
	}
	right, left := side(1), side(-1)
	ring := right
	ring = arc(ring, pts[n], az2[n-1]+90, -180)
	for i := len(left) - 1; i >= 0; i-- {
		ring = append(ring, left[i])
	}
	ring = arc(ring, pts[0], az1[0]-90, -180)
	ring = append(ring, ring[0])
	for k := 1; k < len(ring); k++ {
		if math.Abs(ring[k][0]-ring[k-1][0]) > 180 {
			return nil, fmt.Errorf("%w: buffer crosses the antimeridian", ErrGeodesy)
		}
	}
	return ring, nil
}

// checkPoles refuses a buffer that would reach a pole.
func checkPoles(pts []orb.Point, w float64) error {
	rr := w / math.Cos(math.Pi/bufferSides)
	for _, c := range pts {
		if 90-math.Abs(c[1]) < 25 && (Distance(c, orb.Point{c[0], 90}) <= rr || Distance(c, orb.Point{c[0], -90}) <= rr) {
			return fmt.Errorf("%w: buffer covers a pole", ErrGeodesy)
		}
	}
	return nil
}

// normTurn puts a change of bearing in (-180, 180].
func normTurn(d float64) float64 {
	d = math.Mod(d, 360)
	if d > 180 {
		d -= 360
	} else if d <= -180 {
		d += 360
	}
	return d
}

// union2 returns the union of two valid MultiPolygons.
func union2(w *work, a, b orb.MultiPolygon) (orb.MultiPolygon, error) {
	if ba, bb := a.Bound(), b.Bound(); ba.Max[0] < bb.Min[0] || bb.Max[0] < ba.Min[0] || ba.Max[1] < bb.Min[1] || bb.Max[1] < ba.Min[1] {
		return append(append(orb.MultiPolygon(nil), a...), b...), nil
	}
	// Only edges near an edge of the other operand can meet it; the rest,
	// already on the grid, are carried through, so that a merge high in
	// the cascade costs little more than its junction. "Near" is sharing a
	// cell of a coarse grid over the common box with the other operand's
	// edges' boxes (widened by a margin for the snap grid's pixels).
	ba, bb := a.Bound(), b.Bound()
	const margin, cells = 1e-7, 256
	lo := orb.Point{math.Max(ba.Min[0], bb.Min[0]) - margin, math.Max(ba.Min[1], bb.Min[1]) - margin}
	hi := orb.Point{math.Min(ba.Max[0], bb.Max[0]) + margin, math.Min(ba.Max[1], bb.Max[1]) + margin}
	cw, ch := (hi[0]-lo[0])/cells, (hi[1]-lo[1])/cells
	// span returns the grid cells s's widened box covers, ok false when
	// it misses the common box.
	span := func(s nseg) (x0, y0, x1, y1 int, ok bool) {
		minX, maxX := math.Min(s.a[0], s.b[0])-margin, math.Max(s.a[0], s.b[0])+margin
		minY, maxY := math.Min(s.a[1], s.b[1])-margin, math.Max(s.a[1], s.b[1])+margin
		if maxX < lo[0] || minX > hi[0] || maxY < lo[1] || minY > hi[1] {
			return 0, 0, 0, 0, false
		}
		c := func(v, o, size float64) int { return min(max(int((v-o)/size), 0), cells-1) }
		return c(minX, lo[0], cw), c(minY, lo[1], ch), c(maxX, lo[0], cw), c(maxY, lo[1], ch), true
	}
	var edges [2][]nseg
	var marks [2][]bool
	for gi, mp := range [2]orb.MultiPolygon{a, b} {
		marks[gi] = make([]bool, cells*cells)
		for _, p := range mp {
			for _, r := range p {
				for v := 0; v+1 < len(r); v++ {
					if r[v] == r[v+1] {
						continue
					}
					s := nseg{a: r[v], b: r[v+1], ring: gi}
					edges[gi] = append(edges[gi], s)
					if x0, y0, x1, y1, ok := span(s); ok {
						for x := x0; x <= x1; x++ {
							for y := y0; y <= y1; y++ {
								marks[gi][x*cells+y] = true
							}
						}
					}
				}
			}
		}
	}
	var active, passive []nseg
	for gi := range edges {
		other := marks[1-gi]
		for _, s := range edges[gi] {
			near := false
			if x0, y0, x1, y1, ok := span(s); ok {
				for x := x0; x <= x1 && !near; x++ {
					for y := y0; y <= y1 && !near; y++ {
						near = other[x*cells+y]
					}
				}
			}
			if near {
				active = append(active, s)
			} else {
				passive = append(passive, s)
			}
		}
	}
	return unionGroups(w, active, passive, 2)
}

// unionRaw returns the area where the closed ring's winding number is at
// least one.
func unionRaw(w *work, ring orb.Ring) (orb.MultiPolygon, error) {
	segs := make([]nseg, 0, len(ring))
	for v := 0; v+1 < len(ring); v++ {
		if ring[v] != ring[v+1] {
			segs = append(segs, nseg{a: ring[v], b: ring[v+1]})
		}
	}
	segs, err := snapRound(w, segs)
	if err != nil {
		return nil, err
	}
	if segs, err = node(w, segs); err != nil {
		return nil, err
	}
	if err := w.add(len(segs)); err != nil {
		return nil, err
	}
	gr := buildGraph(segs, 1, true)
	if len(gr.edges) == 0 {
		return nil, fmt.Errorf("%w: buffer union produced no area", ErrGeodesy)
	}
	if err := gr.faces(w); err != nil {
		return nil, err
	}
	covered := make([]bool, len(gr.windings))
	for f, n := range gr.windings {
		covered[f] = n >= 1
	}
	return traced(gr, covered)
}

// traced traces the covered faces of gr into a MultiPolygon.
func traced(gr *graph, covered []bool) (orb.MultiPolygon, error) {
	g, err := gr.trace(covered)
	if err != nil {
		return nil, fmt.Errorf("%w: buffer union: %v", ErrGeodesy, err)
	}
	switch g := g.(type) {
	case orb.Polygon:
		return orb.MultiPolygon{g}, nil
	case orb.MultiPolygon:
		return g, nil
	}
	return nil, fmt.Errorf("%w: buffer union gave %T", ErrGeodesy, g)
}

// unionGroups returns the union of nGroups valid MultiPolygons, given as
// their edges labelled by group: those that may meet another group's
// (segs), and those on the snap grid that meet none (passive).
func unionGroups(w *work, segs, passive []nseg, nGroups int) (orb.MultiPolygon, error) {
	// Each operand is valid, so the parity of all its rings together is
	// "inside it": one label bit per operand.
	segs, err := snapRound(w, segs)
	if err != nil {
		return nil, err
	}
	if segs, err = node(w, segs); err != nil {
		return nil, err
	}
	segs = append(segs, passive...)
	if err := w.add(len(segs)); err != nil {
		return nil, err
	}
	gr := buildGraph(segs, nGroups, false)
	if len(gr.edges) == 0 {
		return nil, fmt.Errorf("%w: buffer union produced no area", ErrGeodesy)
	}
	if err := gr.faces(w); err != nil {
		return nil, err
	}
	covered := make([]bool, len(gr.parity)/gr.words)
	for f := range covered {
		for _, word := range gr.parity[f*gr.words : (f+1)*gr.words] {
			covered[f] = covered[f] || word != 0
		}
	}
	return traced(gr, covered)
}
