package zones_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/truce-project/truce"
	"github.com/truce-project/truce/internal/teststores"
	"github.com/truce-project/truce/zones"
)

// zoneParties is a service with an agreement in force between guarantors
// A and B, and the callers: an operator of each, and the secretariat's
// administrator (a coordinator that did not sign).
type zoneParties struct {
	svc       *zones.Service
	ag        *truce.Agreement
	a, b, sec context.Context
}

func newZoneParties(t *testing.T, st teststores.TestStore) zoneParties {
	t.Helper()
	ctx := context.Background()
	svc := zones.New(st.ZoneStore(), teststores.Accounts(t, st, nil))
	zp := zoneParties{svc: svc, sec: teststores.Admin(t, svc.Accounts, "sec", "Secretariat")}
	operator := func(slug string) (context.Context, string) {
		p, err := svc.Accounts.CreateParty(zp.sec, truce.PartyCreate{Slug: slug, Name: "Guarantor " + slug, Kind: truce.PartyGuarantor})
		if err != nil {
			t.Fatal(err)
		}
		u, err := svc.Accounts.CreateUser(zp.sec, truce.UserCreate{Party: p.ID, Username: slug + "-op", Roles: []truce.Role{truce.RoleOperator}})
		if err != nil {
			t.Fatal(err)
		}
		return truce.NewContext(ctx, &truce.Caller{User: u, Party: p}), p.ID
	}
	var ida, idb string
	zp.a, ida = operator("ga")
	zp.b, idb = operator("gb")
	var err error
	if zp.ag, err = svc.CreateAgreement(zp.sec, truce.AgreementCreate{Title: "Ceasefire", Signatories: []string{ida, idb},
		EffectiveFrom: time.Now().Add(-time.Hour)}); err != nil {
		t.Fatal(err)
	}
	if zp.ag, err = truce.AgreeAll(svc, zp.ag.ID, truce.AgreementMotion{Action: truce.AgreementBringIntoForce}, zp.a, zp.b); err != nil {
		t.Fatal(err)
	}
	return zp
}

// TestZoneService_Decide runs a zone through its life on both stores: the
// service applies truce.Decide's transitions and journals what it returns.
func TestZoneService_Decide(t *testing.T) {
	for name, open := range teststores.StoreOpeners {
		t.Run(name, func(t *testing.T) { testZoneLife(t, newZoneParties(t, open(t))) })
	}
}

func testZoneLife(t *testing.T, zp zoneParties) {
	svc := zp.svc
	yes, no := truce.ZoneDecision{Approve: true}, truce.ZoneDecision{Reason: "too wide"}
	wantCode := func(what, code string, err error) {
		t.Helper()
		if truce.ErrorCode(err) != code {
			t.Fatalf("%s: %v, want code %s", what, err, code)
		}
	}
	zone := func(id string) (*truce.Zone, []*truce.ZoneVersion) {
		t.Helper()
		z, err := svc.FindZone(zp.a, id)
		if err != nil {
			t.Fatal(err)
		}
		vs, err := svc.ZoneHistory(zp.a, id)
		if err != nil {
			t.Fatal(err)
		}
		return z, vs
	}
	square := json.RawMessage(`{"type":"Polygon","coordinates":[[[36,33],[36.1,33],[36.1,33.1],[36,33.1],[36,33]]]}`)
	z, _, err := svc.ProposeZone(zp.a, truce.ZoneProposal{Agreement: zp.ag.ID, Name: "North", Kind: truce.ZoneNoFly, Geometry: square})
	if err != nil {
		t.Fatal(err)
	}

	// Approved by one: still proposed; the same party cannot decide twice;
	// the secretariat, an administrator but no signatory, cannot decide.
	if v, err := svc.DecideZone(zp.a, z.ID, 1, yes); err != nil || v.Status != truce.VersionProposed || len(v.Decisions) != 1 {
		t.Fatalf("first approval: %+v, %v", v, err)
	}
	_, err = svc.DecideZone(zp.a, z.ID, 1, no)
	wantCode("second decision of A", truce.ECONFLICT, err)
	_, err = svc.DecideZone(zp.sec, z.ID, 1, yes)
	wantCode("decision of a non-signatory", truce.EFORBIDDEN, err)
	if z, _ := zone(z.ID); z.State != truce.ZoneStateProposed || z.Pending != 1 {
		t.Fatalf("after one approval: %s pending %d", z.State, z.Pending)
	}

	// Approved by all: in force.
	v1, err := svc.DecideZone(zp.b, z.ID, 1, yes)
	if err != nil || v1.Status != truce.VersionApproved || v1.InForceFrom == nil {
		t.Fatalf("approval by all: %+v, %v", v1, err)
	}
	if z, _ := zone(z.ID); z.State != truce.ZoneStateInForce || z.Current != 1 || z.Pending != 0 {
		t.Fatalf("after approval by all: %s current %d pending %d", z.State, z.Current, z.Pending)
	}

	// A change supersedes version 1; deciding version 1 again is refused.
	zn, _ := zone(z.ID)
	if _, err := svc.ProposeChange(zp.b, z.ID, truce.ZoneProposal{Name: "North (wider)", Kind: truce.ZoneNoFly, Geometry: square}, zn.Version); err != nil {
		t.Fatal(err)
	}
	_, err = svc.DecideZone(zp.b, z.ID, 1, yes)
	wantCode("decision on the old version", truce.ECONFLICT, err)
	if _, err := svc.DecideZone(zp.a, z.ID, 2, yes); err != nil {
		t.Fatal(err)
	}
	v2, err := svc.DecideZone(zp.b, z.ID, 2, yes)
	if err != nil || v2.Status != truce.VersionApproved {
		t.Fatalf("change: %+v, %v", v2, err)
	}
	zn, vs := zone(z.ID)
	if zn.Name != "North (wider)" || zn.Current != 2 || vs[0].Status != truce.VersionSuperseded ||
		vs[0].InForceUntil == nil || !vs[0].InForceUntil.Equal(*v2.InForceFrom) {
		t.Fatalf("after the change: zone %q current %d; v1 %s until %v, v2 from %v", zn.Name, zn.Current, vs[0].Status, vs[0].InForceUntil, v2.InForceFrom)
	}

	// A suspension rejected leaves the zone in force.
	if _, err := svc.ProposeSuspension(zp.a, z.ID, "talks", nil); err != nil {
		t.Fatal(err)
	}
	if v, err := svc.DecideZone(zp.b, z.ID, 3, no); err != nil || v.Status != truce.VersionRejected {
		t.Fatalf("rejected suspension: %+v, %v", v, err)
	}
	if zn, _ := zone(z.ID); zn.State != truce.ZoneStateInForce || zn.Current != 2 || zn.Pending != 0 {
		t.Fatalf("after a rejected suspension: %s current %d pending %d", zn.State, zn.Current, zn.Pending)
	}

	// A withdrawal approved by all ends the zone for good.
	if _, err := svc.ProposeWithdrawal(zp.b, z.ID, "", nil); err != nil {
		t.Fatal(err)
	}
	for _, ctx := range []context.Context{zp.a, zp.b} {
		if _, err := svc.DecideZone(ctx, z.ID, 4, yes); err != nil {
			t.Fatal(err)
		}
	}
	zn, vs = zone(z.ID)
	if zn.State != truce.ZoneStateWithdrawn || zn.Current != 4 || len(vs) != 4 || vs[1].Status != truce.VersionSuperseded ||
		vs[3].InForceUntil == nil || !vs[3].InForceUntil.Equal(*vs[3].InForceFrom) {
		t.Fatalf("after the withdrawal: %s current %d, %d versions", zn.State, zn.Current, len(vs))
	}
	_, err = svc.ProposeSuspension(zp.a, z.ID, "", nil)
	wantCode("a suspension of a withdrawn zone", truce.ECONFLICT, err)
	if in, err := svc.ZonesInForce(zp.a, time.Now()); err != nil || len(in) != 0 {
		t.Fatalf("zones in force after the withdrawal: %d, %v", len(in), err)
	}
}
