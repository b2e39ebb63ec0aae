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
// The buffer is the union of a capsule about each segment: the two sides,
// offset square to the geodesic at each end, and a half circle at each end,
// which round the caps and the outer side of every bend. Half circles are
// polygons circumscribed about the true circle. Before buffering, the line
// is simplified (Douglas-Peucker, orb/simplify) to within halfWidth/500 and
// buffered by halfWidth plus that: detail smaller than that cannot change
// the corridor. So the result covers every point within halfWidth of the
// line and reaches at most 0.7 % of halfWidth (0.5 % from the polygonal
// circles, 0.2 % from the simplification) beyond it.
//
// The capsules are merged by a cascaded union (pairs of neighbours along
// the line, then pairs of those, ...), each merge an overlay of the two
// boundaries (snap rounding, planar graph, as [MakeValid]); the cost grows
// with the number of vertices times its logarithm, not with how much the
// capsules overlap. It fails for an empty line, a halfWidth outside
// (0, MaxRadius], a result that crosses the antimeridian or a pole, and,
// with a [*LimitError], a line whose buffer would exceed [MaxPairs],
// [MaxNodes] or [MaxOutputVertices].
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
	var pieces []orb.Ring
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
		// A piece has at most bufferSides+2 vertices: refuse before
		// computing what cannot be merged within the bounds.
		if err := w.nodes((len(pieces) + 2*len(cut)) * 8); err != nil {
			return nil, err
		}
		ps, err := linePieces(w, cut, width)
		if err != nil {
			return nil, err
		}
		pieces = append(pieces, ps...)
	}
	// The pieces are merged first in runs of neighbours along the line,
	// one overlay of their raw offset curve each (unionPieces). A run
	// grows while its pieces' boxes together cover at most runDensity
	// times the run's box, and to at most runMax pieces: a corridor is then
	// merged in long runs, and a line folded on itself, whose offset curve
	// crosses itself many times, in short ones.
	const runDensity, runMax = 12, 1024
	var parts []orb.MultiPolygon
	area := func(b orb.Bound) float64 { return (b.Max[0] - b.Min[0]) * (b.Max[1] - b.Min[1]) }
	for i := 0; i < len(pieces); {
		if err := w.check(); err != nil {
			return nil, err
		}
		b := pieces[i].Bound()
		sum := area(b)
		j := i + 1
		for ; j < len(pieces) && j-i < runMax; j++ {
			pb := pieces[j].Bound()
			nb := b.Union(pb)
			if j-i >= 4 && sum+area(pb) > runDensity*area(nb) {
				break
			}
			b, sum = nb, sum+area(pb)
		}
		u, err := unionPieces(w, pieces[i:j])
		if err != nil {
			return nil, err
		}
		parts = append(parts, u)
		i = j
	}
	if debugBuffer {
		fmt.Println("pieces", len(pieces), "runs", len(parts), "pairs", w.pairs)
	}
	// Cascaded union: merging neighbours along the line keeps every
	// overlay small, as the union of overlapping capsules has a short
	// boundary even where the capsules themselves cross many times.
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
		if debugBuffer {
			fmt.Println("level parts", len(parts), "pairs", w.pairs)
		}
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
	if len(mp) == 1 {
		return mp[0], nil
	}
	return mp, nil
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

// linePieces returns counter-clockwise rings whose union is the area
// within w of the line through pts (distinct consecutive points): a
// hexagon along each segment, between the offsets square to the geodesic at
// its ends and through the ends themselves; at each bend a fan on its outer side between the two
// segments' offsets; a half circle at each end. Every point within w lies in
// one of them: the one holding its nearest point on the line (the inner
// side of a bend is nearest to the segments, not the vertex). Arcs are
// circumscribed: their edges are tangent to the circle of radius w, touching
// it at the offsets, which are computed by the same call for the pieces that
// share them, so that neighbouring pieces share those vertices exactly.
func linePieces(wk *work, pts []orb.Point, w float64) ([]orb.Ring, error) {
	if len(pts) == 1 {
		c, err := Circle(pts[0], w/math.Cos(math.Pi/bufferSides), bufferSides)
		if err != nil {
			return nil, err
		}
		return []orb.Ring{c[0]}, nil
	}
	step := 360.0 / bufferSides
	// arc appends the arc about c from bearing from, turning by sweep
	// degrees counter-clockwise on the map (bearings decreasing).
	arc := func(r orb.Ring, c orb.Point, from, sweep float64) orb.Ring {
		n := max(int(math.Ceil(sweep/step-1e-9)), 1)
		d := sweep / float64(n)
		rr := w / math.Cos(d/2*deg)
		r = append(r, Destination(c, from, w))
		for k := 0; k < n; k++ {
			r = append(r, Destination(c, from-(float64(k)+0.5)*d, rr))
		}
		return append(r, Destination(c, from-sweep, w))
	}
	var out []orb.Ring
	var prevAz float64
	for i := 0; i+1 < len(pts); i++ {
		if err := wk.add(bufferSides); err != nil {
			return nil, err
		}
		p, q := pts[i], pts[i+1]
		_, az1, az2 := inverse(p, q)
		if i == 0 {
			out = append(out, closed(append(arc(orb.Ring{}, p, az1-90, 180), p)))
		} else if turn := normTurn(az1 - prevAz); turn > 0 {
			// A right turn: the outer side is the left one.
			out = append(out, closed(arc(orb.Ring{p}, p, az1-90, turn)))
		} else if turn < 0 {
			out = append(out, closed(arc(orb.Ring{p}, p, prevAz+90, -turn)))
		}
		// The line's vertices are corners too: the offsets square to the
		// geodesic are not collinear with the vertex in lon/lat, and the
		// fans and caps have their corner there.
		out = append(out, closed(orb.Ring{Destination(p, az1+90, w), Destination(q, az2+90, w), q,
			Destination(q, az2-90, w), Destination(p, az1-90, w), p}))
		if i+2 == len(pts) {
			out = append(out, closed(append(arc(orb.Ring{}, q, az2+90, 180), q)))
		}
		prevAz = az2
	}
	for _, r := range out {
		for k := 1; k < len(r); k++ {
			if math.Abs(r[k][0]-r[k-1][0]) > 180 {
				return nil, fmt.Errorf("%w: buffer crosses the antimeridian", ErrGeodesy)
			}
		}
	}
	rr := w / math.Cos(math.Pi/bufferSides)
	for _, c := range pts {
		if Distance(c, orb.Point{c[0], 90}) <= rr || Distance(c, orb.Point{c[0], -90}) <= rr {
			return nil, fmt.Errorf("%w: buffer covers a pole", ErrGeodesy)
		}
	}
	return out, nil
}

func closed(r orb.Ring) orb.Ring { return append(r, r[0]) }

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
	// Only edges in the common box can meet an edge of the other operand;
	// the rest, already on the grid, are carried through, so that a merge
	// high in the cascade costs little more than its junction.
	ba, bb := a.Bound(), b.Bound()
	const margin = 1e-7
	common := orb.Bound{Min: orb.Point{math.Max(ba.Min[0], bb.Min[0]) - margin, math.Max(ba.Min[1], bb.Min[1]) - margin},
		Max: orb.Point{math.Min(ba.Max[0], bb.Max[0]) + margin, math.Min(ba.Max[1], bb.Max[1]) + margin}}
	return unionGroups(w, []orb.MultiPolygon{a, b}, &common)
}

// unionPieces returns the union of counter-clockwise simple rings: the
// region where their winding number is at least one. Edges that two pieces
// run along in opposite directions (a hexagon and the fan beside it) are
// cancelled first, which leaves the raw offset curve of the line; so only
// that is noded, with few crossings where the line is not folded on itself.
func unionPieces(w *work, pieces []orb.Ring) (orb.MultiPolygon, error) {
	type key struct{ a, b orb.Point }
	count := map[key]int{}
	for _, r := range pieces {
		for v := 0; v+1 < len(r); v++ {
			if a, b := snap(r[v]), snap(r[v+1]); a != b {
				if count[key{b, a}] > 0 {
					count[key{b, a}]--
				} else {
					count[key{a, b}]++
				}
			}
		}
	}
	var segs []nseg
	for k, n := range count {
		for ; n > 0; n-- {
			segs = append(segs, nseg{a: k.a, b: k.b})
		}
	}
	// Map order is random; the result must not be.
	sort.Slice(segs, func(i, j int) bool {
		if segs[i].a != segs[j].a {
			return less(segs[i].a, segs[j].a)
		}
		return less(segs[i].b, segs[j].b)
	})
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

// unionGroups returns the union of valid MultiPolygons whose
// edges, outside the box active (if not nil), are on the snap grid and meet
// no other group's.
func unionGroups(w *work, groups []orb.MultiPolygon, active *orb.Bound) (orb.MultiPolygon, error) {
	var segs, passive []nseg
	for gi, mp := range groups {
		for _, p := range mp {
			for _, r := range p {
				for v := 0; v+1 < len(r); v++ {
					if r[v] == r[v+1] {
						continue
					}
					s := nseg{a: r[v], b: r[v+1], ring: gi}
					if active != nil && (math.Max(s.a[0], s.b[0]) < active.Min[0] || math.Min(s.a[0], s.b[0]) > active.Max[0] ||
						math.Max(s.a[1], s.b[1]) < active.Min[1] || math.Min(s.a[1], s.b[1]) > active.Max[1]) {
						passive = append(passive, s)
						continue
					}
					segs = append(segs, s)
				}
			}
		}
	}
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
	gr := buildGraph(segs, len(groups), false)
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

var debugBuffer = false
