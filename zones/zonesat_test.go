package zones_test

import (
	"context"
	"errors"
	"math"
	"testing"
	"time"

	"github.com/truce-project/truce"
	"github.com/truce-project/truce/internal/testwait"
	"github.com/truce-project/truce/zones"
)

// noInForceReads is a store whose reads of the zones in force fail, so a
// lookup that still answers was answered by the live index.
type noInForceReads struct{ zones.Store }

func (noInForceReads) ZoneVersionsInForce(context.Context, time.Time) ([]*truce.ZoneVersion, error) {
	return nil, errors.New("read the database")
}

// TestZonesAt_LiveIndexWithoutAltitude: a lookup for the present without
// an altitude (the CLI's default) is answered from the live index, not by
// reading and decoding every zone in force.
func TestZonesAt_LiveIndexWithoutAltitude(t *testing.T) {
	svc, actx := zonesInForce(t, 4)
	svc.Store = noInForceReads{svc.Store}
	got, err := svc.ZonesAt(actx, 36.02, 32.02, math.NaN(), time.Now())
	if err != nil || len(got) != 1 || got[0].Zone.Name != "z0" {
		t.Fatalf("zones at a point of z0 without altitude: %d, %v", len(got), err)
	}
	if got, err := svc.ZonesAt(actx, 36.045, 32.02, math.NaN(), time.Now()); err != nil || len(got) != 0 {
		t.Fatalf("zones between z0 and z1: %d, %v", len(got), err)
	}
}

// TestZonesAt_PastAfterAgreementChange: the live index holds only what is
// in force now, so a lookup with an altitude for a time before its agreement
// was suspended is answered from the database (in force then), not from
// the index (gone since).
func TestZonesAt_PastAfterAgreementChange(t *testing.T) {
	svc, actx := zonesInForce(t, 1)
	t1 := time.Now()
	testwait.Past(t1) // the suspension is later than t1
	ags, err := svc.Store.Agreements(actx, truce.AgreementFilter{})
	if err != nil || len(ags) != 1 {
		t.Fatal(len(ags), err)
	}
	if _, err := truce.AgreeAll(svc, ags[0].ID, truce.AgreementMotion{Action: truce.AgreementSuspend}, actx); err != nil {
		t.Fatal(err)
	}
	if err := svc.Index.Load(context.Background(), svc.Index.From()); err != nil { // as the node does on an agreement event
		t.Fatal(err)
	}
	if got, err := svc.ZonesAt(actx, 36.02, 32.02, 1000, t1); err != nil || len(got) != 1 {
		t.Fatalf("at 1,000 m before the suspension: %d zones, %v; want 1", len(got), err)
	}
	if got, err := svc.ZonesAt(actx, 36.02, 32.02, 1000, time.Now()); err != nil || len(got) != 0 {
		t.Fatalf("at 1,000 m after the suspension: %d zones, %v; want 0", len(got), err)
	}
}
