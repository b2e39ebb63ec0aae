package observation

import (
	"math"
	"sync"
	"time"

	"github.com/paulmach/orb"
	"github.com/truce-project/truce/geo"
)

// Grouping rule. Two observations are of the same event when they have
// the same category, their uncertainty circles overlap (the distance
// between their points is at most the sum of their radii) and their time
// windows, each at most GroupSpan long, overlap once widened by
// GroupTolerance. A window longer than GroupSpan (an event known only to
// the week) is never grouped automatically: an analyst groups it by hand.
const (
	GroupTolerance = 15 * time.Minute
	GroupSpan      = 24 * time.Hour
)

// Entry is what the grouping index keeps of an observation.
type Entry struct {
	Incident   string
	Category   Category
	Center     Point
	Radius     float64
	Start, End time.Time
}

// EntryOf returns the index entry of an observation.
func EntryOf(o *Observation) Entry {
	return Entry{Incident: o.IncidentID, Category: o.Category, Center: o.Center, Radius: o.Radius, Start: o.Start, End: o.End}
}

// Near reports whether a and b are of the same event by the grouping rule.
func Near(a, b *Entry) bool {
	if a.Category != b.Category || a.End.Sub(a.Start) > GroupSpan || b.End.Sub(b.Start) > GroupSpan {
		return false
	}
	if a.Start.Add(-GroupTolerance).After(b.End) || b.Start.Add(-GroupTolerance).After(a.End) {
		return false
	}
	r := a.Radius + b.Radius
	// A latitude difference alone that exceeds r settles it without a
	// geodesic (a degree of latitude is at least 110.5 km).
	if math.Abs(a.Center.Lat-b.Center.Lat)*110_500 > r {
		return false
	}
	return geo.Distance(orb.Point{a.Center.Lon, a.Center.Lat}, orb.Point{b.Center.Lon, b.Center.Lat}) <= r
}

// Index is the grouping engine: every grouped observation in a grid of
// cells (cellDeg degrees × bucket hours of the window's start, per
// category), so that a new observation is compared only with those whose
// cells its circle and window could reach. It is rebuilt from the store at
// start-up (Service.Load) and safe for concurrent use.
type Index struct {
	mu      sync.RWMutex
	entries []Entry
	cells   map[uint64][]int32
	maxR    float64       // the largest radius indexed
	maxSpan time.Duration // the longest window indexed
}

const (
	cellDeg = 0.25
	bucket  = 6 * time.Hour
)

// NewIndex returns an empty index.
func NewIndex() *Index { return &Index{cells: map[uint64][]int32{}} }

// Len returns the number of entries indexed.
func (x *Index) Len() int {
	x.mu.RLock()
	defer x.mu.RUnlock()
	return len(x.entries)
}

var catCode = func() map[Category]uint64 {
	m := map[Category]uint64{}
	i := uint64(1)
	for c := range Categories {
		m[c] = i
		i++
	}
	return m
}()

func cellKey(cat Category, cx, cy int, tb int64) uint64 {
	return uint64(tb)<<25 | catCode[cat]<<21 | uint64(cx&0x7ff)<<10 | uint64(cy&0x3ff)
}

func cellOf(p Point) (int, int) {
	return int(math.Floor((p.Lon + 180) / cellDeg)), int(math.Floor((p.Lat + 90) / cellDeg))
}

func bucketOf(t time.Time) int64 { return t.Unix() / int64(bucket/time.Second) }

// Add indexes an entry; entries whose window is longer than GroupSpan
// are not indexed (they are never grouped).
func (x *Index) Add(e Entry) {
	if e.End.Sub(e.Start) > GroupSpan {
		return
	}
	x.mu.Lock()
	defer x.mu.Unlock()
	cx, cy := cellOf(e.Center)
	k := cellKey(e.Category, cx, cy, bucketOf(e.Start))
	x.cells[k] = append(x.cells[k], int32(len(x.entries)))
	x.entries = append(x.entries, e)
	x.maxR = max(x.maxR, e.Radius)
	x.maxSpan = max(x.maxSpan, e.End.Sub(e.Start))
}

// Match returns the incident a new observation belongs to: that of the
// earliest indexed entry Near it, or "" if none is.
func (x *Index) Match(e *Entry) string {
	if e.End.Sub(e.Start) > GroupSpan {
		return ""
	}
	x.mu.RLock()
	defer x.mu.RUnlock()
	reach := e.Radius + x.maxR
	dLat := reach / 110_500
	cosLat := math.Cos(math.Min(math.Abs(e.Center.Lat)+dLat, 89) * math.Pi / 180)
	dLon := reach / (111_320 * cosLat)
	x0, y0 := cellOf(Point{e.Center.Lon - dLon, e.Center.Lat - dLat})
	x1, y1 := cellOf(Point{e.Center.Lon + dLon, e.Center.Lat + dLat})
	t0 := bucketOf(e.Start.Add(-GroupTolerance - x.maxSpan))
	t1 := bucketOf(e.End.Add(GroupTolerance))
	best := int32(-1)
	for tb := t0; tb <= t1; tb++ {
		for cx := x0; cx <= x1; cx++ {
			for cy := y0; cy <= y1; cy++ {
				for _, i := range x.cells[cellKey(e.Category, cx, cy, tb)] {
					if (best < 0 || i < best) && Near(e, &x.entries[i]) {
						best = i
					}
				}
			}
		}
	}
	if best < 0 {
		return ""
	}
	return x.entries[best].Incident
}

// MatchBrute returns what Match must, by comparing e with every entry in
// the order they were added: the reference Match is tested against.
func (x *Index) MatchBrute(e *Entry) string {
	if e.End.Sub(e.Start) > GroupSpan {
		return ""
	}
	x.mu.RLock()
	defer x.mu.RUnlock()
	for i := range x.entries {
		if Near(e, &x.entries[i]) {
			return x.entries[i].Incident
		}
	}
	return ""
}
