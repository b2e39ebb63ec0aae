package humanitarian

import "github.com/paulmach/orb"

// SegmentBoxes lets tests check the rectangles the route hazard check asks
// about.
func SegmentBoxes(route orb.LineString, halfM float64) []orb.Polygon {
	return segmentBoxes(route, halfM)
}
