package spatial

import "math"

// cand is one zone in a grid cell, with its box inline so that most
// rejections touch no zone memory.
type cand struct {
	minX, minY, maxX, maxY float64
	z                      *zone
}

// pointGrid is a uniform grid over the zones' extent whose cells list the
// zones whose bounding boxes overlap them: the point query's candidate
// search in one division and one slice, where an R-tree descends three
// levels of up to 64 boxes each. It is immutable, built with its snapshot.
type pointGrid struct {
	minX, minY float64
	maxX, maxY float64
	invW, invH float64 // cells per degree
	nx, ny     int
	offs       []uint32 // cell c holds items[offs[c]:offs[c+1]]
	items      []cand
	built      int // the number of zones the cells were sized for
}

// gridCellsPerZone sets the grid size: about this many cells per zone keeps
// cells near the size of a typical zone, so a cell lists a few zones and a
// zone sits in a few cells.
const gridCellsPerZone = 4

func newPointGrid(zs map[string]*zone) *pointGrid {
	g := &pointGrid{}
	if len(zs) == 0 {
		return g
	}
	minX, minY, maxX, maxY := math.Inf(1), math.Inf(1), math.Inf(-1), math.Inf(-1)
	for _, z := range zs {
		minX, minY = math.Min(minX, z.min[0]), math.Min(minY, z.min[1])
		maxX, maxY = math.Max(maxX, z.max[0]), math.Max(maxY, z.max[1])
	}
	w, h := math.Max(maxX-minX, 1e-9), math.Max(maxY-minY, 1e-9)
	cells := float64(min(gridCellsPerZone*len(zs), 1<<20))
	// Square-ish cells: nx/ny follows the extent's aspect.
	g.nx = max(1, int(math.Sqrt(cells*w/h)))
	g.ny = max(1, int(cells)/g.nx)
	g.minX, g.minY, g.maxX, g.maxY = minX, minY, maxX, maxY
	g.invW, g.invH = float64(g.nx)/w, float64(g.ny)/h
	g.built = len(zs)
	counts := make([]uint32, g.nx*g.ny+1)
	g.each(zs, func(c int, _ *zone) { counts[c+1]++ })
	for i := 1; i < len(counts); i++ {
		counts[i] += counts[i-1]
	}
	g.offs = counts
	g.items = make([]cand, counts[len(counts)-1])
	fill := make([]uint32, g.nx*g.ny)
	copy(fill, counts)
	g.each(zs, func(c int, z *zone) {
		g.items[fill[c]] = cand{z.min[0], z.min[1], z.max[0], z.max[1], z}
		fill[c]++
	})
	return g
}

func (g *pointGrid) cell(x, y float64) (int, int) {
	i := int((x - g.minX) * g.invW)
	j := int((y - g.minY) * g.invH)
	return max(0, min(i, g.nx-1)), max(0, min(j, g.ny-1))
}

func (g *pointGrid) each(zs map[string]*zone, fn func(c int, z *zone)) {
	for _, z := range zs {
		i0, j0 := g.cell(z.min[0], z.min[1])
		i1, j1 := g.cell(z.max[0], z.max[1])
		for j := j0; j <= j1; j++ {
			for i := i0; i <= i1; i++ {
				fn(j*g.nx+i, z)
			}
		}
	}
}

// candidates returns the zones whose cell holds (x, y); the caller checks
// their boxes. x and y must be finite.
func (g *pointGrid) candidates(x, y float64) []cand {
	if g.nx == 0 {
		return nil
	}
	i := int((x - g.minX) * g.invW)
	j := int((y - g.minY) * g.invH)
	if i < 0 || j < 0 || i >= g.nx || j >= g.ny {
		// Outside the extent only the edge cells' boxes could still hold
		// the point (rounding); clamping keeps that exact.
		if x < g.minX || y < g.minY || x > g.maxX || y > g.maxY {
			return nil
		}
		i, j = max(0, min(i, g.nx-1)), max(0, min(j, g.ny-1))
	}
	c := j*g.nx + i
	return g.items[g.offs[c]:g.offs[c+1]]
}

// with returns a copy of the grid without zone del and with zone add (either
// may be nil), or nil when add reaches outside the grid's extent or the
// zone count has drifted too far from the one the cells were sized for; the
// caller then rebuilds. It costs one pass over the cells and their lists,
// where a rebuild places every zone again: a single zone change is applied
// in a fraction of a millisecond at 5,000 zones.
func (g *pointGrid) with(del, add *zone, zones int) *pointGrid {
	if g.nx == 0 || zones < g.built*9/10 || zones > g.built*11/10 {
		return nil
	}
	if add != nil && (add.min[0] < g.minX || add.min[1] < g.minY || add.max[0] > g.maxX || add.max[1] > g.maxY) {
		return nil
	}
	n := &pointGrid{minX: g.minX, minY: g.minY, maxX: g.maxX, maxY: g.maxY, invW: g.invW, invH: g.invH, nx: g.nx, ny: g.ny, built: g.built}
	cells := g.nx * g.ny
	var ai0, aj0, ai1, aj1 int
	if add != nil {
		ai0, aj0 = g.cell(add.min[0], add.min[1])
		ai1, aj1 = g.cell(add.max[0], add.max[1])
	}
	n.offs = make([]uint32, cells+1)
	n.items = make([]cand, 0, len(g.items)+(ai1-ai0+1)*(aj1-aj0+1))
	for c := 0; c < cells; c++ {
		for _, it := range g.items[g.offs[c]:g.offs[c+1]] {
			if it.z != del {
				n.items = append(n.items, it)
			}
		}
		if add != nil {
			i, j := c%g.nx, c/g.nx
			if i >= ai0 && i <= ai1 && j >= aj0 && j <= aj1 {
				n.items = append(n.items, cand{add.min[0], add.min[1], add.max[0], add.max[1], add})
			}
		}
		n.offs[c+1] = uint32(len(n.items))
	}
	return n
}
