package control

import (
	"math"
	"slices"
	"strings"
	"time"

	"github.com/paulmach/orb"
	"github.com/truce-project/truce/geo"
)

// Guarded is a guarantee with its area decoded, as breach detection reads
// it.
type Guarded struct {
	*Guarantee
	Area orb.Geometry
}

// Change is a control change as breach detection reads it: an actor
// holding an area from From until To (nil: still).
type Change struct {
	ActorID string
	Area    orb.Geometry
	From    time.Time
	To      *time.Time
}

// Finding is one guarantee a control change breaches.
type Finding struct {
	Guarantee *Guarantee
	// At is when the breach began: the later of the change's and the
	// guarantee's starts.
	At time.Time
}

// Breaches returns the guarantees among gs that c breaches, in gs's
// order: those whose period overlaps c's, that do not allow c's actor,
// and whose area shares interior with c's (ground that only touches the
// guaranteed area along its edge is not part of it). It is pure: the
// caller chooses gs (Index.Candidates narrows them by box).
func Breaches(c Change, gs []Guarded) []Finding {
	var out []Finding
	cb := c.Area.Bound()
	for _, g := range gs {
		if slices.Contains(g.Allowed, c.ActorID) {
			continue
		}
		if !overlapsPeriod(c.From, c.To, g.From, g.To) {
			continue
		}
		if !boxesOverlap(cb, g.Area.Bound()) || !interiorsMeet(c.Area, g.Area) {
			continue
		}
		at := c.From
		if g.From.After(at) {
			at = g.From
		}
		out = append(out, Finding{Guarantee: g.Guarantee, At: at})
	}
	return out
}

// overlapsPeriod reports whether [af, at) and [bf, bt) share an instant
// (nil ends: open).
func overlapsPeriod(af time.Time, at *time.Time, bf time.Time, bt *time.Time) bool {
	return (at == nil || bf.Before(*at)) && (bt == nil || af.Before(*bt))
}

// boxesOverlap reports whether two boxes share interior: shapes whose
// boxes only touch cannot share interior, so tiles that meet along an
// edge need no DE-9IM.
func boxesOverlap(a, b orb.Bound) bool {
	return a.Min[0] < b.Max[0] && b.Min[0] < a.Max[0] && a.Min[1] < b.Max[1] && b.Min[1] < a.Max[1]
}

// interiorsMeet reports whether a and b share interior (DE-9IM II ≥ 0):
// contested ground, or a guaranteed area partly held.
func interiorsMeet(a, b orb.Geometry) bool {
	m, err := geo.Relate(a, b)
	return err == nil && m.Matches("T********")
}

// Index is a grid over boxes, for the guarantees a control change may
// breach and the control areas a map compares: a box is filed under each
// cell it covers, and a query reads the cells its box covers. Cells are
// CellDeg degrees; a box covering more than maxCells cells is filed as
// large and read by every query, so a country-sized area costs one entry.
type Index[T any] struct {
	cell  float64
	cells map[[2]int32][]int32
	large []int32
	items []T
	boxes []orb.Bound
	seen  []uint32
	epoch uint32
}

// CellDeg is the grid's cell size in degrees: about 11 km, the size of a
// sub-district, so most areas sit in one to four cells.
const CellDeg = 0.1

const maxCells = 256

// NewIndex returns an empty index.
func NewIndex[T any]() *Index[T] {
	return &Index[T]{cell: CellDeg, cells: map[[2]int32][]int32{}}
}

// Len returns the number of items.
func (x *Index[T]) Len() int { return len(x.items) }

// Add files item under box b.
func (x *Index[T]) Add(b orb.Bound, item T) {
	i := int32(len(x.items))
	x.items = append(x.items, item)
	x.boxes = append(x.boxes, b)
	x.seen = append(x.seen, 0)
	x0, y0, x1, y1 := x.span(b)
	if int64(x1-x0+1)*int64(y1-y0+1) > maxCells {
		x.large = append(x.large, i)
		return
	}
	for cx := x0; cx <= x1; cx++ {
		for cy := y0; cy <= y1; cy++ {
			k := [2]int32{cx, cy}
			x.cells[k] = append(x.cells[k], i)
		}
	}
}

func (x *Index[T]) span(b orb.Bound) (x0, y0, x1, y1 int32) {
	f := func(v float64) int32 { return int32(math.Floor(v / x.cell)) }
	return f(b.Min[0]), f(b.Min[1]), f(b.Max[0]), f(b.Max[1])
}

// Search calls fn with each item whose box meets b, once each, until fn
// returns false. It is not safe for concurrent use (it marks what it has
// seen).
func (x *Index[T]) Search(b orb.Bound, fn func(T) bool) {
	x.epoch++
	if x.epoch == 0 {
		clear(x.seen)
		x.epoch = 1
	}
	visit := func(i int32) bool {
		if x.seen[i] == x.epoch {
			return true
		}
		x.seen[i] = x.epoch
		if !x.boxes[i].Intersects(b) {
			return true
		}
		return fn(x.items[i])
	}
	for _, i := range x.large {
		if !visit(i) {
			return
		}
	}
	x0, y0, x1, y1 := x.span(b)
	if int64(x1-x0+1)*int64(y1-y0+1) > maxCells {
		// A query larger than the grid reads every item.
		for i := range x.items {
			if !visit(int32(i)) {
				return
			}
		}
		return
	}
	for cx := x0; cx <= x1; cx++ {
		for cy := y0; cy <= y1; cy++ {
			for _, i := range x.cells[[2]int32{cx, cy}] {
				if !visit(i) {
					return
				}
			}
		}
	}
}

// Check returns the breaches of c among the guarantees in x: the
// candidates whose box meets c's, then Breaches.
func Check(x *Index[Guarded], c Change) []Finding {
	var cand []Guarded
	x.Search(c.Area.Bound(), func(g Guarded) bool { cand = append(cand, g); return true })
	return Breaches(c, cand)
}

// Sighting is a verified incident of the kind "non-state actor overtakes
// territory" (package observation) as breach detection reads it: where
// it happened (its located centre), its time window, and the actor it
// is attributed to — ActorID when the attribution names a known actor
// (ResolveActor), else empty.
type Sighting struct {
	IncidentID  string
	Point       orb.Point
	Start, End  time.Time
	ActorID     string
	Attribution string
}

// IncidentBreaches returns the guarantees among gs that a sighting
// breaches, in gs's order: those in force at some instant of its window
// (Start ≤ t ≤ End), whose area covers its point (the boundary counts:
// the edge of a guaranteed area is part of it), and that do not allow its
// actor. An incident attributed to no known actor is taken by an actor
// the guarantee does not allow: the monitors verified that territory was
// overtaken, and only an allowed actor's taking is not a breach.
func IncidentBreaches(s Sighting, gs []Guarded) []Finding {
	var out []Finding
	end := s.End
	if end.Before(s.Start) {
		end = s.Start
	}
	for _, g := range gs {
		if s.ActorID != "" && slices.Contains(g.Allowed, s.ActorID) {
			continue
		}
		// The window [Start, End] and the guarantee [From, To) share an
		// instant.
		if end.Before(g.From) || (g.To != nil && !s.Start.Before(*g.To)) {
			continue
		}
		if !g.Area.Bound().Contains(s.Point) || !geo.Covers(g.Area, s.Point) {
			continue
		}
		at := s.Start
		if g.From.After(at) {
			at = g.From
		}
		out = append(out, Finding{Guarantee: g.Guarantee, At: at})
	}
	return out
}

// CheckSighting returns the breaches of s among the guarantees in x: the
// candidates whose box holds its point, then IncidentBreaches.
func CheckSighting(x *Index[Guarded], s Sighting) []Finding {
	var cand []Guarded
	x.Search(orb.Bound{Min: s.Point, Max: s.Point}, func(g Guarded) bool { cand = append(cand, g); return true })
	return IncidentBreaches(s, cand)
}

// ResolveActor returns the actor an attribution names, or nil: the actor
// whose id or slug it is, else the one with a name (in any language) or
// alias equal to it, ignoring case and surrounding space. A name shared by
// two actors names neither: a breach is not pinned on a guess.
func ResolveActor(attribution string, actors []*Actor) *Actor {
	want := strings.TrimSpace(attribution)
	if want == "" {
		return nil
	}
	for _, a := range actors {
		if a.ID == want || a.Slug == strings.ToLower(want) {
			return a
		}
	}
	var found *Actor
	for _, a := range actors {
		match := false
		for _, n := range a.Names {
			match = match || strings.EqualFold(strings.TrimSpace(n), want)
		}
		for _, n := range a.Aliases {
			match = match || strings.EqualFold(strings.TrimSpace(n), want)
		}
		if !match {
			continue
		}
		if found != nil {
			return nil
		}
		found = a
	}
	return found
}
