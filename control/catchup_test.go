package control_test

import (
	"context"
	"testing"
	"time"

	"github.com/truce-project/truce/control"
)

// TestService_CatchUp: a second server sharing the database (b) that never
// hears of the first's changes (the bus dropped their events) learns them
// from the journal at its catch-up: the guarantee it missed, so that the
// breach its own control change made of it is raised after all (once,
// however many servers catch up), and the end of an area, so that its
// map no longer shows the area held.
func TestService_CatchUp(t *testing.T) {
	for name, open := range stores {
		t.Run(name, func(t *testing.T) {
			st := open(t)
			w := newWorld(t, st)
			a := w.svc
			b := control.New(st.Control(), a.Journal, nil)
			ctx := context.Background()
			for _, slug := range []string{"saa", "faction"} {
				if _, err := a.AddActor(w.asMonitor, control.ActorInput{Slug: slug, Names: map[string]string{"en": slug}, Type: control.RebelGroup}); err != nil {
					t.Fatal(err)
				}
			}
			if err := a.Load(ctx); err != nil {
				t.Fatal(err)
			}
			if err := b.Load(ctx); err != nil {
				t.Fatal(err)
			}
			if raised, err := b.CatchUp(ctx); err != nil || len(raised) != 0 {
				t.Fatalf("catch-up with nothing missed: %v %v", raised, err)
			}
			from := w.clock.Now().Add(-24 * time.Hour)
			g, err := a.AddGuarantee(w.asRU, control.GuaranteeInput{AgreementID: w.agreement.ID, ZoneID: w.zone.ID, Guarantors: []string{"ru"}, Allowed: []string{"saa"}, From: from})
			if err != nil {
				t.Fatal(err)
			}
			held, err := a.AddControl(w.asMonitor, control.ControlInput{Actor: "saa", Geometry: geom(35.96, 32.76, 35.98, 32.78), From: from, Source: "s", Confidence: control.ConfidenceHigh})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := a.EndControl(w.asMonitor, held.Area.ID, w.clock.Now().Add(-time.Hour)); err != nil {
				t.Fatal(err)
			}
			// b missed all three: its change of the guaranteed ground
			// raises nothing.
			rec, err := b.AddControl(w.asMonitor, control.ControlInput{Actor: "faction", Name: "village", Geometry: geom(35.93, 32.73, 35.95, 32.75), From: w.clock.Now().Add(-2 * time.Hour), Source: "report", Confidence: control.ConfidenceMedium})
			if err != nil || len(rec.Breaches) != 0 {
				t.Fatalf("b's change before its catch-up: %+v %v (b knew the guarantee)", rec, err)
			}
			m, err := b.Map(w.asUS, w.clock.Now())
			if err != nil || len(m.Areas) != 1 || m.Areas[0].ID != rec.Area.ID {
				t.Fatalf("b's map before its catch-up: %+v %v", m, err)
			}

			raised, err := b.CatchUp(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if len(raised) != 1 || raised[0].GuaranteeID != g.ID || raised[0].ControlAreaID != rec.Area.ID || raised[0].Evidence != "report" {
				t.Fatalf("b's catch-up raised %+v, want the village's breach of %s", raised, g.ID)
			}
			if n := w.eventKinds()[control.EventBreach]; n != 1 {
				t.Fatalf("%d breach alerts, want 1", n)
			}
			// a learns b's change and finds its breach raised; b again
			// finds nothing new.
			for who, s := range map[string]*control.Service{"a": a, "b": b} {
				if again, err := s.CatchUp(ctx); err != nil || len(again) != 0 {
					t.Fatalf("%s's catch-up raised %v %v, want nothing", who, again, err)
				}
			}
			all, err := b.Breaches(w.asUS, false)
			if err != nil || len(all) != 1 {
				t.Fatalf("breaches stored: %d %v, want 1", len(all), err)
			}
			for who, s := range map[string]*control.Service{"a": a, "b": b} {
				m, err := s.Map(w.asUS, w.clock.Now())
				if err != nil || len(m.Areas) != 1 || m.Areas[0].ID != rec.Area.ID {
					t.Fatalf("%s's map after catching up: %+v %v, want the village alone", who, m, err)
				}
			}
			// b knows the guarantee now: its next change raises at once.
			rec2, err := b.AddControl(w.asMonitor, control.ControlInput{Actor: "faction", Geometry: geom(35.91, 32.71, 35.92, 32.72), From: w.clock.Now(), Source: "report 2", Confidence: control.ConfidenceLow})
			if err != nil || len(rec2.Breaches) != 1 {
				t.Fatalf("b's change after its catch-up: %+v %v", rec2, err)
			}
		})
	}
}
