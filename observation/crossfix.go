package observation

import (
	"math"

	"github.com/paulmach/orb"
	"github.com/truce-project/truce/geo"
)

// Fix is the location cross-fixed from bearings: the point and its 95 %
// error ellipse (semi-axes in metres, the major axis's bearing in degrees
// from north), the ellipse as a ring, Radius its semi-major axis.
type Fix struct {
	Center      Point        `json:"center"`
	SemiMajor   float64      `json:"semi_major"`
	SemiMinor   float64      `json:"semi_minor"`
	Orientation float64      `json:"orientation"`
	Radius      float64      `json:"radius"`
	Area        [][2]float64 `json:"area"`
	Bearings    int          `json:"bearings"`
}

// minCrossing is the least angle between two bearings' lines for them to
// fix a point: nearly parallel lines cross anywhere along them.
const minCrossing = 5.0 // degrees

// minBearingErr keeps a bearing given as exact from outweighing the rest.
const minBearingErr = 1.0 // degrees

// chi2_95 is the 95 % quantile of χ² with 2 degrees of freedom: the
// ellipse's scale from one standard deviation.
const chi2_95 = 5.991

// CrossFix returns the point where the bearings of two or more different
// observers cross, by weighted least squares, or nil when the observations
// have fewer than two observers' bearings, the bearings do not cross at
// minCrossing degrees or more, or the point is behind an observer.
//
// The bearings are laid out in an azimuthal equidistant plane around the
// first observer (geodesic distance and azimuth, exact at the centre and
// within metres over tens of kilometres). Each bearing's line is weighted
// by 1/σ², σ = distance × bearing error (radians), the distance being the
// estimate's own, found by iterating from the middle of each distance
// range; the 95 % ellipse is the covariance's, scaled by χ²₂(0.95).
func CrossFix(obs []*Observation) *Fix {
	type line struct {
		p, u [2]float64
		err  float64
		mid  float64
	}
	var lines []line
	observers := map[string]bool{}
	var ref orb.Point
	for _, o := range obs {
		b := o.Bearing
		if b == nil {
			continue
		}
		p := orb.Point{o.Position.Lon, o.Position.Lat}
		if len(lines) == 0 {
			ref = p
		}
		mid := (b.MinDistance + b.MaxDistance) / 2
		pp := project(ref, p)
		q := project(ref, geo.Destination(p, b.Degrees, math.Max(mid, 1000)))
		dx, dy := q[0]-pp[0], q[1]-pp[1]
		l := math.Hypot(dx, dy)
		if l == 0 {
			continue
		}
		lines = append(lines, line{p: pp, u: [2]float64{dx / l, dy / l}, err: math.Max(b.Error, minBearingErr) * math.Pi / 180, mid: mid})
		observers[o.ObserverID] = true
	}
	if len(observers) < 2 {
		return nil
	}
	crossing := false
	for i := range lines {
		for j := i + 1; j < len(lines); j++ {
			s := math.Abs(lines[i].u[0]*lines[j].u[1] - lines[i].u[1]*lines[j].u[0])
			if s >= math.Sin(minCrossing*math.Pi/180) {
				crossing = true
			}
		}
	}
	if !crossing {
		return nil
	}
	var x [2]float64
	var a [3]float64 // the normal matrix: a11, a12, a22
	for iter := 0; iter < 3; iter++ {
		a = [3]float64{}
		var b [2]float64
		for _, l := range lines {
			d := l.mid
			if iter > 0 {
				d = math.Hypot(x[0]-l.p[0], x[1]-l.p[1])
			}
			sigma := math.Max(d, 100) * l.err
			w := 1 / (sigma * sigma)
			n := [2]float64{-l.u[1], l.u[0]}
			np := n[0]*l.p[0] + n[1]*l.p[1]
			a[0] += w * n[0] * n[0]
			a[1] += w * n[0] * n[1]
			a[2] += w * n[1] * n[1]
			b[0] += w * n[0] * np
			b[1] += w * n[1] * np
		}
		det := a[0]*a[2] - a[1]*a[1]
		if !(det > 0) {
			return nil
		}
		x = [2]float64{(a[2]*b[0] - a[1]*b[1]) / det, (a[0]*b[1] - a[1]*b[0]) / det}
	}
	for _, l := range lines {
		if (x[0]-l.p[0])*l.u[0]+(x[1]-l.p[1])*l.u[1] <= 0 {
			return nil // behind an observer: the bearings diverge
		}
	}
	// The covariance is the normal matrix's inverse; its eigenvalues are
	// the ellipse's squared semi-axes (one σ).
	det := a[0]*a[2] - a[1]*a[1]
	c11, c12, c22 := a[2]/det, -a[1]/det, a[0]/det
	tr, dd := c11+c22, math.Sqrt((c11-c22)*(c11-c22)/4+c12*c12)
	l1, l2 := tr/2+dd, math.Max(tr/2-dd, 0)
	// The major axis's direction in the plane, as a bearing (x east, y north).
	ang := 0.5 * math.Atan2(2*c12, c11-c22) // from the x axis
	orient := math.Mod(90-ang*180/math.Pi+360, 180)
	k := math.Sqrt(chi2_95)
	major, minor := k*math.Sqrt(l1), k*math.Sqrt(l2)
	center := unproject(ref, x)
	f := &Fix{Center: Point{roundDeg(center[0]), roundDeg(center[1])}, SemiMajor: roundM(major), SemiMinor: roundM(minor), Orientation: orient, Radius: roundM(major), Bearings: len(lines)}
	const n = 36
	ring := make([][2]float64, 0, n+1)
	ca, sa := math.Cos(ang), math.Sin(ang)
	for i := 0; i < n; i++ {
		t := 2 * math.Pi * float64(i) / n
		ex, ey := major*math.Cos(t), minor*math.Sin(t)
		q := unproject(ref, [2]float64{x[0] + ex*ca - ey*sa, x[1] + ex*sa + ey*ca})
		ring = append(ring, [2]float64{roundDeg(q[0]), roundDeg(q[1])})
	}
	f.Area = append(ring, ring[0])
	return f
}

// project returns p in the azimuthal equidistant plane around ref: metres
// east and north.
func project(ref, p orb.Point) [2]float64 {
	d, az := geo.Distance(ref, p), geo.Bearing(ref, p)*math.Pi/180
	return [2]float64{d * math.Sin(az), d * math.Cos(az)}
}

func unproject(ref orb.Point, x [2]float64) orb.Point {
	d := math.Hypot(x[0], x[1])
	if d == 0 {
		return ref
	}
	return geo.Destination(ref, math.Atan2(x[0], x[1])*180/math.Pi, d)
}
