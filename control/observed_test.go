package control_test

import (
	"context"
	"testing"
	"time"

	"github.com/truce-project/truce"
	"github.com/truce-project/truce/control"
	"github.com/truce-project/truce/journal"
	"github.com/truce-project/truce/observation"
)

// TestIncidentWakes: which changes this server journals wake the check
// of incidents' breaches.
func TestIncidentWakes(t *testing.T) {
	for _, tc := range []struct {
		name string
		e    truce.Event
		want bool
	}{
		{"territory taken", truce.Event{Kind: "incident", Data: &observation.Incident{Category: observation.CatTerritory, Status: observation.StatusVerified}}, true},
		{"territory taken, not verified", truce.Event{Kind: "incident", Data: &observation.Incident{Category: observation.CatTerritory, Status: observation.StatusDisputed}}, true},
		{"explosion", truce.Event{Kind: "incident", Data: &observation.Incident{Category: observation.CatExplosion, Status: observation.StatusVerified}}, false},
		{"incident of unknown shape", truce.Event{Kind: "incident", Data: map[string]any{"category": "explosion"}}, true},
		{"incident without data", truce.Event{Kind: "incident"}, true},
		{"observation", truce.Event{Kind: "observation", Data: &observation.Incident{Category: observation.CatTerritory}}, false},
		{"control area", truce.Event{Kind: control.KindControlArea}, false},
	} {
		if got := control.IncidentWakes(tc.e); got != tc.want {
			t.Errorf("%s: IncidentWakes = %v, want %v", tc.name, got, tc.want)
		}
	}
}

// TestObservedIncidents reads observation's store on both databases:
// only the verified incidents of territory overtaken are taken, each as
// its journal entry holds it, so a row edited behind the journal is read
// as the journal says.
func TestObservedIncidents(t *testing.T) {
	for name, open := range stores {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			st := open(t)
			j := journal.New(st)
			now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
			inc := func(id string, c observation.Category, s observation.Status) *observation.Incident {
				return &observation.Incident{ID: id, Category: c, Status: s, Center: observation.Point{Lon: 36.1, Lat: 32.6},
					Start: now.Add(-time.Hour), End: now, Observations: 2, Observers: 2, Actor: "Faction", CreatedAt: now, UpdatedAt: now, Version: 1}
			}
			incs := []*observation.Incident{
				inc("inc-taken", observation.CatTerritory, observation.StatusVerified),
				inc("inc-shelling", observation.CatExplosion, observation.StatusVerified),
				inc("inc-reported", observation.CatTerritory, observation.StatusReported),
			}
			err := st.Observation().Update(ctx, func(tx observation.Tx) error {
				for _, x := range incs {
					c, err := truce.Change{Kind: "incident", Subject: x.ID, Body: x, Visibility: truce.Visibility{Scope: truce.ScopeAll}}.Seal("p", "u", now)
					if err != nil {
						return err
					}
					if x.JournalIndex, err = tx.Append(ctx, c); err != nil {
						return err
					}
					if err := tx.PutIncident(ctx, x); err != nil {
						return err
					}
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			obs := control.ObservedIncidents(st.Observation(), j)

			taken := func() []string {
				var ids []string
				if err := obs.TerritoryTaken(ctx, func(x *control.TakenIncident) error {
					if x.ID == "inc-taken" && (x.Lon != 36.1 || x.Lat != 32.6 || x.Actor != "Faction" || x.Observers != 2 || !x.End.Equal(now)) {
						t.Errorf("TerritoryTaken: %+v; want the incident's centre, window, actor and counts", x)
					}
					ids = append(ids, x.ID)
					return nil
				}); err != nil {
					t.Fatal(err)
				}
				return ids
			}
			if ids := taken(); len(ids) != 1 || ids[0] != "inc-taken" {
				t.Errorf("TerritoryTaken: %v; want [inc-taken]", ids)
			}
			for id, want := range map[string]bool{"inc-taken": true, "inc-shelling": false, "inc-reported": false} {
				now, err := obs.Incident(ctx, id)
				if err != nil {
					t.Fatalf("Incident(%s): %v", id, err)
				}
				if now.Taken != want || now.ID != id || now.Version != 1 {
					t.Errorf("Incident(%s): %+v; want Taken %v at version 1", id, now, want)
				}
			}
			if _, err := obs.Incident(ctx, "inc-none"); truce.ErrorCode(err) != truce.ENOTFOUND {
				t.Errorf("Incident(inc-none): %v; want ENOTFOUND", err)
			}

			// The shelling's row is edited behind its journal entry (in a
			// transaction that journals something else) into territory
			// overtaken: it is still read as an explosion, and the edit
			// is reported.
			edited := *incs[1]
			edited.Category, edited.Version = observation.CatTerritory, 2
			err = st.Observation().Update(ctx, func(tx observation.Tx) error {
				c, err := truce.Change{Kind: "note", Subject: "n-1", Body: map[string]string{"id": "n-1"}, Visibility: truce.Visibility{Scope: truce.ScopeAll}}.Seal("p", "u", now)
				if err != nil {
					return err
				}
				if _, err := tx.Append(ctx, c); err != nil {
					return err
				}
				return tx.PutIncident(ctx, &edited)
			})
			if err != nil {
				t.Fatal(err)
			}
			if row, err := st.Observation().Incident(ctx, edited.ID); err != nil || row.Category != observation.CatTerritory {
				t.Fatalf("the edited row: %+v, %v; want it stored as territory overtaken", row, err)
			}
			if ids := taken(); len(ids) != 1 || ids[0] != "inc-taken" {
				t.Errorf("TerritoryTaken after the edit: %v; want [inc-taken]", ids)
			}
			if now, err := obs.Incident(ctx, edited.ID); err != nil || now.Taken || now.Category != string(observation.CatExplosion) || now.Version != 1 {
				t.Errorf("Incident(%s) after the edit: %+v, %v; want the journal's explosion at version 1, not taken", edited.ID, now, err)
			}
			if len(j.Integrity.Problems()) == 0 {
				t.Error("the edited row is not reported")
			}
		})
	}
}
