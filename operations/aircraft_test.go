package operations_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/truce-project/truce"
	"github.com/truce-project/truce/airspace"
	"github.com/truce-project/truce/operations"
)

// registerAircraft puts an aircraft in the registry of party as the
// airspace service does: journalled, then stored.
func (w *world) registerAircraft(t *testing.T, party, icao string) {
	t.Helper()
	ctx := context.Background()
	a := &truce.Aircraft{ID: truce.NewID(), PartyID: party, ICAO: icao, CreatedAt: w.now, Version: 1}
	if err := w.st.Airspace().Update(ctx, func(tx airspace.Tx) error {
		a.JournalIndex = tx.(interface{ NextIndex() int64 }).NextIndex()
		c, err := truce.Change{Kind: "aircraft", Subject: a.ID, Body: a, Visibility: truce.Visibility{Scope: truce.ScopeAll}, New: true}.Seal("p", "u", w.now)
		if err != nil {
			return err
		}
		if _, err := tx.Append(ctx, c); err != nil {
			return err
		}
		return tx.PutAircraft(ctx, a)
	}); err != nil {
		t.Fatal(err)
	}
}

// TestService_AircraftRegistered: the aircraft an operation names are
// those of the aircraft registry (the monitor holds them to the
// operation's volumes): one registered to a participating party is
// filed; one registered to another party, or to none, is refused with
// EUNPROCESSABLE naming it, and nothing is recorded.
func TestService_AircraftRegistered(t *testing.T) {
	for name, open := range stores {
		t.Run(name, func(t *testing.T) {
			w := newWorld(t, open(t))
			w.svc.Aircraft = w.st.Airspace()
			w.registerAircraft(t, w.us.ID, "AE1234")
			w.registerAircraft(t, w.ru.ID, "15A0B1")
			patrol := func(aircraft ...string) operations.FileInput {
				in := w.plan("US patrol", operations.AirPatrol, box(36.2, 32.7, 36.4, 32.9), 3000, 6000, time.Hour, 4)
				in.Aircraft = aircraft
				return in
			}
			for _, c := range []struct{ what, icao string }{{"another party's aircraft", "15A0B1"}, {"an aircraft not registered", "ABCDEF"}} {
				_, err := w.svc.File(w.asUS, patrol("AE1234", c.icao))
				code(t, c.what, err, truce.EUNPROCESSABLE)
				if !strings.Contains(truce.ErrorMessage(err), c.icao) {
					t.Fatalf("%s: the refusal does not name it: %v", c.what, err)
				}
			}
			if ops, err := w.svc.Operations(w.asUS, operations.Filter{}); err != nil || len(ops) != 0 {
				t.Fatalf("after the refusals: %d operations %v", len(ops), err)
			}
			if r, err := w.svc.File(w.asUS, patrol("ae1234")); err != nil || len(r.Operation.Aircraft) != 1 {
				t.Fatalf("the US patrol with its registered aircraft: %+v %v", r, err)
			}
			// A joint operation may name each participant's aircraft.
			joint := patrol("AE1234", "15A0B1")
			joint.Name, joint.Participants = "joint patrol", []string{w.ru.ID}
			if _, err := w.svc.File(w.asUS, joint); err != nil {
				t.Fatalf("a joint operation with both parties' aircraft: %v", err)
			}
		})
	}
}
