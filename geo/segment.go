package geo

import (
	"math"

	"github.com/paulmach/orb"
)

// SegmentsMeet reports whether the closed segments a-b and c-d share a
// point. It decides with the same robust orientation test as [Relate], so
// that an index walking edges of its own agrees with [Intersects] on
// touching and collinear edges; it allocates only when the float test
// cannot prove an orientation's sign.
func SegmentsMeet(a, b, c, d orb.Point) bool {
	if math.Max(a[0], b[0]) < math.Min(c[0], d[0]) || math.Max(c[0], d[0]) < math.Min(a[0], b[0]) ||
		math.Max(a[1], b[1]) < math.Min(c[1], d[1]) || math.Max(c[1], d[1]) < math.Min(a[1], b[1]) {
		return false
	}
	// intersect's signs, each pair checked as soon as it is known, and
	// without the crossing point it computes: most pairs an index sends
	// here are apart, and c and d on one side of a-b says so.
	o1, o2 := orient(a, b, c), orient(a, b, d)
	if o1*o2 > 0 {
		return false
	}
	o3, o4 := orient(c, d, a), orient(c, d, b)
	if o3*o4 > 0 {
		return false
	}
	if o1 == 0 && o2 == 0 && o3 == 0 && o4 == 0 {
		k, _, _, _ := intersect(a, b, c, d) // collinear: do they overlap?
		return k != isectNone
	}
	return true
}

// Orient returns the side of the line through a and b that c is on: 1 to
// the left (a, b, c turn counter-clockwise), -1 to the right, 0 on the
// line. The sign is exact: it is computed in floating point when that
// proves it and in rational arithmetic otherwise, as [Relate] decides.
func Orient(a, b, c orb.Point) int {
	return orient(a, b, c)
}
