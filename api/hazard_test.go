package api_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/truce-project/truce"
	"github.com/truce-project/truce/humanitarian"
)

// TestMovements_Hazards: a movement notified through a zone in force is
// recorded, and returned, with the hazard; a no-fly zone is a hazard to
// an air movement only; a route clear of zones has none. Nothing is
// refused.
func TestMovements_Hazards(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	admin := e.client(e.admin)
	if _, err := admin.CreateParty(ctx, truce.PartyCreate{Slug: "sarc", Name: "SARC", Kind: truce.PartyHumanitarian}); err != nil {
		t.Fatal(err)
	}
	if _, err := admin.CreateUser(ctx, truce.UserCreate{Party: "sarc", Username: "sarc-access", Roles: []truce.Role{truce.RoleHumanitarian}}); err != nil {
		t.Fatal(err)
	}
	tk, err := admin.CreateToken(ctx, truce.TokenCreate{User: "sarc-access", Name: "test"})
	if err != nil {
		t.Fatal(err)
	}
	sarc := e.client(tk.Secret)
	e.agreementInForce(t)
	// The env's no-fly box (36–36.5 E, 33–33.5 N) comes into force, and
	// an exclusion zone across the road into Dar'a.
	e.approveAll(t, e.zone.ID, 1)
	ex, _, err := e.client(e.tokens["us-op"]).ProposeZone(ctx, truce.ZoneProposal{Agreement: e.agreement.ID, Name: "Dar'a east", Kind: truce.ZoneExclusion,
		Geometry: json.RawMessage(`{"type":"Polygon","coordinates":[[[36.08,32.60],[36.2,32.60],[36.2,32.7],[36.08,32.7],[36.08,32.60]]]}`)})
	if err != nil {
		t.Fatal(err)
	}
	e.approveAll(t, ex.ID, 1)

	dep := time.Now().Add(72 * time.Hour)
	movement := func(kind humanitarian.MovementKind, route string) *humanitarian.Movement {
		t.Helper()
		m, err := sarc.CreateMovement(ctx, humanitarian.MovementCreate{AgreementID: e.agreement.ID, Notify: true, MovementFields: humanitarian.MovementFields{
			Name: "Convoy", Organisation: "SARC", Kind: kind, Route: json.RawMessage(route), CorridorM: 200,
			Departure: humanitarian.Window{From: dep, To: dep.Add(time.Hour)}, Arrival: humanitarian.Window{From: dep.Add(time.Hour), To: dep.Add(4 * time.Hour)},
			Vehicles: []humanitarian.Vehicle{{Count: 3, Type: "truck"}}}})
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	zoneIDs := func(m *humanitarian.Movement) []string {
		var ids []string
		for _, h := range m.Hazards {
			ids = append(ids, h.ZoneID)
		}
		return ids
	}
	tests := []struct {
		name  string
		kind  humanitarian.MovementKind
		route string
		want  []string
	}{
		// Ramtha crossing to Dar'a city: into the exclusion zone.
		{"RoadIntoExclusion", "", `{"type":"LineString","coordinates":[[36.0076,32.5560],[36.1020,32.6189]]}`, []string{ex.ID}},
		// Through the no-fly box on the ground: no hazard.
		{"RoadUnderNoFly", humanitarian.RoadConvoy, `{"type":"LineString","coordinates":[[35.9,33.2],[36.3,33.2]]}`, nil},
		{"AirThroughNoFly", humanitarian.AirMovement, `{"type":"LineString","coordinates":[[35.9,33.2],[36.3,33.2]]}`, []string{e.zone.ID}},
		{"ClearRoute", "", `{"type":"LineString","coordinates":[[36.5,32.3],[36.6,32.4]]}`, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := movement(tt.kind, tt.route)
			if got := zoneIDs(m); len(got) != len(tt.want) || (len(got) > 0 && got[0] != tt.want[0]) {
				t.Fatalf("hazards %+v, want zones %v", m.Hazards, tt.want)
			}
			if len(m.Hazards) > 0 && m.Hazards[0].Reason == "" {
				t.Errorf("a hazard without its reason: %+v", m.Hazards[0])
			}
			// Recorded with the version, as read back.
			if back, err := sarc.FindMovement(ctx, m.ID); err != nil || len(back.Hazards) != len(tt.want) || back.Hash != m.Hash {
				t.Errorf("read back: %v %+v", err, back)
			}
		})
	}
}
