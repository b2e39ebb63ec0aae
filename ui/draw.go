package ui

import (
	"encoding/json"
	"math"
	"runtime"
	"strconv"
	"sync"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/simplify"
	"github.com/truce-project/truce/geo"
)

// Zone geometry is simplified for drawing only: the map asks for the zones
// at its zoom, and a real boundary's hundreds of vertices per kilometre
// are thousands of points that fall on the same pixel. Shipping 5,000 OCHA
// sub-districts whole is millions of vertices, tens of megabytes of JSON
// and seconds of script; simplified to a fraction of a pixel they are a
// few hundred kilobytes that look the same. The stored geometry, the
// monitor and every proof keep the agreed coordinates.

// maxDrawZoom is the deepest zoom the map asks for (Leaflet's maxZoom);
// deeper requests are drawn as at this one.
const maxDrawZoom = 18

// drawTolerance is the Douglas–Peucker tolerance in degrees at a zoom: a
// third of a pixel's width in Web Mercator (360° over 256·2^z pixels at
// the equator; a degree of latitude spans more pixels further north, so at
// Syria's 35°N the error stays under half a pixel).
func drawTolerance(zoom int) float64 {
	return 360 / (256 * math.Exp2(float64(zoom))) / 3
}

// drawDigits is how many decimals a coordinate keeps at a tolerance: a
// tenth of it, at most the 6 decimals (11 cm) of the data.
func drawDigits(tol float64) int {
	d := int(math.Ceil(-math.Log10(tol / 10)))
	return max(0, min(d, 6))
}

// simplifyForDrawing returns geometry (RFC 7946 GeoJSON) simplified for
// drawing at zoom. The result is never less drawable than the input: every
// ring keeps at least three distinct vertices and its orientation, a hole
// or an island too small to see at that zoom is left out, and a
// simplification that makes a valid geometry invalid (rings crossing, as
// Douglas–Peucker can make them) is retried at a quarter of the tolerance,
// down to the geometry as given.
func simplifyForDrawing(raw json.RawMessage, zoom int) (json.RawMessage, error) {
	orig, err := geo.Decode(raw, geo.Options{SkipTopology: true, MaxVertices: -1})
	if err != nil {
		return nil, err
	}
	switch orig.(type) {
	case orb.Polygon, orb.MultiPolygon, orb.LineString, orb.MultiLineString:
	default:
		return raw, nil
	}
	var origValid *bool
	for tol := drawTolerance(min(max(zoom, 0), maxDrawZoom)); tol > 1e-7; tol /= 4 {
		s := simplifyGeometry(orig, tol, drawDigits(tol))
		if s == nil {
			continue
		}
		if geo.ValidateTopology(s) != nil {
			if origValid == nil {
				ok := geo.ValidateTopology(orig) == nil
				origValid = &ok
			}
			if *origValid {
				continue
			}
		}
		return appendGeometry(nil, s), nil
	}
	return raw, nil
}

// simplifyGeometry simplifies g at tol and rounds it to digits, or returns
// nil when a part that must stay (a polygon's shell, the only polygon)
// collapses.
func simplifyGeometry(g orb.Geometry, tol float64, digits int) orb.Geometry {
	dp := simplify.DouglasPeucker(tol)
	scale := math.Pow(10, float64(digits))
	round := func(ls []orb.Point) []orb.Point {
		out := make([]orb.Point, 0, len(ls))
		for _, p := range ls {
			q := orb.Point{math.Round(p[0]*scale) / scale, math.Round(p[1]*scale) / scale}
			if len(out) == 0 || out[len(out)-1] != q {
				out = append(out, q)
			}
		}
		return out
	}
	ring := func(r orb.Ring) orb.Ring {
		s := orb.Ring(round(dp.Ring(r.Clone())))
		if len(s) < 4 || s[0] != s[len(s)-1] {
			return nil
		}
		// A ring with area has three distinct vertices.
		a, b := s.Orientation(), r.Orientation()
		if a == 0 || a != b {
			return nil
		}
		return s
	}
	polygon := func(p orb.Polygon) orb.Polygon {
		if len(p) == 0 {
			return nil
		}
		shell := ring(p[0])
		if shell == nil {
			return nil
		}
		out := orb.Polygon{shell}
		for _, h := range p[1:] {
			if s := ring(h); s != nil {
				out = append(out, s)
			}
		}
		return out
	}
	switch g := g.(type) {
	case orb.Polygon:
		if p := polygon(g); p != nil {
			return p
		}
	case orb.MultiPolygon:
		var out orb.MultiPolygon
		for _, p := range g {
			if s := polygon(p); s != nil {
				out = append(out, s)
			}
		}
		if len(out) > 0 {
			return out
		}
	case orb.LineString:
		if s := round(dp.LineString(g.Clone())); len(s) >= 2 {
			return orb.LineString(s)
		}
	case orb.MultiLineString:
		var out orb.MultiLineString
		for _, l := range g {
			if s := round(dp.LineString(l.Clone())); len(s) >= 2 {
				out = append(out, s)
			}
		}
		if len(out) > 0 {
			return out
		}
	}
	return nil
}

// appendGeometry writes g (a Polygon, MultiPolygon, LineString or
// MultiLineString, already rounded) as GeoJSON with the shortest decimals.
func appendGeometry(b []byte, g orb.Geometry) []byte {
	point := func(b []byte, p orb.Point) []byte {
		b = append(b, '[')
		b = strconv.AppendFloat(b, p[0], 'f', -1, 64)
		b = append(b, ',')
		b = strconv.AppendFloat(b, p[1], 'f', -1, 64)
		return append(b, ']')
	}
	line := func(b []byte, ps []orb.Point) []byte {
		b = append(b, '[')
		for i, p := range ps {
			if i > 0 {
				b = append(b, ',')
			}
			b = point(b, p)
		}
		return append(b, ']')
	}
	polygon := func(b []byte, p orb.Polygon) []byte {
		b = append(b, '[')
		for i, r := range p {
			if i > 0 {
				b = append(b, ',')
			}
			b = line(b, r)
		}
		return append(b, ']')
	}
	b = append(b, `{"type":"`...)
	b = append(b, g.GeoJSONType()...)
	b = append(b, `","coordinates":`...)
	switch g := g.(type) {
	case orb.Polygon:
		b = polygon(b, g)
	case orb.MultiPolygon:
		b = append(b, '[')
		for i, p := range g {
			if i > 0 {
				b = append(b, ',')
			}
			b = polygon(b, p)
		}
		b = append(b, ']')
	case orb.LineString:
		b = line(b, g)
	case orb.MultiLineString:
		b = append(b, '[')
		for i, l := range g {
			if i > 0 {
				b = append(b, ',')
			}
			b = line(b, l)
		}
		b = append(b, ']')
	}
	return append(b, '}')
}

// drawCache keeps simplified geometry by zone version and zoom: a version
// never changes once proposed, so an entry never goes stale. It holds at
// most drawCacheBytes and starts afresh when full.
type drawCache struct {
	mu    sync.Mutex
	m     map[drawKey]json.RawMessage
	bytes int
}

// drawKey is a zone version ("zone/version", the feature id) at a zoom.
type drawKey struct {
	version string
	zoom    int
}

const drawCacheBytes = 64 << 20

func (c *drawCache) get(k drawKey) (json.RawMessage, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	g, ok := c.m[k]
	return g, ok
}

func (c *drawCache) put(k drawKey, g json.RawMessage) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil || c.bytes+len(g) > drawCacheBytes {
		c.m, c.bytes = map[drawKey]json.RawMessage{}, 0
	}
	c.m[k] = g
	c.bytes += len(g)
}

// drawGeometries replaces each feature's geometry with its drawing at
// zoom, from the cache or simplified on every core. A geometry that cannot
// be read is drawn as stored.
func (u *UI) drawGeometries(fs []zoneFeature, zoom int) {
	var todo []int
	for i := range fs {
		if g, ok := u.draw.get(drawKey{fs[i].ID, zoom}); ok {
			fs[i].Geometry = g
		} else {
			todo = append(todo, i)
		}
	}
	if len(todo) == 0 {
		return
	}
	var wg sync.WaitGroup
	next := make(chan int)
	for range min(runtime.GOMAXPROCS(0), len(todo)) {
		wg.Go(func() {
			for i := range next {
				g, err := simplifyForDrawing(fs[i].Geometry, zoom)
				if err != nil {
					continue
				}
				u.draw.put(drawKey{fs[i].ID, zoom}, g)
				fs[i].Geometry = g
			}
		})
	}
	for _, i := range todo {
		next <- i
	}
	close(next)
	wg.Wait()
}
