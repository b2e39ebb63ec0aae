package spatial

import (
	"math"
	"time"
)

// metresPerDegree is the length of a degree of latitude (and of longitude
// at the equator) on the mean Earth, close enough for a margin.
const metresPerDegree = 111195.0

// Near calls fn with the ID of every zone active at t whose bounding box,
// enlarged by marginM metres on every side, holds the position (lon, lat),
// until fn returns false. It is a coarse test (a superset of the zones
// within marginM of the position, altitude ignored) for deciding which
// aircraft matter most, not for alerts. It does not allocate beyond the
// R-tree search.
func (s *Snapshot) Near(lon, lat, marginM float64, t time.Time, fn func(id string) bool) {
	if !(lon >= -180 && lon <= 180 && lat >= -90 && lat <= 90) || !(marginM >= 0) {
		return
	}
	dLat := marginM / metresPerDegree
	cos := math.Cos(math.Min(math.Abs(lat)+dLat, 89) * math.Pi / 180)
	dLon := math.Min(marginM/(metresPerDegree*cos), 360)
	tn := unixNano(t, math.MinInt64)
	min := [2]float64{lon - dLon, lat - dLat}
	max := [2]float64{lon + dLon, lat + dLat}
	s.tree.Search(min, max, func(_, _ [2]float64, z *zone) bool {
		if !z.activeAt(tn) {
			return true
		}
		return fn(z.id)
	})
}
