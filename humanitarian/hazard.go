package humanitarian

import (
	"context"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/paulmach/orb"
	"github.com/truce-project/truce"
	"github.com/truce-project/truce/geo"
)

// Hazard is something Truce knows on a movement's route during its
// windows, returned with (and recorded in) the notification: a zone in
// force that the route's corridor meets. It blocks nothing.
type Hazard struct {
	Kind        string         `json:"kind"` // "zone"
	ZoneID      string         `json:"zone_id"`
	ZoneVersion int            `json:"zone_version"`
	ZoneName    string         `json:"zone_name"`
	ZoneKind    truce.ZoneKind `json:"zone_kind"`
	AgreementID string         `json:"agreement_id"`
	Reason      string         `json:"reason"`
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
// node implements it over the live zone index.
type HazardChecker interface {
	ZonesMeeting(ctx context.Context, g orb.Geometry, air bool, from, to time.Time) ([]ZoneHit, error)
}

// minCorridorM is the corridor half-width used for the hazard check of a
// route notified without one: a road's width and GPS error.
const minCorridorM = 50

// hazardKinds are the zone kinds that are hazards to a ground movement:
// exclusion zones, the line of contact and buffer zones. An air movement
// also meets no-fly zones.
var hazardKinds = []truce.ZoneKind{truce.ZoneExclusion, truce.ZoneContactLine, truce.ZoneBuffer}

// RouteHazards returns the hazards of a movement's route: the zones of a
// hazardous kind (HazardKind) that its corridor meets between the start
// of its departure window and the end of its arrival window. The check
// is a rule over what the checker finds; the checker is the index.
func RouteHazards(ctx context.Context, c HazardChecker, route orb.LineString, f *MovementFields) ([]Hazard, error) {
	if c == nil {
		return nil, nil
	}
	corridor, err := geo.BufferLine(route, math.Max(f.CorridorM, minCorridorM))
	if err != nil {
		return nil, err
	}
	air := f.Kind == AirMovement
	hits, err := c.ZonesMeeting(ctx, corridor, air, f.Departure.From, f.Arrival.To)
	if err != nil {
		return nil, err
	}
	var out []Hazard
	for _, h := range hits {
		if !HazardKind(h.Kind, air) {
			continue
		}
		out = append(out, Hazard{Kind: "zone", ZoneID: h.ZoneID, ZoneVersion: h.Version, ZoneName: h.Name, ZoneKind: h.Kind, AgreementID: h.AgreementID,
			Reason: fmt.Sprintf("The route's corridor meets %s zone %q (%s version %d) between %s and %s.", h.Kind, h.Name, h.ZoneID, h.Version,
				f.Departure.From.UTC().Format(time.RFC3339), f.Arrival.To.UTC().Format(time.RFC3339))})
	}
	slices.SortFunc(out, func(a, b Hazard) int {
		if a.ZoneID < b.ZoneID {
			return -1
		}
		if a.ZoneID > b.ZoneID {
			return 1
		}
		return 0
	})
	return out, nil
}

// HazardKind reports whether a zone of kind k is a hazard to a movement:
// exclusion, contact line and buffer zones to every movement, no-fly
// zones to air movements.
func HazardKind(k truce.ZoneKind, air bool) bool {
	return slices.Contains(hazardKinds, k) || (air && k == truce.ZoneNoFly)
}
