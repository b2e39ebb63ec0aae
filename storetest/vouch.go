package storetest

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/truce-project/truce"
	"github.com/truce-project/truce/zones"
)

// testNextIndex: a transaction's NextIndex is the index its next Append
// returns, also when group commit puts many callers in one transaction
// and when a caller appends twice.
func testNextIndex(t *testing.T, s Store) {
	var wg sync.WaitGroup
	errs := make(chan error, 64)
	for i := range 64 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs <- s.Update(ctx, func(tx truce.Tx) error {
				p, ok := tx.(interface{ NextIndex() int64 })
				if !ok {
					return fmt.Errorf("%T has no NextIndex", tx)
				}
				for j := range 2 {
					want := p.NextIndex()
					got, err := tx.Append(ctx, change("thing", id(), map[string]int{"i": i, "j": j}))
					if err != nil {
						return err
					}
					if got != want {
						return fmt.Errorf("NextIndex said %d, Append returned %d", want, got)
					}
				}
				return nil
			})
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
}

// testStateColumns: the SQL stores' CheckStateColumns finds nothing in
// rows written through the store, and finds a zone version whose
// in-force column was edited behind the store's back (so that queries of
// the zones in force would miss it); JournalSubjects lists the subjects
// of a kind.
func testStateColumns(t *testing.T, s Store) {
	st, ok := s.(interface {
		CheckStateColumns(ctx context.Context, fn func(record, problem string)) error
		JournalSubjects(ctx context.Context, kind string, fn func(subject string) error) error
		DB() *sql.DB
	})
	if !ok {
		t.Skipf("%T keeps no columns beside its documents", s)
	}
	p := NewParty(t, s, "echo")
	now := time.Now().UTC().Truncate(time.Microsecond)
	ag := &truce.Agreement{ID: id(), Title: "Memo", Signatories: []string{p.ID}, EffectiveFrom: now, Status: truce.AgreementInForce, Version: 1}
	z := &truce.Zone{ID: id(), AgreementID: ag.ID, Name: "Z", Kind: truce.ZoneNoFly, State: truce.ZoneStateInForce, Version: 1}
	v := &truce.ZoneVersion{ZoneID: z.ID, AgreementID: ag.ID, Version: 1, Action: truce.ZoneProposed, Status: truce.VersionApproved,
		Spec:        truce.ZoneSpec{Name: "Z", Kind: truce.ZoneNoFly, Geometry: json.RawMessage(`{"type":"Polygon","coordinates":[[[0,0],[1,0],[1,1],[0,0]]]}`)},
		InForceFrom: &now, BBox: truce.BBox{0, 0, 1, 1}}
	err := s.ZoneStore().Update(ctx, func(tx zones.Tx) error {
		if _, err := tx.Append(ctx, change("zone", z.ID, 1)); err != nil {
			return err
		}
		if err := tx.PutAgreement(ctx, ag); err != nil {
			return err
		}
		if err := tx.PutZone(ctx, z); err != nil {
			return err
		}
		return tx.PutZoneVersion(ctx, v)
	})
	if err != nil {
		t.Fatal(err)
	}
	var found []string
	collect := func(record, problem string) { found = append(found, record+": "+problem) }
	if err := st.CheckStateColumns(ctx, collect); err != nil || len(found) != 0 {
		t.Fatalf("rows written through the store: %q %v; want none", found, err)
	}
	if _, err := st.DB().Exec(`UPDATE zone_versions SET in_force_until = 1`); err != nil {
		t.Fatal(err)
	}
	if err := st.CheckStateColumns(ctx, collect); err != nil || len(found) != 1 || !strings.Contains(found[0], fmt.Sprintf("zone %s version 1", z.ID)) {
		t.Fatalf("an edited in-force column: %q %v; want the version named", found, err)
	}
	var subjects []string
	if err := st.JournalSubjects(ctx, "zone", func(s string) error { subjects = append(subjects, s); return nil }); err != nil || len(subjects) != 1 || subjects[0] != z.ID {
		t.Fatalf("zone subjects: %q %v", subjects, err)
	}
}
