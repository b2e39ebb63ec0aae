package humanitarian_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/truce-project/truce"
	"github.com/truce-project/truce/humanitarian"
)

// TestService_Sweep runs the reminders and the "acknowledgement overdue"
// alert on both stores under an agreement that sets them, with the
// service's clock moved on: a silent party is reminded at each reminder's
// time, once, then alerted once past its deadline, with the reason; a
// party that acknowledged is neither; each notice is journalled. The
// agreement's lead time for hospitals flags a notification that another
// category would give in time.
func TestService_Sweep(t *testing.T) {
	for name, open := range openers {
		t.Run(name, func(t *testing.T) {
			w := newWorld(t, open(t))
			h := func(n int) truce.Duration { return truce.Duration(time.Duration(n) * time.Hour) }
			ag, err := w.zones.CreateAgreement(w.admin, truce.AgreementCreate{Title: "Notification rules",
				Signatories: w.ag.Signatories, EffectiveFrom: time.Now().Add(-time.Hour),
				Rules: truce.AgreementRules{LeadTimes: map[string]truce.Duration{"site/hospital": h(96)}, AckWindow: h(24), Reminders: []truce.Duration{h(2), h(12)}}})
			if err != nil {
				t.Fatal(err)
			}
			ag = w.inForce(t, ag.ID)

			t0 := time.Now().UTC().Truncate(time.Microsecond)
			clock := t0
			w.svc.Journal.Now = func() time.Time { return clock }
			site := must[*humanitarian.Site](t)(w.svc.NotifySite(w.sarc, humanitarian.SiteCreate{AgreementID: ag.ID, SiteFields: hospital(t0.Add(72 * time.Hour))}))
			if !site.Notice.Late || site.Notice.LeadTime != h(96) {
				t.Fatalf("a hospital with 72 h of notice under a 96 h lead time: late %v, lead %v", site.Notice.Late, time.Duration(site.Notice.LeadTime))
			}
			school := hospital(t0.Add(72 * time.Hour))
			school.Category, school.Name = humanitarian.School, "Dar'a school"
			if s := must[*humanitarian.Site](t)(w.svc.NotifySite(w.sarc, humanitarian.SiteCreate{AgreementID: ag.ID, SiteFields: school})); s.Notice.Late {
				t.Fatalf("a school with 72 h of notice under the 48 h default is late")
			}
			tid := map[string]string{} // party slug → its transmission of the hospital
			for _, slug := range []string{"ga", "gb", "gc"} {
				in, _, err := w.svc.Inbox(w.ctx(slug), "", "", 0)
				if err != nil {
					t.Fatal(err)
				}
				for _, tr := range in {
					if tr.RecordID == site.ID {
						tid[slug] = tr.ID
						if !tr.Deadline.Equal(t0.Add(24 * time.Hour)) {
							t.Fatalf("deadline %v, want the agreement's 24 h window", tr.Deadline)
						}
					}
				}
			}
			// ga acknowledges; gb and gc stay silent.
			must[*humanitarian.Transmission](t)(w.svc.Answer(w.ga, tid["ga"], humanitarian.AnswerInput{}))

			sweep := func(at time.Duration, want int) {
				t.Helper()
				clock = t0.Add(at)
				before := w.journalSize(t)
				n, err := w.svc.Sweep(context.Background())
				if err != nil {
					t.Fatal(err)
				}
				if n != want {
					t.Fatalf("sweep at +%v sent %d notices, want %d", at, n, want)
				}
				grew := w.journalSize(t) - before
				if grew < int64(want) {
					t.Fatalf("sweep at +%v journalled %d entries for %d notices", at, grew, want)
				}
			}
			sweep(time.Hour, 0)
			sweep(12*time.Hour, 5) // the first reminder: gb and gc of both sites, ga of the school
			sweep(12*time.Hour+time.Minute, 0)
			sweep(22*time.Hour, 5) // the second
			sweep(23*time.Hour, 0)
			before := w.journalSize(t)
			sweep(25*time.Hour, 5) // overdue: an alert each, and its notice
			if grew := w.journalSize(t) - before; grew != 10 {
				t.Fatalf("the overdue alerts journalled %d entries, want 10 (5 alerts, 5 notices)", grew)
			}
			sweep(72*time.Hour, 0)

			b := must[*humanitarian.Board](t)(w.svc.Board(w.sarc, site.ID, 0))
			for _, r := range b.Rows {
				switch r.Slug {
				case "ga":
					if len(r.Notices) != 0 {
						t.Errorf("ga acknowledged, yet: %v", r.Notices)
					}
				default:
					if len(r.Notices) != 3 || r.Notices[0].Kind != humanitarian.NoticeReminder || r.Notices[1].Seq != 1 || r.Notices[2].Kind != humanitarian.NoticeOverdue {
						t.Fatalf("%s notices: %v", r.Slug, r.Notices)
					}
					o := r.Notices[2]
					al, err := w.st.Airspace().Alert(context.Background(), o.AlertID)
					if err != nil {
						t.Fatal(err)
					}
					if al.Kind != humanitarian.AlertAckOverdue || al.Episode != r.Transmission.ID || !strings.Contains(al.Summary, "has not acknowledged site "+site.ID+" version 1") ||
						!strings.Contains(al.Summary, r.Party) || al.Summary != o.Reason || al.Lat < 32.6 || al.Lat > 32.64 {
						t.Errorf("%s overdue alert: %+v", r.Slug, al)
					}
					// Addressed to the notifying organisation, which may
					// acknowledge it (the coordinator always may).
					sarcOp := &truce.Caller{User: &truce.User{Roles: []truce.Role{truce.RoleOperator}}, Party: w.parties["sarc"]}
					if err := truce.CanAcknowledge(al, sarcOp); !slices.Contains(al.Parties, site.PartyID) || err != nil {
						t.Errorf("%s overdue alert addressed to %v: the notifying organisation cannot acknowledge it (%v)", r.Slug, al.Parties, err)
					}
				}
			}
		})
	}
}
