package operations_test

import (
	"context"
	"testing"
	"time"

	"github.com/truce-project/truce"
	"github.com/truce-project/truce/operations"
	"github.com/truce-project/truce/zones"
)

// setRules gives the world's agreement rules as an approved amendment
// leaves them: journalled and stored.
func (w *world) setRules(t *testing.T, edit func(r *truce.AgreementRules)) {
	t.Helper()
	ctx := context.Background()
	edit(&w.agreement.Rules)
	if err := w.agreement.Rules.Validate(); err != nil {
		t.Fatal(err)
	}
	w.agreement.Version++
	if err := w.st.ZoneStore().Update(ctx, func(tx zones.Tx) error {
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
}

// TestService_AgreementConflictRules: the agreement's rules say which
// conflicts block filing and which only warn (rules.conflicts). One that
// makes a strike over a hospital a warning lets the strike be filed
// without an override, the conflict recorded and told to both sides; one
// that makes any overlap of operations blocking refuses a patrol over
// another party's patrol (a warning by default), nothing recorded, until
// the filer overrides it.
func TestService_AgreementConflictRules(t *testing.T) {
	for name, open := range stores {
		t.Run(name+"/SiteOnlyWarns", func(t *testing.T) {
			w := newWorld(t, open(t))
			w.setRules(t, func(r *truce.AgreementRules) {
				r.Conflicts = []truce.ConflictRule{{Against: "site", Activities: []string{"strike"}, OtherKinds: []string{"hospital"}, Effect: truce.ConflictWarn}}
			})
			r, err := w.svc.File(w.asRU, w.plan("RU strike", operations.AirStrike, box(36.0, 32.6, 36.1, 32.7), 0, 9000, 30*time.Hour, 1))
			if err != nil {
				t.Fatalf("a strike over the hospital the agreement makes a warning: %v", err)
			}
			if len(r.Conflicts) != 1 || r.Conflicts[0].Against != operations.AgainstSite || r.Conflicts[0].Blocking || r.Conflicts[0].Overridden || r.Operation.Override != nil {
				t.Fatalf("the strike's conflicts: %+v, override %v", r.Conflicts, r.Operation.Override)
			}
			if cs, err := w.svc.Conflicts(w.asRU, ""); err != nil || len(cs) != 1 || cs[0].OtherName != "Dar'a National Hospital" || cs[0].Blocking {
				t.Fatalf("the filer's conflicts: %+v %v", cs, err)
			}
			if n := len(w.eventsOf(operations.EventConflict)); n != 1 {
				t.Fatalf("%d conflict alerts, want 1", n)
			}
			// The rule names hospitals only: the patrol in the no-fly zone
			// is still refused by the defaults.
			_, err = w.svc.File(w.asUS, w.plan("through the zone", operations.AirPatrol, box(36.55, 32.55, 36.7, 32.7), 1000, 2000, time.Hour, 1))
			code(t, "patrol in the no-fly zone", err, truce.EUNPROCESSABLE)
		})
		t.Run(name+"/OperationsBlock", func(t *testing.T) {
			w := newWorld(t, open(t))
			w.setRules(t, func(r *truce.AgreementRules) {
				r.Conflicts = []truce.ConflictRule{{Against: "operation", Effect: truce.ConflictBlock}}
			})
			if _, err := w.svc.File(w.asUS, w.plan("US patrol", operations.AirPatrol, box(36.2, 32.7, 36.4, 32.9), 3000, 6000, time.Hour, 4)); err != nil {
				t.Fatal(err)
			}
			ru := w.plan("RU patrol", operations.AirPatrol, box(36.3, 32.8, 36.5, 33.0), 3000, 6000, 2*time.Hour, 4)
			_, err := w.svc.File(w.asRU, ru)
			code(t, "a patrol over another party's patrol the agreement makes blocking", err, truce.EUNPROCESSABLE)
			if ops, err := w.svc.Operations(w.asRU, operations.Filter{}); err != nil || len(ops) != 0 {
				t.Fatalf("after the refusal Russia has %d operations: %v", len(ops), err)
			}
			if n := len(w.eventsOf(operations.EventConflict)); n != 0 {
				t.Fatalf("%d conflict alerts after a refusal", n)
			}
			ru.Override = "Agreed by telephone with the US cell; patrols stagger by 500 m."
			r, err := w.svc.File(w.asRU, ru)
			if err != nil {
				t.Fatal(err)
			}
			if len(r.Conflicts) != 1 || !r.Conflicts[0].Blocking || !r.Conflicts[0].Overridden {
				t.Fatalf("the overridden patrol's conflicts: %+v", r.Conflicts)
			}
		})
	}
}
