package humanitarian

import (
	"context"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/planar"
	"github.com/truce-project/truce"
	"github.com/truce-project/truce/geo"
	"github.com/truce-project/truce/spatial"
)

// Hazard is something Truce knows on a movement's route or at a site
// during its time, returned with (and recorded in) the notification: a
// zone in force that the route's corridor or the site's area meets
// (Kind "zone"), or a recent alert raised near it (Kind "alert"). It
// blocks nothing.
type Hazard struct {
	Kind        string         `json:"kind"` // "zone" or "alert"
	ZoneID      string         `json:"zone_id,omitempty"`
	ZoneVersion int            `json:"zone_version,omitempty"`
	ZoneName    string         `json:"zone_name,omitempty"`
	ZoneKind    truce.ZoneKind `json:"zone_kind,omitempty"`
	AgreementID string         `json:"agreement_id,omitempty"`
	// AlertID, AlertKind and AlertTime name a recent alert raised within
	// DistanceM metres of the route or site.
	AlertID   string          `json:"alert_id,omitempty"`
	AlertKind truce.AlertKind `json:"alert_kind,omitempty"`
	AlertTime *time.Time      `json:"alert_time,omitempty"`
	DistanceM *float64        `json:"distance_m,omitempty"`
	Reason    string          `json:"reason"`
}

// ZoneHit is a zone version in force that a geometry meets: what a
// HazardChecker returns.
type ZoneHit struct {
	ZoneID      string
	Version     int
	Name        string
	Kind        truce.ZoneKind
	AgreementID string
}

// HazardChecker finds the zones in force that a geometry meets between
// two times, at ground level or, for air movements, at any altitude. The
// node implements it over the live zone index (ZoneHazards).
type HazardChecker interface {
	ZonesMeeting(ctx context.Context, g orb.Geometry, air bool, from, to time.Time) ([]ZoneHit, error)
}

// ZoneIndexChecker is the HazardChecker over a spatial zone index: the
// zones it holds that a geometry meets in a window, at ground level (up
// to 100 m) or, for air movements, up to 20 km. Record names each index
// id's zone version (false leaves it out).
type ZoneIndexChecker struct {
	Index  *spatial.ZoneIndex
	Record func(indexID string) (ZoneHit, bool)
}

// HazardBand is the altitude band, in metres, whose zones are hazards to
// a site or a movement: for a site or a ground movement the surface and
// what stands on it (from 500 m below to 100 m above), for an air movement
// every altitude it may fly at (up to 20 km).
func HazardBand(air bool) (floorM, ceilingM float64) {
	if air {
		return -500, 20_000
	}
	return -500, 100
}

// ZoneHitOf is the hazard a zone version in force makes: false for a
// record without a version.
func ZoneHitOf(r truce.ZoneAt) (ZoneHit, bool) {
	v := r.Version
	if v == nil {
		return ZoneHit{}, false
	}
	return ZoneHit{ZoneID: v.ZoneID, Version: v.Version, Name: v.Spec.Name, Kind: v.Spec.Kind, AgreementID: v.AgreementID}, true
}

// ZonesMeeting implements HazardChecker.
func (z ZoneIndexChecker) ZonesMeeting(ctx context.Context, g orb.Geometry, air bool, from, to time.Time) ([]ZoneHit, error) {
	floor, ceiling := HazardBand(air)
	var out []ZoneHit
	err := z.Index.Intersecting(g, floor, ceiling, from, to, func(id string) bool {
		if h, ok := z.Record(id); ok {
			out = append(out, h)
		}
		return ctx.Err() == nil
	})
	if err != nil {
		return nil, err
	}
	return out, ctx.Err()
}

// minCorridorM is the corridor half-width used for the hazard check of a
// route notified without one: a road's width and GPS error.
const minCorridorM = 50

// minSiteRadiusM is the radius of the area checked around a site
// notified as a point without a buffer: a compound's size.
const minSiteRadiusM = 50

// hazardKinds are the zone kinds that are hazards to a ground movement:
// exclusion zones, the line of contact and buffer zones. An air movement
// also meets no-fly zones.
var hazardKinds = []truce.ZoneKind{truce.ZoneExclusion, truce.ZoneContactLine, truce.ZoneBuffer}

// Hazards is the hazard check of a notification: the zones in force
// (Zones) and the recent alerts (Alerts) that a site or a route meets.
// Either may be nil, which checks nothing of that kind.
type Hazards struct {
	Zones  HazardChecker
	Alerts *RecentAlerts
}

// RouteHazards returns the hazards of a movement's route: the zones of a
// hazardous kind (HazardKind) that its corridor meets between the start
// of its departure window and the end of its arrival window, and the
// recent alerts of a hazardous kind (AlertHazardKind) raised within
// AlertMarginM of the corridor. The check is a rule over what the
// checkers find; the checkers are the indexes.
func (h Hazards) RouteHazards(ctx context.Context, route orb.LineString, f *MovementFields) ([]Hazard, error) {
	half := math.Max(f.CorridorM, minCorridorM)
	var out []Hazard
	if h.Zones != nil {
		// The corridor is asked about segment by segment, each as a
		// rectangle reaching the half-width beyond its ends: together they
		// hold the corridor (a square end holds the round cap), at most
		// 0.42 half-widths wider at a bend, and no union of buffers is
		// drawn (the dearest part of a buffer).
		air := f.Kind == AirMovement
		seen := map[string]bool{}
		for _, area := range segmentBoxes(route, half) {
			hits, err := h.Zones.ZonesMeeting(ctx, area, air, f.Departure.From, f.Arrival.To)
			if err != nil {
				return nil, err
			}
			out = zoneHazards(out, newHits(hits, seen), air, "The route's corridor", f.Departure.From, &f.Arrival.To)
		}
	}
	if h.Alerts != nil {
		c := NewCorridor(route, half+AlertMarginM)
		b := route.Bound()
		out = h.Alerts.hazards(out, b, half+AlertMarginM, "the route", func(lon, lat float64) (float64, bool) {
			if !c.Inside(lon, lat) {
				return 0, false
			}
			return math.Max(c.DistanceM(lon, lat)-half, 0), true
		})
	}
	sortHazards(out)
	return out, nil
}

// SiteHazards returns the hazards of a site: the zones of a hazardous
// kind that its area (its polygon, or its point, with its buffer; at
// least minSiteRadiusM around a bare point) meets while it is valid, and
// the recent alerts of a hazardous kind raised within AlertMarginM of
// that area.
func (h Hazards) SiteHazards(ctx context.Context, g orb.Geometry, f *SiteFields) ([]Hazard, error) {
	var out []Hazard
	buffer := f.BufferM
	if _, ok := g.(orb.Point); ok {
		buffer = math.Max(buffer, minSiteRadiusM)
	}
	if h.Zones != nil {
		areas, err := siteAreas(g, buffer)
		if err != nil {
			return nil, err
		}
		seen := map[string]bool{}
		for _, area := range areas {
			hits, err := h.Zones.ZonesMeeting(ctx, area, false, f.ValidFrom, timeOr(f.ValidTo))
			if err != nil {
				return nil, err
			}
			out = zoneHazards(out, newHits(hits, seen), false, "The site's area", f.ValidFrom, f.ValidTo)
		}
	}
	if h.Alerts != nil {
		reach := buffer + AlertMarginM
		dist := siteDistance(g)
		out = h.Alerts.hazards(out, g.Bound(), reach, "the site", func(lon, lat float64) (float64, bool) {
			d := dist(lon, lat)
			if d > reach {
				return 0, false
			}
			return math.Max(d-buffer, 0), true
		})
	}
	sortHazards(out)
	return out, nil
}

// RouteHazards is Hazards{Zones: c}.RouteHazards: the zone hazards alone.
func RouteHazards(ctx context.Context, c HazardChecker, route orb.LineString, f *MovementFields) ([]Hazard, error) {
	return Hazards{Zones: c}.RouteHazards(ctx, route, f)
}

// segmentBoxes returns, for each segment of a route, the rectangle
// around it that reaches halfM metres to either side and beyond either
// end, in lon/lat (drawn in the route's local plane, as a Corridor is).
func segmentBoxes(route orb.LineString, halfM float64) []orb.Polygon {
	c := NewCorridor(route, halfM)
	back := func(x, y float64) orb.Point { return orb.Point{c.lon0 + x/c.kx, c.lat0 + y/c.ky} }
	var out []orb.Polygon
	for i := 1; i < len(c.pts); i++ {
		a, b := c.pts[i-1], c.pts[i]
		dx, dy := b[0]-a[0], b[1]-a[1]
		l := math.Hypot(dx, dy)
		ux, uy := 1.0, 0.0
		if l > 0 {
			ux, uy = dx/l, dy/l
		}
		// Along (u) and across (v = u turned left) the segment.
		ax, ay := a[0]-ux*halfM, a[1]-uy*halfM
		bx, by := b[0]+ux*halfM, b[1]+uy*halfM
		vx, vy := -uy*halfM, ux*halfM
		out = append(out, orb.Polygon{{back(ax-vx, ay-vy), back(bx-vx, by-vy), back(bx+vx, by+vy), back(ax+vx, ay+vy), back(ax-vx, ay-vy)}})
	}
	if len(c.pts) == 1 {
		p := c.pts[0]
		out = append(out, orb.Polygon{{back(p[0]-halfM, p[1]-halfM), back(p[0]+halfM, p[1]-halfM), back(p[0]+halfM, p[1]+halfM), back(p[0]-halfM, p[1]+halfM), back(p[0]-halfM, p[1]-halfM)}})
	}
	return out
}

// newHits returns the hits not seen before, marking them seen.
func newHits(hits []ZoneHit, seen map[string]bool) []ZoneHit {
	return slices.DeleteFunc(hits, func(z ZoneHit) bool {
		k := z.ZoneID + "#" + strconv.Itoa(z.Version)
		if seen[k] {
			return true
		}
		seen[k] = true
		return false
	})
}

// siteAreas is what a site's zone check asks the index about: the site's
// area and, for a polygon with a buffer, the band its buffer adds around
// each ring.
func siteAreas(g orb.Geometry, buffer float64) ([]orb.Geometry, error) {
	switch g := g.(type) {
	case orb.Point:
		c, err := geo.Circle(g, buffer, 32)
		if err != nil {
			return nil, err
		}
		return []orb.Geometry{c}, nil
	case orb.Polygon:
		out := []orb.Geometry{g}
		if buffer > 0 {
			var rings orb.MultiLineString
			for _, r := range g {
				rings = append(rings, orb.LineString(r))
			}
			band, err := geo.BufferLines(rings, buffer)
			if err != nil {
				return nil, err
			}
			out = append(out, band)
		}
		return out, nil
	}
	return []orb.Geometry{g}, nil
}

// siteDistance returns the distance in metres from a position to a site's
// geometry (0 inside a polygon).
func siteDistance(g orb.Geometry) func(lon, lat float64) float64 {
	switch g := g.(type) {
	case orb.Point:
		c := NewCorridor(orb.LineString{g}, 1)
		return c.DistanceM
	case orb.Polygon:
		var rings []*Corridor
		for _, r := range g {
			rings = append(rings, NewCorridor(orb.LineString(r), 1))
		}
		return func(lon, lat float64) float64 {
			if planar.PolygonContains(g, orb.Point{lon, lat}) {
				return 0
			}
			d := math.Inf(1)
			for _, c := range rings {
				d = math.Min(d, c.DistanceM(lon, lat))
			}
			return d
		}
	}
	return func(float64, float64) float64 { return math.Inf(1) }
}

func timeOr(t *time.Time) time.Time {
	if t == nil {
		return time.Time{}
	}
	return *t
}

// zoneHazards appends a hazard for each hit of a hazardous kind.
func zoneHazards(out []Hazard, hits []ZoneHit, air bool, what string, from time.Time, to *time.Time) []Hazard {
	until := "further notice"
	if to != nil && !to.IsZero() {
		until = to.UTC().Format(time.RFC3339)
	}
	for _, h := range hits {
		if !HazardKind(h.Kind, air) {
			continue
		}
		out = append(out, Hazard{Kind: "zone", ZoneID: h.ZoneID, ZoneVersion: h.Version, ZoneName: h.Name, ZoneKind: h.Kind, AgreementID: h.AgreementID,
			Reason: fmt.Sprintf("%s meets %s zone %q (%s version %d) between %s and %s.", what, h.Kind, h.Name, h.ZoneID, h.Version,
				from.UTC().Format(time.RFC3339), until)})
	}
	return out
}

// sortHazards orders hazards: zones by id, then alerts newest first.
func sortHazards(hs []Hazard) {
	slices.SortStableFunc(hs, func(a, b Hazard) int {
		if a.Kind != b.Kind {
			return strings.Compare(b.Kind, a.Kind) // "zone" before "alert"
		}
		if a.Kind == "alert" {
			if c := b.AlertTime.Compare(*a.AlertTime); c != 0 {
				return c
			}
			return strings.Compare(a.AlertID, b.AlertID)
		}
		return strings.Compare(a.ZoneID, b.ZoneID)
	})
}

// HazardKind reports whether a zone of kind k is a hazard to a movement:
// exclusion, contact line and buffer zones to every movement, no-fly
// zones to air movements.
func HazardKind(k truce.ZoneKind, air bool) bool {
	return slices.Contains(hazardKinds, k) || (air && k == truce.ZoneNoFly)
}
