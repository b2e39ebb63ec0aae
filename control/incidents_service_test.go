package control_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/truce-project/truce"
	"github.com/truce-project/truce/control"
)

// incidentList is a stand-in for observation's store: the verified
// incidents of territory overtaken it holds now.
type incidentList struct {
	mu    sync.Mutex
	incs  []*control.TakenIncident
	reads int
}

func (l *incidentList) TerritoryTaken(_ context.Context, fn func(*control.TakenIncident) error) error {
	l.mu.Lock()
	incs := append([]*control.TakenIncident(nil), l.incs...)
	l.reads++
	l.mu.Unlock()
	for _, inc := range incs {
		c := *inc
		if err := fn(&c); err != nil {
			return err
		}
	}
	return nil
}

func (l *incidentList) add(inc *control.TakenIncident) {
	l.mu.Lock()
	l.incs = append(l.incs, inc)
	l.mu.Unlock()
}

// TestService_CheckIncidents: a verified incident of territory overtaken
// inside the guaranteed Yarmouk basin by an actor the guarantee does not
// allow raises one journalled, alerted breach naming the incident, the
// actor and its guarantor; the allowed actor's, one outside the area and
// one before the guarantee raise none; reading the incidents again
// raises nothing twice, on a second service over the same store too (as
// a second server would); a guarantee given later over the same ground
// reaches back to the incident; and the guarantor answers the breach with
// a signature over a statement that names the incident.
func TestService_CheckIncidents(t *testing.T) {
	for name, open := range stores {
		t.Run(name, func(t *testing.T) {
			st := open(t)
			w := newWorld(t, st)
			svc := w.svc
			src := &incidentList{}
			svc.Incidents = src
			if _, err := svc.AddActor(w.asMonitor, control.ActorInput{Slug: "saa", Names: map[string]string{"en": "Syrian government forces"}, Type: control.StateForces, Guarantor: "ru"}); err != nil {
				t.Fatal(err)
			}
			faction, err := svc.AddActor(w.asMonitor, control.ActorInput{Slug: "faction", Names: map[string]string{"en": "Armed faction (illustrative)"}, Aliases: []string{"Jaish Khalid"}, Type: control.RebelGroup, Guarantor: "us"})
			if err != nil {
				t.Fatal(err)
			}
			now := w.clock.Now()
			lib := now.Add(-10 * 24 * time.Hour)
			g, err := svc.AddGuarantee(w.asRU, control.GuaranteeInput{AgreementID: w.agreement.ID, ZoneID: w.zone.ID, Guarantors: []string{"ru"}, Allowed: []string{"saa"}, From: lib})
			if err != nil {
				t.Fatal(err)
			}
			inc := func(id, actor string, lon, lat float64, start time.Time) *control.TakenIncident {
				return &control.TakenIncident{ID: id, Version: 2, Lon: lon, Lat: lat, Start: start, End: start.Add(time.Hour), Actor: actor, Observations: 3, Observers: 2}
			}
			src.add(inc("inc-allowed", "saa", 35.95, 32.75, now.Add(-5*time.Hour)))
			src.add(inc("inc-outside", "jaish khalid", 36.2, 32.75, now.Add(-5*time.Hour)))
			src.add(inc("inc-before", "jaish khalid", 35.95, 32.75, lib.Add(-48*time.Hour)))
			src.add(inc("inc-retake", "jaish khalid", 35.94, 32.74, now.Add(-3*time.Hour)))
			bs, err := svc.CheckIncidents(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if len(bs) != 1 {
				t.Fatalf("%d breaches, want 1 (the retaking): %+v", len(bs), bs)
			}
			b := bs[0]
			if b.IncidentID != "inc-retake" || b.ControlAreaID != "" || b.GuaranteeID != g.ID || b.ActorID != faction.ID || b.ActorGuarantor != w.us.ID ||
				b.Attribution != "jaish khalid" || !b.At.Equal(now.Add(-3*time.Hour)) || !b.Due.Equal(now.Add(24*time.Hour)) || b.Status != control.BreachOpen ||
				!strings.Contains(b.Evidence, "inc-retake") {
				t.Fatalf("breach = %+v", b)
			}
			if n := w.eventKinds()[control.EventBreach]; n != 1 {
				t.Fatalf("%d breach alerts, want 1", n)
			}
			stored, err := svc.Breach(w.asUS, b.ID)
			if err != nil || stored.IncidentID != "inc-retake" || stored.JournalIndex != b.JournalIndex {
				t.Fatalf("stored breach: %+v %v", stored, err)
			}

			// Read again, and by a second server: nothing new.
			if again, err := svc.CheckIncidents(context.Background()); err != nil || len(again) != 0 {
				t.Fatalf("second check: %v %v", again, err)
			}
			other := control.New(st.Control(), svc.Journal, nil)
			other.Incidents = src
			if again, err := other.CheckIncidents(context.Background()); err != nil || len(again) != 0 {
				t.Fatalf("check by a second server: %v %v", again, err)
			}

			// An unattributed incident is a breach with no actor named.
			src.add(inc("inc-unknown", "", 35.91, 32.71, now.Add(-2*time.Hour)))
			bs, err = svc.CheckIncidents(context.Background())
			if err != nil || len(bs) != 1 || bs[0].ActorID != "" || bs[0].ActorGuarantor != "" || bs[0].IncidentID != "inc-unknown" {
				t.Fatalf("unattributed incident: %+v %v", bs, err)
			}

			// A second guarantee (US, over the same ground, reaching back
			// before the incidents) is breached by the retaking as well.
			g2, err := svc.AddGuarantee(w.asUS, control.GuaranteeInput{AgreementID: w.agreement.ID, ZoneID: w.zone.ID, Guarantors: []string{"us"}, Allowed: []string{"saa"}, From: lib.Add(-72 * time.Hour)})
			if err != nil {
				t.Fatal(err)
			}
			bs, err = svc.CheckIncidents(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			got := map[string]string{}
			for _, b := range bs {
				if b.GuaranteeID != g2.ID {
					t.Errorf("breach of guarantee %s, want only the new one's", b.GuaranteeID)
				}
				got[b.IncidentID] = b.GuaranteeID
			}
			// The new guarantee began before inc-before: it is breached by
			// the retaking, the unattributed one and inc-before.
			if len(bs) != 3 || got["inc-retake"] == "" || got["inc-unknown"] == "" || got["inc-before"] == "" {
				t.Fatalf("breaches of the later guarantee: %v", got)
			}

			// Russia answers the incident's breach; the signature is over
			// a statement naming the incident.
			ans, err := svc.Respond(w.asRU, b.ID, "Russian military police returned to the village.", "")
			if err != nil {
				t.Fatal(err)
			}
			stmt := control.ResponseStatement(b, ans.Response.Action)
			if !strings.Contains(stmt, "\nincident inc-retake\n") || control.VerifyResponse(stmt, ans.Response.Signature, w.ru.PublicKey) != nil {
				t.Fatalf("statement %q does not verify", stmt)
			}
			rec, err := svc.GuarantorRecord(w.asUS, "ru")
			if err != nil || rec.Answered != 1 || rec.Unanswered != 1 {
				t.Fatalf("Russia's record: %+v %v", rec, err)
			}
			if _, err := svc.Respond(w.asRU, bs[0].ID, "not ours", ""); truce.ErrorCode(err) != truce.EFORBIDDEN {
				t.Fatalf("Russia answering the US guarantee's breach: %v, want forbidden", err)
			}
		})
	}
}
