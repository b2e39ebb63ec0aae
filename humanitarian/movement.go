package humanitarian

import (
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/paulmach/orb"
	"github.com/truce-project/truce"
	"github.com/truce-project/truce/geo"
)

// The pure rules of movements (convoys): what a movement notification
// must say, the route checks and the lifecycle. Their store, transmissions
// and interfaces are still to come (see doc.go).

// MovementStatus is where a movement is in its life.
type MovementStatus string

// Movement statuses.
const (
	MovementDraft     MovementStatus = "draft"
	MovementNotified  MovementStatus = "notified"
	MovementUnderWay  MovementStatus = "under_way"
	MovementArrived   MovementStatus = "arrived"
	MovementAborted   MovementStatus = "aborted"
	MovementPostponed MovementStatus = "postponed"
)

// movementMoves lists the allowed transitions: a draft is notified; a
// notified movement sets out, is postponed or aborted; a postponed one is
// notified again (with its new windows) or aborted; one under way arrives
// or is aborted. Arrived and aborted are final.
var movementMoves = map[MovementStatus][]MovementStatus{
	MovementDraft:     {MovementNotified},
	MovementNotified:  {MovementUnderWay, MovementPostponed, MovementAborted},
	MovementPostponed: {MovementNotified, MovementAborted},
	MovementUnderWay:  {MovementArrived, MovementAborted},
}

// CanMove reports whether a movement may go from s to to.
func (s MovementStatus) CanMove(to MovementStatus) bool {
	return slices.Contains(movementMoves[s], to)
}

// Window is a time window; To is after From.
type Window struct {
	From time.Time `json:"from"`
	To   time.Time `json:"to"`
}

// Vehicle is a group of like vehicles of a movement.
type Vehicle struct {
	Count    int      `json:"count"`
	Type     string   `json:"type"`
	Markings string   `json:"markings,omitempty"`
	Plates   []string `json:"plates,omitempty"`
}

// Bounds of a movement's input.
const (
	MaxRouteVertices = 5_000
	MaxRouteLengthM  = 2_000_000 // 2,000 km
	MaxCorridorM     = 10_000
	MaxVehicles      = 1_000
	MaxPersonnel     = 10_000
	// minSpikeDeg is the turn, in degrees, past which a route doubles back
	// on itself at a vertex (a spike, which GPS traces and hand-drawn
	// routes get from a stray click): 179° and more.
	minSpikeDeg = 179.0
)

// MovementFields are what an organisation says of a movement.
type MovementFields struct {
	Name         string          `json:"name" required:"true"`
	Organisation string          `json:"organisation" required:"true"`
	Route        json.RawMessage `json:"route" required:"true"` // a GeoJSON LineString
	CorridorM    float64         `json:"corridor_m,omitempty"`  // half-width of the corridor
	Crossings    []string        `json:"crossings,omitempty"`   // crossing points, by name
	Departure    Window          `json:"departure" required:"true"`
	Arrival      Window          `json:"arrival" required:"true"`
	Vehicles     []Vehicle       `json:"vehicles" required:"true"`
	Personnel    int             `json:"personnel,omitempty"`
	Cargo        string          `json:"cargo,omitempty"`
	Contacts     string          `json:"contacts,omitempty"`
	Emergency    bool            `json:"emergency,omitempty"`
	// Kind is what kind of movement it is (a road convoy when empty);
	// the agreement may set a lead time per kind.
	Kind MovementKind `json:"kind,omitempty"`
}

// CheckMovement validates a movement's fields and returns its route
// normalised, or every field at fault.
func CheckMovement(f *MovementFields) (orb.LineString, error) {
	var ps []problem
	bad := func(field, format string, args ...any) { ps = append(ps, problem{field, fmt.Sprintf(format, args...)}) }
	for _, c := range []struct {
		field, v string
		max      int
	}{{"name", f.Name, MaxNameLen}, {"organisation", f.Organisation, MaxNameLen}, {"cargo", f.Cargo, MaxContactLen}, {"contacts", f.Contacts, MaxContactLen}} {
		if err := truce.CheckText(c.field, c.v, c.max, false); err != nil {
			bad(c.field, "%s", truce.ErrorMessage(err))
		}
	}
	if f.Name == "" {
		bad("name", "A movement needs a name.")
	}
	if f.Organisation == "" {
		bad("organisation", "A movement needs its organisation.")
	}
	if !f.Kind.Valid() {
		bad("kind", "Unknown movement kind %q: one of road_convoy, medical_evacuation, staff_movement, air, other.", f.Kind)
	}
	if math.IsNaN(f.CorridorM) || f.CorridorM < 0 || f.CorridorM > MaxCorridorM {
		bad("corridor_m", "The corridor's half-width must be 0 to %d metres.", MaxCorridorM)
	}
	for _, w := range []struct {
		field string
		w     Window
	}{{"departure", f.Departure}, {"arrival", f.Arrival}} {
		if w.w.From.IsZero() || w.w.To.IsZero() {
			bad(w.field, "The %s window needs its start and end.", w.field)
		} else if !w.w.To.After(w.w.From) {
			bad(w.field, "The %s window ends (%s) before it starts (%s).", w.field, w.w.To.Format(time.RFC3339), w.w.From.Format(time.RFC3339))
		}
	}
	if !f.Arrival.To.IsZero() && !f.Departure.From.IsZero() && !f.Arrival.To.After(f.Departure.From) {
		bad("arrival", "The arrival window ends before the departure window starts.")
	}
	vehicles := 0
	for i, v := range f.Vehicles {
		if v.Count < 1 || v.Type == "" {
			bad("vehicles", "Vehicle group %d needs a count of at least 1 and a type.", i+1)
		}
		vehicles += max(v.Count, 0)
	}
	if len(f.Vehicles) == 0 || vehicles > MaxVehicles {
		bad("vehicles", "A movement has 1 to %d vehicles.", MaxVehicles)
	}
	if f.Personnel < 0 || f.Personnel > MaxPersonnel {
		bad("personnel", "Personnel must be 0 to %d.", MaxPersonnel)
	}
	route, msg := checkRoute(f.Route)
	if msg != "" {
		bad("route", "%s", msg)
	}
	if len(ps) > 0 {
		msg := ""
		for i, p := range ps {
			if i > 0 {
				msg += " "
			}
			msg += p.field + ": " + p.msg
		}
		return nil, truce.Errorf(truce.EINVALID, "%s", msg)
	}
	for _, w := range []*Window{&f.Departure, &f.Arrival} {
		w.From, w.To = w.From.UTC().Truncate(time.Microsecond), w.To.UTC().Truncate(time.Microsecond)
	}
	return route, nil
}

// checkRoute decodes a route: a GeoJSON LineString within the coordinate
// ranges, at most MaxRouteVertices vertices and MaxRouteLengthM long, of
// non-zero length and without spikes (a vertex where the route doubles
// back on itself).
func checkRoute(raw json.RawMessage) (orb.LineString, string) {
	if len(raw) == 0 {
		return nil, "A movement needs a route: a GeoJSON LineString."
	}
	g, err := geo.Decode(raw, geo.Options{MaxVertices: MaxRouteVertices})
	if err != nil {
		return nil, err.Error()
	}
	l, ok := g.(orb.LineString)
	if !ok {
		return nil, fmt.Sprintf("A route is a LineString, not a %s.", g.GeoJSONType())
	}
	length := 0.0
	for i := 1; i < len(l); i++ {
		length += geo.Distance(l[i-1], l[i])
	}
	switch {
	case length == 0:
		return nil, "The route has zero length."
	case length > MaxRouteLengthM:
		return nil, fmt.Sprintf("The route is %.0f km long; at most %d km.", length/1000, MaxRouteLengthM/1000)
	}
	// Repeated vertices say nothing of direction: compare the bearings of
	// the segments on either side of each distinct vertex, both taken at
	// the vertex (the incoming one as the reverse of the bearing back).
	pts := slices.CompactFunc(slices.Clone(l), func(a, b orb.Point) bool { return a == b })
	for i := 1; i+1 < len(pts); i++ {
		in, out := math.Mod(geo.Bearing(pts[i], pts[i-1])+180, 360), geo.Bearing(pts[i], pts[i+1])
		turn := math.Abs(math.Mod(out-in+540, 360) - 180)
		if turn >= minSpikeDeg {
			return nil, fmt.Sprintf("The route doubles back on itself at vertex %d (%.5f, %.5f): a spike.", i+1, pts[i][0], pts[i][1])
		}
	}
	return l, ""
}

// MovementLate reports whether a movement of kind k notified at now gives
// less notice before its departure window than the agreement's lead time
// for it (LeadTime: its kind's, or the emergency one for an emergency
// movement): it is then accepted and flagged, never refused.
func MovementLate(rules truce.AgreementRules, k MovementKind, emergency bool, departure, now time.Time) bool {
	return departure.Sub(now) < time.Duration(LeadTime(rules, KindMovement, string(k.Or()), emergency))
}
