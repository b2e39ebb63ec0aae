package control_test

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/paulmach/orb"
	"github.com/truce-project/truce/control"
	"github.com/truce-project/truce/geo"
)

// TestLayer_MapAt checks the map against a brute-force pass over random
// areas: the areas held at T, each contested exactly when another
// actor's area held at T shares interior with it, and km² per actor the
// sum over its held areas.
func TestLayer_MapAt(t *testing.T) {
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, 7))
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	l := control.NewLayer()
	var areas []*control.ControlArea
	var geoms []orb.Geometry
	for i := range 300 {
		g := blob(rng, 36+rng.Float64()*0.5, 33+rng.Float64()*0.5, 0.01+rng.Float64()*0.04)
		c := &control.ControlArea{ID: fmt.Sprint(i), ActorID: fmt.Sprint("a", rng.IntN(4)), From: t0.Add(time.Duration(rng.IntN(100)) * time.Hour), AreaKM2: geo.Area(g) / 1e6}
		if rng.IntN(3) == 0 {
			end := c.From.Add(time.Duration(1+rng.IntN(100)) * time.Hour)
			c.To = &end
		}
		areas, geoms = append(areas, c), append(geoms, g)
		l.AddDecoded(c, g)
	}
	for _, at := range []time.Time{t0.Add(-time.Hour), t0.Add(50 * time.Hour), t0.Add(120 * time.Hour)} {
		m := l.MapAt(at)
		wantHeld, wantContested := 0, 0
		km2 := map[string]float64{}
		for i, c := range areas {
			if !c.At(at) {
				continue
			}
			wantHeld++
			km2[c.ActorID] += c.AreaKM2
			for j, o := range areas {
				if o.ActorID != c.ActorID && o.At(at) {
					if mx, err := geo.Relate(geoms[i], geoms[j]); err == nil && mx.Matches("T********") {
						wantContested++
						break
					}
				}
			}
		}
		contested := 0
		for _, h := range m.Areas {
			if len(h.ContestedWith) > 0 {
				contested++
			}
		}
		if len(m.Areas) != wantHeld || contested != wantContested {
			t.Fatalf("at %s: %d held, %d contested; want %d, %d", at, len(m.Areas), contested, wantHeld, wantContested)
		}
		for _, a := range m.Actors {
			if d := a.KM2 - km2[a.ActorID]; d > 1e-6 || d < -1e-6 {
				t.Fatalf("actor %s: %.3f km², want %.3f", a.ActorID, a.KM2, km2[a.ActorID])
			}
		}
	}
}

// TestLayer_Held checks an actor's ground over time: a step at each start
// and end of its control, simultaneous steps merged, others' areas left
// out.
func TestLayer_Held(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	at := func(h int) time.Time { return t0.Add(time.Duration(h) * time.Hour) }
	end := func(h int) *time.Time { e := at(h); return &e }
	l := control.NewLayer()
	for i, c := range []*control.ControlArea{
		{ActorID: "a", AreaKM2: 10, From: at(0), To: end(5)},
		{ActorID: "a", AreaKM2: 4, From: at(2)},
		{ActorID: "b", AreaKM2: 99, From: at(1)},
		{ActorID: "a", AreaKM2: 1, From: at(5)},
	} {
		c.ID = fmt.Sprint(i)
		l.AddDecoded(c, box(float64(i), 0, float64(i)+0.5, 0.5))
	}
	areas, pts := l.Held("a")
	want := []control.Point{{At: at(0), KM2: 10}, {At: at(2), KM2: 14}, {At: at(5), KM2: 5}}
	if len(areas) != 3 || len(pts) != len(want) {
		t.Fatalf("%d areas, points %v; want 3 and %v", len(areas), pts, want)
	}
	for i := range want {
		if !pts[i].At.Equal(want[i].At) || pts[i].KM2 != want[i].KM2 {
			t.Fatalf("point %d = %v, want %v", i, pts[i], want[i])
		}
	}
}
