package geo_test

import (
	"testing"

	"github.com/paulmach/orb"
	"github.com/truce-project/truce/geo"
)

func TestSegmentsMeet(t *testing.T) {
	tests := []struct {
		name       string
		a, b, c, d orb.Point
		want       bool
	}{
		{"Crossing", orb.Point{0, 0}, orb.Point{2, 2}, orb.Point{0, 2}, orb.Point{2, 0}, true},
		{"EndOnInterior", orb.Point{0, 0}, orb.Point{2, 0}, orb.Point{1, 0}, orb.Point{1, 5}, true},
		{"SharedEnd", orb.Point{0, 0}, orb.Point{1, 1}, orb.Point{1, 1}, orb.Point{2, 0}, true},
		{"CollinearOverlap", orb.Point{0, 0}, orb.Point{2, 0}, orb.Point{1, 0}, orb.Point{3, 0}, true},
		{"CollinearApart", orb.Point{0, 0}, orb.Point{1, 0}, orb.Point{1.5, 0}, orb.Point{3, 0}, false},
		{"Parallel", orb.Point{0, 0}, orb.Point{1, 0}, orb.Point{0, 1e-12}, orb.Point{1, 1e-12}, false},
		{"NearlyMeeting", orb.Point{0, 0}, orb.Point{1, 1}, orb.Point{0.5 + 1e-15, 0.5}, orb.Point{3, 0}, false},
		// 0.1 + 0.2 is not 0.3 in floating point: the exact test must say so.
		{"OnLineExactly", orb.Point{0, 0}, orb.Point{0.3, 0.3}, orb.Point{0.1, 0.1}, orb.Point{0.1, 5}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := geo.SegmentsMeet(tt.a, tt.b, tt.c, tt.d); got != tt.want {
				t.Fatalf("got %v, want %v", got, tt.want)
			}
			if got := geo.SegmentsMeet(tt.c, tt.d, tt.b, tt.a); got != tt.want {
				t.Fatalf("swapped: got %v, want %v", got, tt.want)
			}
			l1, l2 := orb.LineString{tt.a, tt.b}, orb.LineString{tt.c, tt.d}
			if ref := geo.Intersects(l1, l2); ref != tt.want {
				t.Fatalf("geo.Intersects says %v", ref)
			}
		})
	}
}
