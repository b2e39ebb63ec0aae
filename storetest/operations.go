package storetest

import (
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/truce-project/truce"
	"github.com/truce-project/truce/operations"
	"github.com/truce-project/truce/zones"
)

// testOperations runs the operations.Store suite: an operation inserted,
// revised (and a stale revision refused), listed, a conflict of it stored
// and listed by operation, and a conflict of an unknown operation refused.
func testOperations(t *testing.T, s Store) {
	os := s.Operations()
	p := NewParty(t, s, "ops")
	now := time.Now().UTC().Truncate(time.Microsecond)
	ag := &truce.Agreement{ID: id(), Title: "Memo", Signatories: []string{p.ID}, EffectiveFrom: now, Status: truce.AgreementInForce, Version: 1}
	if err := s.ZoneStore().Update(ctx, func(tx zones.Tx) error {
		if _, err := tx.Append(ctx, change("agreement", ag.ID, 1)); err != nil {
			return err
		}
		return tx.PutAgreement(ctx, ag)
	}); err != nil {
		t.Fatal(err)
	}
	write := func(kind, subject string, fn func(tx operations.Tx) error) error {
		return os.Update(ctx, func(tx operations.Tx) error {
			if _, err := tx.Append(ctx, change(kind, subject, 1)); err != nil {
				return err
			}
			return fn(tx)
		})
	}
	vol := operations.Volume{VolumeInput: operations.VolumeInput{Geometry: json.RawMessage(`{"type":"Point","coordinates":[36.1,32.7]}`), BufferM: 3000,
		FloorM: 0, CeilingM: 6000, Start: now, End: now.Add(2 * time.Hour)}, BBox: truce.BBox{36, 32.6, 36.2, 32.8}}
	o := &operations.Operation{ID: id(), AgreementID: ag.ID, PartyID: p.ID, Name: "Patrol", Kind: operations.AirPatrol, Volumes: []operations.Volume{vol},
		Participants: []string{p.ID}, NotifyTo: []string{}, Status: operations.Filed, Approvals: []operations.Approval{}, CreatedAt: now, Version: 1, Revision: 1}
	if err := write("operation", o.ID, func(tx operations.Tx) error { return tx.PutOperation(ctx, o) }); err != nil {
		t.Fatal(err)
	}
	if err := write("operation", o.ID, func(tx operations.Tx) error { return tx.PutOperation(ctx, o) }); truce.ErrorCode(err) != truce.ECONFLICT {
		t.Fatalf("second insert of one operation: %v, want conflict", err)
	}
	o2 := *o
	o2.Status, o2.Revision = operations.Active, 2
	if err := write("operation", o.ID, func(tx operations.Tx) error {
		cur, err := tx.Operation(ctx, o.ID)
		if err != nil || cur.Revision != 1 {
			t.Errorf("read in the transaction: %+v %v", cur, err)
		}
		return tx.PutOperation(ctx, &o2)
	}); err != nil {
		t.Fatal(err)
	}
	if err := write("operation", o.ID, func(tx operations.Tx) error { return tx.PutOperation(ctx, &o2) }); truce.ErrorCode(err) != truce.EPRECONDITION {
		t.Fatalf("stale revision: %v, want precondition", err)
	}
	got, err := os.Operation(ctx, o.ID)
	if err != nil || got.Status != operations.Active || got.Revision != 2 || len(got.Volumes) != 1 || !got.Volumes[0].End.Equal(vol.End) || got.Volumes[0].BufferM != 3000 {
		t.Fatalf("operation: %+v %v", got, err)
	}
	if _, err := os.Operation(ctx, id()); truce.ErrorCode(err) != truce.ENOTFOUND {
		t.Fatalf("missing operation: %v", err)
	}
	other := *o
	other.ID, other.Name = id(), "Second"
	if err := write("operation", other.ID, func(tx operations.Tx) error { return tx.PutOperation(ctx, &other) }); err != nil {
		t.Fatal(err)
	}
	var all []string
	if err := os.Operations(ctx, func(o *operations.Operation) error { all = append(all, o.Name); return nil }); err != nil || len(all) != 2 || all[0] != "Patrol" || all[1] != "Second" {
		t.Fatalf("operations: %v %v", all, err)
	}
	for status, want := range map[operations.Status]string{operations.Active: "Patrol", operations.Filed: "Second"} {
		var in []string
		if err := os.OperationsIn(ctx, status, func(o *operations.Operation) error { in = append(in, o.Name); return nil }); err != nil || len(in) != 1 || in[0] != want {
			t.Fatalf("operations %s: %v %v", status, in, err)
		}
	}
	if err := os.OperationsIn(ctx, operations.Cancelled, func(o *operations.Operation) error { return fmt.Errorf("cancelled operation %s", o.ID) }); err != nil {
		t.Fatalf("operations cancelled: %v", err)
	}
	c := &operations.Conflict{ID: id(), OperationID: o.ID, OperationVersion: 1, PartyID: p.ID, Against: operations.AgainstSite, OtherID: "site-1",
		OtherKind: "hospital", Overlap: operations.Overlap{FloorM: 0, CeilingM: 6000, BBox: vol.BBox}, Blocking: true, DetectedAt: now, Visible: []string{}}
	if err := write("operation_conflict", c.ID, func(tx operations.Tx) error { return tx.InsertConflict(ctx, c) }); err != nil {
		t.Fatal(err)
	}
	orphan := *c
	orphan.ID, orphan.OperationID = id(), id()
	if err := write("operation_conflict", orphan.ID, func(tx operations.Tx) error { return tx.InsertConflict(ctx, &orphan) }); truce.ErrorCode(err) != truce.EINVALID {
		t.Fatalf("conflict of a missing operation: %v, want invalid (foreign key)", err)
	}
	for _, q := range []string{o.ID, ""} {
		cs, err := os.Conflicts(ctx, q)
		if err != nil || len(cs) != 1 || cs[0].ID != c.ID || !cs[0].Blocking || cs[0].OtherKind != "hospital" {
			t.Fatalf("conflicts of %q: %+v %v", q, cs, err)
		}
	}
	if cs, err := os.Conflicts(ctx, other.ID); err != nil || len(cs) != 0 {
		t.Fatalf("conflicts of another operation: %+v %v", cs, err)
	}
}
