package geo

import (
	"math"

	"github.com/paulmach/orb"
)

// Area returns the area in square metres on the WGS84 ellipsoid of the
// polygons in g (a Ring, Polygon, MultiPolygon or a Collection of them;
// other types have none): for each polygon, what its exterior ring
// encloses less what its holes enclose. Edges are straight in longitude and
// latitude, as RFC 7946 §3.1.1 reads them, so the area is the integral of
// the ellipsoid's area element M·N·cos φ over the region in (λ, φ), taken as
// a line integral around each ring (Green's theorem) with the
// latitude-integral evaluated by Gauss–Legendre quadrature and averaged
// along each edge by Simpson's rule. Over Truce's region that agrees with
// the geodesic-edged area to well under 0.01 % and, more to the point, is
// precise to a few square centimetres for a governorate, so the area a
// repair changes ([MakeValid]) can be told from rounding.
//
// For an invalid polygon the result is what this formula gives, which is
// the meaningful "before" figure of a repair: a bow-tie's two lobes cancel.
func Area(g orb.Geometry) float64 {
	switch g := g.(type) {
	case orb.Ring:
		return math.Abs(ringArea(g))
	case orb.Polygon:
		return polygonArea(g)
	case orb.MultiPolygon:
		var s float64
		for _, p := range g {
			s += polygonArea(p)
		}
		return s
	case orb.Collection:
		var s float64
		for _, c := range g {
			s += Area(c)
		}
		return s
	}
	return 0
}

// AreaChange compares the area of a geometry before and after a repair:
// delta is after minus before in square metres, relative is |delta| over
// the larger of the two areas (0 when both are 0), so it stays within
// [0, 1] even for a bow-tie whose "before" area cancels to nothing.
func AreaChange(before, after orb.Geometry) (delta, relative float64) {
	a, b := Area(before), Area(after)
	delta = b - a
	if m := math.Max(math.Abs(a), math.Abs(b)); m > 0 {
		relative = math.Abs(delta) / m
	}
	return delta, relative
}

func polygonArea(p orb.Polygon) float64 {
	if len(p) == 0 {
		return 0
	}
	s := math.Abs(ringArea(p[0]))
	for _, h := range p[1:] {
		s -= math.Abs(ringArea(h))
	}
	return s
}

// ringArea is the signed area of r, positive when counter-clockwise:
// −∮ G(φ) dλ where G(φ) = ∫ from φ0 to φ of M·N·cos φ', with φ0 the ring's
// first latitude so that the terms stay small.
func ringArea(r orb.Ring) float64 {
	if len(r) < 3 {
		return 0
	}
	phi0 := r[0][1] * deg
	var s float64
	for i := range r {
		// An unclosed ring is read as closed.
		p, q := r[i], r[(i+1)%len(r)]
		if p == q || p[0] == q[0] {
			continue
		}
		dl := (q[0] - p[0]) * deg
		p1, p2 := p[1]*deg, q[1]*deg
		avg := (latIntegral(phi0, p1) + 4*latIntegral(phi0, (p1+p2)/2) + latIntegral(phi0, p2)) / 6
		s -= dl * avg
	}
	return s
}

// Gauss–Legendre nodes and weights on [-1, 1], five points.
var (
	glX = [5]float64{0, -0.5384693101056831, 0.5384693101056831, -0.9061798459386640, 0.9061798459386640}
	glW = [5]float64{0.5688888888888889, 0.4786286704993665, 0.4786286704993665, 0.2369268850561891, 0.2369268850561891}
)

// latIntegral is ∫ from a to b of M(φ)·N(φ)·cos φ dφ, the area per radian
// of longitude of the band between latitudes a and b (radians).
func latIntegral(a, b float64) float64 {
	if a == b {
		return 0
	}
	const e2 = wgs84F * (2 - wgs84F)
	h, m := (b-a)/2, (a+b)/2
	var s float64
	for i, x := range glX {
		phi := m + h*x
		sin, cos := math.Sincos(phi)
		w := 1 - e2*sin*sin
		s += glW[i] * cos / (w * w)
	}
	return wgs84A * wgs84A * (1 - e2) * h * s
}
