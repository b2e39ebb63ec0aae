package operations_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/truce-project/truce"
	"github.com/truce-project/truce/operations"
	"github.com/truce-project/truce/zones"
)

// TestService_AgreementMaxWindow: an agreement's rules may set the longest
// window an operation's volume has (max_operation_window): a longer one is
// refused with EINVALID naming the limit, and nothing is recorded; one
// within it is filed. Rules setting a limit below a minute or beyond
// operations.MaxWindow are refused.
func TestService_AgreementMaxWindow(t *testing.T) {
	for name, open := range stores {
		t.Run(name, func(t *testing.T) {
			st := open(t)
			w := newWorld(t, st)
			ctx := context.Background()
			w.agreement.Rules.MaxOperationWindow = truce.Duration(6 * time.Hour)
			w.agreement.Version++
			if err := st.ZoneStore().Update(ctx, func(tx zones.Tx) error {
				c, err := truce.Change{Kind: "agreement", Subject: w.agreement.ID, Body: w.agreement, Visibility: truce.Visibility{Scope: truce.ScopeAll}}.Seal("p", "u", w.now)
				if err != nil {
					return err
				}
				if _, err := tx.Append(ctx, c); err != nil {
					return err
				}
				return tx.PutAgreement(ctx, w.agreement)
			}); err != nil {
				t.Fatal(err)
			}
			_, err := w.svc.File(w.asUS, w.plan("long patrol", operations.GroundPatrol, box(36.9, 33.5, 37.0, 33.6), 0, 10, time.Hour, 8))
			code(t, "an 8-hour window under a 6-hour limit", err, truce.EINVALID)
			if !strings.Contains(truce.ErrorMessage(err), "6h0m0s") {
				t.Fatalf("the refusal does not name the limit: %v", err)
			}
			if ops, err := w.svc.Operations(w.asUS, operations.Filter{}); err != nil || len(ops) != 0 {
				t.Fatalf("after the refusal: %d operations %v", len(ops), err)
			}
			if _, err := w.svc.File(w.asUS, w.plan("short patrol", operations.GroundPatrol, box(36.9, 33.5, 37.0, 33.6), 0, 10, time.Hour, 6)); err != nil {
				t.Fatalf("a 6-hour window: %v", err)
			}
		})
	}
	for _, d := range []time.Duration{30 * time.Second, operations.MaxWindow + time.Hour, -time.Hour} {
		if err := (truce.AgreementRules{MaxOperationWindow: truce.Duration(d)}).Validate(); truce.ErrorCode(err) != truce.EINVALID {
			t.Errorf("rules with max_operation_window %s: %v, want invalid", d, err)
		}
	}
}

// TestService_ExemptParty: an agreement's prohibition may exempt parties
// (a no-fly zone the host state's air force may fly in): an air patrol of
// the exempt party in the no-fly zone is filed without conflict; the same
// patrol of another party is refused (blocking), and so is a joint one of
// the exempt party with another.
func TestService_ExemptParty(t *testing.T) {
	for name, open := range stores {
		t.Run(name, func(t *testing.T) {
			st := open(t)
			w := newWorld(t, st)
			ctx := context.Background()
			w.agreement.Rules.Prohibited[0].Exempt = []string{w.jo.ID}
			w.agreement.Version++
			if err := st.ZoneStore().Update(ctx, func(tx zones.Tx) error {
				c, err := truce.Change{Kind: "agreement", Subject: w.agreement.ID, Body: w.agreement, Visibility: truce.Visibility{Scope: truce.ScopeAll}}.Seal("p", "u", w.now)
				if err != nil {
					return err
				}
				if _, err := tx.Append(ctx, c); err != nil {
					return err
				}
				return tx.PutAgreement(ctx, w.agreement)
			}); err != nil {
				t.Fatal(err)
			}
			patrol := func(name string) operations.FileInput {
				return w.plan(name, operations.AirPatrol, box(36.52, 32.52, 36.55, 32.55), 1000, 3000, time.Hour, 2)
			}
			if r, err := w.svc.File(w.asJO, patrol("Jordanian patrol")); err != nil || len(r.Conflicts) != 0 {
				t.Fatalf("the exempt party's patrol: %+v %v", r, err)
			}
			_, err := w.svc.File(w.asUS, patrol("US patrol"))
			code(t, "another party's patrol in the no-fly zone", err, truce.EUNPROCESSABLE)
			joint := patrol("joint patrol")
			joint.Participants = []string{w.us.ID}
			r, err := w.svc.File(w.asJO, joint)
			if err != nil {
				t.Fatal(err)
			}
			zoneConflict := false
			for _, c := range r.Conflicts {
				zoneConflict = zoneConflict || (c.Against == operations.AgainstZone && c.Blocking)
			}
			if !zoneConflict {
				t.Fatalf("the joint patrol with a party not exempt: conflicts %+v, want the no-fly zone's", r.Conflicts)
			}
		})
	}
	if err := (truce.AgreementRules{Prohibited: []truce.Prohibition{{Activity: "overflight", Exempt: []string{""}}}}).Validate(); truce.ErrorCode(err) != truce.EINVALID {
		t.Errorf("an empty exempt party: %v, want invalid", err)
	}
}
