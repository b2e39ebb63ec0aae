package airspace_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/truce-project/truce"
	"github.com/truce-project/truce/accounts"
	"github.com/truce-project/truce/airspace"
	"github.com/truce-project/truce/internal/teststores"
	"github.com/truce-project/truce/journal"
)

// TestAlerts_Episodes: the journal writer ends an episode's opening record
// rather than raising another, whether the end comes in the same write
// (in either order against the entry that ended it) or a later one; the
// open episodes are what is still happening.
func TestAlerts_Episodes(t *testing.T) {
	for name, open := range teststores.StoreOpeners {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			st := open(t)
			keys, err := accounts.NewKeys(t.TempDir(), []byte("test key secret, 32 bytes long.."))
			if err != nil {
				t.Fatal(err)
			}
			acc := accounts.New(st.Accounts(), journal.New(st), keys)
			svc := airspace.NewService(st.Airspace(), acc.Journal, acc)
			p, u, _, err := acc.Bootstrap(ctx, truce.PartyCreate{Slug: "sec", Name: "Secretariat", Kind: truce.PartyCoordinator},
				truce.UserCreate{Username: "admin", Roles: []truce.Role{truce.RoleAdmin}})
			if err != nil {
				t.Fatal(err)
			}
			admin := truce.NewContext(ctx, &truce.Caller{User: u, Party: p})
			t0 := time.Now().UTC().Truncate(time.Second)
			alert := func(kind truce.AlertKind, ep string, at time.Duration) *truce.Alert {
				return &truce.Alert{Kind: kind, Episode: ep, Time: t0.Add(at), Lon: 36, Lat: 33, Summary: string(kind) + " " + ep,
					Aircraft: []truce.AlertAircraft{{ICAO: "4CA001"}}}
			}
			byEpisode := func(ep string) *truce.Alert {
				t.Helper()
				as, _, err := svc.ListAlerts(admin, truce.AlertFilter{Episode: ep})
				if err != nil || len(as) != 1 {
					t.Fatalf("episode %s: %d alerts %v, want 1", ep, len(as), err)
				}
				return as[0]
			}
			ongoing := func() []string {
				t.Helper()
				as, _, err := svc.ListAlerts(admin, truce.AlertFilter{Ongoing: true})
				if err != nil {
					t.Fatal(err)
				}
				var eps []string
				for _, a := range as {
					eps = append(eps, a.Episode)
				}
				slices.Sort(eps)
				return eps
			}
			for _, order := range []string{"EntryFirst", "EndFirst"} {
				t.Run(order, func(t *testing.T) {
					pred, entry := "pred-"+order, "entry-"+order
					end := airspace.End(airspace.EpisodeEnd{Episode: pred, Time: t0.Add(time.Minute), Reason: "entered", By: entry})
					items := []airspace.Item{airspace.Raise(alert(truce.AlertPredictedEntry, pred, 0)), airspace.Raise(alert(truce.AlertZoneEntry, entry, time.Minute)), end}
					if order == "EndFirst" {
						items[1], items[2] = items[2], items[1]
					}
					if err := svc.Record(ctx, items...); err != nil {
						t.Fatal(err)
					}
					e, pr := byEpisode(entry), byEpisode(pred)
					if pr.EndedAt == nil || pr.EndReason != "entered" || pr.EndedBy != e.ID || pr.Version != 1 {
						t.Fatalf("prediction %+v: want ended (entered) by the entry %s in its first version", pr, e.ID)
					}
					if !slices.Contains(ongoing(), entry) || slices.Contains(ongoing(), pred) {
						t.Fatalf("ongoing %v: want the entry %s, not the prediction", ongoing(), entry)
					}
					// The exit, in a later write, ends the stored entry.
					exit := alert(truce.AlertZoneExit, entry, 3*time.Minute)
					if err := svc.Record(ctx, airspace.End(airspace.EpisodeEnd{Episode: entry, Time: exit.Time, Reason: "left",
						Evidence: []byte(`{"history":[]}`), Orphan: exit})); err != nil {
						t.Fatal(err)
					}
					e = byEpisode(entry) // no exit record: one alert for the episode
					if e.EndedAt == nil || !e.EndedAt.Equal(exit.Time) || e.EndReason != "left" || e.Version != 2 || string(e.EndEvidence) != `{"history":[]}` ||
						len(e.History) != 1 || e.History[0].Action != truce.StepEnded {
						t.Fatalf("entry after its exit: %+v", e)
					}
					if slices.Contains(ongoing(), entry) {
						t.Fatal("an entry that has exited is still ongoing")
					}
				})
			}
			// An exit whose entry was never recorded stands on its own, ended.
			exit := alert(truce.AlertZoneExit, "lost-entry", time.Hour)
			if err := svc.Record(ctx, airspace.End(airspace.EpisodeEnd{Episode: "lost-entry", Time: exit.Time, Reason: "track_lost", Orphan: exit})); err != nil {
				t.Fatal(err)
			}
			if o := byEpisode("lost-entry"); o.Kind != truce.AlertZoneExit || o.EndReason != "track_lost" || o.Ongoing() {
				t.Fatalf("orphan exit %+v", o)
			}
			// The end of an episode nobody recorded (a prediction made
			// before a restart) is dropped, not an error.
			if err := svc.Record(ctx, airspace.End(airspace.EpisodeEnd{Episode: "unknown", Time: t0, Reason: "no entry within look-ahead"})); err != nil {
				t.Fatal(err)
			}
		})
	}
}
