package geo

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/big"
	"sort"

	"github.com/paulmach/orb"
	"github.com/tidwall/rtree"
)

// ErrNoArea is returned by [MakeValid] when nothing of the input encloses
// any area (every ring is degenerate, or the rings cancel out).
var ErrNoArea = errors.New("geo: make-valid: the rings enclose no area")

// maxNodingPasses bounds the rounds of splitting edges at their crossings:
// a rounded crossing point can make a new, tiny crossing with a third edge,
// which the next round splits. Real and random data settle in two or three.
const maxNodingPasses = 16

// MakeValid returns a valid Polygon or MultiPolygon (by [ValidateTopology])
// covering the area that g's rings describe, for a Polygon, MultiPolygon or
// Ring g. Each ring is read by the even-odd rule, so a bow-tie gives both of
// its triangles and a small crossing loop is kept as the area it encloses;
// a polygon is what its exterior ring encloses less what its holes enclose
// (holes outside the shell, or overlapping each other, are harmless); a
// MultiPolygon is the union of its polygons. Repeated vertices, zero-width
// spikes and unclosed rings are mended on the way; coordinates must be
// finite. A g that is already valid comes back oriented by [Normalize].
//
// The method is the "linework" approach of JTS and GEOS: every ring edge is
// split where it meets another (repeatedly, until the pieces meet only at
// their ends), the pieces form a planar graph whose faces are labelled with
// the parity of each ring around them, and the boundary between covered and
// uncovered faces is traced into rings, split at the vertices where they
// touch themselves; counter-clockwise rings are shells, clockwise ones holes,
// each hole given to the smallest shell around it. The result's vertices are
// the input's plus the computed crossing points.
func MakeValid(g orb.Geometry) (orb.Geometry, error) {
	return MakeValidContext(context.Background(), g)
}

// MakeValidContext is [MakeValid] that stops when ctx is done (returning
// ctx.Err()) and refuses, with a [*LimitError], input whose repair would
// exceed [MaxPairs] or [MaxNodes].
func MakeValidContext(ctx context.Context, g orb.Geometry) (orb.Geometry, error) {
	w := newWork(ctx, "make-valid")
	var mp orb.MultiPolygon
	switch g := g.(type) {
	case orb.Ring:
		mp = orb.MultiPolygon{{g}}
	case orb.Polygon:
		mp = orb.MultiPolygon{g}
	case orb.MultiPolygon:
		mp = g
	default:
		return nil, fmt.Errorf("geo: make-valid: %T has no area to repair", g)
	}
	if err := checkFinite(mp); err != nil {
		return nil, err
	}
	if err := ValidateTopology(g); err == nil && !isEmpty(g) {
		if r, ok := g.(orb.Ring); ok {
			return Normalize(orb.Polygon{r}), nil
		}
		return Normalize(g), nil
	}

	// Rings get global indexes; shells and holes remember theirs per part.
	var segs []nseg
	type partRings struct {
		shell int
		holes []int
	}
	var parts []partRings
	nRings := 0
	for _, p := range mp {
		pr := partRings{shell: -1}
		for ri, r := range p {
			r = closeRing(r)
			if distinctPoints(r) < 3 {
				continue
			}
			id := nRings
			nRings++
			if ri == 0 {
				pr.shell = id
			} else {
				pr.holes = append(pr.holes, id)
			}
			for v := 0; v+1 < len(r); v++ {
				if r[v] != r[v+1] {
					segs = append(segs, nseg{a: r[v], b: r[v+1], ring: id})
				}
			}
		}
		if pr.shell >= 0 {
			parts = append(parts, pr)
		}
	}
	if len(parts) == 0 {
		return nil, ErrNoArea
	}
	segs, err := snapRound(w, segs)
	if err != nil {
		return nil, err
	}
	if segs, err = node(w, segs); err != nil {
		return nil, err
	}
	gr := buildGraph(segs, nRings, false)
	if len(gr.edges) == 0 {
		return nil, ErrNoArea
	}
	if err := gr.faces(w); err != nil {
		return nil, err
	}
	words := gr.words
	covered := make([]bool, len(gr.parity)/words)
	for f := range covered {
		par := gr.parity[f*words : (f+1)*words]
		bit := func(i int) bool { return par[i/64]&(1<<(i%64)) != 0 }
		for _, p := range parts {
			if !bit(p.shell) {
				continue
			}
			inHole := false
			for _, h := range p.holes {
				if bit(h) {
					inHole = true
					break
				}
			}
			if !inHole {
				covered[f] = true
				break
			}
		}
	}
	out, err := gr.trace(covered)
	if err != nil {
		return nil, err
	}
	if err := ValidateTopology(out); err != nil {
		// The construction should make this impossible; say so rather
		// than hand back an invalid geometry as repaired.
		return nil, fmt.Errorf("geo: make-valid could not repair the geometry: %w", err)
	}
	return out, nil
}

func closeRing(r orb.Ring) orb.Ring {
	if len(r) > 0 && r[0] != r[len(r)-1] {
		return append(append(orb.Ring(nil), r...), r[0])
	}
	return r
}

func distinctPoints(r orb.Ring) int {
	seen := map[orb.Point]bool{}
	for _, p := range r {
		seen[p] = true
		if len(seen) >= 3 {
			break
		}
	}
	return len(seen)
}

// snapGrid is the grid [MakeValid] rounds vertices and crossing points to:
// 1e-9 degrees, 0.1 mm on the ground, far finer than any boundary Truce
// agrees and coarse enough that float rounding cannot leave the slivers one
// unit in the last place wide that defeat a planar graph. Decimal rather
// than binary so that coordinates given with nine decimals or fewer, as
// boundary data is, come through unchanged.
const snapGrid = 1e9

func snap(p orb.Point) orb.Point {
	return orb.Point{math.Round(p[0]*snapGrid) / snapGrid, math.Round(p[1]*snapGrid) / snapGrid}
}

// snapRound nodes segs by snap rounding (Hobby, "Practical segment
// intersection with finite precision output", 1999; as JTS's
// SnapRoundingNoder): vertices and crossing points are rounded to the grid,
// each becomes a "hot pixel", and every segment is bent through the centre
// of each hot pixel it passes through. The pieces then meet only at their
// ends or overlap; [node] afterwards splits the overlaps.
func snapRound(w *work, segs []nseg) ([]nseg, error) {
	hot := map[orb.Point]bool{}
	in := segs[:0:0]
	for _, s := range segs {
		s.a, s.b = snap(s.a), snap(s.b)
		if s.a == s.b {
			continue
		}
		hot[s.a], hot[s.b] = true, true
		in = append(in, s)
	}
	if err := w.nodes(len(hot)); err != nil {
		return nil, err
	}
	if err := eachCandidate(w, in, func(i, j int) error {
		if k, p, _, proper := intersect(in[i].a, in[i].b, in[j].a, in[j].b); k == isectPoint && proper {
			hot[snap(p)] = true
			return w.nodes(len(hot))
		}
		return nil
	}); err != nil {
		return nil, err
	}
	// Hot pixels are found by an R-tree, not a sweep over x, so that a
	// line running north-south costs no more than one running east-west.
	var pix rtree.RTreeG[orb.Point]
	for p := range hot {
		pix.Insert(p, p, p)
	}
	const h = 0.5 / snapGrid
	out := make([]nseg, 0, len(in))
	for _, s := range in {
		if err := w.pair(); err != nil {
			return nil, err
		}
		lo := [2]float64{math.Min(s.a[0], s.b[0]) - h, math.Min(s.a[1], s.b[1]) - h}
		hi := [2]float64{math.Max(s.a[0], s.b[0]) + h, math.Max(s.a[1], s.b[1]) + h}
		var through []orb.Point
		var err error
		pix.Search(lo, hi, func(_, _ [2]float64, c orb.Point) bool {
			// A long segment's box can hold most pixels: each is work.
			if err = w.pair(); err != nil {
				return false
			}
			if c != s.a && c != s.b && segmentHitsPixel(s.a, s.b, c, h) {
				through = append(through, c)
			}
			return true
		})
		if err != nil {
			return nil, err
		}
		if len(through) == 0 {
			out = append(out, s)
			continue
		}
		d := func(p orb.Point) float64 { return math.Abs(p[0]-s.a[0]) + math.Abs(p[1]-s.a[1]) }
		sort.Slice(through, func(i, j int) bool { return d(through[i]) < d(through[j]) })
		prev := s.a
		for _, p := range append(through, s.b) {
			if p != prev {
				out = append(out, nseg{a: prev, b: p, ring: s.ring})
				prev = p
			}
		}
	}
	return out, nil
}

// segmentHitsPixel reports whether segment a-b, whose box meets the pixel,
// passes through the closed square of half-side h around c: not all four
// corners lie strictly on one side of its line.
func segmentHitsPixel(a, b, c orb.Point, h float64) bool {
	pos, neg := false, false
	for _, q := range [4]orb.Point{{c[0] - h, c[1] - h}, {c[0] + h, c[1] - h}, {c[0] + h, c[1] + h}, {c[0] - h, c[1] + h}} {
		switch orient(a, b, q) {
		case 1:
			pos = true
		case -1:
			neg = true
		default:
			return true
		}
	}
	return pos && neg
}

// eachCandidate calls fn for every pair i < j of segments whose boxes
// meet, found with an R-tree: the cost is the number of such pairs plus
// n log n, whatever the direction the segments run in (a sweep over x alone
// is quadratic for a line running north-south). It stops at fn's first
// error, or when w's bounds are exceeded.
func eachCandidate(w *work, segs []nseg, fn func(i, j int) error) error {
	var tr rtree.RTreeG[int32]
	box := func(s nseg) ([2]float64, [2]float64) {
		return [2]float64{math.Min(s.a[0], s.b[0]), math.Min(s.a[1], s.b[1])},
			[2]float64{math.Max(s.a[0], s.b[0]), math.Max(s.a[1], s.b[1])}
	}
	for i, s := range segs {
		lo, hi := box(s)
		tr.Insert(lo, hi, int32(i))
	}
	var err error
	for i, s := range segs {
		lo, hi := box(s)
		tr.Search(lo, hi, func(_, _ [2]float64, j32 int32) bool {
			j := int(j32)
			if j <= i {
				return true
			}
			if err = w.pair(); err != nil {
				return false
			}
			err = fn(i, j)
			return err == nil
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// nseg is a piece of ring edge during noding.
type nseg struct {
	a, b orb.Point
	ring int
}

// node splits segs until any two meet only at shared end points (or are the
// same segment).
func node(w *work, segs []nseg) ([]nseg, error) {
	for pass := 0; pass < maxNodingPasses; pass++ {
		if err := w.nodes(len(segs)); err != nil {
			return nil, err
		}
		splits := map[int][]orb.Point{}
		if err := eachCandidate(w, segs, func(i, j int) error {
			s, t := segs[i], segs[j]
			k, p0, p1, _ := intersect(s.a, s.b, t.a, t.b)
			if k == isectNone {
				return nil
			}
			for _, p := range []orb.Point{p0, p1}[:int(k)] {
				if p != s.a && p != s.b {
					splits[i] = append(splits[i], p)
				}
				if p != t.a && p != t.b {
					splits[j] = append(splits[j], p)
				}
			}
			return nil
		}); err != nil {
			return nil, err
		}
		if len(splits) == 0 {
			return segs, nil
		}
		out := make([]nseg, 0, len(segs)+2*len(splits))
		for i, s := range segs {
			ps, ok := splits[i]
			if !ok {
				out = append(out, s)
				continue
			}
			d := func(p orb.Point) float64 { return math.Abs(p[0]-s.a[0]) + math.Abs(p[1]-s.a[1]) }
			sort.Slice(ps, func(i, j int) bool { return d(ps[i]) < d(ps[j]) })
			prev := s.a
			for _, p := range append(ps, s.b) {
				if p != prev {
					out = append(out, nseg{a: prev, b: p, ring: s.ring})
					prev = p
				}
			}
		}
		segs = out
	}
	return nil, fmt.Errorf("geo: make-valid: edges still cross after %d noding passes", maxNodingPasses)
}

// graph is the planar graph of the noded rings: half-edge 2e runs from
// edges[e].a to edges[e].b, half-edge 2e+1 back.
type graph struct {
	pts    []orb.Point
	edges  []gedge
	labels []uint64 // words per edge: parity of each ring's pieces on it
	words  int
	out    [][]int // per vertex, outgoing half-edges counter-clockwise
	pos    []int   // per half-edge, its index in out[origin]
	cycle  []int   // per half-edge, its face cycle
	cycles []gcycle
	parity []uint64 // words per face (cycle index; the unbounded face last)
	// With winding set (buildGraph's argument), wind is per edge the
	// pieces running a→b less those running b→a, and windings per face
	// the winding number of all the pieces around it.
	winding  bool
	wind     []int32
	windings []int32
}

type gedge struct{ a, b int }

type gcycle struct {
	start int     // a half-edge of the cycle
	area  float64 // signed, by ringSign
	face  int     // face the cycle bounds: itself if counter-clockwise
	comp  int
}

func (gr *graph) origin(h int) int {
	if h%2 == 0 {
		return gr.edges[h/2].a
	}
	return gr.edges[h/2].b
}

func (gr *graph) dest(h int) int { return gr.origin(h ^ 1) }

func buildGraph(segs []nseg, nRings int, winding bool) *graph {
	words := max((nRings+63)/64, 1)
	gr := &graph{words: words, winding: winding}
	vid := map[orb.Point]int{}
	vertex := func(p orb.Point) int {
		if i, ok := vid[p]; ok {
			return i
		}
		vid[p] = len(gr.pts)
		gr.pts = append(gr.pts, p)
		return len(gr.pts) - 1
	}
	eid := map[[2]int]int{}
	var labels []uint64
	var wind []int32
	var edges []gedge
	for _, s := range segs {
		a, b := vertex(s.a), vertex(s.b)
		d := int32(1)
		if a > b {
			a, b, d = b, a, -1
		}
		e, ok := eid[[2]int{a, b}]
		if !ok {
			e = len(edges)
			eid[[2]int{a, b}] = e
			edges = append(edges, gedge{a, b})
			labels = append(labels, make([]uint64, words)...)
			wind = append(wind, 0)
		}
		labels[e*words+s.ring/64] ^= 1 << (s.ring % 64)
		wind[e] += d
	}
	// Pieces every ring runs along an even number of times (spikes, doubled
	// edges) change no ring's parity: they separate nothing.
	used := map[int]int{}
	for e, ed := range edges {
		zero := true
		for _, w := range labels[e*words : (e+1)*words] {
			if w != 0 {
				zero = false
			}
		}
		if winding {
			// Pieces running both ways cancel; twice one way do not.
			zero = wind[e] == 0
		}
		if zero {
			continue
		}
		a, ok := used[ed.a]
		if !ok {
			a = len(used)
			used[ed.a] = a
		}
		b, ok := used[ed.b]
		if !ok {
			b = len(used)
			used[ed.b] = b
		}
		gr.edges = append(gr.edges, gedge{a, b})
		gr.labels = append(gr.labels, labels[e*words:(e+1)*words]...)
		gr.wind = append(gr.wind, wind[e])
	}
	pts := make([]orb.Point, len(used))
	for old, nw := range used {
		pts[nw] = gr.pts[old]
	}
	gr.pts = pts
	gr.out = make([][]int, len(pts))
	for e := range gr.edges {
		gr.out[gr.edges[e].a] = append(gr.out[gr.edges[e].a], 2*e)
		gr.out[gr.edges[e].b] = append(gr.out[gr.edges[e].b], 2*e+1)
	}
	gr.pos = make([]int, 2*len(gr.edges))
	for v, hs := range gr.out {
		o := gr.pts[v]
		sort.Slice(hs, func(i, j int) bool { return angleLess(o, gr.pts[gr.dest(hs[i])], gr.pts[gr.dest(hs[j])]) })
		for i, h := range hs {
			gr.pos[h] = i
		}
	}
	return gr
}

// angleLess orders the directions o→p and o→q counter-clockwise from the
// positive x axis, exactly.
func angleLess(o, p, q orb.Point) bool {
	half := func(r orb.Point) int {
		if r[1] > o[1] || (r[1] == o[1] && r[0] > o[0]) {
			return 0
		}
		return 1
	}
	hp, hq := half(p), half(q)
	if hp != hq {
		return hp < hq
	}
	return orient(o, p, q) > 0
}

// next is the half-edge after h around the face on h's left: at h's end,
// the outgoing half-edge next clockwise from the way back.
func (gr *graph) next(h int) int {
	t := h ^ 1
	hs := gr.out[gr.origin(t)]
	return hs[(gr.pos[t]-1+len(hs))%len(hs)]
}

// faces finds the face cycles, nests each connected component's outer
// cycle in the face that holds it, and labels every face with the parity of
// every ring around it, walking out from the unbounded face.
func (gr *graph) faces(wk *work) error {
	nh := 2 * len(gr.edges)
	gr.cycle = make([]int, nh)
	for i := range gr.cycle {
		gr.cycle[i] = -1
	}
	uf := newUnionFind(len(gr.pts))
	for _, e := range gr.edges {
		uf.union(e.a, e.b)
	}
	for h := 0; h < nh; h++ {
		if gr.cycle[h] >= 0 {
			continue
		}
		c := len(gr.cycles)
		var r orb.Ring
		for x := h; gr.cycle[x] < 0; x = gr.next(x) {
			gr.cycle[x] = c
			r = append(r, gr.pts[gr.origin(x)])
		}
		r = append(r, r[0])
		gr.cycles = append(gr.cycles, gcycle{start: h, area: ringSign(r), face: c, comp: uf.find(gr.origin(h))})
	}
	unbounded := len(gr.cycles)
	// Bounded faces are counter-clockwise; each component has one
	// clockwise cycle, its outline, which lies in the smallest
	// counter-clockwise cycle of another component around it, or outside.
	// The counter-clockwise cycles are found by an R-tree of their boxes,
	// so that many components (holes) do not cost components × faces.
	var ccw rtree.RTreeG[int]
	rings := map[int]orb.Ring{}
	for c, cy := range gr.cycles {
		if cy.area > 0 {
			r := gr.ring(c)
			rings[c] = r
			b := r.Bound()
			ccw.Insert(b.Min, b.Max, c)
		}
	}
	for c := range gr.cycles {
		cy := &gr.cycles[c]
		if cy.area > 0 {
			continue
		}
		if err := wk.check(); err != nil {
			return err
		}
		cy.face = unbounded
		p := gr.pts[gr.origin(cy.start)]
		best := math.Inf(1)
		var err error
		ccw.Search(p, p, func(_, _ [2]float64, d int) bool {
			if gr.cycles[d].comp == cy.comp || gr.cycles[d].area >= best {
				return true
			}
			if err = wk.pair(); err != nil {
				return false
			}
			if ringLocate(p, rings[d]) == Interior {
				best = gr.cycles[d].area
				cy.face = d
			}
			return true
		})
		if err != nil {
			return err
		}
	}
	// Half-edges by face, then a breadth-first walk across edges.
	byFace := make([][]int, unbounded+1)
	for c, cy := range gr.cycles {
		byFace[cy.face] = append(byFace[cy.face], c)
	}
	w := gr.words
	gr.parity = make([]uint64, (unbounded+1)*w)
	gr.windings = make([]int32, unbounded+1)
	seen := make([]bool, unbounded+1)
	seen[unbounded] = true
	queue := []int{unbounded}
	for len(queue) > 0 {
		f := queue[0]
		queue = queue[1:]
		for _, c := range byFace[f] {
			h := gr.cycles[c].start
			for {
				g := gr.cycles[gr.cycle[h^1]].face
				if !seen[g] {
					seen[g] = true
					for i := 0; i < w; i++ {
						gr.parity[g*w+i] = gr.parity[f*w+i] ^ gr.labels[(h/2)*w+i]
					}
					// f is on h's left, g on its right: crossing a
					// counter-clockwise piece's edge leftwards adds one.
					d := gr.wind[h/2]
					if h%2 == 1 {
						d = -d
					}
					gr.windings[g] = gr.windings[f] - d
					queue = append(queue, g)
				}
				if h = gr.next(h); h == gr.cycles[c].start {
					break
				}
			}
		}
	}
	for f, ok := range seen {
		if !ok && gr.cycles[f].area > 0 {
			return fmt.Errorf("geo: make-valid: face %d unreachable", f)
		}
	}
	return nil
}

func (gr *graph) ring(c int) orb.Ring {
	var r orb.Ring
	h := gr.cycles[c].start
	for {
		r = append(r, gr.pts[gr.origin(h)])
		if h = gr.next(h); h == gr.cycles[c].start {
			break
		}
	}
	return append(r, r[0])
}

// trace turns the boundary between covered and uncovered faces into the
// rings of a valid Polygon or MultiPolygon.
func (gr *graph) trace(covered []bool) (orb.Geometry, error) {
	coveredLeft := func(h int) bool { return covered[gr.cycles[gr.cycle[h]].face] }
	boundary := func(h int) bool { return coveredLeft(h) && !coveredLeft(h^1) }
	used := make([]bool, 2*len(gr.edges))
	var shells, holes []orb.Ring
	for h0 := range used {
		if used[h0] || !boundary(h0) {
			continue
		}
		// Walk the boundary keeping the covered side on the left: at each
		// vertex turn to the first boundary half-edge clockwise from the way
		// back, which is the one closing the covered wedge just entered.
		var walk []int
		for h := h0; !used[h]; {
			used[h] = true
			walk = append(walk, gr.origin(h))
			t := h ^ 1
			hs := gr.out[gr.origin(t)]
			i := gr.pos[t]
			found := false
			for k := 1; k < len(hs); k++ {
				c := hs[(i-k+len(hs))%len(hs)]
				if boundary(c) {
					h, found = c, true
					break
				}
			}
			if !found {
				return nil, errors.New("geo: make-valid: boundary walk lost its way")
			}
		}
		// A walk may pass a vertex twice where covered areas touch; cut it
		// there into simple rings.
		var stack []int
		at := map[int]int{}
		emit := func(vs []int) {
			r := make(orb.Ring, 0, len(vs)+1)
			for _, v := range vs {
				r = append(r, gr.pts[v])
			}
			r = append(r, r[0])
			if len(r) < 4 {
				return
			}
			if ringSign(r) > 0 {
				shells = append(shells, r)
			} else {
				holes = append(holes, r)
			}
		}
		for _, v := range append(walk, walk[0]) {
			if i, ok := at[v]; ok {
				emit(stack[i:])
				for _, u := range stack[i+1:] {
					delete(at, u)
				}
				stack = stack[:i+1]
				continue
			}
			at[v] = len(stack)
			stack = append(stack, v)
		}
	}
	if len(shells) == 0 {
		return nil, ErrNoArea
	}
	polys := make(orb.MultiPolygon, len(shells))
	areas := make([]float64, len(shells))
	sb := make([]orb.Bound, len(shells))
	for i, s := range shells {
		polys[i] = orb.Polygon{s}
		areas[i] = signedArea(s)
		sb[i] = s.Bound()
	}
	for _, h := range holes {
		best := -1
		hb := h.Bound()
		for i, s := range shells {
			if (best >= 0 && areas[i] >= areas[best]) || !sb[i].Contains(hb.Min) || !sb[i].Contains(hb.Max) {
				continue
			}
			if loc, _ := ringInRing(h, s); loc == Interior {
				best = i
			}
		}
		if best < 0 {
			return nil, errors.New("geo: make-valid: a hole has no shell")
		}
		polys[best] = append(polys[best], h)
	}
	if len(polys) == 1 {
		return polys[0], nil
	}
	return polys, nil
}

// ringSign is the signed planar area of the closed ring r, positive when
// counter-clockwise, with its sign exact: slivers one unit in the last
// place wide, which rounded crossing points make, are common, and taking a
// face for a component's outline wrecks the result. The float sum, taken
// relative to the first vertex, is used when its error bound proves the
// sign; otherwise the area is summed exactly in rationals.
func ringSign(r orb.Ring) float64 {
	if len(r) < 4 {
		return 0
	}
	o := r[0]
	var s, mag float64
	for i := 0; i+1 < len(r); i++ {
		p, q := r[i], r[i+1]
		a, b := (p[0]-o[0])*(q[1]-o[1]), (q[0]-o[0])*(p[1]-o[1])
		s += a - b
		mag += math.Abs(a) + math.Abs(b)
	}
	if math.Abs(s) > mag*float64(len(r)+4)*0x1p-52 {
		return s / 2
	}
	var sum, t, u big.Rat
	x := make([]big.Rat, len(r))
	y := make([]big.Rat, len(r))
	for i, p := range r {
		x[i].SetFloat64(p[0])
		y[i].SetFloat64(p[1])
	}
	for i := 0; i+1 < len(r); i++ {
		t.Mul(&x[i], &y[i+1])
		u.Mul(&x[i+1], &y[i])
		t.Sub(&t, &u)
		sum.Add(&sum, &t)
	}
	f, _ := sum.Float64()
	if f == 0 && sum.Sign() != 0 {
		f = float64(sum.Sign()) * math.SmallestNonzeroFloat64
	}
	return f / 2
}
