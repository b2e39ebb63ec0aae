package geo

import (
	"errors"
	"fmt"
	"math"

	"github.com/paulmach/orb"
	"github.com/tidwall/geodesic"
)

// WGS84 ellipsoid (NIMA TR8350.2).
const (
	wgs84A = 6378137.0
	wgs84F = 1 / 298.257223563
	wgs84B = wgs84A * (1 - wgs84F)
)

const deg = math.Pi / 180

// inverse solves the geodesic inverse problem: distance in metres and the
// forward azimuths (degrees) at both ends.
func inverse(p1, p2 orb.Point) (s, az1, az2 float64) {
	if p1 == p2 {
		return 0, 0, 0
	}
	L := (p2[0] - p1[0]) * deg
	U1 := math.Atan((1 - wgs84F) * math.Tan(p1[1]*deg))
	U2 := math.Atan((1 - wgs84F) * math.Tan(p2[1]*deg))
	sinU1, cosU1 := math.Sincos(U1)
	sinU2, cosU2 := math.Sincos(U2)
	lambda := L
	var sinL, cosL, sinS, cosS, sigma, cos2A, cos2Sm float64
	converged := false
	for range 200 {
		sinL, cosL = math.Sincos(lambda)
		x := cosU1*sinU2 - sinU1*cosU2*cosL
		sinS = math.Hypot(cosU2*sinL, x)
		if sinS == 0 {
			return 0, 0, 0
		}
		cosS = sinU1*sinU2 + cosU1*cosU2*cosL
		sigma = math.Atan2(sinS, cosS)
		sinA := cosU1 * cosU2 * sinL / sinS
		cos2A = 1 - sinA*sinA
		cos2Sm = 0
		if cos2A != 0 {
			cos2Sm = cosS - 2*sinU1*sinU2/cos2A
		}
		C := wgs84F / 16 * cos2A * (4 + wgs84F*(4-3*cos2A))
		prev := lambda
		lambda = L + (1-C)*wgs84F*sinA*(sigma+C*sinS*(cos2Sm+C*cosS*(-1+2*cos2Sm*cos2Sm)))
		if math.Abs(lambda-prev) < 1e-12 {
			converged = true
			break
		}
	}
	if !converged {
		return karneyInverse(p1, p2)
	}
	u2 := cos2A * (wgs84A*wgs84A - wgs84B*wgs84B) / (wgs84B * wgs84B)
	A := 1 + u2/16384*(4096+u2*(-768+u2*(320-175*u2)))
	B := u2 / 1024 * (256 + u2*(-128+u2*(74-47*u2)))
	dSigma := B * sinS * (cos2Sm + B/4*(cosS*(-1+2*cos2Sm*cos2Sm)-B/6*cos2Sm*(-3+4*sinS*sinS)*(-3+4*cos2Sm*cos2Sm)))
	s = wgs84B * A * (sigma - dSigma)
	az1 = math.Atan2(cosU2*sinL, cosU1*sinU2-sinU1*cosU2*cosL) / deg
	az2 = math.Atan2(cosU1*sinL, -sinU1*cosU2+cosU1*sinU2*cosL) / deg
	return s, normBearing(az1), normBearing(az2)
}

// karneyInverse solves the inverse problem by Karney's algorithm
// (J. Geodesy 87, 2013), which converges everywhere, for the nearly
// antipodal pairs where Vincenty's iteration does not.
func karneyInverse(p1, p2 orb.Point) (s, az1, az2 float64) {
	geodesic.WGS84.Inverse(p1[1], p1[0], p2[1], p2[0], &s, &az1, &az2)
	return s, normBearing(az1), normBearing(az2)
}

func normBearing(b float64) float64 {
	b = math.Mod(b, 360)
	if b < 0 {
		b += 360
	}
	return b
}

func normLon(l float64) float64 {
	l = math.Mod(l+180, 360)
	if l < 0 {
		l += 360
	}
	return l - 180
}

// Distance returns the geodesic distance in metres between two [lon, lat]
// points on the WGS84 ellipsoid.
func Distance(a, b orb.Point) float64 {
	s, _, _ := inverse(a, b)
	return s
}

// Bearing returns the initial bearing in degrees clockwise from true north,
// in [0, 360), of the geodesic from a to b; 0 when a equals b.
func Bearing(a, b orb.Point) float64 {
	_, az, _ := inverse(a, b)
	return az
}

// Destination returns the point reached by following the geodesic that
// leaves p at bearing (degrees from true north) for dist metres, with its
// longitude in [-180, 180]. It solves the direct problem by Karney's
// algorithm (github.com/tidwall/geodesic).
func Destination(p orb.Point, bearing, dist float64) orb.Point {
	var lat, lon float64
	geodesic.WGS84.Direct(p[1], p[0], bearing, dist, &lat, &lon, nil)
	return orb.Point{normLon(lon), lat}
}

// MaxRadius bounds [Circle] radii and [BufferLine] half-widths: 2,000 km is
// beyond any agreed zone and keeps the shape away from poles and the
// antimeridian in the area Truce serves.
const MaxRadius = 2_000_000

// DefaultCircleVertices is the vertex count [Circle] uses when asked for 0.
const DefaultCircleVertices = 64

// ErrGeodesy is wrapped by the errors of [Circle] and [BufferLine].
var ErrGeodesy = errors.New("geo: cannot build shape")

// Circle returns the geodesic circle of radius metres around center as a
// counter-clockwise polygon of n vertices (n = 0 means
// DefaultCircleVertices), each exactly radius metres from center along the
// ellipsoid. Vertices are chords' ends, so the polygon lies inside the true
// circle by at most radius·(1-cos(π/n)). It fails for a radius that is not
// in (0, MaxRadius], n below 3, or a circle that would cross a pole or the
// antimeridian (where a lon/lat polygon cannot represent it).
func Circle(center orb.Point, radius float64, n int) (orb.Polygon, error) {
	if n == 0 {
		n = DefaultCircleVertices
	}
	if n < 3 || n > 100000 {
		return nil, fmt.Errorf("%w: circle needs 3 to 100000 vertices, got %d", ErrGeodesy, n)
	}
	if !(radius > 0 && radius <= MaxRadius) {
		return nil, fmt.Errorf("%w: circle radius %g m not in (0, %d]", ErrGeodesy, radius, MaxRadius)
	}
	if err := Validate(center, Options{}); err != nil {
		return nil, err
	}
	ring := make(orb.Ring, 0, n+1)
	for i := range n {
		// Decreasing bearings turn counter-clockwise on the map.
		q := Destination(center, 360-360*float64(i)/float64(n), radius)
		if i > 0 && math.Abs(q[0]-ring[i-1][0]) > 180 {
			return nil, fmt.Errorf("%w: circle crosses the antimeridian", ErrGeodesy)
		}
		ring = append(ring, q)
	}
	if math.Abs(ring[0][0]-ring[n-1][0]) > 180 {
		return nil, fmt.Errorf("%w: circle crosses the antimeridian", ErrGeodesy)
	}
	if Distance(center, orb.Point{center[0], 90}) <= radius || Distance(center, orb.Point{center[0], -90}) <= radius {
		return nil, fmt.Errorf("%w: circle covers a pole", ErrGeodesy)
	}
	ring = append(ring, ring[0])
	return orb.Polygon{ring}, nil
}
