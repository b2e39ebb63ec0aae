package storetest

import (
	"sync"
	"testing"
	"time"

	"github.com/truce-project/truce"
	"github.com/truce-project/truce/airspace"
)

// testAircraftUnique checks that the database itself keeps one active
// registry entry per ICAO address and per callsign prefix: concurrent
// registrations of one address (which a read-then-write in the service
// cannot stop) commit once and the rest are ECONFLICT; a removed entry
// frees its address.
func testAircraftUnique(t *testing.T, s Store) {
	p, q := NewParty(t, s, "us"), NewParty(t, s, "ru")
	put := func(a *truce.Aircraft) error {
		return s.Airspace().Update(ctx, func(tx airspace.Tx) error {
			i, err := tx.Append(ctx, change("aircraft", a.ID, a))
			if err != nil {
				return err
			}
			a.JournalIndex = i
			return tx.PutAircraft(ctx, a)
		})
	}
	now := time.Now().UTC().Truncate(time.Microsecond)
	for _, kind := range []string{"icao", "prefix"} {
		t.Run(kind, func(t *testing.T) {
			const n = 20
			var wg sync.WaitGroup
			errs := make([]error, n)
			entries := make([]*truce.Aircraft, n)
			for i := range n {
				a := &truce.Aircraft{ID: id(), PartyID: []string{p.ID, q.ID}[i%2], CreatedAt: now, Version: 1}
				if kind == "icao" {
					a.ICAO = "AE1234"
				} else {
					a.CallsignPrefix = "RFF"
				}
				entries[i] = a
				wg.Add(1)
				go func() { defer wg.Done(); errs[i] = put(a) }()
			}
			wg.Wait()
			var won *truce.Aircraft
			for i, err := range errs {
				switch truce.ErrorCode(err) {
				case "":
					if won != nil {
						t.Fatalf("two entries for one %s: %s and %s", kind, won.ID, entries[i].ID)
					}
					won = entries[i]
				case truce.ECONFLICT:
				default:
					t.Fatalf("registration %d: %v", i, err)
				}
			}
			if won == nil {
				t.Fatal("no registration succeeded")
			}
			list, err := s.Airspace().AircraftList(ctx, "")
			if err != nil {
				t.Fatal(err)
			}
			count := 0
			for _, a := range list {
				if a.ICAO == won.ICAO && a.CallsignPrefix == won.CallsignPrefix {
					count++
				}
			}
			if count != 1 {
				t.Fatalf("%d active entries, want 1", count)
			}
			// Removed, the address is free again.
			won.Removed, won.Version = true, 2
			if err := put(won); err != nil {
				t.Fatal(err)
			}
			again := *entries[0]
			again.ID, again.Version, again.Removed = id(), 1, false
			if err := put(&again); err != nil {
				t.Fatalf("registering a removed entry's %s again: %v", kind, err)
			}
		})
	}
}
