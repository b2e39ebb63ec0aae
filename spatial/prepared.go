package spatial

import (
	"math"

	"github.com/paulmach/orb"
	"github.com/truce-project/truce/geo"
)

// prepared is a polygonal area ready for fast point location. Its vertices
// are held once, every ring of every part back to back in pts (the zone's
// area geometry is rebuilt over the same array, so the exact tests and the
// crossing test read one copy); the non-horizontal edges, named by the index
// of their first vertex, are bucketed into horizontal bands (the crossing
// parity over all rings of a valid (multi)polygon is its inside test).
// A band entry is four bytes where a copied edge took 32: an edge that
// spans several bands is listed in each, so the entries outnumber the
// vertices about two to one, and they were most of a zone's memory.
type prepared struct {
	minX, minY, maxX, maxY float64
	invH                   float64 // bands per degree of latitude
	nb                     int
	offs                   []uint32 // band i holds edges[offs[i]:offs[i+1]]
	edges                  []uint32 // edge from pts[e] to pts[e+1]
	pts                    []orb.Point

	// A g×g raster over the bounding box says, for cells that no edge
	// touches, whether the cell is inside or outside, so most points are
	// answered by one lookup; only cells on the boundary scan their band.
	// Cells take two bits each, four to a byte.
	g          int
	invW, invR float64 // cells per degree across and up
	cells      []uint8
}

const (
	cellOut uint8 = iota
	cellIn
	cellEdge
)

func (p *prepared) cell(i int) uint8 { return p.cells[i>>2] >> (2 * (i & 3)) & 3 }

func (p *prepared) setCell(i int, c uint8) {
	b := &p.cells[i>>2]
	*b = *b&^(3<<(2*(i&3))) | c<<(2*(i&3))
}

// bandTarget is the mean number of edges a band aims at: small enough that
// a test reads a handful of edges, large enough that long edges are not
// listed in many bands.
const bandTarget = 2

// prepare returns area prepared, and area rebuilt over the prepared
// vertices (the caller keeps that one and drops its own).
func prepare(area orb.Geometry) (*prepared, orb.Geometry) {
	return prepareRaster(area, 4)
}

// prepareRaster is prepare with a raster of at least minG×minG cells
// (at most 64×64 either way).
func prepareRaster(area orb.Geometry, minG int) (*prepared, orb.Geometry) {
	polys := polygons(area)
	n := 0
	for _, poly := range polys {
		for _, r := range poly {
			n += len(r)
		}
	}
	p := &prepared{minX: math.Inf(1), minY: math.Inf(1), maxX: math.Inf(-1), maxY: math.Inf(-1)}
	p.pts = make([]orb.Point, 0, n)
	var es []uint32 // non-horizontal edges
	rebuilt := make(orb.MultiPolygon, len(polys))
	for i, poly := range polys {
		rebuilt[i] = make(orb.Polygon, len(poly))
		for j, r := range poly {
			s := len(p.pts)
			p.pts = append(p.pts, r...)
			rebuilt[i][j] = orb.Ring(p.pts[s:len(p.pts):len(p.pts)])
			for k := s; k+1 < len(p.pts); k++ {
				if p.pts[k][1] != p.pts[k+1][1] {
					es = append(es, uint32(k))
				}
			}
			for _, q := range r {
				p.minX, p.maxX = math.Min(p.minX, q[0]), math.Max(p.maxX, q[0])
				p.minY, p.maxY = math.Min(p.minY, q[1]), math.Max(p.maxY, q[1])
			}
		}
	}
	if _, ok := area.(orb.Polygon); ok {
		area = rebuilt[0]
	} else {
		area = rebuilt
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
	span := func(e uint32) (int, int) {
		y0, y1 := p.pts[e][1], p.pts[e+1][1]
		if y0 > y1 {
			y0, y1 = y1, y0
		}
		return band(y0), band(y1)
	}
	counts := make([]uint32, nb+1)
	for _, e := range es {
		b0, b1 := span(e)
		for i := b0; i <= b1; i++ {
			counts[i+1]++
		}
	}
	for i := 1; i <= nb; i++ {
		counts[i] += counts[i-1]
	}
	p.offs = counts
	p.edges = make([]uint32, counts[nb])
	fill := make([]uint32, nb)
	copy(fill, counts[:nb])
	for _, e := range es {
		b0, b1 := span(e)
		for i := b0; i <= b1; i++ {
			p.edges[fill[i]] = e
			fill[i]++
		}
	}
	p.raster(polys, minG)
	return p, area
}

// raster classifies the cells of a grid over the bounding box. A cell that
// any edge (horizontal ones included) comes within rasterEps of is marked
// cellEdge; every other cell takes the inside/outside state of its centre.
func (p *prepared) raster(polys []orb.Polygon, minG int) {
	edges := len(p.pts) // about the number of edges, horizontal ones included
	g := int(2 * math.Sqrt(float64(edges)))
	g = min(max(minG, g), 64)
	w, h := p.maxX-p.minX, p.maxY-p.minY
	if !(w > 0 && h > 0) {
		return // degenerate: leave g = 0, every test scans its band
	}
	p.g = g
	p.invW, p.invR = float64(g)/w, float64(g)/h
	p.cells = make([]uint8, (g*g+3)/4)
	cx := func(x float64) int { return max(0, min(g-1, int((x-p.minX)*p.invW))) }
	cy := func(y float64) int { return max(0, min(g-1, int((y-p.minY)*p.invR))) }
	const eps = rasterEps
	for _, poly := range polys {
		for _, r := range poly {
			for k := 0; k+1 < len(r); k++ {
				a, b := r[k], r[k+1]
				if a[1] > b[1] {
					a, b = b, a
				}
				y0, y1 := a[1], b[1]
				var kk float64 // dx/dy of a non-horizontal edge
				if y0 != y1 {
					kk = (b[0] - a[0]) / (b[1] - a[1])
				}
				for j := cy(y0 - eps); j <= cy(y1+eps); j++ {
					var xa, xb float64
					if y0 == y1 {
						xa, xb = a[0], b[0] // horizontal: all of it
					} else {
						// The part of the edge within this row's y-span.
						ya := math.Max(y0, p.minY+float64(j)/p.invR)
						yb := math.Min(y1, p.minY+float64(j+1)/p.invR)
						if ya > yb {
							ya, yb = y0, y1 // rounding at the row's edge: take it all
						}
						xa, xb = a[0]+(ya-y0)*kk, a[0]+(yb-y0)*kk
					}
					if xa > xb {
						xa, xb = xb, xa
					}
					for i := cx(xa - eps); i <= cx(xb+eps); i++ {
						p.setCell(j*g+i, cellEdge)
					}
				}
			}
		}
	}
	for j := range g {
		for i := range g {
			if p.cell(j*g+i) == cellEdge {
				continue
			}
			x := p.minX + (float64(i)+0.5)/p.invW
			y := p.minY + (float64(j)+0.5)/p.invR
			if p.scan(x, y) {
				p.setCell(j*g+i, cellIn)
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
		switch p.cell(cj*p.g + ci) {
		case cellIn:
			return true
		case cellOut:
			return false
		}
	}
	return p.scan(x, y)
}

// containsExact is contains with every crossing decided by an exact
// orientation (geo.Orient) rather than by the edge's x computed at y: a
// point within a rounding error of an edge, which the float test may put
// on the wrong side, is then on its true side. A point on the boundary
// may be answered either way.
func (p *prepared) containsExact(x, y float64) bool {
	if !(x >= p.minX && x <= p.maxX && y >= p.minY && y <= p.maxY) {
		return false
	}
	if p.g > 0 {
		// Inside and outside cells are clear of every edge by rasterEps,
		// far more than any rounding.
		ci := min(int((x-p.minX)*p.invW), p.g-1)
		cj := min(int((y-p.minY)*p.invR), p.g-1)
		switch p.cell(cj*p.g + ci) {
		case cellIn:
			return true
		case cellOut:
			return false
		}
	}
	i := min(int((y-p.minY)*p.invH), p.nb-1)
	in := false
	q := orb.Point{x, y}
	for _, e := range p.edges[p.offs[i]:p.offs[i+1]] {
		a, b := p.pts[e], p.pts[e+1]
		if (y >= a[1]) == (y >= b[1]) {
			continue
		}
		if a[1] > b[1] {
			a, b = b, a
		}
		// Upwards a→b, q to its left is q west of the edge at y.
		if geo.Orient(a, b, q) > 0 {
			in = !in
		}
	}
	return in
}

// scan is the crossing test over the edges of y's band.
func (p *prepared) scan(x, y float64) bool {
	i := int((y - p.minY) * p.invH)
	if i >= p.nb {
		i = p.nb - 1
	}
	in := false
	for _, e := range p.edges[p.offs[i]:p.offs[i+1]] {
		a, b := p.pts[e], p.pts[e+1]
		// y in [lower y, upper y): exactly one end at or below y.
		if (y >= a[1]) == (y >= b[1]) {
			continue
		}
		if a[1] > b[1] {
			a, b = b, a
		}
		// x at y from the lower end, as the raster computes it.
		if a[0]+(y-a[1])*((b[0]-a[0])/(b[1]-a[1])) > x {
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
			if p.cell(j*p.g+i) != cellOut {
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
		found = p.cell(j*p.g+i) == cellIn
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

// polygons returns the polygons of a Polygon or MultiPolygon (nil for
// any other geometry).
func polygons(g orb.Geometry) []orb.Polygon {
	switch g := g.(type) {
	case orb.Polygon:
		return []orb.Polygon{g}
	case orb.MultiPolygon:
		return g
	}
	return nil
}
