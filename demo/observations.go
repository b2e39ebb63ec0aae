package demo

import (
	"context"
	"fmt"
	"math"
	"time"

	"github.com/paulmach/orb"
	"github.com/truce-project/truce"
	"github.com/truce-project/truce/geo"
	"github.com/truce-project/truce/node"
	"github.com/truce-project/truce/observation"
)

// Shelling is what ReportShelling filed and decided.
type Shelling struct {
	Observations []*observation.Observation
	Incident     *observation.Incident
	// Credentials are the monitoring centre's two teams and its duty
	// operator, who verified the incident.
	Credentials []Credential
}

// shellingTarget is where the illustrative shells land: east of Dar'a
// city, inside the de-escalation zone built from Dar'a governorate.
var shellingTarget = orb.Point{36.130, 32.630}

// ReportShelling plays the demo's ceasefire observation, ILLUSTRATIVE
// DATA, not an event that happened: two teams of the Amman Monitoring
// Centre, west and north of Dar'a, hear artillery a few minutes into the
// demo and each file a bearing (rounded to the degree, as a monitor reads
// a compass, with a distance range); the reports are grouped into one
// incident and cross-fixed; the centre's duty operator verifies it, which
// finds the violation of the agreement's prohibition of shelling in a
// de-escalation zone and raises an alert to every party. It runs on an
// open node, after Setup, so that the zones are in force at the time of
// the reports.
func ReportShelling(ctx context.Context, n *node.Node) (*Shelling, error) {
	if n.Observation == nil {
		return nil, fmt.Errorf("demo observation: the node has no observation service")
	}
	admin, err := n.Store.Accounts().User(ctx, "admin")
	if err != nil {
		return nil, err
	}
	un, err := n.Store.Accounts().Party(ctx, admin.PartyID)
	if err != nil {
		return nil, err
	}
	mc, err := n.Store.Accounts().Party(ctx, "amman-mc")
	if err != nil {
		return nil, err
	}
	actx := truce.NewContext(ctx, &truce.Caller{User: admin, Party: un})
	out := &Shelling{}
	callers := map[string]*truce.Caller{}
	for _, u := range []struct {
		name, title string
		role        truce.Role
	}{{"amman-team-1", "Monitor team 1", truce.RoleObserver}, {"amman-team-2", "Monitor team 2", truce.RoleObserver}, {"amman-duty", "Duty operator", truce.RoleOperator}} {
		pass := password()
		user, err := n.Accounts.CreateUser(actx, truce.UserCreate{Party: mc.ID, Username: u.name, Name: u.title + ", Amman Monitoring Centre", Roles: []truce.Role{u.role}, Password: pass})
		if err != nil {
			return nil, fmt.Errorf("demo user %s: %w", u.name, err)
		}
		t, err := n.Accounts.CreateToken(actx, truce.TokenCreate{User: user.ID, Name: "demo"})
		if err != nil {
			return nil, err
		}
		out.Credentials = append(out.Credentials, Credential{mc.Slug, user.Username, pass, t.Secret})
		callers[u.name] = &truce.Caller{User: user, Party: mc}
	}
	// The reports' window is now: the zones came into force when Setup
	// approved them, moments ago.
	now := time.Now().UTC()
	for _, r := range []struct {
		team      string
		from      orb.Point
		skew      float64
		narrative string
	}{
		{"amman-team-1", orb.Point{36.050, 32.600}, 1.2, "ILLUSTRATIVE DATA. Four detonations heard to the east-north-east at short intervals; outgoing fire not heard."},
		{"amman-team-2", orb.Point{36.115, 32.700}, -0.8, "ILLUSTRATIVE DATA. Detonations heard to the south-south-east, consistent with artillery impacts east of Dar'a."},
	} {
		d := geo.Distance(r.from, shellingTarget)
		in := observation.Input{Mode: observation.ModeHeard, Position: observation.Point{Lon: r.from[0], Lat: r.from[1]},
			Bearing: &observation.Bearing{Degrees: math.Mod(math.Round(geo.Bearing(r.from, shellingTarget)+r.skew)+360, 360), Error: 3,
				MinDistance: math.Round(d*0.6/500) * 500, MaxDistance: math.Round(d*1.5/500) * 500},
			Start: now, End: now, Category: observation.CatExplosion, SubCategory: "artillery",
			Events: observation.Count{Best: 4, Low: 3, High: 6}, Weapon: "artillery, calibre unknown", Narrative: r.narrative}
		o, err := n.Observation.AddObservation(truce.NewContext(ctx, callers[r.team]), in)
		if err != nil {
			return nil, fmt.Errorf("demo observation: %w", err)
		}
		out.Observations = append(out.Observations, o)
	}
	if out.Observations[0].IncidentID != out.Observations[1].IncidentID {
		return nil, fmt.Errorf("demo observation: the two reports were not grouped into one incident")
	}
	out.Incident, err = n.Observation.DecideIncident(truce.NewContext(ctx, callers["amman-duty"]), out.Observations[0].IncidentID,
		observation.DecisionInput{Action: observation.ActionVerify, Reason: "ILLUSTRATIVE DATA. Two teams' bearings cross east of Dar'a; impacts consistent with artillery."})
	if err != nil {
		return nil, fmt.Errorf("demo verification: %w", err)
	}
	return out, nil
}
