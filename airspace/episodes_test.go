package airspace_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/truce-project/truce"
	"github.com/truce-project/truce/airspace"
	"github.com/truce-project/truce/internal/teststores"
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
			acc := teststores.Accounts(t, st, nil)
			svc := airspace.NewService(st.Airspace(), acc.Journal, acc)
			admin := teststores.Admin(t, acc, "sec", "Secretariat")
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

// TestAlerts_EpisodeEndedByAnotherServer: an episode's end finds its
// opening alert when another server opened it (it is then looked for in
// the store, not in this writer's memory), and when that server ran the
// release before episode ids began with their start: its id was the
// hash's first 16 bytes, of which today's keeps the first 10 after the
// start's 6. Before, an end crossing the upgrade found no opener and was
// recorded as an orphan exit, and the entry stayed ongoing.
func TestAlerts_EpisodeEndedByAnotherServer(t *testing.T) {
	for name, open := range teststores.StoreOpeners {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			st := open(t)
			acc := teststores.Accounts(t, st, nil)
			older := airspace.NewService(st.Airspace(), acc.Journal, acc) // the server that opened the episodes
			svc := airspace.NewService(st.Airspace(), acc.Journal, acc)
			admin := teststores.Admin(t, acc, "sec", "Secretariat")
			t0 := time.Now().UTC().Truncate(time.Second)
			for _, c := range []struct{ name, opened, ended string }{
				{"SameRelease", "0190a1b2c3d4" + "00112233445566778899", "0190a1b2c3d4" + "00112233445566778899"},
				{"EarlierRelease", "aabbccddeeff00112233" + "445566778899", "0190a1b2c3d4" + "aabbccddeeff00112233"},
			} {
				t.Run(c.name, func(t *testing.T) {
					entry := &truce.Alert{Kind: truce.AlertZoneEntry, Episode: c.opened, Time: t0, Lon: 36, Lat: 33, Summary: "entry",
						Aircraft: []truce.AlertAircraft{{ICAO: "4CA001"}}}
					if err := older.Record(ctx, airspace.Raise(entry)); err != nil {
						t.Fatal(err)
					}
					exit := &truce.Alert{Kind: truce.AlertZoneExit, Episode: c.ended, Time: t0.Add(time.Minute), Lon: 36, Lat: 33, Summary: "exit",
						Aircraft: []truce.AlertAircraft{{ICAO: "4CA001"}}}
					if err := svc.Record(ctx, airspace.End(airspace.EpisodeEnd{Episode: c.ended, Time: exit.Time, Reason: "left", Orphan: exit})); err != nil {
						t.Fatal(err)
					}
					got, err := svc.FindAlert(admin, entry.ID)
					if err != nil {
						t.Fatal(err)
					}
					if got.EndedAt == nil || got.EndReason != "left" || got.Version != 2 {
						t.Errorf("entry after an exit written by another server: ended %v (%q), version %d; want ended (left), version 2", got.EndedAt, got.EndReason, got.Version)
					}
					if as, _, err := svc.ListAlerts(admin, truce.AlertFilter{Kind: truce.AlertZoneExit}); err != nil || len(as) != 0 {
						t.Errorf("%d exits recorded as alerts of their own (%v); want none", len(as), err)
					}
				})
			}
		})
	}
}

// countingAlerts counts the alert lists read from the store.
type countingAlerts struct {
	airspace.Store
	lists int
}

func (c *countingAlerts) Alerts(ctx context.Context, f truce.AlertFilter) ([]*truce.Alert, error) {
	c.lists++
	return c.Store.Alerts(ctx, f)
}

// TestAlerts_EpisodeEndWithoutQuery: the end of an episode the writer
// opened itself (in an earlier write) finds its opening alert in memory,
// without a query before the write (the prediction's end by an entry
// names the entry's episode: that one too). Before, each end listed the
// episode's alerts.
func TestAlerts_EpisodeEndWithoutQuery(t *testing.T) {
	for name, open := range teststores.StoreOpeners {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			st := open(t)
			acc := teststores.Accounts(t, st, nil)
			counting := &countingAlerts{Store: st.Airspace()}
			svc := airspace.NewService(counting, acc.Journal, acc)
			admin := teststores.Admin(t, acc, "sec", "Secretariat")
			t0 := time.Now().UTC().Truncate(time.Second)
			alert := func(kind truce.AlertKind, ep string) *truce.Alert {
				return &truce.Alert{Kind: kind, Episode: ep, Time: t0, Lon: 36, Lat: 33, Summary: string(kind), Aircraft: []truce.AlertAircraft{{ICAO: "4CA001"}}}
			}
			pred, entry := alert(truce.AlertPredictedEntry, "0190a1b2c3d4aaaaaaaaaaaaaaaaaaaa"), alert(truce.AlertZoneEntry, "0190a1b2c3d5bbbbbbbbbbbbbbbbbbbb")
			if err := svc.Record(ctx, airspace.Raise(pred)); err != nil {
				t.Fatal(err)
			}
			if err := svc.Record(ctx, airspace.Raise(entry)); err != nil {
				t.Fatal(err)
			}
			before := counting.lists
			if err := svc.Record(ctx, airspace.End(airspace.EpisodeEnd{Episode: pred.Episode, Time: t0.Add(time.Minute), Reason: "entered", By: entry.Episode}),
				airspace.End(airspace.EpisodeEnd{Episode: entry.Episode, Time: t0.Add(2 * time.Minute), Reason: "left", Orphan: alert(truce.AlertZoneExit, entry.Episode)})); err != nil {
				t.Fatal(err)
			}
			if n := counting.lists - before; n != 0 {
				t.Errorf("%d alert lists read to end two episodes this writer opened; want none", n)
			}
			p, err := svc.FindAlert(admin, pred.ID)
			if err != nil || p.EndedAt == nil || p.EndedBy != entry.ID || p.Version != 2 {
				t.Fatalf("prediction after its end: %+v %v", p, err)
			}
			e, err := svc.FindAlert(admin, entry.ID)
			if err != nil || e.EndedAt == nil || e.EndReason != "left" || e.Version != 2 {
				t.Fatalf("entry after its exit: %+v %v", e, err)
			}
			// Ended, it is forgotten: a second end reads the store, and
			// finds it ended.
			if err := svc.Record(ctx, airspace.End(airspace.EpisodeEnd{Episode: entry.Episode, Time: t0.Add(3 * time.Minute), Reason: "left", Orphan: alert(truce.AlertZoneExit, entry.Episode)})); err != nil {
				t.Fatal(err)
			}
			if e2, err := svc.FindAlert(admin, entry.ID); err != nil || e2.Version != 2 || !e2.EndedAt.Equal(*e.EndedAt) {
				t.Fatalf("entry after a second exit: %+v %v", e2, err)
			}
			// Ended by another server while this writer remembers it open:
			// the end records nothing, and is no error.
			third := alert(truce.AlertZoneEntry, "0190a1b2c3d6cccccccccccccccccccc")
			if err := svc.Record(ctx, airspace.Raise(third)); err != nil {
				t.Fatal(err)
			}
			other := airspace.NewService(st.Airspace(), acc.Journal, acc)
			if err := other.Record(ctx, airspace.End(airspace.EpisodeEnd{Episode: third.Episode, Time: t0.Add(time.Minute), Reason: "left"})); err != nil {
				t.Fatal(err)
			}
			if err := svc.Record(ctx, airspace.End(airspace.EpisodeEnd{Episode: third.Episode, Time: t0.Add(2 * time.Minute), Reason: "track_lost"})); err != nil {
				t.Fatalf("end of an episode another server ended: %v", err)
			}
			if e3, err := svc.FindAlert(admin, third.ID); err != nil || e3.Version != 2 || e3.EndReason != "left" {
				t.Fatalf("entry ended by another server, then by this one: %+v %v", e3, err)
			}
		})
	}
}
