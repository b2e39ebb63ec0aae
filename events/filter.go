package events

import (
	"slices"
	"strings"

	"github.com/truce-project/truce"
)

// BBox is a bounding box [minLon, minLat, maxLon, maxLat]: truce.BBox,
// which may cross the antimeridian.
type BBox = truce.BBox

// Extent returns where an event is, as [minLon, minLat, maxLon, maxLat],
// and false when it has no place.
func Extent(e *truce.Event) (truce.BBox, bool) {
	switch {
	case e.BBox != nil:
		return *e.BBox, true
	case e.Point != nil:
		return truce.BBox{e.Point[0], e.Point[1], e.Point[0], e.Point[1]}, true
	}
	return truce.BBox{}, false
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
		b, err := truce.ParseBBox(bbox)
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
		if !ok || !f.BBox.Intersects(ext) {
			return false
		}
	}
	return true
}

// query returns the store prefilter for events after id.
func (f Filter) query(after int64, limit int) Query {
	return Query{After: after, Kinds: f.Kinds, BBox: f.BBox, Limit: limit}
}
