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

// TestControl_CatchesUpMissedEvents: a server that stops hearing the
// others' events (here its follower is stopped: the bus dropping them
// looks the same) learns their guarantees and control areas from the
// journal at its periodic catch-up, and raises the breach its own change
// made of a guarantee it had missed. Before, its map lacked the area and
// the breach was never raised.
func TestControl_CatchesUpMissedEvents(t *testing.T) {
	every := catchUpEvery
	catchUpEvery = 100 * time.Millisecond
	t.Cleanup(func() { catchUpEvery = every })
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
	// b hears nothing of a from here on.
	b.stopRemote()
	<-b.remoteDone
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
	if err != nil {
		t.Fatal(err)
	}
	taken := control.ControlInput{Actor: "faction", Name: "taken", Geometry: json.RawMessage(`{"type":"Polygon","coordinates":[[[36.1,33.1],[36.12,33.1],[36.12,33.12],[36.1,33.12],[36.1,33.1]]]}`),
		From: time.Now().UTC().Truncate(time.Second), Source: "patrol", Confidence: control.ConfidenceHigh}
	r, err := b.Control.AddControl(admin, taken)
	if err != nil {
		t.Fatal(err)
	}
	if !testwait.Until(10*time.Second, func() bool {
		m, err := b.Control.Map(admin, time.Now())
		return err == nil && len(m.Areas) == 2
	}) {
		m, err := b.Control.Map(admin, time.Now())
		t.Fatalf("the second server's map: %+v %v; want the area recorded on the first (%s) and its own", m, err, held.Area.ID)
	}
	if !testwait.Until(10*time.Second, func() bool {
		bs, err := b.Control.Breaches(admin, false)
		return err == nil && len(bs) == 1 && bs[0].GuaranteeID == g.ID && bs[0].ControlAreaID == r.Area.ID
	}) {
		bs, err := b.Control.Breaches(admin, false)
		t.Fatalf("breaches: %+v %v; want one of guarantee %s by area %s", bs, err, g.ID, r.Area.ID)
	}
}
