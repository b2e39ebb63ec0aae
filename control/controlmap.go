package control

import (
	"fmt"
	"math"
	"sort"
	"time"

	"github.com/paulmach/orb"
)

// Layer is the control areas held in memory for maps: every area's
// latest version with its area decoded, a grid of their boxes, and for
// each area the areas of other actors that share interior with it. That
// overlap is a property of the shapes, not of time, so it is found once
// as an area is added (a grid search and a DE-9IM test per candidate, as
// a breach check costs) and a map at any time only asks which of an
// area's overlaps are held then. It is not safe for concurrent use (the
// service guards it).
type Layer struct {
	areas    []*ControlArea
	geoms    []orb.Geometry
	boxes    []orb.Bound
	overlaps [][]int32
	byID     map[string]int
	index    *Index[int32]
}

// NewLayer returns an empty layer.
func NewLayer() *Layer {
	return &Layer{byID: map[string]int{}, index: NewIndex[int32]()}
}

// Add puts a control area (or a new version of one: it replaces the
// old) in the layer.
func (l *Layer) Add(c *ControlArea) error {
	g, _, _, err := geometry(c.Geometry)
	if err != nil {
		return fmt.Errorf("control area %s: %w", c.ID, err)
	}
	l.AddDecoded(c, g)
	return nil
}

// AddDecoded is Add with the area already decoded.
func (l *Layer) AddDecoded(c *ControlArea, g orb.Geometry) {
	if i, ok := l.byID[c.ID]; ok {
		// A new version keeps its geometry (End changes only To).
		l.areas[i], l.geoms[i] = c, g
		return
	}
	i := int32(len(l.areas))
	b := g.Bound()
	var over []int32
	l.index.Search(b, func(j int32) bool {
		if l.areas[j].ActorID != c.ActorID && boxesOverlap(b, l.boxes[j]) && interiorsMeet(g, l.geoms[j]) {
			over = append(over, j)
			l.overlaps[j] = append(l.overlaps[j], i)
		}
		return true
	})
	l.byID[c.ID] = int(i)
	l.areas = append(l.areas, c)
	l.geoms = append(l.geoms, g)
	l.boxes = append(l.boxes, b)
	l.overlaps = append(l.overlaps, over)
	l.index.Add(b, i)
}

// Within calls fn with every control area that shares interior with g,
// in the order they were added.
func (l *Layer) Within(g orb.Geometry, fn func(*ControlArea)) {
	b := g.Bound()
	var hits []int32
	l.index.Search(b, func(j int32) bool {
		if boxesOverlap(b, l.boxes[j]) && interiorsMeet(g, l.geoms[j]) {
			hits = append(hits, j)
		}
		return true
	})
	sort.Slice(hits, func(i, j int) bool { return hits[i] < hits[j] })
	for _, j := range hits {
		fn(l.areas[j])
	}
}

// Len returns the number of control areas.
func (l *Layer) Len() int { return len(l.areas) }

// Area returns a control area by id.
func (l *Layer) Area(id string) (*ControlArea, orb.Geometry, bool) {
	i, ok := l.byID[id]
	if !ok {
		return nil, nil, false
	}
	return l.areas[i], l.geoms[i], true
}

// Held is a control area in a map: contested when another actor's area
// held at the same time shares interior with it.
type Held struct {
	*ControlArea
	ContestedWith []string `json:"contested_with,omitempty"` // actor ids
}

// ActorTotal is the ground one actor holds in a map, in km² on WGS84;
// Contested is the part of it in areas that are contested (an area's
// whole size counts: the overlap itself is not cut out).
type ActorTotal struct {
	ActorID      string  `json:"actor_id"`
	Areas        int     `json:"areas"`
	KM2          float64 `json:"km2"`
	ContestedKM2 float64 `json:"contested_km2"`
}

// Map is the control map at a time.
type Map struct {
	At     time.Time    `json:"at"`
	Areas  []Held       `json:"areas"`
	Actors []ActorTotal `json:"actors"`
	// Truncated says the areas listed are not all the map's (MapIn).
	Truncated bool `json:"truncated,omitempty"`
}

// MapAt returns the control map at t: the areas held at t, each marked
// contested where another actor's held area shares interior with it, and
// km² per actor (largest first). Overlapping claims are kept, not
// resolved: contested ground is real.
func (l *Layer) MapAt(t time.Time) *Map {
	m := &Map{At: t}
	totals := map[string]*ActorTotal{}
	for i, c := range l.areas {
		if !c.At(t) {
			continue
		}
		h := Held{ControlArea: c}
		for _, j := range l.overlaps[i] {
			if o := l.areas[j]; o.At(t) && !contains(h.ContestedWith, o.ActorID) {
				h.ContestedWith = append(h.ContestedWith, o.ActorID)
			}
		}
		m.Areas = append(m.Areas, h)
		tot := totals[c.ActorID]
		if tot == nil {
			tot = &ActorTotal{ActorID: c.ActorID}
			totals[c.ActorID] = tot
		}
		tot.Areas++
		tot.KM2 += c.AreaKM2
		if len(h.ContestedWith) > 0 {
			tot.ContestedKM2 += c.AreaKM2
		}
	}
	m.Actors = sortTotals(totals)
	return m
}

func contains(s []string, v string) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

func sortTotals(totals map[string]*ActorTotal) []ActorTotal {
	out := make([]ActorTotal, 0, len(totals))
	for _, t := range totals {
		out = append(out, *t)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].KM2 != out[j].KM2 {
			return out[i].KM2 > out[j].KM2
		}
		return out[i].ActorID < out[j].ActorID
	})
	return out
}

// Movement is one control change between two times: an area gained (its
// control began) or lost (its control ended).
type Movement struct {
	At            time.Time `json:"at"`
	ControlAreaID string    `json:"control_area_id"`
	ActorID       string    `json:"actor_id"`
	Gained        bool      `json:"gained"`
	KM2           float64   `json:"km2"`
	LiberatedFrom string    `json:"liberated_from,omitempty"`
}

// ActorDelta is one actor's ground at the two times and the difference.
type ActorDelta struct {
	ActorID  string  `json:"actor_id"`
	FromKM2  float64 `json:"from_km2"`
	ToKM2    float64 `json:"to_km2"`
	DeltaKM2 float64 `json:"delta_km2"`
}

// Changes is what changed between two times.
type Changes struct {
	From      time.Time    `json:"from"`
	To        time.Time    `json:"to"`
	Movements []Movement   `json:"movements"`
	Actors    []ActorDelta `json:"actors"`
	// Truncated says the movements listed are not all the period's
	// (ChangesIn); the totals per actor are.
	Truncated bool `json:"truncated,omitempty"`
}

// ChangesBetween returns the control changes in (from, to], oldest
// first, and each actor's km² at from and at to.
func (l *Layer) ChangesBetween(from, to time.Time) *Changes {
	ch := &Changes{From: from, To: to}
	deltas := map[string]*ActorDelta{}
	d := func(id string) *ActorDelta {
		if deltas[id] == nil {
			deltas[id] = &ActorDelta{ActorID: id}
		}
		return deltas[id]
	}
	in := func(t time.Time) bool { return t.After(from) && !t.After(to) }
	for _, c := range l.areas {
		if c.At(from) {
			d(c.ActorID).FromKM2 += c.AreaKM2
		}
		if c.At(to) {
			d(c.ActorID).ToKM2 += c.AreaKM2
		}
		if in(c.From) {
			ch.Movements = append(ch.Movements, Movement{At: c.From, ControlAreaID: c.ID, ActorID: c.ActorID, Gained: true, KM2: c.AreaKM2, LiberatedFrom: c.LiberatedFrom})
		}
		if c.To != nil && in(*c.To) {
			ch.Movements = append(ch.Movements, Movement{At: *c.To, ControlAreaID: c.ID, ActorID: c.ActorID, KM2: c.AreaKM2})
		}
	}
	sort.SliceStable(ch.Movements, func(i, j int) bool { return ch.Movements[i].At.Before(ch.Movements[j].At) })
	for _, x := range deltas {
		x.DeltaKM2 = x.ToKM2 - x.FromKM2
		ch.Actors = append(ch.Actors, *x)
	}
	sort.Slice(ch.Actors, func(i, j int) bool { return ch.Actors[i].ActorID < ch.Actors[j].ActorID })
	return ch
}

// Point is an actor's ground at a time, in km².
type Point struct {
	At  time.Time `json:"at"`
	KM2 float64   `json:"km2"`
}

// Held returns an actor's control areas, oldest first, and its ground
// over time: a point at each start and end of its control, the km² held
// from then on (areas of the actor that overlap count twice, as in MapAt).
func (l *Layer) Held(actorID string) ([]*ControlArea, []Point) {
	type step struct {
		at time.Time
		d  float64
	}
	var areas []*ControlArea
	var steps []step
	for _, c := range l.areas {
		if c.ActorID != actorID {
			continue
		}
		areas = append(areas, c)
		steps = append(steps, step{c.From, c.AreaKM2})
		if c.To != nil {
			steps = append(steps, step{*c.To, -c.AreaKM2})
		}
	}
	sort.SliceStable(steps, func(i, j int) bool { return steps[i].at.Before(steps[j].at) })
	var pts []Point
	km2 := 0.0
	for i, st := range steps {
		km2 += st.d
		if i+1 < len(steps) && steps[i+1].at.Equal(st.at) {
			continue
		}
		pts = append(pts, Point{At: st.at, KM2: math.Max(0, km2)})
	}
	sort.SliceStable(areas, func(i, j int) bool { return areas[i].From.Before(areas[j].From) })
	return areas, pts
}
