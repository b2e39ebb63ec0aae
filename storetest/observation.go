package storetest

import (
	"testing"
	"time"

	"github.com/truce-project/truce"
	"github.com/truce-project/truce/observation"
)

// testObservation checks observation.Store: an incident and its
// observations written in one transaction, read back in it (the deferred
// inserts flushed) and after it, listed by incident and status, and an
// update refused unless it is to the next version.
func testObservation(t *testing.T, s Store) {
	p := NewParty(t, s, "monitors")
	now := time.Now().UTC().Truncate(time.Microsecond)
	inc := &observation.Incident{ID: id(), Category: observation.CatExplosion, Status: observation.StatusReported,
		Center: observation.Point{Lon: 36.1, Lat: 32.6}, Radius: 500, Start: now.Add(-time.Hour), End: now, CreatedAt: now, UpdatedAt: now, Version: 1}
	mk := func(observer string) *observation.Observation {
		return &observation.Observation{ID: id(), Input: observation.Input{ObserverID: observer, Mode: observation.ModeHeard,
			Start: now.Add(-time.Hour), End: now, Category: observation.CatExplosion},
			PartyID: p.ID, IncidentID: inc.ID, CreatedAt: now, Version: 1}
	}
	o1, o2 := mk("u1"), mk("u2")
	st := s.Observation()
	err := st.Update(ctx, func(tx observation.Tx) error {
		for _, c := range []*truce.SealedChange{change("incident", inc.ID, inc), change("observation", o1.ID, o1), change("observation", o2.ID, o2)} {
			if _, err := tx.Append(ctx, c); err != nil {
				return err
			}
		}
		if err := tx.PutIncident(ctx, inc); err != nil {
			return err
		}
		for _, o := range []*observation.Observation{o1, o2} {
			if err := tx.PutObservation(ctx, o); err != nil {
				return err
			}
		}
		got, err := tx.IncidentObservations(ctx, inc.ID)
		if err != nil {
			return err
		}
		if len(got) != 2 || got[0].ID != o1.ID || got[1].ID != o2.ID {
			t.Errorf("in the transaction, IncidentObservations = %d records, want o1, o2", len(got))
		}
		gi, err := tx.Incident(ctx, inc.ID)
		if err != nil || gi.Radius != 500 {
			t.Errorf("in the transaction, Incident = %+v, %v", gi, err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	got, err := st.Observation(ctx, o2.ID)
	if err != nil || got.ObserverID != "u2" || got.IncidentID != inc.ID || !got.Start.Equal(o2.Start) {
		t.Fatalf("Observation = %+v, %v", got, err)
	}
	if _, err := st.Observation(ctx, id()); truce.ErrorCode(err) != truce.ENOTFOUND {
		t.Fatalf("missing observation: %v, want ENOTFOUND", err)
	}
	list, err := st.Observations(ctx, observation.Filter{IncidentID: inc.ID, Limit: 1})
	if err != nil || len(list) != 1 || list[0].ID != o1.ID {
		t.Fatalf("first page = %v, %v", list, err)
	}
	list, err = st.Observations(ctx, observation.Filter{IncidentID: inc.ID, Cursor: o1.ID})
	if err != nil || len(list) != 1 || list[0].ID != o2.ID {
		t.Fatalf("after the cursor = %v, %v", list, err)
	}
	if list, _ := st.Observations(ctx, observation.Filter{IncidentID: id()}); len(list) != 0 {
		t.Fatalf("another incident's observations = %d, want 0", len(list))
	}

	// An update at the next version is written; one that skips is not.
	next := *inc
	next.Status, next.Version = observation.StatusVerified, 2
	write := func(v *observation.Incident) error {
		return st.Update(ctx, func(tx observation.Tx) error {
			if _, err := tx.Append(ctx, change("incident", v.ID, v)); err != nil {
				return err
			}
			return tx.PutIncident(ctx, v)
		})
	}
	if err := write(&next); err != nil {
		t.Fatal(err)
	}
	stale := next
	stale.Version = 4
	if err := write(&stale); truce.ErrorCode(err) != truce.EPRECONDITION {
		t.Fatalf("update skipping a version: %v, want EPRECONDITION", err)
	}
	if is, err := st.Incidents(ctx, observation.IncidentFilter{Status: observation.StatusVerified}); err != nil || len(is) != 1 || is[0].Version != 2 {
		t.Fatalf("verified incidents = %v, %v", is, err)
	}
	if is, _ := st.Incidents(ctx, observation.IncidentFilter{Status: observation.StatusReported}); len(is) != 0 {
		t.Fatalf("reported incidents = %d, want 0", len(is))
	}
	if is, _ := st.Incidents(ctx, observation.IncidentFilter{From: inc.Start, Until: inc.Start.Add(time.Microsecond)}); len(is) != 1 {
		t.Fatalf("incidents starting in [start, start+1µs) = %d, want 1", len(is))
	}
	if is, _ := st.Incidents(ctx, observation.IncidentFilter{From: inc.Start.Add(time.Microsecond)}); len(is) != 0 {
		t.Fatalf("incidents starting after it = %d, want 0", len(is))
	}
	if is, _ := st.Incidents(ctx, observation.IncidentFilter{Until: inc.Start}); len(is) != 0 {
		t.Fatalf("incidents starting before it = %d, want 0", len(is))
	}
	gi, err := st.Incident(ctx, inc.ID)
	if err != nil || gi.Status != observation.StatusVerified {
		t.Fatalf("Incident = %+v, %v", gi, err)
	}
}
