package control_test

import (
	"testing"
	"time"

	"github.com/paulmach/orb"
	"github.com/truce-project/truce/control"
)

// box returns the rectangle [x0,x1]×[y0,y1] as a polygon, counter-clockwise.
func box(x0, y0, x1, y1 float64) orb.Polygon {
	return orb.Polygon{orb.Ring{{x0, y0}, {x1, y0}, {x1, y1}, {x0, y1}, {x0, y0}}}
}

func TestBreaches(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	later := func(h int) time.Time { return t0.Add(time.Duration(h) * time.Hour) }
	ptr := func(t time.Time) *time.Time { return &t }
	basin := control.Guarded{Guarantee: &control.Guarantee{ID: "basin", Allowed: []string{"saa"}, From: t0}, Area: box(35.9, 32.7, 36.0, 32.8)}
	ended := control.Guarded{Guarantee: &control.Guarantee{ID: "ended", Allowed: []string{"saa"}, From: t0, To: ptr(later(10))}, Area: box(35.9, 32.7, 36.0, 32.8)}
	north := control.Guarded{Guarantee: &control.Guarantee{ID: "north", Allowed: []string{"saa", "fsa"}, From: t0}, Area: box(35.9, 32.8, 36.0, 32.9)}
	tests := []struct {
		name   string
		change control.Change
		gs     []control.Guarded
		want   []string // guarantee ids
		wantAt []time.Time
	}{
		{"allowed actor holds the area", control.Change{ActorID: "saa", Area: box(35.92, 32.72, 35.95, 32.75), From: later(1)}, []control.Guarded{basin}, nil, nil},
		{"faction re-takes a village inside", control.Change{ActorID: "faction", Area: box(35.92, 32.72, 35.95, 32.75), From: later(1)}, []control.Guarded{basin}, []string{"basin"}, []time.Time{later(1)}},
		{"part of the area only", control.Change{ActorID: "faction", Area: box(35.98, 32.78, 36.05, 32.85), From: later(1)}, []control.Guarded{basin}, []string{"basin"}, []time.Time{later(1)}},
		{"edge only touches", control.Change{ActorID: "faction", Area: box(36.0, 32.7, 36.1, 32.8), From: later(1)}, []control.Guarded{basin}, nil, nil},
		{"outside", control.Change{ActorID: "faction", Area: box(36.2, 32.7, 36.3, 32.8), From: later(1)}, []control.Guarded{basin}, nil, nil},
		{"control ended before the guarantee began", control.Change{ActorID: "faction", Area: box(35.92, 32.72, 35.95, 32.75), From: later(-10), To: ptr(t0)}, []control.Guarded{basin}, nil, nil},
		{"held since before the guarantee: breach from its start", control.Change{ActorID: "faction", Area: box(35.92, 32.72, 35.95, 32.75), From: later(-10)}, []control.Guarded{basin}, []string{"basin"}, []time.Time{t0}},
		{"after the guarantee ended", control.Change{ActorID: "faction", Area: box(35.92, 32.72, 35.95, 32.75), From: later(10)}, []control.Guarded{ended}, nil, nil},
		{"two guarantees, one allows the actor", control.Change{ActorID: "fsa", Area: box(35.92, 32.75, 35.95, 32.85), From: later(1)}, []control.Guarded{basin, north}, []string{"basin"}, []time.Time{later(1)}},
		{"two guarantees, both breached", control.Change{ActorID: "faction", Area: box(35.92, 32.75, 35.95, 32.85), From: later(1)}, []control.Guarded{basin, north}, []string{"basin", "north"}, []time.Time{later(1), later(1)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := control.Breaches(tt.change, tt.gs)
			if len(got) != len(tt.want) {
				t.Fatalf("got %d breaches, want %v", len(got), tt.want)
			}
			for i, f := range got {
				if f.Guarantee.ID != tt.want[i] || !f.At.Equal(tt.wantAt[i]) {
					t.Errorf("breach %d = %s at %s, want %s at %s", i, f.Guarantee.ID, f.At, tt.want[i], tt.wantAt[i])
				}
			}
			// The index finds the same breaches as the plain list.
			x := control.NewIndex[control.Guarded]()
			for _, g := range tt.gs {
				x.Add(g.Area.Bound(), g)
			}
			if n := len(control.Check(x, tt.change)); n != len(tt.want) {
				t.Errorf("Check found %d, want %d", n, len(tt.want))
			}
		})
	}
}

// TestIndex_Search checks the grid against a scan: every item whose box
// meets the query, once, including a box too large for the grid.
func TestIndex_Search(t *testing.T) {
	x := control.NewIndex[int]()
	var boxes []orb.Bound
	for i := range 400 {
		lon, lat := 35+float64(i%20)*0.07, 32+float64(i/20)*0.07
		b := box(lon, lat, lon+0.15, lat+0.05).Bound()
		boxes = append(boxes, b)
		x.Add(b, i)
	}
	boxes = append(boxes, box(30, 30, 40, 40).Bound())
	x.Add(boxes[400], 400)
	for _, q := range []orb.Bound{box(35.3, 32.3, 35.4, 32.35).Bound(), box(34, 31, 37, 34).Bound(), box(50, 50, 51, 51).Bound()} {
		want := 0
		for _, b := range boxes {
			if b.Intersects(q) {
				want++
			}
		}
		seen := map[int]bool{}
		x.Search(q, func(i int) bool {
			if seen[i] {
				t.Fatalf("item %d found twice", i)
			}
			seen[i] = true
			return true
		})
		if len(seen) != want {
			t.Errorf("query %v: %d items, want %d", q, len(seen), want)
		}
	}
}
