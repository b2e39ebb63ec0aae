package humanitarian_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/truce-project/truce"
	"github.com/truce-project/truce/humanitarian"
)

// relayWorld is newWorld with an agreement in force between ga, gb, gc and
// a coordinator party (un) that its rules name to relay notifications.
func relayWorld(t *testing.T, st testStore) *world {
	t.Helper()
	w := newWorld(t, st)
	w.member("un", truce.PartyCoordinator, "", truce.RoleOperator)
	ag, err := w.zones.CreateAgreement(w.admin, truce.AgreementCreate{Title: "Relayed ceasefire",
		Signatories:   []string{w.parties["ga"].ID, w.parties["gb"].ID, w.parties["gc"].ID, w.parties["un"].ID},
		EffectiveFrom: time.Now().Add(-time.Hour), Rules: truce.AgreementRules{Relay: w.parties["un"].ID}})
	if err != nil {
		t.Fatal(err)
	}
	w.ag = w.inForce(t, ag.ID)
	return w
}

// TestTransmission_Relay checks the coordinator relay mode of an
// agreement: a notification goes first to the coordinator only, whose
// relay (journalled, once) transmits it to every other party, with
// deadlines counted from the relay; nobody else relays, and a relay is
// answered by relaying, not acknowledged.
func TestTransmission_Relay(t *testing.T) {
	for name, open := range openers {
		t.Run(name, func(t *testing.T) {
			w := relayWorld(t, open(t))
			un := w.byParty["un"]
			site := must[*humanitarian.Site](t)(w.svc.NotifySite(w.sarc, humanitarian.SiteCreate{AgreementID: w.ag.ID, SiteFields: hospital(time.Now().Add(72 * time.Hour))}))
			ts := must[[]*humanitarian.Transmission](t)(w.st.Humanitarian().Transmissions(context.Background(), humanitarian.TransmissionFilter{RecordID: site.ID}))
			if len(ts) != 1 || ts[0].To != w.parties["un"].ID || !ts[0].Relay || ts[0].State != humanitarian.Pending {
				t.Fatalf("transmissions on notification = %+v, want one to the coordinator, to relay", ts)
			}
			rt := ts[0]
			for _, slug := range []string{"ga", "gb", "gc"} {
				if in, _, _ := w.svc.Inbox(w.ctx(slug), "", "", 0); len(in) != 0 {
					t.Fatalf("%s's inbox before the relay: %+v", slug, in)
				}
			}

			before := w.journalSize(t)
			_, err := w.svc.Relay(w.ga, rt.ID)
			wantCode(t, "relay by a guarantor", err, truce.EFORBIDDEN)
			_, err = w.svc.Relay(w.admin, rt.ID)
			wantCode(t, "relay by another coordinator's administrator", err, truce.EFORBIDDEN)
			_, err = w.svc.Answer(un, rt.ID, humanitarian.AnswerInput{})
			wantCode(t, "acknowledging a relay", err, truce.ECONFLICT)
			_, err = w.svc.Relay(un, "nosuch")
			wantCode(t, "relay of an unknown transmission", err, truce.ENOTFOUND)
			if got := w.journalSize(t); got != before {
				t.Fatalf("refused relays grew the journal by %d", got-before)
			}

			// Deadlines count from the relay, not the notification.
			relayAt := time.Now().UTC().Add(5 * time.Hour).Truncate(time.Microsecond)
			w.svc.Journal.Now = func() time.Time { return relayAt }
			out := must[[]*humanitarian.Transmission](t)(w.svc.Relay(un, rt.ID))
			if got := w.journalSize(t) - before; got != 4 {
				t.Fatalf("relay grew the journal by %d, want 4 (the relay and three transmissions)", got)
			}
			var to []string
			for _, tr := range out {
				to = append(to, tr.To)
				if !tr.SentAt.Equal(relayAt) || !tr.Deadline.Equal(relayAt.Add(humanitarian.DefaultAckWindow)) || tr.Relay || tr.Via != rt.ID || tr.From != w.parties["sarc"].ID || tr.Hash != site.Hash {
					t.Errorf("relayed transmission %+v", tr)
				}
			}
			slices.Sort(to)
			want := []string{w.parties["ga"].ID, w.parties["gb"].ID, w.parties["gc"].ID}
			slices.Sort(want)
			if !slices.Equal(to, want) {
				t.Fatalf("relayed to %v, want %v", to, want)
			}
			got := must[*humanitarian.Transmission](t)(w.st.Humanitarian().Transmission(context.Background(), rt.ID))
			if got.State != humanitarian.Relayed || got.RelayedAt == nil || !got.RelayedAt.Equal(relayAt) {
				t.Fatalf("the coordinator's transmission after relay: %+v", got)
			}
			if in, _, _ := w.svc.Inbox(un, "", "", 0); len(in) != 0 {
				t.Errorf("the coordinator's inbox after relay: %+v", in)
			}
			in := must[[]*humanitarian.Transmission](t)(func() ([]*humanitarian.Transmission, error) {
				in, _, err := w.svc.Inbox(w.ga, "", "", 0)
				return in, err
			}())
			if len(in) != 1 || in[0].RecordID != site.ID {
				t.Fatalf("ga's inbox after relay: %+v", in)
			}
			must[*humanitarian.Transmission](t)(w.svc.Answer(w.ga, in[0].ID, humanitarian.AnswerInput{}))

			before = w.journalSize(t)
			_, err = w.svc.Relay(un, rt.ID)
			wantCode(t, "relaying twice", err, truce.ECONFLICT)
			_, err = w.svc.Relay(un, in[0].ID)
			wantCode(t, "relaying a transmission to another party", err, truce.EFORBIDDEN)
			if got := w.journalSize(t); got != before {
				t.Fatalf("refused relays grew the journal by %d", got-before)
			}
		})
	}
}

// TestTransmission_RelaySuperseded checks that a relay of a version a
// newer one replaced is refused: the newer version is relayed instead.
func TestTransmission_RelaySuperseded(t *testing.T) {
	for name, open := range openers {
		t.Run(name, func(t *testing.T) {
			w := relayWorld(t, open(t))
			un := w.byParty["un"]
			site := must[*humanitarian.Site](t)(w.svc.NotifySite(w.sarc, humanitarian.SiteCreate{AgreementID: w.ag.ID, SiteFields: hospital(time.Now().Add(72 * time.Hour))}))
			first := must[[]*humanitarian.Transmission](t)(w.st.Humanitarian().Transmissions(context.Background(), humanitarian.TransmissionFilter{RecordID: site.ID}))
			must[*humanitarian.Site](t)(w.svc.CloseSite(w.sarc, site.ID, 1))
			before := w.journalSize(t)
			_, err := w.svc.Relay(un, first[0].ID)
			wantCode(t, "relaying a superseded version", err, truce.ECONFLICT)
			if got := w.journalSize(t); got != before {
				t.Fatalf("refused relay grew the journal by %d", got-before)
			}
		})
	}
}

// TestAgreementRules_RelayNotSignatory checks that a notification under
// an agreement whose relay is not one of its signatories is refused.
func TestAgreementRules_RelayNotSignatory(t *testing.T) {
	for name, open := range openers {
		t.Run(name, func(t *testing.T) {
			w := newWorld(t, open(t))
			w.member("un", truce.PartyCoordinator, "", truce.RoleOperator)
			_, err := w.zones.CreateAgreement(w.admin, truce.AgreementCreate{Title: "Bad relay",
				Signatories:   []string{w.parties["ga"].ID, w.parties["gb"].ID},
				EffectiveFrom: time.Now().Add(-time.Hour), Rules: truce.AgreementRules{Relay: w.parties["un"].ID}})
			wantCode(t, "relay not a signatory", err, truce.EINVALID)
			_, err = w.zones.CreateAgreement(w.admin, truce.AgreementCreate{Title: "Bad relay",
				Signatories:   []string{w.parties["ga"].ID, w.parties["gb"].ID},
				EffectiveFrom: time.Now().Add(-time.Hour), Rules: truce.AgreementRules{Relay: w.parties["gb"].ID}})
			wantCode(t, "relay by a guarantor", err, truce.EINVALID)
		})
	}
}
