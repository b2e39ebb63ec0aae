package control_test

import (
	"context"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/truce-project/truce"
	"github.com/truce-project/truce/control"
)

// incidentList is a stand-in for observation's store: the verified
// incidents of territory overtaken it holds now, and the status of those
// no longer verified (gone: not stored).
type incidentList struct {
	mu     sync.Mutex
	incs   []*control.TakenIncident
	others map[string]*control.IncidentNow
	reads  int
}

func (l *incidentList) Incident(_ context.Context, id string) (*control.IncidentNow, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, inc := range l.incs {
		if inc.ID == id {
			return &control.IncidentNow{ID: id, Version: inc.Version, Status: "verified", Category: "territory_overtaken", Taken: true}, nil
		}
	}
	if o, ok := l.others[id]; ok {
		c := *o
		return &c, nil
	}
	return nil, truce.Errorf(truce.ENOTFOUND, "Incident %q is not known.", id)
}

// change takes incident id off the verified ones, standing now as now
// (nil: no longer stored).
func (l *incidentList) change(id string, now *control.IncidentNow) *control.TakenIncident {
	l.mu.Lock()
	defer l.mu.Unlock()
	var was *control.TakenIncident
	l.incs = slices.DeleteFunc(l.incs, func(inc *control.TakenIncident) bool {
		if inc.ID == id {
			was = inc
		}
		return inc.ID == id
	})
	if now != nil {
		if l.others == nil {
			l.others = map[string]*control.IncidentNow{}
		}
		l.others[id] = now
	}
	return was
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

// TestService_WithdrawnEvidence: a breach raised by a verified incident
// names it as its evidence. When the incident is disputed, the breach is
// withdrawn: a new version, journalled and alerted to every party, that
// says which incident, in what status and version, and why; no response
// is then owed (a response is refused, it is not escalated when overdue,
// it leaves the open list and the guarantor's unanswered count). Verified
// again, the breach is reinstated, owed a response from then. A breach
// answered before its incident is merged away keeps its answer and
// records the withdrawal; an incident no longer stored withdraws too.
func TestService_WithdrawnEvidence(t *testing.T) {
	for name, open := range stores {
		t.Run(name, func(t *testing.T) {
			st := open(t)
			w := newWorld(t, st)
			svc := w.svc
			src := &incidentList{}
			svc.Incidents = src
			ctx := context.Background()
			if _, err := svc.AddActor(w.asMonitor, control.ActorInput{Slug: "saa", Names: map[string]string{"en": "saa"}, Type: control.StateForces, Guarantor: "ru"}); err != nil {
				t.Fatal(err)
			}
			now := w.clock.Now()
			if _, err := svc.AddGuarantee(w.asRU, control.GuaranteeInput{AgreementID: w.agreement.ID, ZoneID: w.zone.ID, Guarantors: []string{"ru"}, Allowed: []string{"saa"}, From: now.Add(-24 * time.Hour)}); err != nil {
				t.Fatal(err)
			}
			for _, id := range []string{"inc-disputed", "inc-merged", "inc-gone"} {
				src.add(&control.TakenIncident{ID: id, Version: 2, Lon: 35.95, Lat: 32.75, Start: now.Add(-3 * time.Hour), End: now.Add(-2 * time.Hour), Actor: "faction", Observations: 2, Observers: 2})
			}
			raised, err := svc.CheckIncidents(ctx)
			if err != nil || len(raised) != 3 {
				t.Fatalf("raised %d breaches, %v; want 3", len(raised), err)
			}
			byInc := map[string]*control.Breach{}
			for _, b := range raised {
				byInc[b.IncidentID] = b
			}
			answered, err := svc.Respond(w.asRU, byInc["inc-merged"].ID, "Police returned.", "")
			if err != nil {
				t.Fatal(err)
			}

			w.clock.Add(time.Hour)
			src.change("inc-disputed", &control.IncidentNow{ID: "inc-disputed", Version: 3, Status: "disputed", Category: "territory_overtaken"})
			src.change("inc-merged", &control.IncidentNow{ID: "inc-merged", Version: 4, Status: "merged", Category: "territory_overtaken", MergedInto: "inc-other"})
			src.change("inc-gone", nil)
			changed, err := svc.CheckIncidents(ctx)
			if err != nil || len(changed) != 3 {
				t.Fatalf("after the incidents changed: %d breaches changed, %v; want 3", len(changed), err)
			}
			if n := w.eventKinds()[control.EventWithdrawn]; n != 3 {
				t.Errorf("%d withdrawal alerts, want 3", n)
			}
			for _, b := range changed {
				was := byInc[b.IncidentID]
				if b.Withdrawal == nil || !b.Withdrawal.At.Equal(w.clock.Now()) || b.Version != was.Version+1 && b.IncidentID != "inc-merged" || b.JournalIndex <= was.JournalIndex {
					t.Fatalf("breach of %s after its evidence was withdrawn: %+v", b.IncidentID, b)
				}
				stored, err := svc.Breach(w.asUS, b.ID)
				if err != nil || stored.JournalIndex != b.JournalIndex || stored.Withdrawal == nil {
					t.Fatalf("stored breach of %s: %+v %v", b.IncidentID, stored, err)
				}
				switch b.IncidentID {
				case "inc-disputed":
					if b.Status != control.BreachWithdrawn || b.Withdrawal.IncidentStatus != "disputed" || b.Withdrawal.IncidentVersion != 3 || !strings.Contains(b.Withdrawal.Reason, "now disputed (version 3)") {
						t.Errorf("disputed: %+v %+v", b, b.Withdrawal)
					}
				case "inc-merged":
					if b.Status != control.BreachAnswered || b.Response == nil || b.Response.Signature != answered.Response.Signature || !strings.Contains(b.Withdrawal.Reason, "merged into incident inc-other") {
						t.Errorf("answered, then merged: %+v %+v", b, b.Withdrawal)
					}
				case "inc-gone":
					if b.Status != control.BreachWithdrawn || !strings.Contains(b.Withdrawal.Reason, "no longer stored") {
						t.Errorf("gone: %+v %+v", b, b.Withdrawal)
					}
				}
			}
			if again, err := svc.CheckIncidents(ctx); err != nil || len(again) != 0 {
				t.Fatalf("checked again: %+v %v, want nothing", again, err)
			}
			disputed := byInc["inc-disputed"].ID
			if _, err := svc.Respond(w.asRU, disputed, "Nothing happened.", ""); truce.ErrorCode(err) != truce.ECONFLICT {
				t.Fatalf("a response to a withdrawn breach: %v, want conflict", err)
			}
			open, err := svc.Breaches(w.asUS, true)
			if err != nil || len(open) != 0 {
				t.Fatalf("open breaches: %d %v, want none", len(open), err)
			}
			w.clock.Add(48 * time.Hour)
			if esc, err := svc.Escalate(ctx); err != nil || len(esc) != 0 {
				t.Fatalf("escalated %d withdrawn breaches, %v", len(esc), err)
			}
			rec, err := svc.GuarantorRecord(w.asUS, "ru")
			if err != nil || rec.Withdrawn != 2 || rec.Unanswered != 0 || rec.Answered != 1 {
				t.Fatalf("Russia's record: %+v %v; want 2 withdrawn, 1 answered, none unanswered", rec, err)
			}

			// Verified again: the breach stands, owed from now.
			src.change("inc-disputed", nil)
			src.add(&control.TakenIncident{ID: "inc-disputed", Version: 5, Lon: 35.95, Lat: 32.75, Start: now.Add(-3 * time.Hour), End: now.Add(-2 * time.Hour), Actor: "faction", Observations: 3, Observers: 3})
			back, err := svc.CheckIncidents(ctx)
			if err != nil || len(back) != 1 {
				t.Fatalf("verified again: %+v %v", back, err)
			}
			b := back[0]
			if b.ID != disputed || b.Status != control.BreachOpen || b.Withdrawal != nil || b.ReinstatedAt == nil || !b.ReinstatedAt.Equal(w.clock.Now()) || !b.Due.Equal(w.clock.Now().Add(24*time.Hour)) {
				t.Fatalf("reinstated: %+v", b)
			}
			if _, err := svc.Respond(w.asRU, disputed, "Police returned.", ""); err != nil {
				t.Fatalf("a response to the reinstated breach: %v", err)
			}
		})
	}
}
