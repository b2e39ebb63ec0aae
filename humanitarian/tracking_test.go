package humanitarian_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/paulmach/orb"
	"github.com/truce-project/truce"
	"github.com/truce-project/truce/humanitarian"
	"github.com/truce-project/truce/journal"
)

// TestService_ConvoyClock: a convoy under way, with the service's clock
// injected: silent after 15 minutes without a position (raised by the
// sweep, once), stopped after 20 minutes of positions in one place (raised
// with the position that shows it), behind its schedule 30 minutes after
// it had to leave (raised by the sweep); each alert journalled, addressed
// to the notifying organisation and every party the movement was
// notified to. A second server sweeping the same silence raises nothing
// more.
func TestService_ConvoyClock(t *testing.T) {
	for name, open := range openers {
		t.Run(name, func(t *testing.T) {
			w := newWorld(t, open(t))
			// A minute on: the agreement came into force just now.
			t0 := time.Now().UTC().Add(time.Minute).Truncate(time.Second)
			clock := t0
			w.svc.Journal.Now = func() time.Time { return clock }
			f := convoy()
			// It had to leave by t0 and arrive by t0+2h.
			f.Departure = humanitarian.Window{From: t0.Add(-time.Hour), To: t0}
			f.Arrival = humanitarian.Window{From: t0.Add(time.Hour), To: t0.Add(2 * time.Hour)}
			m := must[*humanitarian.Movement](t)(w.svc.CreateMovement(w.sarc, humanitarian.MovementCreate{AgreementID: w.ag.ID, Notify: true, MovementFields: f}))
			m = must[*humanitarian.Movement](t)(w.svc.MoveMovement(w.sarc, m.ID, 0, humanitarian.MovementStep{Status: humanitarian.MovementUnderWay}))
			at := func(min int) { clock = t0.Add(time.Duration(min) * time.Minute) }
			report := func(min int) *humanitarian.PositionResult {
				t.Helper()
				at(min)
				return must[*humanitarian.PositionResult](t)(w.svc.ReportPosition(w.sarc, m.ID, humanitarian.ConvoyPosition{Lon: 36.0101, Lat: 32.5445, Time: clock}))
			}
			sweep := func(svc *humanitarian.Service, min int) []*truce.Alert {
				t.Helper()
				at(min)
				as, err := svc.SweepConvoys(context.Background())
				if err != nil {
					t.Fatal(err)
				}
				return as
			}
			if r := report(1); r.Alert != nil {
				t.Fatalf("first position raised %+v", r.Alert)
			}
			if as := sweep(w.svc, 15); len(as) != 0 {
				t.Fatalf("14 minutes without a position: %+v", as)
			}
			silent := sweep(w.svc, 16)
			if len(silent) != 1 || silent[0].Kind != humanitarian.AlertConvoySilent || silent[0].JournalIndex == 0 {
				t.Fatalf("15 minutes without a position: %+v", silent)
			}
			// The movement's party, the parties it was notified to and the
			// coordination office: those that may see its positions.
			want := []string{w.parties["sarc"].ID, w.parties["ga"].ID, w.parties["gb"].ID, w.parties["gc"].ID, w.parties["ocha"].ID}
			if got := slices.Sorted(slices.Values(silent[0].Parties)); !slices.Equal(got, slices.Sorted(slices.Values(want))) {
				t.Errorf("alert addressed to %v, want %v", got, want)
			}
			if as := sweep(w.svc, 17); len(as) != 0 {
				t.Fatalf("the same silence raised again: %+v", as)
			}
			// Heard again, still in the same place: stopped 20 minutes after
			// it was first seen there.
			if r := report(18); r.Alert != nil {
				t.Fatalf("17 minutes in one place: %+v", r.Alert)
			}
			r := report(21)
			if r.Alert == nil || r.Alert.Kind != humanitarian.AlertConvoyStopped {
				t.Fatalf("20 minutes in one place: %+v", r.Alert)
			}
			if r := report(25); r.Alert != nil {
				t.Fatalf("the same stop raised again: %+v", r.Alert)
			}
			// Still at the start 30 minutes after it had to leave.
			report(29)
			if as := sweep(w.svc, 29); len(as) != 0 {
				t.Fatalf("29 minutes late: %+v", as)
			}
			behind := sweep(w.svc, 30)
			if len(behind) != 1 || behind[0].Kind != humanitarian.AlertConvoyBehind {
				t.Fatalf("30 minutes late: %+v", behind)
			}
			// Each alert is in the journal and the store.
			for _, al := range []*truce.Alert{silent[0], r.Alert, behind[0]} {
				stored, err := w.st.Airspace().Alert(context.Background(), al.ID)
				if err != nil || stored.Kind != al.Kind {
					t.Fatalf("stored %v: %+v %v", al.Kind, stored, err)
				}
				if _, err := journal.Vouched(context.Background(), w.svc.Journal, "alert", []*truce.Alert{stored}, func(a *truce.Alert) string { return a.ID }); err != nil {
					t.Errorf("alert %s is not as journalled: %v", al.Kind, err)
				}
			}

			// A second server, which has heard nothing since it started,
			// and this one after a restart both find the convoy silent since
			// its last position (stored), and behind: between them, one
			// alert of that silence and none of the lag (once per
			// notification).
			other := humanitarian.New(w.svc.Store, w.svc.Journal, w.acc, areas)
			restarted := humanitarian.New(w.svc.Store, w.svc.Journal, w.acc, areas)
			a1, a2 := sweep(other, 60), sweep(restarted, 60)
			if len(a1) != 1 || a1[0].Kind != humanitarian.AlertConvoySilent || len(a2) != 0 {
				t.Fatalf("two servers raised %+v and %+v", a1, a2)
			}
		})
	}
}

// TestService_ConvoyRestart: a convoy reports a position, and the server
// restarts (or another server sweeps): it goes on from the last position
// heard, stored with the convoy's tracking state. Before, a restarted
// server counted the convoy silent since it set out, raised a false
// convoy_silent five minutes after a position, and had no last position
// to show.
func TestService_ConvoyRestart(t *testing.T) {
	for name, open := range openers {
		t.Run(name, func(t *testing.T) {
			w := newWorld(t, open(t))
			t0 := time.Now().UTC().Add(time.Minute).Truncate(time.Second)
			clock := t0
			w.svc.Journal.Now = func() time.Time { return clock }
			f := convoy()
			f.Departure = humanitarian.Window{From: t0.Add(-time.Hour), To: t0.Add(time.Hour)}
			f.Arrival = humanitarian.Window{From: t0.Add(2 * time.Hour), To: t0.Add(4 * time.Hour)}
			m := must[*humanitarian.Movement](t)(w.svc.CreateMovement(w.sarc, humanitarian.MovementCreate{AgreementID: w.ag.ID, Notify: true, MovementFields: f}))
			m = must[*humanitarian.Movement](t)(w.svc.MoveMovement(w.sarc, m.ID, 0, humanitarian.MovementStep{Status: humanitarian.MovementUnderWay}))
			at := func(min int) { clock = t0.Add(time.Duration(min) * time.Minute) }
			at(12)
			if _, err := w.svc.ReportPosition(w.sarc, m.ID, humanitarian.ConvoyPosition{Lon: 36.0101, Lat: 32.5445, Time: clock}); err != nil {
				t.Fatal(err)
			}
			restarted := humanitarian.New(w.svc.Store, w.svc.Journal, w.acc, areas)
			at(17)
			if as, err := restarted.SweepConvoys(context.Background()); err != nil || len(as) != 0 {
				t.Fatalf("five minutes after a position, the restarted server raised %+v (%v)", as, err)
			}
			p, err := restarted.LastPosition(w.ga, m.ID)
			if err != nil || !p.Time.Equal(t0.Add(12*time.Minute)) || p.Lon != 36.0101 {
				t.Fatalf("last position after a restart: %+v, %v", p, err)
			}
			// The map's view of convoys on the restarted server shows it
			// where it was heard (a fresh server, before any sweep).
			fresh := humanitarian.New(w.svc.Store, w.svc.Journal, w.acc, areas)
			if cs, err := fresh.Convoys(w.ga, 0); err != nil || len(cs) != 1 || cs[0].Position == nil || cs[0].State != "on_route" {
				t.Fatalf("convoys after a restart: %+v, %v", cs, err)
			}
			// An older state (a slower server's) does not replace a newer one.
			older := &humanitarian.ConvoyTrack{Notified: m.Notified, Last: humanitarian.ConvoyPosition{Lon: 36.2, Lat: 32.6, Time: t0.Add(11 * time.Minute)}}
			if err := w.svc.Store.PutConvoyTrack(context.Background(), m.ID, older); err != nil {
				t.Fatal(err)
			}
			if tr, err := w.svc.Store.ConvoyTrack(context.Background(), m.ID); err != nil || tr.Last.Lon != 36.0101 {
				t.Fatalf("stored track after an older one: %+v, %v", tr, err)
			}
			// Silent 15 minutes after the last position heard, not before.
			at(26)
			if as, err := restarted.SweepConvoys(context.Background()); err != nil || len(as) != 0 {
				t.Fatalf("14 minutes after a position: %+v (%v)", as, err)
			}
			at(27)
			as, err := restarted.SweepConvoys(context.Background())
			if err != nil || len(as) != 1 || as[0].Kind != humanitarian.AlertConvoySilent {
				t.Fatalf("15 minutes after a position: %+v (%v)", as, err)
			}
			// The first server, never restarted, finds the same silence: raised once.
			if as, err := w.svc.SweepConvoys(context.Background()); err != nil || len(as) != 0 {
				t.Fatalf("the same silence raised again by the first server: %+v (%v)", as, err)
			}
		})
	}
}

// TestService_ConvoyZoneEntry: a convoy's position entering an exclusion
// zone in force raises one convoy_zone_entry alert, journalled; staying
// in raises nothing more, even on a restarted server; leaving and coming
// back is a new entry; a no-fly zone is no concern to a ground convoy.
func TestService_ConvoyZoneEntry(t *testing.T) {
	for name, open := range openers {
		t.Run(name, func(t *testing.T) {
			w := newWorld(t, open(t))
			t0 := time.Now().UTC().Add(time.Minute).Truncate(time.Second)
			clock := t0
			w.svc.Journal.Now = func() time.Time { return clock }
			f := convoy()
			f.Departure = humanitarian.Window{From: t0.Add(-time.Hour), To: t0.Add(time.Hour)}
			f.Arrival = humanitarian.Window{From: t0.Add(2 * time.Hour), To: t0.Add(4 * time.Hour)}
			m := must[*humanitarian.Movement](t)(w.svc.CreateMovement(w.sarc, humanitarian.MovementCreate{AgreementID: w.ag.ID, Notify: true, MovementFields: f}))
			m = must[*humanitarian.Movement](t)(w.svc.MoveMovement(w.sarc, m.ID, 0, humanitarian.MovementStep{Status: humanitarian.MovementUnderWay}))
			zones := zoneIndex(t, map[string]struct {
				kind truce.ZoneKind
				geom orb.Geometry
			}{
				"ex":    {truce.ZoneExclusion, box(36.05, 32.58, 36.07, 32.60)},
				"nofly": {truce.ZoneNoFly, box(36.0, 32.5, 36.2, 32.7)},
			})
			w.svc.Hazards = zones
			report := func(svc *humanitarian.Service, min int, lon, lat float64) *truce.Alert {
				t.Helper()
				clock = t0.Add(time.Duration(min) * time.Minute)
				r, err := svc.ReportPosition(w.sarc, m.ID, humanitarian.ConvoyPosition{Lon: lon, Lat: lat, Time: clock})
				if err != nil {
					t.Fatal(err)
				}
				return r.Alert
			}
			if al := report(w.svc, 1, 36.0101, 32.5445); al != nil {
				t.Fatalf("outside the exclusion zone: %+v", al)
			}
			al := report(w.svc, 2, 36.06, 32.59)
			if al == nil || al.Kind != humanitarian.AlertConvoyZoneEntry || al.JournalIndex == 0 || !strings.Contains(al.Summary, `exclusion zone "zone ex"`) {
				t.Fatalf("entering the exclusion zone: %+v", al)
			}
			if al := report(w.svc, 3, 36.061, 32.591); al != nil {
				t.Fatalf("still inside: %+v", al)
			}
			restarted := humanitarian.New(w.svc.Store, w.svc.Journal, w.acc, areas)
			restarted.Hazards = zones
			if al := report(restarted, 4, 36.062, 32.592); al != nil {
				t.Fatalf("still inside, after a restart: %+v", al)
			}
			if al := report(restarted, 5, 36.0101, 32.5445); al != nil {
				t.Fatalf("leaving: %+v", al)
			}
			if al := report(restarted, 6, 36.06, 32.59); al == nil || al.Kind != humanitarian.AlertConvoyZoneEntry {
				t.Fatalf("entering again: %+v", al)
			}
		})
	}
}

// TestService_ConvoyPositionsVisibility: a convoy's positions are visible
// to the parties its movement was notified to, to its own party and to
// an administrator; a member party it was not notified to (another
// organisation) reads neither its last position nor its place in the
// convoys view.
func TestService_ConvoyPositionsVisibility(t *testing.T) {
	for name, open := range openers {
		t.Run(name, func(t *testing.T) {
			w := newWorld(t, open(t))
			icrc := w.member("icrc", truce.PartyHumanitarian, "", truce.RoleHumanitarian)
			now := time.Now()
			f := convoy()
			f.Departure = humanitarian.Window{From: now.Add(-time.Hour), To: now.Add(time.Hour)}
			f.Arrival = humanitarian.Window{From: now.Add(2 * time.Hour), To: now.Add(4 * time.Hour)}
			m := must[*humanitarian.Movement](t)(w.svc.CreateMovement(w.sarc, humanitarian.MovementCreate{AgreementID: w.ag.ID, Notify: true, MovementFields: f}))
			m = must[*humanitarian.Movement](t)(w.svc.MoveMovement(w.sarc, m.ID, 0, humanitarian.MovementStep{Status: humanitarian.MovementUnderWay}))
			if _, err := w.svc.ReportPosition(w.sarc, m.ID, humanitarian.ConvoyPosition{Lon: 36.0101, Lat: 32.5445}); err != nil {
				t.Fatal(err)
			}
			for who, ctx := range map[string]context.Context{"sarc": w.sarc, "ga": w.ga, "gc": w.gc, "admin": w.admin} {
				if _, err := w.svc.LastPosition(ctx, m.ID); err != nil {
					t.Errorf("%s: %v", who, err)
				}
				if cs, err := w.svc.Convoys(ctx, 0); err != nil || len(cs) != 1 || cs[0].Position == nil {
					t.Errorf("%s's convoys view: %+v, %v", who, cs, err)
				}
			}
			if _, err := w.svc.LastPosition(icrc, m.ID); truce.ErrorCode(err) != truce.EFORBIDDEN {
				t.Errorf("a party the movement was not notified to: %v, want forbidden", err)
			}
			if cs, err := w.svc.Convoys(icrc, 0); err != nil || len(cs) != 0 {
				t.Errorf("a party the movement was not notified to sees %+v, %v", cs, err)
			}
		})
	}
}
