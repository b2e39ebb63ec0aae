package humanitarian_test

import (
	"encoding/json"
	"slices"
	"testing"
	"time"

	"github.com/truce-project/truce"
	"github.com/truce-project/truce/humanitarian"
)

// TestMovementService_Life runs a convoy through its life on both stores:
// a draft is not transmitted; its notification is, in the same write, to
// every other signatory; the steps that follow are journalled versions
// that do not supersede the notification; a postponed convoy notified
// again supersedes the first notification.
func TestMovementService_Life(t *testing.T) {
	for name, open := range openers {
		t.Run(name, func(t *testing.T) {
			w := newWorld(t, open(t))
			f := convoy()
			f.Departure = humanitarian.Window{From: time.Now().Add(72 * time.Hour), To: time.Now().Add(74 * time.Hour)}
			f.Arrival = humanitarian.Window{From: time.Now().Add(73 * time.Hour), To: time.Now().Add(78 * time.Hour)}
			_, err := w.svc.CreateMovement(w.ga, humanitarian.MovementCreate{AgreementID: w.ag.ID, MovementFields: f})
			wantCode(t, "a guarantor notifying a movement", err, truce.EFORBIDDEN)

			before := w.journalSize(t)
			m := must[*humanitarian.Movement](t)(w.svc.CreateMovement(w.sarc, humanitarian.MovementCreate{AgreementID: w.ag.ID, MovementFields: f}))
			if m.Status != humanitarian.MovementDraft || m.Notified != 0 || !slices.Contains(m.PCodes, "SY12") {
				t.Fatalf("draft = %+v", m)
			}
			if n := w.journalSize(t) - before; n != 1 {
				t.Fatalf("a draft journalled %d entries, want 1 (no transmission)", n)
			}
			_, err = w.svc.MoveMovement(w.sarc, m.ID, 0, humanitarian.MovementStep{Status: humanitarian.MovementUnderWay})
			wantCode(t, "a draft under way", err, truce.ECONFLICT)
			m = must[*humanitarian.Movement](t)(w.svc.MoveMovement(w.sarc, m.ID, 1, humanitarian.MovementStep{Status: humanitarian.MovementNotified}))
			if m.Version != 2 || m.Notified != 2 || m.Late {
				t.Fatalf("notified = version %d notified %d late %v", m.Version, m.Notified, m.Late)
			}
			if n := w.journalSize(t) - before; n != 1+1+3 {
				t.Fatalf("journal grew by %d, want 5", n)
			}
			inbox := func(slug string) []*humanitarian.Transmission {
				t.Helper()
				in, _, err := w.svc.Inbox(w.ctx(slug), "", "", 0)
				if err != nil {
					t.Fatal(err)
				}
				return in
			}
			ta, tb := inbox("ga")[0], inbox("gb")[0]
			if ta.Kind != humanitarian.KindMovement || ta.RecordID != m.ID || ta.RecordVersion != 2 || ta.Hash != m.Hash {
				t.Fatalf("transmission %+v", ta)
			}
			// The convoy sets out: a step, not a new notification; the
			// parties still answer version 2.
			m = must[*humanitarian.Movement](t)(w.svc.MoveMovement(w.sarc, m.ID, 0, humanitarian.MovementStep{Status: humanitarian.MovementUnderWay}))
			if m.Version != 3 || m.Notified != 2 {
				t.Fatalf("under way = version %d notified %d", m.Version, m.Notified)
			}
			must[*humanitarian.Transmission](t)(w.svc.Answer(w.ga, ta.ID, humanitarian.AnswerInput{}))
			from := time.Now().Add(72 * time.Hour)
			to := from.Add(4 * time.Hour)
			must[*humanitarian.Transmission](t)(w.svc.Answer(w.gb, tb.ID, humanitarian.AnswerInput{Concern: true, Text: "Active operations near the crossing.", WindowFrom: &from, WindowTo: &to}))
			_, err = w.svc.MoveMovement(w.sarc, m.ID, 0, humanitarian.MovementStep{Status: humanitarian.MovementPostponed})
			wantCode(t, "postponing a convoy under way", err, truce.ECONFLICT)
			m = must[*humanitarian.Movement](t)(w.svc.MoveMovement(w.sarc, m.ID, 0, humanitarian.MovementStep{Status: humanitarian.MovementArrived}))
			b := must[*humanitarian.MovementBoard](t)(w.svc.MovementBoard(w.ga, m.ID, 0))
			states := map[string]string{}
			for _, r := range b.Rows {
				states[r.Slug] = r.State
			}
			if !b.Current || b.Movement.Version != 2 || states["ga"] != "acknowledged" || states["gb"] != "concern" || states["gc"] != "silent" {
				t.Errorf("board: current %v version %d %v", b.Current, b.Movement.Version, states)
			}
			if vs := must[[]*humanitarian.Movement](t)(w.svc.MovementVersions(w.gc, m.ID)); len(vs) != 4 || vs[3].Status != humanitarian.MovementArrived {
				t.Errorf("%d versions", len(vs))
			}

			// An emergency convoy notified at once with 30 h of notice is
			// on time; postponed and notified again with new windows, its
			// first notification is superseded.
			f.Emergency = true
			f.Departure = humanitarian.Window{From: time.Now().Add(30 * time.Hour), To: time.Now().Add(31 * time.Hour)}
			e := must[*humanitarian.Movement](t)(w.svc.CreateMovement(w.sarc, humanitarian.MovementCreate{AgreementID: w.ag.ID, MovementFields: f, Notify: true}))
			if e.Late || e.Notified != 1 {
				t.Errorf("emergency: late %v notified %d", e.Late, e.Notified)
			}
			var first *humanitarian.Transmission
			for _, x := range inbox("ga") {
				if x.RecordID == e.ID {
					first = x
				}
			}
			must[*humanitarian.Movement](t)(w.svc.MoveMovement(w.sarc, e.ID, 0, humanitarian.MovementStep{Status: humanitarian.MovementPostponed}))
			f.Emergency = false
			f.Departure = humanitarian.Window{From: time.Now().Add(10 * time.Hour), To: time.Now().Add(11 * time.Hour)}
			e = must[*humanitarian.Movement](t)(w.svc.MoveMovement(w.sarc, e.ID, 0, humanitarian.MovementStep{Status: humanitarian.MovementNotified, Fields: &f}))
			if !e.Late || e.Notified != 3 {
				t.Errorf("renotified: late %v notified %d", e.Late, e.Notified)
			}
			_, err = w.svc.Answer(w.ga, first.ID, humanitarian.AnswerInput{})
			wantCode(t, "answering a superseded notification", err, truce.ECONFLICT)
			// gc's inbox: the arrived convoy's notification it never
			// answered, and the emergency convoy's second, not its first.
			var got []int64
			for _, x := range inbox("gc") {
				got = append(got, x.RecordVersion)
			}
			if !slices.Equal(got, []int64{2, 3}) {
				t.Errorf("gc's inbox holds versions %v, want [2 3]", got)
			}
			ms, _ := must2(w.svc.ListMovements(w.ga, humanitarian.MovementFilter{Status: humanitarian.MovementArrived}))
			if len(ms) != 1 || ms[0].ID != m.ID {
				t.Errorf("arrived movements: %d", len(ms))
			}
			bad := f
			bad.Route = json.RawMessage(`{"type":"LineString","coordinates":[[36.0,32.5],[36.1,32.6],[36.05,32.55]]}`)
			_, err = w.svc.CreateMovement(w.sarc, humanitarian.MovementCreate{AgreementID: w.ag.ID, MovementFields: bad})
			wantCode(t, "a route with a spike", err, truce.EINVALID)
		})
	}
}

func must2[T any](v T, _ string, err error) (T, error) { return v, err }
