package storetest

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/truce-project/truce"
	"github.com/truce-project/truce/control"
	"github.com/truce-project/truce/zones"
)

// testControl runs the control.Store suite: actors, control areas and
// their versions, guarantees, breaches and the overdue query.
func testControl(t *testing.T, s Store) {
	cs := s.Control()
	p := NewParty(t, s, "golf")
	now := time.Now().UTC().Truncate(time.Microsecond)
	write := func(kind, subject string, fn func(tx control.Tx) error) error {
		return cs.Update(ctx, func(tx control.Tx) error {
			if _, err := tx.Append(ctx, change(kind, subject, 1)); err != nil {
				return err
			}
			return fn(tx)
		})
	}
	act := &control.Actor{ID: id(), Slug: "saa", Names: map[string]string{"en": "Syrian Arab Army", "ar": "الجيش العربي السوري"}, Type: control.StateForces, GuarantorID: p.ID, CreatedAt: now, Version: 1}
	if err := write("actor", act.ID, func(tx control.Tx) error { return tx.InsertActor(ctx, act) }); err != nil {
		t.Fatal(err)
	}
	dup := *act
	dup.ID = id()
	if err := write("actor", dup.ID, func(tx control.Tx) error { return tx.InsertActor(ctx, &dup) }); truce.ErrorCode(err) != truce.ECONFLICT {
		t.Fatalf("duplicate slug: %v, want conflict", err)
	}
	got, err := cs.Actor(ctx, "saa")
	if err != nil || got.ID != act.ID || got.Names["ar"] != act.Names["ar"] || got.GuarantorID != p.ID {
		t.Fatalf("actor by slug: %+v %v", got, err)
	}
	if _, err := cs.Actor(ctx, "nope"); truce.ErrorCode(err) != truce.ENOTFOUND {
		t.Fatalf("missing actor: %v", err)
	}
	geom := json.RawMessage(`{"type":"Polygon","coordinates":[[[0,0],[1,0],[1,1],[0,0]]]}`)
	c := &control.ControlArea{ID: id(), ActorID: act.ID, Geometry: geom, From: now, Source: "s", Confidence: control.ConfidenceHigh, Version: 1}
	if err := write("control_area", c.ID, func(tx control.Tx) error { return tx.InsertControlArea(ctx, c) }); err != nil {
		t.Fatal(err)
	}
	orphan := *c
	orphan.ID, orphan.ActorID = id(), id()
	if err := write("control_area", orphan.ID, func(tx control.Tx) error { return tx.InsertControlArea(ctx, &orphan) }); truce.ErrorCode(err) != truce.EINVALID {
		t.Fatalf("control area of a missing actor: %v, want invalid (foreign key)", err)
	}
	end := now.Add(time.Hour)
	c2 := *c
	c2.To, c2.Version = &end, 2
	if err := write("control_area", c.ID, func(tx control.Tx) error { return tx.UpdateControlArea(ctx, &c2) }); err != nil {
		t.Fatal(err)
	}
	if err := write("control_area", c.ID, func(tx control.Tx) error { return tx.UpdateControlArea(ctx, &c2) }); truce.ErrorCode(err) != truce.EPRECONDITION {
		t.Fatalf("stale control area update: %v, want precondition", err)
	}
	var areas []*control.ControlArea
	if err := cs.ControlAreas(ctx, func(a *control.ControlArea) error { areas = append(areas, a); return nil }); err != nil || len(areas) != 1 || areas[0].To == nil || !areas[0].To.Equal(end) {
		t.Fatalf("control areas: %v %v", areas, err)
	}

	ag := &truce.Agreement{ID: id(), Title: "Memo", Signatories: []string{p.ID}, EffectiveFrom: now, Status: truce.AgreementInForce, Version: 1}
	if err := s.ZoneStore().Update(ctx, func(tx zones.Tx) error {
		if _, err := tx.Append(ctx, change("agreement", ag.ID, 1)); err != nil {
			return err
		}
		return tx.PutAgreement(ctx, ag)
	}); err != nil {
		t.Fatal(err)
	}
	g := &control.Guarantee{ID: id(), AgreementID: ag.ID, Geometry: geom, Guarantors: []string{p.ID}, Allowed: []string{act.ID}, From: now, Version: 1}
	if err := write("guarantee", g.ID, func(tx control.Tx) error { return tx.InsertGuarantee(ctx, g) }); err != nil {
		t.Fatal(err)
	}
	mk := func(due time.Time) *control.Breach {
		b := &control.Breach{ID: id(), GuaranteeID: g.ID, AgreementID: ag.ID, Guarantors: g.Guarantors, Due: due, Status: control.BreachOpen, Version: 1}
		if err := write("breach", b.ID, func(tx control.Tx) error { return tx.InsertBreach(ctx, b) }); err != nil {
			t.Fatal(err)
		}
		return b
	}
	// Due times a second, a day and a year apart, so that text order
	// and time order must agree.
	early, mid, late := mk(now.Add(-24*time.Hour)), mk(now.Add(-time.Second)), mk(now.Add(365*24*time.Hour))
	var overdue []*control.Breach
	if err := cs.Update(ctx, func(tx control.Tx) error {
		var err error
		overdue, err = tx.OverdueBreaches(ctx, now)
		return err
	}); err != nil {
		t.Fatalf("overdue: %v", err)
	}
	if len(overdue) != 2 || overdue[0].ID != early.ID || overdue[1].ID != mid.ID {
		t.Fatalf("overdue = %v, want the first two", overdue)
	}
	ans := *mid
	ans.Status, ans.Version = control.BreachAnswered, 2
	if err := write("breach", mid.ID, func(tx control.Tx) error { return tx.UpdateBreach(ctx, &ans) }); err != nil {
		t.Fatal(err)
	}
	if err := write("breach", mid.ID, func(tx control.Tx) error { return tx.UpdateBreach(ctx, &ans) }); truce.ErrorCode(err) != truce.EPRECONDITION {
		t.Fatalf("stale breach update: %v", err)
	}
	open, err := cs.Breaches(ctx, true)
	if err != nil || len(open) != 2 || open[0].ID != early.ID || open[1].ID != late.ID {
		t.Fatalf("open breaches: %v %v", open, err)
	}
	all, err := cs.Breaches(ctx, false)
	if err != nil || len(all) != 3 {
		t.Fatalf("all breaches: %v %v", all, err)
	}
	if b, err := cs.Breach(ctx, mid.ID); err != nil || b.Status != control.BreachAnswered {
		t.Fatalf("answered breach: %+v %v", b, err)
	}
	if gs, err := cs.Guarantees(ctx); err != nil || len(gs) != 1 || gs[0].Allowed[0] != act.ID {
		t.Fatalf("guarantees: %v %v", gs, err)
	}

	// Breaches raised by incidents: one per guarantee and incident, while
	// the breaches of control changes (no incident) are not compared.
	g2 := &control.Guarantee{ID: id(), AgreementID: ag.ID, Geometry: geom, Guarantors: []string{p.ID}, Allowed: []string{act.ID}, From: now, Version: 1}
	if err := write("guarantee", g2.ID, func(tx control.Tx) error { return tx.InsertGuarantee(ctx, g2) }); err != nil {
		t.Fatal(err)
	}
	byIncident := func(g *control.Guarantee, incident string) (*control.Breach, error) {
		b := &control.Breach{ID: id(), GuaranteeID: g.ID, AgreementID: ag.ID, IncidentID: incident, Guarantors: g.Guarantors, Due: now, Status: control.BreachOpen, Version: 1}
		return b, write("breach", b.ID, func(tx control.Tx) error { return tx.InsertBreach(ctx, b) })
	}
	inc1, inc2 := id(), id()
	first, err := byIncident(g, inc1)
	if err != nil {
		t.Fatalf("breach of an incident: %v", err)
	}
	if _, err := byIncident(g, inc1); truce.ErrorCode(err) != truce.ECONFLICT {
		t.Fatalf("second breach of one guarantee by one incident: %v, want conflict", err)
	}
	second, err := byIncident(g2, inc1)
	if err != nil {
		t.Fatalf("breach of another guarantee by the same incident: %v", err)
	}
	if _, err := byIncident(g, inc2); err != nil {
		t.Fatalf("breach of the guarantee by another incident: %v", err)
	}
	mk(now) // a fourth control-change breach of g: no incident, no conflict
	got1, err := cs.BreachesOfIncident(ctx, inc1)
	if err != nil || len(got1) != 2 || got1[0].ID != first.ID || got1[1].ID != second.ID || got1[0].IncidentID != inc1 {
		t.Fatalf("breaches of incident 1: %v %v, want %s and %s", got1, err, first.ID, second.ID)
	}
	if none, err := cs.BreachesOfIncident(ctx, id()); err != nil || len(none) != 0 {
		t.Fatalf("breaches of an unknown incident: %v %v", none, err)
	}
}

// testControlAreaBreaches: breaches raised by control changes, one per
// guarantee and control area (servers catching up at once raise it
// once), while breaches of incidents (no area) are not compared.
func testControlAreaBreaches(t *testing.T, s Store) {
	cs := s.Control()
	now := time.Now().UTC().Truncate(time.Microsecond)
	write := func(kind, subject string, fn func(tx control.Tx) error) error {
		return cs.Update(ctx, func(tx control.Tx) error {
			if _, err := tx.Append(ctx, change(kind, subject, 1)); err != nil {
				return err
			}
			return fn(tx)
		})
	}
	p := NewParty(t, s, "area-breach-guarantor")
	act := &control.Actor{ID: id(), Slug: "area-breach-actor", Names: map[string]string{"en": "A"}, Type: control.RebelGroup, Version: 1}
	if err := write("actor", act.ID, func(tx control.Tx) error { return tx.InsertActor(ctx, act) }); err != nil {
		t.Fatal(err)
	}
	ag := &truce.Agreement{ID: id(), Title: "Memo", Signatories: []string{p.ID}, EffectiveFrom: now, Status: truce.AgreementInForce, Version: 1}
	if err := s.ZoneStore().Update(ctx, func(tx zones.Tx) error {
		if _, err := tx.Append(ctx, change("agreement", ag.ID, 1)); err != nil {
			return err
		}
		return tx.PutAgreement(ctx, ag)
	}); err != nil {
		t.Fatal(err)
	}
	geom := json.RawMessage(`{"type":"Polygon","coordinates":[[[0,0],[1,0],[1,1],[0,0]]]}`)
	var gs []*control.Guarantee
	for range 2 {
		g := &control.Guarantee{ID: id(), AgreementID: ag.ID, Geometry: geom, Guarantors: []string{p.ID}, From: now, Version: 1}
		if err := write("guarantee", g.ID, func(tx control.Tx) error { return tx.InsertGuarantee(ctx, g) }); err != nil {
			t.Fatal(err)
		}
		gs = append(gs, g)
	}
	byArea := func(g *control.Guarantee, area, incident string) (*control.Breach, error) {
		b := &control.Breach{ID: id(), GuaranteeID: g.ID, AgreementID: ag.ID, ControlAreaID: area, IncidentID: incident, Guarantors: g.Guarantors, Due: now, Status: control.BreachOpen, Version: 1}
		return b, write("breach", b.ID, func(tx control.Tx) error { return tx.InsertBreach(ctx, b) })
	}
	area1, area2 := id(), id()
	first, err := byArea(gs[0], area1, "")
	if err != nil {
		t.Fatalf("breach of a control area: %v", err)
	}
	if _, err := byArea(gs[0], area1, ""); truce.ErrorCode(err) != truce.ECONFLICT {
		t.Fatalf("second breach of one guarantee by one control area: %v, want conflict", err)
	}
	second, err := byArea(gs[1], area1, "")
	if err != nil {
		t.Fatalf("breach of another guarantee by the same area: %v", err)
	}
	if _, err := byArea(gs[0], area2, ""); err != nil {
		t.Fatalf("breach of the guarantee by another area: %v", err)
	}
	for range 2 {
		if _, err := byArea(gs[0], "", id()); err != nil {
			t.Fatalf("breaches of incidents (no area): %v", err)
		}
	}
	got, err := cs.BreachesOfArea(ctx, area1)
	if err != nil || len(got) != 2 || got[0].ID != first.ID || got[1].ID != second.ID {
		t.Fatalf("breaches of area 1: %v %v, want %s and %s", got, err, first.ID, second.ID)
	}
	if none, err := cs.BreachesOfArea(ctx, id()); err != nil || len(none) != 0 {
		t.Fatalf("breaches of an unknown area: %v %v", none, err)
	}
}
