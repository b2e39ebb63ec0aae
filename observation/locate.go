package observation

import (
	"math"

	"github.com/paulmach/orb"
	"github.com/truce-project/truce/geo"
)

// Located is where an observation puts its event: a point, the radius
// (metres) of the circle around it that holds the uncertainty area, and
// that area as a closed ring of [lon, lat].
type Located struct {
	Center Point
	Radius float64
	Area   [][2]float64
}

// sectorSteps is the number of arc segments of a bearing's sector edges.
const sectorSteps = 8

// Locate turns a validated input's location into a point and an
// uncertainty area, on the WGS84 ellipsoid.
//
// A point with an accuracy is a geodesic circle. A bearing θ ± ε with a
// distance range [d₁, d₂] is the annular sector the event lies in: its
// point is on the bearing at the middle distance, and its area the sector's
// ring (arcs at d₁ and d₂ between θ-ε and θ+ε; a triangle-like sector
// when d₁ is 0). Each vertex is a direct geodesic from the observer.
func Locate(in *Input) Located {
	if in.Location != nil {
		c := *in.Location
		ring, err := geo.Circle(orb.Point{c.Lon, c.Lat}, in.Accuracy, 32)
		var area [][2]float64
		if err == nil {
			area = ringOf(ring[0])
		}
		return Located{Center: c, Radius: in.Accuracy, Area: area}
	}
	b := in.Bearing
	obs := orb.Point{in.Position.Lon, in.Position.Lat}
	mid := (b.MinDistance + b.MaxDistance) / 2
	cp := geo.Destination(obs, b.Degrees, mid)
	var ring orb.Ring
	// The outer arc clockwise, then the inner arc back; reversed below
	// into RFC 7946's counter-clockwise exterior.
	for i := 0; i <= sectorSteps; i++ {
		az := b.Degrees - b.Error + 2*b.Error*float64(i)/sectorSteps
		ring = append(ring, geo.Destination(obs, az, b.MaxDistance))
	}
	if b.MinDistance > 0 {
		for i := sectorSteps; i >= 0; i-- {
			az := b.Degrees - b.Error + 2*b.Error*float64(i)/sectorSteps
			ring = append(ring, geo.Destination(obs, az, b.MinDistance))
		}
	} else {
		ring = append(ring, obs)
	}
	ring = append(ring, ring[0])
	ring.Reverse()
	// The circle's radius is the farthest vertex; the arcs bulge beyond
	// their chords by less than 1 % of the sector's width at 8 steps, and
	// at least the bearing's own half-width along it.
	r := 0.0
	for _, p := range ring {
		r = math.Max(r, geo.Distance(cp, p))
	}
	r = math.Max(r, (b.MaxDistance-b.MinDistance)/2)
	return Located{Center: Point{roundDeg(cp[0]), roundDeg(cp[1])}, Radius: roundM(r * 1.01), Area: ringOf(ring)}
}

// roundDeg rounds a computed coordinate to 1e-7 degrees (at most 1.1 cm)
// and roundM a computed distance to the centimetre: the geodesics'
// last digits say nothing a monitor could know, and a short decimal is
// written and canonicalised for the journal several times faster than a
// 17-digit one (canonicalDecimal's fast path), on the one writer every
// filing waits for.
func roundDeg(x float64) float64 { return math.Round(x*1e7) / 1e7 }

func roundM(x float64) float64 { return math.Round(x*100) / 100 }

func ringOf(r orb.Ring) [][2]float64 {
	out := make([][2]float64, len(r))
	for i, p := range r {
		out[i] = [2]float64{roundDeg(p[0]), roundDeg(p[1])}
	}
	return out
}
