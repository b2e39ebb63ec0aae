package truce_test

import (
	"testing"
	"time"

	"github.com/truce-project/truce"
)

// TestAgreement_InForceAtTermsOfTheTime: whether an agreement was in
// force at a time is judged by the signatories and the effective period
// its text set then. An amendment of the title keeps no terms; one that
// ends the period before it was made, or drops a signatory so that a
// notice already in effect leaves too few bound, ends the agreement at
// the amendment, not before it.
func TestAgreement_InForceAtTermsOfTheTime(t *testing.T) {
	amend := func(ag *truce.Agreement, text truce.AgreementText, at time.Time, deciders ...string) *truce.Agreement {
		t.Helper()
		p, err := truce.ProposeAgreement(signatoryOp, ag, truce.AgreementProposal{Action: truce.AgreementAmend, Text: text}, at)
		if err != nil {
			t.Fatal(err)
		}
		for _, party := range deciders {
			if p, err = truce.DecideAgreement(p, p.Proposals, truce.Decision{PartyID: party, Approve: true, DecidedAt: at}); err != nil {
				t.Fatal(err)
			}
		}
		if p.Proposal.Status != truce.VersionApproved {
			t.Fatalf("the amendment was not approved: %+v", p.Proposal)
		}
		return p
	}
	check := func(ag *truce.Agreement, want map[time.Time]bool) {
		t.Helper()
		for at, w := range want {
			if got := ag.InForceAt(at); got != w {
				t.Errorf("in force at %v: %v, want %v (terms %+v)", at, got, w, ag.ReplacedTerms)
			}
		}
	}
	t2, t3 := t1.Add(time.Hour), t1.Add(2*time.Hour)

	t.Run("Title", func(t *testing.T) {
		ag := agreement(truce.AgreementInForce)
		ag.EffectiveFrom = t0
		text := ag.Text()
		text.Title = "Ceasefire, renamed"
		if n := amend(ag, text, t2, "g1", "g2"); len(n.ReplacedTerms) != 0 {
			t.Fatalf("an amendment of the title kept terms %+v", n.ReplacedTerms)
		}
	})
	t.Run("Period", func(t *testing.T) {
		ag := agreement(truce.AgreementInForce)
		ag.EffectiveFrom = t0
		text := ag.Text()
		end := t1
		text.EffectiveTo = &end
		n := amend(ag, text, t3, "g1", "g2")
		check(n, map[time.Time]bool{t0.Add(-time.Second): false, t0: true, t2: true, t3.Add(-time.Nanosecond): true, t3: false, t3.Add(time.Hour): false})
		// Moved later: the old start still held until the amendment.
		text = ag.Text()
		text.EffectiveFrom = t3.Add(time.Hour)
		n = amend(ag, text, t2, "g1", "g2")
		check(n, map[time.Time]bool{t0: true, t2.Add(-time.Nanosecond): true, t2: false, t3: false, t3.Add(time.Hour): true})
		if ps := n.EffectivePeriods(); len(ps) != 2 {
			t.Errorf("periods %+v, want two", ps)
		}
	})
	t.Run("Signatories", func(t *testing.T) {
		ag := agreement(truce.AgreementInForce)
		ag.EffectiveFrom = t0
		ag.Signatories = []string{"g1", "g2", "g3"}
		ag.Notices = []truce.WithdrawalNotice{{PartyID: "g3", GivenAt: t0, EffectiveAt: t1}}
		check(ag, map[time.Time]bool{t2: true})
		text := ag.Text()
		text.Signatories = []string{"g1", "g3"}
		n := amend(ag, text, t3, "g1", "g2", "g3")
		check(n, map[time.Time]bool{t0: true, t2: true, t3.Add(-time.Nanosecond): true, t3: false})
		if w := n.WithdrawnAt(); w == nil || !w.Equal(t1) {
			t.Errorf("withdrawn at %v by the current text, want %v", w, t1)
		}
	})
}
