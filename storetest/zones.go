package storetest

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/truce-project/truce"
	"github.com/truce-project/truce/zones"
)

// testZones runs agreements, zones and their versions through the store
// as package zones sees it (zones.Store, written in zones.Tx).
func testZones(t *testing.T, st Store) {
	p := NewParty(t, st, "delta")
	s := st.ZoneStore()
	now := time.Now().UTC().Truncate(time.Microsecond)
	ag := &truce.Agreement{ID: id(), Title: "Memo", Signatories: []string{p.ID}, EffectiveFrom: now, Status: truce.AgreementDraft, Version: 1}
	put := func(fn func(tx zones.Tx) error) error {
		return s.Update(ctx, func(tx zones.Tx) error {
			if _, err := tx.Append(ctx, change("zone", ag.ID, 1)); err != nil {
				return err
			}
			return fn(tx)
		})
	}
	if err := put(func(tx zones.Tx) error { return tx.PutAgreement(ctx, ag) }); err != nil {
		t.Fatal(err)
	}
	ag.Status, ag.Version = truce.AgreementInForce, 2
	if err := put(func(tx zones.Tx) error { return tx.PutAgreement(ctx, ag) }); err != nil {
		t.Fatal(err)
	}
	stale := *ag
	stale.Version = 2
	if err := put(func(tx zones.Tx) error { return tx.PutAgreement(ctx, &stale) }); truce.ErrorCode(err) != truce.EPRECONDITION {
		t.Fatalf("stale agreement update: %v", err)
	}
	if as, err := s.Agreements(ctx, truce.AgreementFilter{Status: truce.AgreementInForce, Party: p.ID}); err != nil || len(as) != 1 || as[0].Version != 2 {
		t.Fatalf("agreements: %v %v", as, err)
	}
	z := &truce.Zone{ID: id(), AgreementID: ag.ID, Name: "Z", Kind: truce.ZoneNoFly, State: truce.ZoneStateInForce, Version: 1}
	t0, t1, t2 := now.Add(-2*time.Hour), now.Add(-time.Hour), now.Add(time.Hour)
	geom := json.RawMessage(`{"type":"Polygon","coordinates":[[[0,0],[1,0],[1,1],[0,0]]]}`)
	v1 := &truce.ZoneVersion{ZoneID: z.ID, AgreementID: ag.ID, Version: 1, Action: truce.ZoneProposed, Status: truce.VersionSuperseded,
		Spec: truce.ZoneSpec{Name: "Z", Kind: truce.ZoneNoFly, Geometry: geom}, InForceFrom: &t0, InForceUntil: &t1, BBox: truce.BBox{0, 0, 1, 1}}
	v2 := &truce.ZoneVersion{ZoneID: z.ID, AgreementID: ag.ID, Version: 2, Action: truce.ZoneChange, Status: truce.VersionApproved,
		Spec: truce.ZoneSpec{Name: "Z2", Kind: truce.ZoneNoFly, Geometry: geom}, InForceFrom: &t1}
	v3 := &truce.ZoneVersion{ZoneID: z.ID, AgreementID: ag.ID, Version: 3, Action: truce.ZoneChange, Status: truce.VersionProposed,
		Spec: truce.ZoneSpec{Name: "Z3", Kind: truce.ZoneNoFly, Geometry: geom}}
	err := put(func(tx zones.Tx) error {
		if err := tx.PutZone(ctx, z); err != nil {
			return err
		}
		for _, v := range []*truce.ZoneVersion{v1, v2, v3} {
			if err := tx.PutZoneVersion(ctx, v); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	orphan := &truce.Zone{ID: id(), AgreementID: id(), Name: "O", Kind: truce.ZoneBuffer, State: truce.ZoneStateProposed, Version: 1}
	if err := put(func(tx zones.Tx) error { return tx.PutZone(ctx, orphan) }); truce.ErrorCode(err) != truce.EINVALID {
		t.Fatalf("zone of a missing agreement: %v", err)
	}
	at := func(tm time.Time) []int {
		vs, err := s.ZoneVersionsInForce(ctx, tm)
		if err != nil {
			t.Fatal(err)
		}
		var out []int
		for _, v := range vs {
			out = append(out, v.Version)
		}
		return out
	}
	for _, c := range []struct {
		t    time.Time
		want []int
	}{{t0.Add(-time.Second), nil}, {t0, []int{1}}, {t1.Add(-time.Microsecond), []int{1}}, {t1, []int{2}}, {t2, []int{2}}} {
		if got := at(c.t); len(got) != len(c.want) || (len(got) == 1 && got[0] != c.want[0]) {
			t.Errorf("in force at %s: %v, want %v", c.t, got, c.want)
		}
	}
	after, _ := s.ZoneVersionsInForceAfter(ctx, now)
	if len(after) != 1 || after[0].Version != 2 {
		t.Fatalf("in force after now: %d versions", len(after))
	}
	if zs, err := s.Zones(ctx, truce.ZoneFilter{Pending: true}); err != nil || len(zs) != 1 || zs[0].ID != z.ID {
		t.Fatalf("zones with a version awaiting decisions: %v %v", zs, err)
	}
	// Replacing a version updates it in place.
	v3.Status = truce.VersionRejected
	if err := put(func(tx zones.Tx) error { return tx.PutZoneVersion(ctx, v3) }); err != nil {
		t.Fatal(err)
	}
	vs, err := s.ZoneVersions(ctx, z.ID)
	if err != nil || len(vs) != 3 || vs[2].Status != truce.VersionRejected || vs[0].InForceUntil == nil || !vs[0].InForceUntil.Equal(t1) {
		t.Fatalf("versions: %+v %v", vs, err)
	}
	if v, err := s.ZoneVersion(ctx, z.ID, 3); err != nil || v.Version != 3 || v.Status != truce.VersionRejected {
		t.Fatalf("version 3: %+v %v", v, err)
	}
	if _, err := s.ZoneVersion(ctx, z.ID, 4); truce.ErrorCode(err) != truce.ENOTFOUND {
		t.Fatalf("a version that does not exist: %v", err)
	}
	if zs, err := s.Zones(ctx, truce.ZoneFilter{Pending: true}); err != nil || len(zs) != 0 {
		t.Fatalf("zones awaiting decisions once the version was rejected: %d %v", len(zs), err)
	}
	if zs, err := s.Zones(ctx, truce.ZoneFilter{Agreement: ag.ID, Kind: truce.ZoneNoFly}); err != nil || len(zs) != 1 {
		t.Fatalf("zones: %v %v", zs, err)
	}
	if _, err := s.Zone(ctx, "missing"); truce.ErrorCode(err) != truce.ENOTFOUND {
		t.Fatalf("missing zone: %v", err)
	}
}
