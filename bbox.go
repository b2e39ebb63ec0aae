package truce

import (
	"math"
	"strconv"
	"strings"
)

// BBox is a bounding box [west, south, east, north] (minLon, minLat,
// maxLon, maxLat) in WGS 84 degrees, as in RFC 7946 §5. A box whose west
// is greater than its east crosses the antimeridian (§5.2). Boxes with
// altitudes (six numbers) are not taken.
type BBox [4]float64

// ParseBBox parses "west,south,east,north", as every bbox query parameter
// and flag is written, and checks the box (Validate). A box across the
// antimeridian is accepted; callers whose search cannot take one reject
// it with NotCrossing. Returns EINVALID.
func ParseBBox(s string) (*BBox, error) {
	parts := strings.Split(s, ",")
	switch len(parts) {
	case 4:
	case 6:
		return nil, Errorf(EINVALID, "bbox is minLon,minLat,maxLon,maxLat: four numbers, without altitudes.")
	default:
		return nil, Errorf(EINVALID, "bbox is minLon,minLat,maxLon,maxLat: four numbers, not %d.", len(parts))
	}
	var b BBox
	for i, p := range parts {
		v, err := strconv.ParseFloat(strings.TrimSpace(p), 64)
		if err != nil {
			return nil, Errorf(EINVALID, "bbox value %d (%.20q) is not a finite number.", i+1, p)
		}
		b[i] = v
	}
	if err := b.Validate(); err != nil {
		return nil, err
	}
	return &b, nil
}

// Validate checks the box: four finite numbers, longitudes within
// [-180, 180], latitudes within [-90, 90], south not above north. A nil
// box is valid (no box). Returns EINVALID.
func (b *BBox) Validate() error {
	if b == nil {
		return nil
	}
	for i, v := range b {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return Errorf(EINVALID, "bbox value %d is not a finite number.", i+1)
		}
	}
	if b[0] < -180 || b[0] > 180 || b[2] < -180 || b[2] > 180 {
		return Errorf(EINVALID, "bbox longitudes must be within [-180, 180].")
	}
	if b[1] < -90 || b[1] > 90 || b[3] < -90 || b[3] > 90 {
		return Errorf(EINVALID, "bbox latitudes must be within [-90, 90].")
	}
	if b[1] > b[3] {
		return Errorf(EINVALID, "bbox minLat %g is above maxLat %g.", b[1], b[3])
	}
	return nil
}

// Crosses reports whether the box crosses the antimeridian.
func (b *BBox) Crosses() bool { return b[0] > b[2] }

// NotCrossing returns EINVALID for a box across the antimeridian, for
// the searches that cannot take one (alerts, tracks, the map's zones).
func (b *BBox) NotCrossing() error {
	if b != nil && b.Crosses() {
		return Errorf(EINVALID, "bbox minLon %g is east of maxLon %g: a box across the antimeridian is not taken here.", b[0], b[2])
	}
	return nil
}

// Intersects reports whether the box overlaps the extent e [west, south,
// east, north] (which does not cross the antimeridian), edges included.
func (b *BBox) Intersects(e BBox) bool {
	if e[1] > b[3] || e[3] < b[1] {
		return false
	}
	if b.Crosses() {
		return e[2] >= b[0] || e[0] <= b[2]
	}
	return e[2] >= b[0] && e[0] <= b[2]
}
