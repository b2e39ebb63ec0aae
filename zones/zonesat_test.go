package zones_test

import (
	"context"
	"encoding/json"
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

// alteredGeometry is a store whose version reads return another geometry
// once altered is set, as a row changed behind the server's back would.
type alteredGeometry struct {
	zones.Store
	altered *bool
}

func (s alteredGeometry) ZoneVersion(ctx context.Context, zoneID string, version int) (*truce.ZoneVersion, error) {
	v, err := s.Store.ZoneVersion(ctx, zoneID, version)
	if err == nil && *s.altered {
		v.Spec.Geometry = json.RawMessage(`{"type":"Polygon","coordinates":[[[36,32],[37,32],[37,33],[36,33],[36,32]]]}`)
	}
	return v, err
}

// TestZonesAt_LiveIndexGeometry: the live index keeps no geometry text
// (Record leaves it out), and a lookup answered from it still returns each
// version's geometry, read from the database and refused (EINTEGRITY) when
// it is not the one the journal vouched for.
func TestZonesAt_LiveIndexGeometry(t *testing.T) {
	svc, actx := zonesInForce(t, 4)
	altered := false
	svc.Store = alteredGeometry{svc.Store, &altered}
	svc.Index = svc.NewIndex()
	if err := svc.Index.Load(context.Background(), svc.Now()); err != nil {
		t.Fatal(err)
	}
	got, err := svc.ZonesAt(actx, 36.02, 32.02, math.NaN(), time.Now())
	if err != nil || len(got) != 1 {
		t.Fatalf("zones at a point of z0: %d, %v", len(got), err)
	}
	stored, err := svc.Store.ZoneVersion(actx, got[0].Version.ZoneID, got[0].Version.Version)
	if err != nil {
		t.Fatal(err)
	}
	if len(stored.Spec.Geometry) == 0 || string(got[0].Version.Spec.Geometry) != string(stored.Spec.Geometry) {
		t.Fatalf("geometry %s, stored %s", got[0].Version.Spec.Geometry, stored.Spec.Geometry)
	}
	key := got[0].Version.ZoneID + "#1"
	if r, ok := svc.Index.Record(key); !ok || r.Version.Spec.Geometry != nil || r.Version.Spec.Name != stored.Spec.Name {
		t.Fatalf("record of %s: %v, geometry %q", key, ok, r.Version.Spec.Geometry)
	}
	altered = true
	if _, err := svc.ZonesAt(actx, 36.02, 32.02, math.NaN(), time.Now()); truce.ErrorCode(err) != truce.EINTEGRITY {
		t.Fatalf("with the stored geometry changed: %v, want %s", err, truce.EINTEGRITY)
	}
}
