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
//
// Entries are kept compact (times as Unix nanoseconds, the incident as an
// index into a table of ids) in fixed-size chunks, so that adding one
// never copies the million before it.
type Index struct {
	mu        sync.RWMutex
	chunks    [][]entry
	n         int
	incidents []string
	incNum    map[string]int32
	cells     map[uint64][]int32
	maxR      float64 // the largest radius indexed
	maxSpan   int64   // the longest window indexed, ns
}

type entry struct {
	lon, lat, r float64
	start, end  int64
	inc         int32
	cat         Category
}

const (
	cellDeg   = 0.25
	bucket    = 6 * time.Hour
	chunkSize = 1 << 14
)

// NewIndex returns an empty index.
func NewIndex() *Index {
	return &Index{cells: map[uint64][]int32{}, incNum: map[string]int32{}}
}

// Len returns the number of entries indexed.
func (x *Index) Len() int {
	x.mu.RLock()
	defer x.mu.RUnlock()
	return x.n
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

func cellOf(lon, lat float64) (int, int) {
	return int(math.Floor((lon + 180) / cellDeg)), int(math.Floor((lat + 90) / cellDeg))
}

func bucketOf(ns int64) int64 { return floorDiv(ns, int64(bucket)) }

func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 && (a < 0) != (b < 0) {
		q--
	}
	return q
}

func (x *Index) at(i int32) *entry { return &x.chunks[i/chunkSize][i%chunkSize] }

// Add indexes an entry and returns its slot (for Remove); entries whose
// window is longer than GroupSpan are not indexed (they are never
// grouped), and their slot is -1.
func (x *Index) Add(e Entry) int32 {
	if e.End.Sub(e.Start) > GroupSpan {
		return -1
	}
	x.mu.Lock()
	defer x.mu.Unlock()
	inc, ok := x.incNum[e.Incident]
	if !ok {
		inc = int32(len(x.incidents))
		x.incidents = append(x.incidents, e.Incident)
		x.incNum[e.Incident] = inc
	}
	c := entry{lon: e.Center.Lon, lat: e.Center.Lat, r: e.Radius, start: e.Start.UnixNano(), end: e.End.UnixNano(), inc: inc, cat: e.Category}
	if x.n%chunkSize == 0 {
		x.chunks = append(x.chunks, make([]entry, 0, chunkSize))
	}
	last := len(x.chunks) - 1
	x.chunks[last] = append(x.chunks[last], c)
	cx, cy := cellOf(c.lon, c.lat)
	k := cellKey(e.Category, cx, cy, bucketOf(c.start))
	x.cells[k] = append(x.cells[k], int32(x.n))
	x.n++
	x.maxR = max(x.maxR, c.r)
	x.maxSpan = max(x.maxSpan, c.end-c.start)
	return int32(x.n - 1)
}

// Remove takes the entry in slot out of the matching (an entry added
// before its observation was written, whose write failed); -1 is ignored.
func (x *Index) Remove(slot int32) {
	if slot < 0 {
		return
	}
	x.mu.Lock()
	defer x.mu.Unlock()
	// No category matches the empty one.
	x.at(slot).cat = ""
}

var tolerance = int64(GroupTolerance)

// near is Near on the compact entries.
func near(a, b *entry) bool {
	if a.cat != b.cat || a.start-tolerance > b.end || b.start-tolerance > a.end {
		return false
	}
	r := a.r + b.r
	if math.Abs(a.lat-b.lat)*110_500 > r {
		return false
	}
	return geo.Distance(orb.Point{a.lon, a.lat}, orb.Point{b.lon, b.lat}) <= r
}

// Match returns the incident a new observation belongs to: that of the
// earliest indexed entry Near it, or "" if none is.
func (x *Index) Match(e *Entry) string {
	if e.End.Sub(e.Start) > GroupSpan {
		return ""
	}
	q := entry{lon: e.Center.Lon, lat: e.Center.Lat, r: e.Radius, start: e.Start.UnixNano(), end: e.End.UnixNano(), cat: e.Category}
	x.mu.RLock()
	defer x.mu.RUnlock()
	reach := q.r + x.maxR
	dLat := reach / 110_500
	cosLat := math.Cos(math.Min(math.Abs(q.lat)+dLat, 89) * math.Pi / 180)
	dLon := reach / (111_320 * cosLat)
	x0, y0 := cellOf(q.lon-dLon, q.lat-dLat)
	x1, y1 := cellOf(q.lon+dLon, q.lat+dLat)
	t0 := bucketOf(q.start - tolerance - x.maxSpan)
	t1 := bucketOf(q.end + tolerance)
	best := int32(-1)
	for tb := t0; tb <= t1; tb++ {
		for cx := x0; cx <= x1; cx++ {
			for cy := y0; cy <= y1; cy++ {
				for _, i := range x.cells[cellKey(q.cat, cx, cy, tb)] {
					if (best < 0 || i < best) && near(&q, x.at(i)) {
						best = i
					}
				}
			}
		}
	}
	if best < 0 {
		return ""
	}
	return x.incidents[x.at(best).inc]
}

// MatchBrute returns what Match must, by comparing e with every entry in
// the order they were added, by Near: the reference Match is tested
// against.
func (x *Index) MatchBrute(e *Entry) string {
	if e.End.Sub(e.Start) > GroupSpan {
		return ""
	}
	x.mu.RLock()
	defer x.mu.RUnlock()
	for i := 0; i < x.n; i++ {
		c := x.at(int32(i))
		o := Entry{Category: c.cat, Center: Point{c.lon, c.lat}, Radius: c.r, Start: time.Unix(0, c.start), End: time.Unix(0, c.end)}
		if Near(e, &o) {
			return x.incidents[c.inc]
		}
	}
	return ""
}

// Move re-points the entry of an observation (e, as it was indexed) from
// incident from to incident to, and reports whether it found it: an
// observation moved by hand is matched as part of the incident it joined.
func (x *Index) Move(e Entry, from, to string) bool {
	if e.End.Sub(e.Start) > GroupSpan {
		return false
	}
	x.mu.Lock()
	defer x.mu.Unlock()
	fi, ok := x.incNum[from]
	if !ok {
		return false
	}
	ti, ok := x.incNum[to]
	if !ok {
		ti = int32(len(x.incidents))
		x.incidents = append(x.incidents, to)
		x.incNum[to] = ti
	}
	cx, cy := cellOf(e.Center.Lon, e.Center.Lat)
	start, end := e.Start.UnixNano(), e.End.UnixNano()
	for _, i := range x.cells[cellKey(e.Category, cx, cy, bucketOf(start))] {
		c := x.at(i)
		if c.inc == fi && c.lon == e.Center.Lon && c.lat == e.Center.Lat && c.r == e.Radius && c.start == start && c.end == end {
			c.inc = ti
			return true
		}
	}
	return false
}
