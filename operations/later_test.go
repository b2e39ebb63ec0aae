package operations_test

import (
	"context"
	"encoding/json"
	"sync"
	"testing"
	"time"

	"github.com/truce-project/truce"
	"github.com/truce-project/truce/humanitarian"
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

// racingNotified is the humanitarian store as operations reads it, with a
// write of a site's next version committed right after the first read of
// sites: between the row's read and its journal entries' read, unless both
// are in one snapshot.
type racingNotified struct {
	operations.Notified
	once  sync.Once
	write func()
}

func (r *racingNotified) Sites(ctx context.Context, f humanitarian.SiteFilter) ([]*humanitarian.Site, error) {
	out, err := r.Notified.Sites(ctx, f)
	r.once.Do(r.write)
	return out, err
}

// putSite stores a site's version with its journal entry, as the
// humanitarian service writes it.
func putSite(t *testing.T, st store, site *humanitarian.Site) {
	t.Helper()
	if err := st.Humanitarian().Update(context.Background(), func(tx humanitarian.Tx) error {
		site.JournalIndex = tx.(interface{ NextIndex() int64 }).NextIndex()
		c, err := truce.Change{Kind: "site", Subject: site.ID, Body: site, Visibility: truce.Visibility{Scope: truce.ScopeAll}}.Seal("p", "u", time.Now())
		if err != nil {
			return err
		}
		if _, err := tx.Append(context.Background(), c); err != nil {
			return err
		}
		return tx.PutSite(context.Background(), site)
	}); err != nil {
		t.Fatal(err)
	}
}

// TestService_LaterReadsOneSnapshot: the site a later conflict is raised
// with is read with its journal entries in one snapshot. A new version of
// the site committed between the two reads raised a false integrity
// error before (the row read older than its newest entry), and no
// conflict; now the version read is the one checked, and the conflict is
// raised.
func TestService_LaterReadsOneSnapshot(t *testing.T) {
	for name, open := range stores {
		t.Run(name, func(t *testing.T) {
			st := open(t)
			w := newWorld(t, st)
			op, err := w.svc.File(w.asUS, w.plan("US patrol", operations.GroundPatrol, box(36.9, 33.5, 37.0, 33.6), 0, 10, time.Hour, 4))
			if err != nil {
				t.Fatal(err)
			}
			site := &humanitarian.Site{ID: "site-racing", AgreementID: w.agreement.ID, PartyID: w.ngo.ID, SiteFields: humanitarian.SiteFields{Name: "Clinic",
				Category: humanitarian.Hospital, Organisation: "MSF", Geometry: json.RawMessage(`{"type":"Point","coordinates":[36.95,33.55]}`), BufferM: 200, ValidFrom: w.now},
				Status: humanitarian.SiteActive, BBox: truce.BBox{36.94, 33.54, 36.96, 33.56}, Version: 1}
			putSite(t, st, site)
			renamed := *site
			renamed.Name, renamed.Version = "Clinic (renamed)", 2
			w.svc.Notified = &racingNotified{Notified: st.Humanitarian(), write: func() { putSite(t, st, &renamed) }}
			if err := w.svc.Handle(context.Background(), truce.Event{Kind: "site", Subject: site.ID, BBox: &site.BBox}); err != nil {
				t.Fatalf("handling the site's change with a write in between: %v", err)
			}
			cs, err := w.svc.Conflicts(w.asUS, op.Operation.ID)
			if err != nil || len(cs) != 1 || cs[0].OtherID != site.ID || cs[0].OtherName != "Clinic" {
				t.Fatalf("conflicts %+v %v; want one with the clinic as read", cs, err)
			}
		})
	}
}

// TestService_LaterWithdrawn: a site closed withdraws the conflicts it
// raised later with the live operations: each is journalled again,
// withdrawn, with the reason, and alerted; handled again, nothing more
// is written. The site reopened raises a conflict anew.
func TestService_LaterWithdrawn(t *testing.T) {
	for name, open := range stores {
		t.Run(name, func(t *testing.T) {
			st := open(t)
			w := newWorld(t, st)
			ctx := context.Background()
			op, err := w.svc.File(w.asUS, w.plan("US patrol", operations.GroundPatrol, box(36.9, 33.5, 37.0, 33.6), 0, 10, time.Hour, 4))
			if err != nil {
				t.Fatal(err)
			}
			site := &humanitarian.Site{ID: "site-closing", AgreementID: w.agreement.ID, PartyID: w.ngo.ID, SiteFields: humanitarian.SiteFields{Name: "Clinic",
				Category: humanitarian.Hospital, Organisation: "MSF", Geometry: json.RawMessage(`{"type":"Point","coordinates":[36.95,33.55]}`), BufferM: 200, ValidFrom: w.now},
				Status: humanitarian.SiteActive, BBox: truce.BBox{36.94, 33.54, 36.96, 33.56}, Version: 1}
			handle := func() {
				t.Helper()
				if err := w.svc.Handle(ctx, truce.Event{Kind: "site", Subject: site.ID, BBox: &site.BBox}); err != nil {
					t.Fatal(err)
				}
			}
			putSite(t, st, site)
			handle()
			cs, err := w.svc.Conflicts(w.asUS, op.Operation.ID)
			if err != nil || len(cs) != 1 || cs[0].WithdrawnAt != nil {
				t.Fatalf("conflicts %+v %v; want one, standing", cs, err)
			}
			first := cs[0].JournalIndex
			closed := *site
			closed.Status, closed.Version = humanitarian.SiteClosed, 2
			putSite(t, st, &closed)
			handle()
			handle()
			cs, err = w.svc.Conflicts(w.asUS, op.Operation.ID)
			if err != nil || len(cs) != 1 || cs[0].WithdrawnAt == nil || cs[0].WithdrawnReason == "" || cs[0].JournalIndex <= first {
				t.Fatalf("conflicts after the site closed: %+v %v; want the one withdrawn, journalled again", cs, err)
			}
			if n := len(w.eventsOf(operations.EventConflict)); n != 2 {
				t.Fatalf("%d conflict alerts, want 2 (raised, withdrawn)", n)
			}
			reopened := closed
			reopened.Status, reopened.Version = humanitarian.SiteActive, 3
			putSite(t, st, &reopened)
			handle()
			cs, err = w.svc.Conflicts(w.asUS, op.Operation.ID)
			if err != nil || len(cs) != 2 || cs[1].WithdrawnAt != nil {
				t.Fatalf("conflicts after the site reopened: %+v %v; want a new one standing", cs, err)
			}
		})
	}
}
