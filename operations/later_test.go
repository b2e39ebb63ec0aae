package operations_test

import (
	"context"
	"testing"
	"time"

	"github.com/truce-project/truce"
	"github.com/truce-project/truce/operations"
	"github.com/truce-project/truce/zones"
)

// TestService_ZoneInForceLater: a no-fly zone coming into force over a
// filed air patrol raises a conflict alert (later, journalled) to the
// patrol's party and to the zone's agreement's signatories, once however
// often the zone's change is handled; a ground patrol under the same zone
// (not prohibited there) and an air patrol elsewhere raise none.
func TestService_ZoneInForceLater(t *testing.T) {
	for name, open := range stores {
		t.Run(name, func(t *testing.T) {
			st := open(t)
			w := newWorld(t, st)
			ctx := context.Background()
			air, err := w.svc.File(w.asUS, w.plan("US patrol", operations.AirPatrol, box(36.9, 33.5, 37.0, 33.6), 1000, 3000, time.Hour, 4))
			if err != nil || len(air.Conflicts) != 0 {
				t.Fatalf("filing the air patrol: %+v %v", air, err)
			}
			ground, err := w.svc.File(w.asRU, w.plan("RU ground", operations.GroundPatrol, box(36.82, 33.42, 36.83, 33.43), 0, 10, time.Hour, 4))
			if err != nil {
				t.Fatalf("filing the ground patrol: %v", err)
			}
			away, err := w.svc.File(w.asRU, w.plan("RU patrol away", operations.AirPatrol, box(35.9, 32.0, 36.0, 32.1), 1000, 3000, time.Hour, 4))
			if err != nil || len(away.Conflicts) != 0 {
				t.Fatalf("filing the patrol away: %+v %v", away, err)
			}
			// The signatories approve a new no-fly zone over the US patrol.
			since := w.now
			z := &truce.Zone{ID: "z-later", AgreementID: w.agreement.ID, Name: "Quneitra no-fly", Kind: truce.ZoneNoFly, State: truce.ZoneStateInForce, Current: 1, Latest: 1, Version: 1}
			if err := st.ZoneStore().Update(ctx, func(tx zones.Tx) error {
				c, err := truce.Change{Kind: "zone", Subject: z.ID, Body: z, Visibility: truce.Visibility{Scope: truce.ScopeAll}}.Seal("p", "u", since)
				if err != nil {
					return err
				}
				if _, err := tx.Append(ctx, c); err != nil {
					return err
				}
				if err := tx.PutZone(ctx, z); err != nil {
					return err
				}
				return tx.PutZoneVersion(ctx, &truce.ZoneVersion{ZoneID: z.ID, AgreementID: w.agreement.ID, Version: 1, Action: truce.ZoneProposed, Status: truce.VersionApproved,
					Spec: truce.ZoneSpec{Name: z.Name, Kind: z.Kind, Geometry: box(36.8, 33.4, 36.95, 33.55)}, InForceFrom: &since, BBox: truce.BBox{36.8, 33.4, 36.95, 33.55}})
			}); err != nil {
				t.Fatal(err)
			}
			if err := w.svc.Zones.(*zones.Index).RefreshZone(ctx, z.ID); err != nil {
				t.Fatal(err)
			}
			e := truce.Event{Kind: "zone", Subject: z.ID}
			if !operations.Follows(e) {
				t.Fatal("operations does not follow zone changes")
			}
			for range 2 { // handled twice (a retry): recorded once
				if err := w.svc.Handle(ctx, e); err != nil {
					t.Fatal(err)
				}
			}
			for who, c := range map[string]context.Context{"us": w.asUS, "ru": w.asRU, "jo": w.asJO} {
				cs, err := w.svc.Conflicts(c, air.Operation.ID)
				if err != nil || len(cs) != 1 {
					t.Fatalf("%s sees %d conflicts of the air patrol (%v), want 1", who, len(cs), err)
				}
				got := cs[0]
				if got.OtherID != z.ID || got.Against != operations.AgainstZone || !got.Later || got.JournalIndex == 0 || got.OtherName != "Quneitra no-fly" ||
					got.Overlap.BBox != (truce.BBox{36.9, 33.5, 36.95, 33.55}) || got.Overlap.FloorM != 1000 || got.Overlap.CeilingM != 3000 {
					t.Fatalf("%s's conflict: %+v", who, got)
				}
			}
			for _, op := range []*operations.Result{ground, away} {
				if cs, err := w.svc.Conflicts(w.asRU, op.Operation.ID); err != nil || len(cs) != 0 {
					t.Fatalf("%s: %+v %v, want no conflict", op.Operation.Name, cs, err)
				}
			}
			if n := len(w.eventsOf(operations.EventConflict)); n != 1 {
				t.Fatalf("%d conflict alerts, want 1", n)
			}
		})
	}
}
