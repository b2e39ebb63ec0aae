package spatial

import (
	"math"

	"github.com/paulmach/orb"
)

// edge is one non-horizontal polygon edge as the crossing test needs it:
// the y-range [y0, y1) it straddles, the x at y0, and dx/dy.
type edge struct {
	y0, y1, x0, k float64
}

// prepared is a polygonal area ready for fast point location: its edges
// (of every ring of every part, since the crossing parity over all rings of
// a valid (multi)polygon is its inside test) bucketed into horizontal bands.
type prepared struct {
	minX, minY, maxX, maxY float64
	invH                   float64 // bands per degree of latitude
	nb                     int
	offs                   []uint32 // band i holds edges[offs[i]:offs[i+1]]
	edges                  []edge

	// A g×g raster over the bounding box says, for cells that no edge
	// touches, whether the cell is inside or outside, so most points are
	// answered by one lookup; only cells on the boundary scan their band.
	g          int
	invW, invR float64 // cells per degree across and up
	cells      []uint8
}

const (
	cellOut uint8 = iota
	cellIn
	cellEdge
)

// bandTarget is the mean number of edges a band aims at: small enough that
// a test reads a handful of edges, large enough that long edges are not
// copied into many bands.
const bandTarget = 2

func prepare(g orb.Geometry) *prepared {
	var es, flats []edge
	addRing := func(r orb.Ring) {
		for i := 0; i+1 < len(r); i++ {
			a, b := r[i], r[i+1]
			if a[1] == b[1] {
				// A horizontal edge never straddles the ray, but the
				// raster must know it; k holds its signed length.
				flats = append(flats, edge{y0: a[1], y1: a[1], x0: a[0], k: b[0] - a[0]})
				continue
			}
			if a[1] > b[1] {
				a, b = b, a
			}
			es = append(es, edge{y0: a[1], y1: b[1], x0: a[0], k: (b[0] - a[0]) / (b[1] - a[1])})
		}
	}
	p := &prepared{minX: math.Inf(1), minY: math.Inf(1), maxX: math.Inf(-1), maxY: math.Inf(-1)}
	grow := func(r orb.Ring) {
		for _, q := range r {
			p.minX, p.maxX = math.Min(p.minX, q[0]), math.Max(p.maxX, q[0])
			p.minY, p.maxY = math.Min(p.minY, q[1]), math.Max(p.maxY, q[1])
		}
	}
	switch g := g.(type) {
	case orb.Polygon:
		for _, r := range g {
			addRing(r)
			grow(r)
		}
	case orb.MultiPolygon:
		for _, poly := range g {
			for _, r := range poly {
				addRing(r)
				grow(r)
			}
		}
	}
	nb := len(es) / bandTarget
	nb = max(1, min(nb, 1<<20))
	p.nb = nb
	h := p.maxY - p.minY
	if h > 0 {
		p.invH = float64(nb) / h
	}
	band := func(y float64) int {
		i := int((y - p.minY) * p.invH)
		return max(0, min(i, nb-1))
	}
	counts := make([]uint32, nb+1)
	for _, e := range es {
		for i := band(e.y0); i <= band(e.y1); i++ {
			counts[i+1]++
		}
	}
	for i := 1; i <= nb; i++ {
		counts[i] += counts[i-1]
	}
	p.offs = counts
	p.edges = make([]edge, counts[nb])
	fill := make([]uint32, nb)
	copy(fill, counts[:nb])
	for _, e := range es {
		for i := band(e.y0); i <= band(e.y1); i++ {
			p.edges[fill[i]] = e
			fill[i]++
		}
	}
	p.raster(append(es, flats...))
	return p
}

// raster classifies the cells of a grid over the bounding box. A cell that
// any edge (horizontal ones included) comes within rasterEps of is marked
// cellEdge; every other cell takes the inside/outside state of its centre.
func (p *prepared) raster(all []edge) {
	g := int(2 * math.Sqrt(float64(len(all))))
	g = max(4, min(g, 64))
	w, h := p.maxX-p.minX, p.maxY-p.minY
	if !(w > 0 && h > 0) {
		return // degenerate: leave g = 0, every test scans its band
	}
	p.g = g
	p.invW, p.invR = float64(g)/w, float64(g)/h
	p.cells = make([]uint8, g*g)
	cx := func(x float64) int { return max(0, min(g-1, int((x-p.minX)*p.invW))) }
	cy := func(y float64) int { return max(0, min(g-1, int((y-p.minY)*p.invR))) }
	const eps = rasterEps
	for _, e := range all {
		for j := cy(e.y0 - eps); j <= cy(e.y1+eps); j++ {
			// The part of the edge within this row's y-span.
			ya := math.Max(e.y0, p.minY+float64(j)/p.invR)
			yb := math.Min(e.y1, p.minY+float64(j+1)/p.invR)
			if ya > yb {
				ya, yb = e.y0, e.y1 // rounding at the row's edge: take it all
			}
			xa, xb := e.x0+(ya-e.y0)*e.k, e.x0+(yb-e.y0)*e.k
			if e.y0 == e.y1 {
				xa, xb = e.x0, e.x0+e.k // horizontal: k holds the length
			}
			if xa > xb {
				xa, xb = xb, xa
			}
			for i := cx(xa - eps); i <= cx(xb+eps); i++ {
				p.cells[j*g+i] = cellEdge
			}
		}
	}
	for j := range g {
		for i := range g {
			c := &p.cells[j*g+i]
			if *c == cellEdge {
				continue
			}
			x := p.minX + (float64(i)+0.5)/p.invW
			y := p.minY + (float64(j)+0.5)/p.invR
			if p.scan(x, y) {
				*c = cellIn
			}
		}
	}
}

// rasterEps (about 1 cm) widens every edge when the raster is drawn, so
// that rounding in a point's cell index cannot move it off an edge cell.
const rasterEps = 1e-7

// contains reports whether (x, y) is inside the area by the crossing rule
// on a ray towards +x. Half-open edge ranges count a ray through a vertex
// once; a point exactly on an edge may go either way.
func (p *prepared) contains(x, y float64) bool {
	// Written so that NaN fails it.
	if !(x >= p.minX && x <= p.maxX && y >= p.minY && y <= p.maxY) {
		return false
	}
	if p.g > 0 {
		ci := int((x - p.minX) * p.invW)
		cj := int((y - p.minY) * p.invR)
		if ci >= p.g {
			ci = p.g - 1
		}
		if cj >= p.g {
			cj = p.g - 1
		}
		switch p.cells[cj*p.g+ci] {
		case cellIn:
			return true
		case cellOut:
			return false
		}
	}
	return p.scan(x, y)
}

// scan is the crossing test over the edges of y's band.
func (p *prepared) scan(x, y float64) bool {
	i := int((y - p.minY) * p.invH)
	if i >= p.nb {
		i = p.nb - 1
	}
	in := false
	for _, e := range p.edges[p.offs[i]:p.offs[i+1]] {
		if y >= e.y0 && y < e.y1 && e.x0+(y-e.y0)*e.k > x {
			in = !in
		}
	}
	return in
}

// verdict is a quick answer that may be "don't know".
type verdict int8

const (
	unknown verdict = iota
	yes
	no
)

// quickIntersects answers from the raster alone when it can: no when every
// cell under g's bounding box is outside (no edge of the area comes near
// and it is not there), yes when a vertex of g lies in an inside cell.
func (p *prepared) quickIntersects(g orb.Geometry, b orb.Bound) verdict {
	if b.Max[0] < p.minX || b.Min[0] > p.maxX || b.Max[1] < p.minY || b.Min[1] > p.maxY {
		return no
	}
	if p.g == 0 {
		return unknown
	}
	cell := func(x, y float64) (int, int) {
		i := int((x - p.minX) * p.invW)
		j := int((y - p.minY) * p.invR)
		return max(0, min(i, p.g-1)), max(0, min(j, p.g-1))
	}
	i0, j0 := cell(b.Min[0], b.Min[1])
	i1, j1 := cell(b.Max[0], b.Max[1])
	allOut := true
	for j := j0; j <= j1 && allOut; j++ {
		for i := i0; i <= i1; i++ {
			if p.cells[j*p.g+i] != cellOut {
				allOut = false
				break
			}
		}
	}
	if allOut {
		return no
	}
	found := false
	eachVertex(g, func(q orb.Point) bool {
		if q[0] < p.minX || q[0] > p.maxX || q[1] < p.minY || q[1] > p.maxY {
			return true
		}
		i, j := cell(q[0], q[1])
		found = p.cells[j*p.g+i] == cellIn
		return !found
	})
	if found {
		return yes
	}
	return unknown
}

func eachVertex(g orb.Geometry, fn func(orb.Point) bool) bool {
	pts := func(ps []orb.Point) bool {
		for _, q := range ps {
			if !fn(q) {
				return false
			}
		}
		return true
	}
	switch g := g.(type) {
	case orb.Point:
		return fn(g)
	case orb.MultiPoint:
		return pts(g)
	case orb.LineString:
		return pts(g)
	case orb.Ring:
		return pts(g)
	case orb.MultiLineString:
		for _, l := range g {
			if !pts(l) {
				return false
			}
		}
	case orb.Polygon:
		for _, r := range g {
			if !pts(r) {
				return false
			}
		}
	case orb.MultiPolygon:
		for _, p := range g {
			if !eachVertex(p, fn) {
				return false
			}
		}
	case orb.Collection:
		for _, c := range g {
			if !eachVertex(c, fn) {
				return false
			}
		}
	}
	return true
}
