package events

import (
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/truce-project/truce"
)

// BBox is a bounding box [minLon, minLat, maxLon, maxLat] in WGS 84
// degrees, as in RFC 7946 §5. A box whose minLon is greater than its maxLon
// crosses the antimeridian (§5.2).
type BBox [4]float64

// ParseBBox parses "minLon,minLat,maxLon,maxLat".
func ParseBBox(s string) (*BBox, error) {
	parts := strings.Split(s, ",")
	if len(parts) != 4 {
		return nil, truce.Errorf(truce.EINVALID, "bbox must be minLon,minLat,maxLon,maxLat: four numbers, not %d.", len(parts))
	}
	var b BBox
	for i, p := range parts {
		v, err := strconv.ParseFloat(strings.TrimSpace(p), 64)
		if err != nil {
			return nil, truce.Errorf(truce.EINVALID, "bbox value %d (%q) is not a number.", i+1, p)
		}
		b[i] = v
	}
	return &b, b.Validate()
}

// Validate checks the box's ranges.
func (b *BBox) Validate() error {
	if b == nil {
		return nil
	}
	for i, v := range b {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return truce.Errorf(truce.EINVALID, "bbox value %d is not finite.", i+1)
		}
	}
	if b[0] < -180 || b[0] > 180 || b[2] < -180 || b[2] > 180 {
		return truce.Errorf(truce.EINVALID, "bbox longitudes must be within [-180, 180].")
	}
	if b[1] < -90 || b[1] > 90 || b[3] < -90 || b[3] > 90 {
		return truce.Errorf(truce.EINVALID, "bbox latitudes must be within [-90, 90].")
	}
	if b[1] > b[3] {
		return truce.Errorf(truce.EINVALID, "bbox minLat %g is above maxLat %g.", b[1], b[3])
	}
	return nil
}

// Crosses reports whether the box crosses the antimeridian.
func (b *BBox) Crosses() bool { return b[0] > b[2] }

// intersects reports whether the box overlaps the extent e (which does not
// cross the antimeridian), edges included.
func (b *BBox) intersects(e [4]float64) bool {
	if e[1] > b[3] || e[3] < b[1] {
		return false
	}
	if b.Crosses() {
		return e[2] >= b[0] || e[0] <= b[2]
	}
	return e[2] >= b[0] && e[0] <= b[2]
}

// Extent returns where an event is, as [minLon, minLat, maxLon, maxLat],
// and false when it has no place.
func Extent(e *truce.Event) ([4]float64, bool) {
	switch {
	case e.BBox != nil:
		return *e.BBox, true
	case e.Point != nil:
		return [4]float64{e.Point[0], e.Point[1], e.Point[0], e.Point[1]}, true
	}
	return [4]float64{}, false
}

// Filter selects events by kind and place. The zero Filter selects all.
type Filter struct {
	// Kinds, if any, are the event kinds wanted.
	Kinds []string
	// BBox, if set, keeps only events placed in it (an event without a
	// Point or BBox is dropped).
	BBox *BBox
}

// ParseFilter parses the query parameters kind (comma-separated kinds) and
// bbox.
func ParseFilter(kinds, bbox string) (Filter, error) {
	var f Filter
	for _, k := range strings.Split(kinds, ",") {
		if k = strings.TrimSpace(k); k != "" {
			if len(k) > 64 {
				return f, truce.Errorf(truce.EINVALID, "Event kind %.20q... is too long.", k)
			}
			f.Kinds = append(f.Kinds, k)
		}
	}
	if len(f.Kinds) > 32 {
		return f, truce.Errorf(truce.EINVALID, "At most 32 kinds may be asked for.")
	}
	if bbox != "" {
		b, err := ParseBBox(bbox)
		if err != nil {
			return f, err
		}
		f.BBox = b
	}
	return f, nil
}

// Validate checks the filter.
func (f Filter) Validate() error { return f.BBox.Validate() }

// Match reports whether the event passes the filter.
func (f Filter) Match(e *truce.Event) bool {
	if len(f.Kinds) > 0 && !slices.Contains(f.Kinds, e.Kind) {
		return false
	}
	if f.BBox != nil {
		ext, ok := Extent(e)
		if !ok || !f.BBox.intersects(ext) {
			return false
		}
	}
	return true
}

// query returns the store prefilter for events after id.
func (f Filter) query(after int64, limit int) Query {
	return Query{After: after, Kinds: f.Kinds, BBox: f.BBox, Limit: limit}
}
