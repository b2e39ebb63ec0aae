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
