package zones_test

import (
	"context"
	"testing"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/truce-project/truce"
	"github.com/truce-project/truce/ledger"
)

// unreachableHashes is a log whose hashes cannot be read for now (a lost
// database connection).
type unreachableHashes struct{ ledger.Storage }

func (unreachableHashes) ReadHashes(context.Context, []int64) ([]tlog.Hash, error) {
	return nil, truce.Errorf(truce.EUNAVAILABLE, "The database cannot be reached.")
}

// TestVouch_UnreachableIsNotTampering: when the tree's hashes cannot be
// read because the database is out of reach, a record is answered with
// "unavailable" (503, retry), not declared changed outside Truce: a lost
// connection is not tampering (the chaos test saw 500 "integrity" answers
// while PostgreSQL connections were dropped).
func TestVouch_UnreachableIsNotTampering(t *testing.T) {
	svc, actx := zonesInForce(t, 1)
	st, ok := svc.Entries.(ledger.Storage)
	if !ok {
		t.Fatalf("store %T is not the log's storage", svc.Entries)
	}
	zs, err := svc.Store.Zones(actx, truce.ZoneFilter{})
	if err != nil || len(zs) == 0 {
		t.Fatalf("zones: %d, %v", len(zs), err)
	}
	svc.Ledger = unreachableHashes{st}
	_, err = svc.FindZone(actx, zs[0].ID)
	if code := truce.ErrorCode(err); code != truce.EUNAVAILABLE {
		t.Fatalf("zone read while the tree's hashes cannot be read: %v (code %s), want %s", err, code, truce.EUNAVAILABLE)
	}
	if n := len(svc.Integrity.Problems()); n != 0 {
		t.Fatalf("an unreachable database was reported as %d integrity problem(s)", n)
	}
}
