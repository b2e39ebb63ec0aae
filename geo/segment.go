package geo

import "github.com/paulmach/orb"

// SegmentsMeet reports whether the closed segments a-b and c-d share a
// point. It decides with the same robust orientation test as [Relate], so
// that an index walking edges of its own agrees with [Intersects] on
// touching and collinear edges; it allocates only when the float test
// cannot prove an orientation's sign.
func SegmentsMeet(a, b, c, d orb.Point) bool {
	k, _, _, _ := intersect(a, b, c, d)
	return k != isectNone
}

// Orient returns the side of the line through a and b that c is on: 1 to
// the left (a, b, c turn counter-clockwise), -1 to the right, 0 on the
// line. The sign is exact: it is computed in floating point when that
// proves it and in rational arithmetic otherwise, as [Relate] decides.
func Orient(a, b, c orb.Point) int {
	return orient(a, b, c)
}
