package spatial

import (
	"math/big"

	"github.com/paulmach/orb"
)

// The oracle below decides whether two polygons share a point in exact
// rational arithmetic (math/big), sharing no code with geo or this
// package: a float64 coordinate is a rational number, so every sign it
// computes is the true one. It is slow and only for tests.

type ratPoint struct{ x, y *big.Rat }

func ratOf(p orb.Point) ratPoint {
	return ratPoint{new(big.Rat).SetFloat64(p[0]), new(big.Rat).SetFloat64(p[1])}
}

// ratOrient is the sign of the cross product (b-a)×(c-a): 1 when c is
// left of a→b, -1 right, 0 on the line.
func ratOrient(a, b, c ratPoint) int {
	var bx, by, cx, cy, l, r big.Rat
	bx.Sub(b.x, a.x)
	by.Sub(b.y, a.y)
	cx.Sub(c.x, a.x)
	cy.Sub(c.y, a.y)
	l.Mul(&bx, &cy)
	r.Mul(&by, &cx)
	return l.Cmp(&r)
}

// ratWithin reports whether c, collinear with a and b, is on the closed
// segment a-b.
func ratWithin(c, a, b ratPoint) bool {
	in := func(v, p, q *big.Rat) bool {
		if p.Cmp(q) > 0 {
			p, q = q, p
		}
		return p.Cmp(v) <= 0 && v.Cmp(q) <= 0
	}
	return in(c.x, a.x, b.x) && in(c.y, a.y, b.y)
}

// ratSegmentsMeet reports whether the closed segments a-b and c-d share
// a point.
func ratSegmentsMeet(a, b, c, d ratPoint) bool {
	o1, o2 := ratOrient(a, b, c), ratOrient(a, b, d)
	o3, o4 := ratOrient(c, d, a), ratOrient(c, d, b)
	if o1*o2 < 0 && o3*o4 < 0 {
		return true
	}
	return o1 == 0 && ratWithin(c, a, b) || o2 == 0 && ratWithin(d, a, b) ||
		o3 == 0 && ratWithin(a, c, d) || o4 == 0 && ratWithin(b, c, d)
}

// ratInside reports whether p is in the polygon's interior or on its
// boundary, by the crossing rule over every ring (holes included).
func ratInside(p ratPoint, poly [][]ratPoint) bool {
	in := false
	for _, ring := range poly {
		for i := 0; i+1 < len(ring); i++ {
			a, b := ring[i], ring[i+1]
			o := ratOrient(a, b, p)
			if o == 0 && ratWithin(p, a, b) {
				return true
			}
			// The edge crosses the horizontal line through p (lower end
			// included, upper excluded) to p's right.
			if (a.y.Cmp(p.y) <= 0) == (b.y.Cmp(p.y) <= 0) {
				continue
			}
			if a.y.Cmp(b.y) > 0 {
				a, b = b, a
				o = -o
			}
			if o > 0 {
				in = !in
			}
		}
	}
	return in
}

func ratPolygon(p orb.Polygon) [][]ratPoint {
	out := make([][]ratPoint, len(p))
	for i, r := range p {
		for _, q := range r {
			out[i] = append(out[i], ratOf(q))
		}
	}
	return out
}

// ratPolygonsMeet is the oracle: two polygons share a point when an edge
// of one meets an edge of the other, or else when a vertex of one is
// inside the other.
func ratPolygonsMeet(pa, pb orb.Polygon) bool {
	a, b := ratPolygon(pa), ratPolygon(pb)
	boxApart := func(p, q, r, s orb.Point) bool { // exact on floats
		return max(p[0], q[0]) < min(r[0], s[0]) || max(r[0], s[0]) < min(p[0], q[0]) ||
			max(p[1], q[1]) < min(r[1], s[1]) || max(r[1], s[1]) < min(p[1], q[1])
	}
	for i, ra := range pa {
		for j, rb := range pb {
			for k := 0; k+1 < len(ra); k++ {
				for l := 0; l+1 < len(rb); l++ {
					if boxApart(ra[k], ra[k+1], rb[l], rb[l+1]) {
						continue
					}
					if ratSegmentsMeet(a[i][k], a[i][k+1], b[j][l], b[j][l+1]) {
						return true
					}
				}
			}
		}
	}
	return ratInside(a[0][0], b) || ratInside(b[0][0], a)
}
