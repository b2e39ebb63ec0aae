package geo

import (
	"math"
	"math/big"

	"github.com/paulmach/orb"
)

// orient returns the sign of the cross product (b-a)×(c-a): +1 when c lies
// left of the directed line a→b, -1 right, 0 on it. The float result is used
// when its error bound (Shewchuk's ccwerrboundA) proves the sign; otherwise
// the determinant is evaluated exactly in rationals, so topology never
// depends on rounding.
func orient(a, b, c orb.Point) int {
	detL := (b[0] - a[0]) * (c[1] - a[1])
	detR := (b[1] - a[1]) * (c[0] - a[0])
	det := detL - detR
	bound := (3.3306690738754716e-16) * (math.Abs(detL) + math.Abs(detR))
	if det > bound {
		return 1
	}
	if det < -bound {
		return -1
	}
	if bound == 0 && det == 0 {
		// Both products are exactly zero.
		return 0
	}
	if c == a || c == b || a == b {
		// The common case of neighbouring edges sharing a vertex.
		return 0
	}
	return orientExact(a, b, c)
}

func orientExact(a, b, c orb.Point) int {
	var bx, by, cx, cy, t1, t2 big.Rat
	ax, ay := new(big.Rat), new(big.Rat)
	if ax.SetFloat64(a[0]) == nil || ay.SetFloat64(a[1]) == nil {
		return 0
	}
	if bx.SetFloat64(b[0]) == nil || by.SetFloat64(b[1]) == nil || cx.SetFloat64(c[0]) == nil || cy.SetFloat64(c[1]) == nil {
		return 0
	}
	bx.Sub(&bx, ax)
	by.Sub(&by, ay)
	cx.Sub(&cx, ax)
	cy.Sub(&cy, ay)
	t1.Mul(&bx, &cy)
	t2.Mul(&by, &cx)
	return t1.Cmp(&t2)
}

// between reports whether p, known to be collinear with a and b, lies on the
// closed segment a-b.
func between(p, a, b orb.Point) bool {
	return math.Min(a[0], b[0]) <= p[0] && p[0] <= math.Max(a[0], b[0]) &&
		math.Min(a[1], b[1]) <= p[1] && p[1] <= math.Max(a[1], b[1])
}

// onSegment reports whether p lies on the closed segment a-b.
func onSegment(p, a, b orb.Point) bool {
	return between(p, a, b) && orient(a, b, p) == 0
}

type isectKind int

const (
	isectNone    isectKind = iota
	isectPoint             // one point; p0 holds it
	isectOverlap           // collinear overlap of positive length from p0 to p1
)

// intersect finds the intersection of the closed segments a-b and c-d. When
// the single intersection point is an endpoint of either segment, that
// endpoint is returned exactly; only a proper crossing is computed, and is
// then clamped into both segments' boxes.
func intersect(a, b, c, d orb.Point) (k isectKind, p0, p1 orb.Point, proper bool) {
	if math.Max(a[0], b[0]) < math.Min(c[0], d[0]) || math.Max(c[0], d[0]) < math.Min(a[0], b[0]) ||
		math.Max(a[1], b[1]) < math.Min(c[1], d[1]) || math.Max(c[1], d[1]) < math.Min(a[1], b[1]) {
		return isectNone, p0, p1, false
	}
	o1 := orient(a, b, c)
	o2 := orient(a, b, d)
	o3 := orient(c, d, a)
	o4 := orient(c, d, b)
	if o1 == 0 && o2 == 0 && o3 == 0 && o4 == 0 {
		// Collinear: the overlap is the middle two of the four points.
		var pts [4]orb.Point
		n := 0
		for _, p := range [4]orb.Point{a, b, c, d} {
			if between(p, a, b) && between(p, c, d) {
				dup := false
				for i := 0; i < n; i++ {
					if pts[i] == p {
						dup = true
					}
				}
				if !dup {
					pts[n] = p
					n++
				}
			}
		}
		switch n {
		case 0:
			return isectNone, p0, p1, false
		case 1:
			return isectPoint, pts[0], p1, false
		default:
			return isectOverlap, pts[0], pts[1], false
		}
	}
	if o1*o2 > 0 || o3*o4 > 0 {
		return isectNone, p0, p1, false
	}
	switch {
	case o1 == 0:
		return isectPoint, c, p1, false
	case o2 == 0:
		return isectPoint, d, p1, false
	case o3 == 0:
		return isectPoint, a, p1, false
	case o4 == 0:
		return isectPoint, b, p1, false
	}
	// Proper crossing. The segments are put in a canonical order first so
	// that the same two segments give the same rounded point whichever way
	// round they are passed: pieces of edges then meet exactly at nodes.
	if less(b, a) {
		a, b = b, a
	}
	if less(d, c) {
		c, d = d, c
	}
	if less(c, a) || (c == a && less(d, b)) {
		a, b, c, d = c, d, a, b
	}
	den := (b[0]-a[0])*(d[1]-c[1]) - (b[1]-a[1])*(d[0]-c[0])
	t := ((c[0]-a[0])*(d[1]-c[1]) - (c[1]-a[1])*(d[0]-c[0])) / den
	p := orb.Point{a[0] + t*(b[0]-a[0]), a[1] + t*(b[1]-a[1])}
	p[0] = clamp(p[0], math.Max(math.Min(a[0], b[0]), math.Min(c[0], d[0])), math.Min(math.Max(a[0], b[0]), math.Max(c[0], d[0])))
	p[1] = clamp(p[1], math.Max(math.Min(a[1], b[1]), math.Min(c[1], d[1])), math.Min(math.Max(a[1], b[1]), math.Max(c[1], d[1])))
	return isectPoint, p, p1, true
}

func less(p, q orb.Point) bool {
	return p[0] < q[0] || (p[0] == q[0] && p[1] < q[1])
}

func clamp(v, lo, hi float64) float64 {
	if v < lo {
		return lo
	}
	if v > hi {
		return hi
	}
	return v
}

// Location is where a point lies relative to a geometry in the DE-9IM sense.
type Location int8

// The three locations of the DE-9IM.
const (
	Interior Location = iota
	Boundary
	Exterior
)

// ringLocate locates p against a closed ring by the crossing-number rule,
// reporting Boundary when p is on an edge.
func ringLocate(p orb.Point, r []orb.Point) Location {
	n := len(r)
	if n < 2 {
		return Exterior
	}
	inside := false
	for i := 0; i < n-1; i++ {
		a, b := r[i], r[i+1]
		if (a[1] > p[1]) != (b[1] > p[1]) {
			// The edge straddles the ray's height: find which side p is on.
			o := orient(a, b, p)
			if o == 0 {
				return Boundary
			}
			if (o > 0) == (b[1] > a[1]) {
				inside = !inside
			}
		} else if (a[1] == p[1] || b[1] == p[1]) && onSegment(p, a, b) {
			return Boundary
		}
	}
	return locFromBool(inside)
}

func locFromBool(in bool) Location {
	if in {
		return Interior
	}
	return Exterior
}
