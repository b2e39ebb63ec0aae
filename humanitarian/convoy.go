package humanitarian

import (
	"math"
	"time"

	"github.com/paulmach/orb"
)

// Convoy tracking: a convoy's GPS unit reports positions (the OsmAnd /
// Traccar HTTP protocol, see the API); each is checked against the
// notified route's corridor by a Corridor, and a ConvoyWatch turns the
// checks into episodes: off the corridor for longer than the grace time
// is a deviation (one alert per episode), back inside ends it.

// DefaultCorridorM is the tolerance of a route notified without a
// corridor: a convoy more than this far from its route has left it.
const DefaultCorridorM = 500

// DefaultGrace is how long a convoy may be off its corridor before it is
// a deviation: a minute absorbs a GPS jump or a short detour.
const DefaultGrace = time.Minute

// Corridor is a route prepared for distance checks: its vertices in a
// local plane (metres east and north of the route's first vertex), so a
// check is arithmetic without trigonometry.
type Corridor struct {
	lon0, lat0, kx, ky float64
	pts                []orb.Point // in metres
	segs               []segBox    // each segment's bounds, widened by HalfWidthM
	cum                []float64   // the route's length up to each vertex, in metres
	HalfWidthM         float64
}

// segBox is a segment's bounds in the local plane, widened by the
// corridor's half-width: a position outside it is not within the
// corridor along that segment.
type segBox struct{ minX, minY, maxX, maxY float64 }

// metres per degree of latitude, and of longitude at the equator: the
// local plane is accurate to well under 1% over a few hundred km.
const (
	mPerDegLat = 110_574
	mPerDegLon = 111_320
)

// NewCorridor prepares a route with its half-width (DefaultCorridorM when
// halfWidthM is 0).
func NewCorridor(route orb.LineString, halfWidthM float64) *Corridor {
	if halfWidthM <= 0 {
		halfWidthM = DefaultCorridorM
	}
	c := &Corridor{HalfWidthM: halfWidthM}
	if len(route) == 0 {
		return c
	}
	c.lon0, c.lat0 = route[0][0], route[0][1]
	mid := route[len(route)/2][1]
	c.kx, c.ky = mPerDegLon*math.Cos(mid*math.Pi/180), mPerDegLat
	c.pts = make([]orb.Point, len(route))
	for i, p := range route {
		c.pts[i] = orb.Point{(p[0] - c.lon0) * c.kx, (p[1] - c.lat0) * c.ky}
	}
	c.cum = make([]float64, len(c.pts))
	for i := 1; i < len(c.pts); i++ {
		a, b := c.pts[i-1], c.pts[i]
		c.cum[i] = c.cum[i-1] + math.Hypot(b[0]-a[0], b[1]-a[1])
		c.segs = append(c.segs, segBox{math.Min(a[0], b[0]) - halfWidthM, math.Min(a[1], b[1]) - halfWidthM,
			math.Max(a[0], b[0]) + halfWidthM, math.Max(a[1], b[1]) + halfWidthM})
	}
	return c
}

// segDist2 is the squared distance from (x, y) to segment i.
func (c *Corridor) segDist2(i int, x, y float64) float64 {
	a, b := c.pts[i], c.pts[i+1]
	dx, dy := b[0]-a[0], b[1]-a[1]
	t := 0.0
	if l2 := dx*dx + dy*dy; l2 > 0 {
		t = ((x-a[0])*dx + (y-a[1])*dy) / l2
		if t < 0 {
			t = 0
		} else if t > 1 {
			t = 1
		}
	}
	ex, ey := a[0]+t*dx-x, a[1]+t*dy-y
	return ex*ex + ey*ey
}

// LengthM returns the route's length in metres.
func (c *Corridor) LengthM() float64 {
	if len(c.cum) == 0 {
		return 0
	}
	return c.cum[len(c.cum)-1]
}

// AlongM returns how far along the route, in metres from its start, the
// point of the route nearest a position lies.
func (c *Corridor) AlongM(lon, lat float64) float64 {
	x, y := (lon-c.lon0)*c.kx, (lat-c.lat0)*c.ky
	best, along := math.Inf(1), 0.0
	for i := range c.segs {
		a, b := c.pts[i], c.pts[i+1]
		dx, dy := b[0]-a[0], b[1]-a[1]
		t := 0.0
		if l2 := dx*dx + dy*dy; l2 > 0 {
			t = math.Min(math.Max(((x-a[0])*dx+(y-a[1])*dy)/l2, 0), 1)
		}
		ex, ey := a[0]+t*dx-x, a[1]+t*dy-y
		if d := ex*ex + ey*ey; d < best {
			best, along = d, c.cum[i]+t*(c.cum[i+1]-c.cum[i])
		}
	}
	return along
}

// metresBetween is the distance in metres between two positions near the
// route, in its local plane.
func (c *Corridor) metresBetween(lon1, lat1, lon2, lat2 float64) float64 {
	return math.Hypot((lon2-lon1)*c.kx, (lat2-lat1)*c.ky)
}

// DistanceM returns the distance in metres from a position to the route.
func (c *Corridor) DistanceM(lon, lat float64) float64 {
	x, y := (lon-c.lon0)*c.kx, (lat-c.lat0)*c.ky
	if len(c.pts) == 1 {
		ex, ey := c.pts[0][0]-x, c.pts[0][1]-y
		return math.Sqrt(ex*ex + ey*ey)
	}
	best := math.Inf(1)
	for i := range c.segs {
		if d := c.segDist2(i, x, y); d < best {
			best = d
		}
	}
	return math.Sqrt(best)
}

// Inside reports whether a position is within the corridor: the hot path
// of convoy tracking, which skips every segment whose widened bounds
// leave the position out and stops at the first segment within reach.
func (c *Corridor) Inside(lon, lat float64) bool {
	x, y := (lon-c.lon0)*c.kx, (lat-c.lat0)*c.ky
	if len(c.pts) == 1 {
		ex, ey := c.pts[0][0]-x, c.pts[0][1]-y
		return ex*ex+ey*ey <= c.HalfWidthM*c.HalfWidthM
	}
	hw2 := c.HalfWidthM * c.HalfWidthM
	for i, b := range c.segs {
		if x < b.minX || x > b.maxX || y < b.minY || y > b.maxY {
			continue
		}
		if c.segDist2(i, x, y) <= hw2 {
			return true
		}
	}
	return false
}

// ConvoyEventKind says what a ConvoyWatch saw.
type ConvoyEventKind string

// Convoy events: a deviation (off the corridor longer than the grace
// time) and the return to the corridor that ends it.
const (
	ConvoyDeviation ConvoyEventKind = "deviation"
	ConvoyReturned  ConvoyEventKind = "returned"
)

// ConvoyEvent is what a position made of a convoy's watch.
type ConvoyEvent struct {
	Kind ConvoyEventKind
	// Since is when the convoy left the corridor; At is the position's
	// time; DistanceM how far it is from the route.
	Since, At time.Time
	Lon, Lat  float64
	DistanceM float64
	// Zone is the zone of concern a ConvoyZoneEntry entered.
	Zone *ZoneHit
}

// ConvoyWatch follows one convoy against its corridor: the state of its
// current episode off the corridor. It is pure (no clock, no I/O): feed
// it positions in time order.
type ConvoyWatch struct {
	Corridor *Corridor
	Grace    time.Duration // DefaultGrace when 0
	last     time.Time
	offSince time.Time // zero while inside
	alerted  bool      // the current episode's deviation was raised
	clock    clockState
}

// Observe checks one position and returns the event it makes, if any: a
// deviation once the convoy has been off its corridor for longer than
// the grace time (once per episode), a return when it comes back after a
// deviation. A position older than the last one is ignored.
func (w *ConvoyWatch) Observe(lon, lat float64, at time.Time) *ConvoyEvent {
	if !w.last.IsZero() && at.Before(w.last) {
		return nil
	}
	w.last = at
	inside := w.Corridor.Inside(lon, lat)
	w.observeClock(lon, lat, at, inside)
	grace := w.Grace
	if grace <= 0 {
		grace = DefaultGrace
	}
	if inside {
		d := w.Corridor.DistanceM(lon, lat)
		was := w.alerted
		since := w.offSince
		w.offSince, w.alerted = time.Time{}, false
		if was {
			return &ConvoyEvent{Kind: ConvoyReturned, Since: since, At: at, Lon: lon, Lat: lat, DistanceM: d}
		}
		return nil
	}
	if w.offSince.IsZero() {
		w.offSince = at
	}
	if !w.alerted && at.Sub(w.offSince) >= grace {
		w.alerted = true
		return &ConvoyEvent{Kind: ConvoyDeviation, Since: w.offSince, At: at, Lon: lon, Lat: lat, DistanceM: w.Corridor.DistanceM(lon, lat)}
	}
	return nil
}
