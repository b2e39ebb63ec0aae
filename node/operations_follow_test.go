package node

import (
	"context"
	"encoding/json"
	"slices"
	"testing"
	"time"

	"github.com/truce-project/truce"
	"github.com/truce-project/truce/humanitarian"
	"github.com/truce-project/truce/internal/testwait"
	"github.com/truce-project/truce/operations"
)

// TestOperations_LaterConflictsFollowOtherServers: two servers share a
// PostgreSQL database. Operations filed on the second are held in its
// memory only (the first loaded its operations before they were filed).
// A site notified on the first inside the second's ground patrol, and a
// no-fly zone approved on the first over its air patrol, each raise one
// conflict later, found by the second following the first's changes.
// Before, the site was followed only by the server that notified it, and
// no conflict was raised.
func TestOperations_LaterConflictsFollowOtherServers(t *testing.T) {
	e := newTamperEnv(t, true)
	a := e.mustOpen(t)
	defer a.Close()
	b := e.mustOpen(t)
	defer b.Close()
	admin := truce.NewContext(context.Background(), e.admin)
	ag := inForceAgreement(t, a, admin, []string{e.admin.Party.ID}, truce.AgreementRules{Prohibited: []truce.Prohibition{{Activity: "overflight", ZoneKinds: []truce.ZoneKind{truce.ZoneNoFly}}}})
	// The agreement reaches the second server before it files under it.
	if !testwait.Until(10*time.Second, func() bool {
		_, err := b.Operations.Check(admin, operations.Plan{AgreementID: ag.ID, Name: "probe", Kind: operations.GroundPatrol,
			Volumes: []operations.VolumeInput{{Geometry: json.RawMessage(boxGeometry), FloorM: 0, CeilingM: 10, Start: time.Now().Add(time.Hour), End: time.Now().Add(2 * time.Hour)}}})
		return err == nil
	}) {
		t.Fatal("the agreement did not reach the second server")
	}
	start := time.Now().UTC().Add(time.Hour).Truncate(time.Second)
	file := func(name string, k operations.Kind, floor, ceil float64) *operations.Operation {
		r, err := b.Operations.File(admin, operations.FileInput{Plan: operations.Plan{AgreementID: ag.ID, Name: name, Kind: k,
			Volumes: []operations.VolumeInput{{Geometry: json.RawMessage(boxGeometry), FloorM: floor, CeilingM: ceil, Start: start, End: start.Add(4 * time.Hour)}}}})
		if err != nil || len(r.Conflicts) != 0 {
			t.Fatalf("filing %s on the second server: %+v %v", name, r, err)
		}
		return r.Operation
	}
	ground := file("ground patrol", operations.GroundPatrol, 0, 10)
	air := file("air patrol", operations.AirPatrol, 1000, 3000)
	site, err := a.Humanitarian.NotifySite(admin, humanitarian.SiteCreate{AgreementID: ag.ID, SiteFields: humanitarian.SiteFields{Name: "Clinic", Category: humanitarian.Hospital,
		Organisation: "WHO", Geometry: json.RawMessage(`{"type":"Point","coordinates":[36.1,33.1]}`), BufferM: 100, ValidFrom: time.Now().UTC()}})
	if err != nil {
		t.Fatal(err)
	}
	z := noFlyZoneIn(t, a, admin, ag.ID)
	// The air patrol flies over the clinic too (a site covers every
	// altitude).
	want := map[string][]string{ground.Name: {site.ID}, air.Name: {site.ID, z.ID}}
	for _, op := range []*operations.Operation{ground, air} {
		var got []string
		if !testwait.Until(10*time.Second, func() bool {
			cs, err := a.Operations.Conflicts(admin, op.ID)
			if err != nil {
				t.Fatal(err)
			}
			got = got[:0]
			for _, c := range cs {
				if c.Later {
					got = append(got, c.OtherID)
				}
			}
			return len(got) >= len(want[op.Name])
		}) {
			t.Fatalf("%s: conflicts raised later with %q; want %q", op.Name, got, want[op.Name])
		}
		slices.Sort(got)
		if w := slices.Sorted(slices.Values(want[op.Name])); !slices.Equal(got, w) {
			t.Fatalf("%s: conflicts raised later with %q; want %q", op.Name, got, w)
		}
	}
}

// noFlyZoneIn proposes and approves a no-fly zone over the test box under
// agreement agID.
func noFlyZoneIn(t *testing.T, n *Node, admin context.Context, agID string) *truce.Zone {
	t.Helper()
	z, _, err := n.Zones.ProposeZone(admin, truce.ZoneProposal{Agreement: agID, Name: "No-fly box", Kind: truce.ZoneNoFly, Geometry: json.RawMessage(boxGeometry)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := n.Zones.DecideZone(admin, z.ID, 1, truce.ZoneDecision{Approve: true}); err != nil {
		t.Fatal(err)
	}
	return z
}

// TestOperations_FilingsFollowOtherServers: two servers share a
// PostgreSQL database; an air patrol filed on the second reaches the
// first's index of filed operations, so a strike filed on the first in the
// same sky and hours is refused for it. Before, the first knew only the
// operations filed on it and those it loaded at start-up, and filed the
// strike without a conflict.
func TestOperations_FilingsFollowOtherServers(t *testing.T) {
	e := newTamperEnv(t, true)
	a := e.mustOpen(t)
	defer a.Close()
	b := e.mustOpen(t)
	defer b.Close()
	admin := truce.NewContext(context.Background(), e.admin)
	other, err := a.Accounts.CreateParty(admin, truce.PartyCreate{Slug: "other", Name: "Other", Kind: truce.PartyGuarantor})
	if err != nil {
		t.Fatal(err)
	}
	asOther := truce.NewContext(context.Background(), &truce.Caller{User: &truce.User{ID: "other-op", PartyID: other.ID, Roles: []truce.Role{truce.RoleOperator}}, Party: other})
	ag := inForceAgreement(t, a, admin, []string{e.admin.Party.ID, other.ID}, truce.AgreementRules{})
	start := time.Now().UTC().Add(time.Hour).Truncate(time.Second)
	plan := func(name string, k operations.Kind) operations.FileInput {
		return operations.FileInput{Plan: operations.Plan{AgreementID: ag.ID, Name: name, Kind: k,
			Volumes: []operations.VolumeInput{{Geometry: json.RawMessage(boxGeometry), FloorM: 1000, CeilingM: 3000, Start: start, End: start.Add(2 * time.Hour)}}}}
	}
	if !testwait.Until(10*time.Second, func() bool {
		_, err := b.Operations.Check(admin, plan("probe", operations.AirPatrol).Plan)
		return err == nil
	}) {
		t.Fatal("the agreement did not reach the second server")
	}
	patrol, err := b.Operations.File(admin, plan("patrol", operations.AirPatrol))
	if err != nil || len(patrol.Conflicts) != 0 {
		t.Fatalf("the patrol on the second server: %+v %v", patrol, err)
	}
	var cs []*operations.Conflict
	if !testwait.Until(10*time.Second, func() bool {
		cs, err = a.Operations.Check(asOther, plan("strike", operations.AirStrike).Plan)
		return err == nil && len(cs) > 0
	}) {
		t.Fatalf("the first server's check of a strike in the patrol's sky: %+v %v; want a conflict with the patrol", cs, err)
	}
	if cs[0].OtherID != patrol.Operation.ID || !cs[0].Blocking {
		t.Fatalf("conflicts %+v; want a blocking one with the patrol", cs)
	}
	_, err = a.Operations.File(asOther, plan("strike", operations.AirStrike))
	if truce.ErrorCode(err) != truce.EUNPROCESSABLE {
		t.Fatalf("the strike filed on the first server: %v; want it refused", err)
	}
}
