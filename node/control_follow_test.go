package node

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/truce-project/truce"
	"github.com/truce-project/truce/control"
	"github.com/truce-project/truce/internal/testwait"
)

// TestControl_FollowsOtherServers: two servers share a PostgreSQL
// database, each holding the control areas and guarantees in memory. A
// guarantee given on the first reaches the second, whose breach check of
// a faction taking ground inside it then raises the breach; a control
// area recorded on the first reaches the second's map. Before, the second
// server knew only its own writes and its start-up load: it raised no
// breach, and its map lacked the area.
func TestControl_FollowsOtherServers(t *testing.T) {
	e := newTamperEnv(t, true)
	a := e.mustOpen(t)
	defer a.Close()
	b := e.mustOpen(t)
	defer b.Close()
	admin := truce.NewContext(context.Background(), e.admin)
	for _, n := range []*Node{a, b} {
		if err := n.Control.Load(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	z := noFlyZone(t, a, admin)
	for _, in := range []control.ActorInput{{Slug: "saa", Names: map[string]string{"en": "saa"}, Type: control.StateForces}, {Slug: "faction", Names: map[string]string{"en": "faction"}, Type: control.RebelGroup}} {
		if _, err := a.Control.AddActor(admin, in); err != nil {
			t.Fatal(err)
		}
	}
	from := time.Now().UTC().Add(-time.Hour).Truncate(time.Second)
	g, err := a.Control.AddGuarantee(admin, control.GuaranteeInput{AgreementID: z.AgreementID, ZoneID: z.ID, Guarantors: []string{e.admin.Party.ID}, Allowed: []string{"saa"}, From: from})
	if err != nil {
		t.Fatal(err)
	}
	held, err := a.Control.AddControl(admin, control.ControlInput{Actor: "saa", Name: "held", Geometry: json.RawMessage(`{"type":"Polygon","coordinates":[[[36.01,33.01],[36.05,33.01],[36.05,33.05],[36.01,33.05],[36.01,33.01]]]}`),
		From: from, Source: "patrol", Confidence: control.ConfidenceHigh})
	if err != nil || len(held.Breaches) != 0 {
		t.Fatalf("the allowed actor's area: %+v %v", held, err)
	}
	if !testwait.Until(10*time.Second, func() bool {
		m, err := b.Control.Map(admin, time.Now())
		return err == nil && len(m.Areas) == 1 && m.Areas[0].ID == held.Area.ID
	}) {
		m, err := b.Control.Map(admin, time.Now())
		t.Fatalf("the second server's map: %+v %v; want the area recorded on the first", m, err)
	}
	// The guarantee came before the area: the second server holds it.
	r, err := b.Control.AddControl(admin, control.ControlInput{Actor: "faction", Name: "taken", Geometry: json.RawMessage(`{"type":"Polygon","coordinates":[[[36.1,33.1],[36.12,33.1],[36.12,33.12],[36.1,33.12],[36.1,33.1]]]}`),
		From: time.Now().UTC().Truncate(time.Second), Source: "patrol", Confidence: control.ConfidenceHigh})
	if err != nil || len(r.Breaches) != 1 || r.Breaches[0].GuaranteeID != g.ID {
		t.Fatalf("the faction's ground recorded on the second server: %+v %v; want a breach of guarantee %s", r, err, g.ID)
	}
}
