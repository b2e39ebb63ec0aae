package zones_test

import (
	"context"
	"encoding/json"
	"math"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/truce-project/truce"
	"github.com/truce-project/truce/internal/teststores"
	"golang.org/x/mod/sumdb/note"
)

// draftParties is zoneParties with its agreement still a draft, and a
// service clock the test moves.
func draftParties(t *testing.T, st teststores.TestStore) (zoneParties, *time.Time) {
	t.Helper()
	zp := newZoneParties(t, st)
	clock := time.Now().UTC().Truncate(time.Microsecond)
	zp.svc.Now = func() time.Time { return clock }
	ag, err := zp.svc.CreateAgreement(zp.sec, truce.AgreementCreate{Title: "Memorandum", Signatories: zp.ag.Signatories,
		EffectiveFrom: clock.Add(-time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	zp.ag = ag
	return zp, &clock
}

func wantCode(t *testing.T, what, code string, err error) {
	t.Helper()
	if truce.ErrorCode(err) != code {
		t.Fatalf("%s: %v, want code %s", what, err, code)
	}
}

// TestAgreementService_Joint shows on both stores that no single party
// brings an agreement into force, amends, suspends or terminates it: each
// is a proposal that every signatory signs, and one rejection stops it.
func TestAgreementService_Joint(t *testing.T) {
	for name, open := range teststores.StoreOpeners {
		t.Run(name, func(t *testing.T) {
			zp, _ := draftParties(t, open(t))
			svc, id := zp.svc, zp.ag.ID
			yes, no := truce.ZoneDecision{Approve: true}, truce.ZoneDecision{Reason: "not yet"}
			status := func(want truce.AgreementStatus) *truce.Agreement {
				t.Helper()
				ag, err := svc.FindAgreement(zp.a, id)
				if err != nil || ag.Status != want {
					t.Fatalf("agreement: %v, %v; want %s", ag, err, want)
				}
				return ag
			}
			propose := func(ctx context.Context, m truce.AgreementMotion) int {
				t.Helper()
				ag, err := svc.ProposeAgreement(ctx, id, m, 0)
				if err != nil || ag.Pending() == nil || ag.Pending().Action != m.Action {
					t.Fatalf("propose %s: %+v, %v", m.Action, ag, err)
				}
				return ag.Proposal.Number
			}

			// Bring into force: the coordinator proposes, and nothing is in
			// force until both signatories have signed the text.
			n := propose(zp.sec, truce.AgreementMotion{Action: truce.AgreementBringIntoForce})
			_, err := svc.ProposeAgreement(zp.a, id, truce.AgreementMotion{Action: truce.AgreementTerminate}, 0)
			wantCode(t, "a second proposal while one is pending", truce.ECONFLICT, err)
			_, err = svc.UpdateAgreement(zp.sec, id, truce.AgreementUpdate{Title: new("Other")}, 0)
			wantCode(t, "an edit of a text awaiting signatures", truce.ECONFLICT, err)
			_, err = svc.DecideAgreement(zp.sec, id, n, yes)
			wantCode(t, "the coordinator's decision", truce.EFORBIDDEN, err)
			if _, err := svc.DecideAgreement(zp.a, id, n, yes); err != nil {
				t.Fatal(err)
			}
			_, err = svc.DecideAgreement(zp.a, id, n, yes)
			wantCode(t, "a second decision of A", truce.ECONFLICT, err)
			status(truce.AgreementDraft)
			if _, err := svc.DecideAgreement(zp.b, id, n, yes); err != nil {
				t.Fatal(err)
			}
			ag := status(truce.AgreementInForce)
			if ag.Signed == nil || len(ag.Signed.Decisions) != 2 {
				t.Fatalf("signatures of the text in force: %+v, want 2", ag.Signed)
			}
			for _, d := range ag.Signed.Decisions {
				p, err := svc.Accounts.FindParty(zp.sec, d.PartyID)
				if err != nil {
					t.Fatal(err)
				}
				v, err := note.NewVerifier(p.PublicKey)
				if err != nil {
					t.Fatal(err)
				}
				statement, _ := truce.AgreementDecisionStatement(ag.ID, ag.Proposal, true)
				if msg, err := note.Open([]byte(d.Signature), note.VerifierList(v)); err != nil || msg.Text != statement {
					t.Fatalf("signature of %s: %v", p.Slug, err)
				}
			}

			// Amend: the text changes only when both have approved it.
			n = propose(zp.a, truce.AgreementMotion{Action: truce.AgreementAmend, Text: &truce.AgreementUpdate{Title: new("Memorandum, amended")}})
			if _, err := svc.DecideAgreement(zp.a, id, n, yes); err != nil {
				t.Fatal(err)
			}
			if ag := status(truce.AgreementInForce); ag.Title != "Memorandum" {
				t.Fatalf("title after one approval: %q", ag.Title)
			}
			if _, err := svc.DecideAgreement(zp.b, id, n, yes); err != nil {
				t.Fatal(err)
			}
			if ag := status(truce.AgreementInForce); ag.Title != "Memorandum, amended" {
				t.Fatalf("title after both approved: %q", ag.Title)
			}

			// Suspend: A proposes and approves, B rejects: still in force.
			n = propose(zp.a, truce.AgreementMotion{Action: truce.AgreementSuspend})
			if _, err := svc.DecideAgreement(zp.a, id, n, yes); err != nil {
				t.Fatal(err)
			}
			status(truce.AgreementInForce)
			if ag, err := svc.DecideAgreement(zp.b, id, n, no); err != nil || ag.Proposal.Status != truce.VersionRejected {
				t.Fatalf("B rejects: %+v, %v", ag, err)
			}
			status(truce.AgreementInForce)
			n = propose(zp.b, truce.AgreementMotion{Action: truce.AgreementSuspend})
			for _, ctx := range []context.Context{zp.b, zp.a} {
				if _, err := svc.DecideAgreement(ctx, id, n, yes); err != nil {
					t.Fatal(err)
				}
			}
			status(truce.AgreementSuspended)

			// Terminate: one party alone cannot.
			n = propose(zp.b, truce.AgreementMotion{Action: truce.AgreementTerminate})
			if _, err := svc.DecideAgreement(zp.b, id, n, yes); err != nil {
				t.Fatal(err)
			}
			status(truce.AgreementSuspended)
			if _, err := svc.DecideAgreement(zp.a, id, n, yes); err != nil {
				t.Fatal(err)
			}
			status(truce.AgreementTerminated)
			_, err = svc.ProposeAgreement(zp.a, id, truce.AgreementMotion{Action: truce.AgreementBringIntoForce}, 0)
			wantCode(t, "a proposal on a terminated agreement", truce.ECONFLICT, err)

			// Every signature the journal holds verifies, as verify-proof
			// checks it (truce.SignaturesInBody): 10 decisions, each in the
			// body that made it, and the text's in force in later bodies.
			recs, err := svc.Entries.SubjectJournal(context.Background(), "agreement", id)
			if err != nil {
				t.Fatal(err)
			}
			decisions := map[int64]bool{}
			for _, r := range recs {
				sigs, err := truce.SignaturesInBody("agreement", r.Index, r.Body)
				if err != nil {
					t.Fatal(err)
				}
				for _, sg := range sigs {
					p, err := svc.Accounts.FindParty(zp.sec, sg.Party)
					if err != nil {
						t.Fatal(err)
					}
					v, _ := note.NewVerifier(p.PublicKey)
					if msg, err := note.Open([]byte(sg.Note), note.VerifierList(v)); err != nil || msg.Text != sg.Statement {
						t.Fatalf("entry %d: %s does not verify: %v", r.Index, sg.What, err)
					}
					decisions[sg.Index] = true
				}
			}
			if len(decisions) != 10 {
				t.Fatalf("signed acts found in the agreement's bodies: %d, want 10", len(decisions))
			}
		})
	}
}

// TestAgreementService_Notice shows on both stores that a notice of
// withdrawal is signed, journalled and takes effect only after the
// agreement's notice period (an injected clock): until then the agreement
// and its zones are in force, and its zones carry the notice.
func TestAgreementService_Notice(t *testing.T) {
	for name, open := range teststores.StoreOpeners {
		t.Run(name, func(t *testing.T) {
			zp, clock := draftParties(t, open(t))
			svc, id := zp.svc, zp.ag.ID
			week := truce.Duration(7 * 24 * time.Hour)
			if _, err := svc.UpdateAgreement(zp.sec, id, truce.AgreementUpdate{Rules: &truce.AgreementRules{NoticePeriod: week}}, 0); err != nil {
				t.Fatal(err)
			}
			_, err := svc.GiveNotice(zp.a, id, truce.NoticeCreate{Reason: "draft"})
			wantCode(t, "a notice on a draft", truce.ECONFLICT, err)
			if _, err := truce.AgreeAll(svc, id, truce.AgreementMotion{Action: truce.AgreementBringIntoForce}, zp.a, zp.b); err != nil {
				t.Fatal(err)
			}
			square := json.RawMessage(`{"type":"Polygon","coordinates":[[[36,33],[36.1,33],[36.1,33.1],[36,33.1],[36,33]]]}`)
			z, _, err := svc.ProposeZone(zp.a, truce.ZoneProposal{Agreement: id, Name: "North", Kind: truce.ZoneNoFly, Geometry: square})
			if err != nil {
				t.Fatal(err)
			}
			for _, ctx := range []context.Context{zp.a, zp.b} {
				if _, err := svc.DecideZone(ctx, z.ID, 1, truce.ZoneDecision{Approve: true}); err != nil {
					t.Fatal(err)
				}
			}
			svc.Index = svc.NewIndex()
			if err := svc.Index.Load(context.Background(), svc.Now()); err != nil {
				t.Fatal(err)
			}

			_, err = svc.GiveNotice(zp.sec, id, truce.NoticeCreate{})
			wantCode(t, "a notice of a non-signatory", truce.EFORBIDDEN, err)
			given := *clock
			ag, err := svc.GiveNotice(zp.b, id, truce.NoticeCreate{Reason: "talks failed"})
			if err != nil {
				t.Fatal(err)
			}
			if len(ag.Notices) != 1 || !ag.Notices[0].EffectiveAt.Equal(given.Add(7*24*time.Hour)) || ag.Notices[0].Signature == "" {
				t.Fatalf("notices: %+v", ag.Notices)
			}
			_, err = svc.GiveNotice(zp.b, id, truce.NoticeCreate{})
			wantCode(t, "a second notice", truce.ECONFLICT, err)
			// Journalled, seen by every party as the agreement's entry.
			recs, err := svc.Entries.SubjectJournal(context.Background(), "agreement", id)
			if err != nil || recs[len(recs)-1].Index != ag.JournalIndex || ag.Notices[0].JournalIndex != ag.JournalIndex {
				t.Fatalf("journal of the notice: %d entries, %v", len(recs), err)
			}
			sigs, err := truce.SignaturesInBody("agreement", ag.JournalIndex, recs[len(recs)-1].Body)
			if err != nil || len(sigs) == 0 || sigs[len(sigs)-1].Party != ag.Notices[0].PartyID {
				t.Fatalf("the notice's signature in its body: %+v, %v", sigs, err)
			}
			bp, _ := svc.Accounts.FindParty(zp.sec, ag.Notices[0].PartyID)
			bv, _ := note.NewVerifier(bp.PublicKey)
			if msg, err := note.Open([]byte(sigs[len(sigs)-1].Note), note.VerifierList(bv)); err != nil || msg.Text != sigs[len(sigs)-1].Statement {
				t.Fatalf("the notice's signature does not verify: %v", err)
			}
			if err := svc.Index.Load(context.Background(), svc.Now()); err != nil { // as the node does on an agreement event
				t.Fatal(err)
			}

			at := func(when time.Time) []truce.ZoneAt {
				t.Helper()
				got, err := svc.ZonesAt(zp.a, 36.05, 33.05, math.NaN(), when)
				if err != nil {
					t.Fatal(err)
				}
				return got
			}
			before := given.Add(7*24*time.Hour - time.Second)
			if got := at(before); len(got) != 1 || got[0].Agreement == nil || len(got[0].Agreement.Notices) != 1 {
				t.Fatalf("zones at, a second before the notice takes effect: %+v", got)
			}
			*clock = before
			if ag, _ := svc.FindAgreement(zp.a, id); !ag.InForceAt(before) || !ag.IsSignatory(zp.ag.Signatories[1], before) {
				t.Fatal("the agreement is not in force before the notice takes effect")
			}
			after := given.Add(7 * 24 * time.Hour)
			*clock = after
			if got := at(after); len(got) != 0 {
				t.Fatalf("zones at, when the notice takes effect: %d, want none", len(got))
			}
			if in, err := svc.ZonesInForce(zp.a, after); err != nil || len(in) != 0 {
				t.Fatalf("zones in force once the withdrawal has ended the agreement: %d, %v", len(in), err)
			}
			ag, _ = svc.FindAgreement(zp.a, id)
			if ag.InForceAt(after) || ag.IsSignatory(zp.ag.Signatories[1], after) {
				t.Fatal("the agreement is still in force, or B still a signatory, once the notice has taken effect")
			}
			zv := z.ViewAt(ag, after)
			if zv.InForce {
				t.Fatal("a zone of an agreement ended by withdrawal is shown in force")
			}
			_, err = svc.ProposeAgreement(zp.a, id, truce.AgreementMotion{Action: truce.AgreementBringIntoForce}, 0)
			wantCode(t, "bringing back an agreement ended by withdrawal", truce.ECONFLICT, err)
		})
	}
}

// TestAgreementService_ConcurrentDecisions: signatories who approve at the
// same moment each have their decision recorded (none is refused because
// another's came in between), on both stores.
func TestAgreementService_ConcurrentDecisions(t *testing.T) {
	for name, open := range teststores.StoreOpeners {
		t.Run(name, func(t *testing.T) {
			zp := newZoneParties(t, open(t))
			svc := zp.svc
			sec := truce.CallerFrom(zp.sec).Party.ID
			ag, err := svc.CreateAgreement(zp.sec, truce.AgreementCreate{Title: "Three", Signatories: append(slices.Clone(zp.ag.Signatories), sec),
				EffectiveFrom: time.Now().Add(-time.Hour)})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := svc.ProposeAgreement(zp.sec, ag.ID, truce.AgreementMotion{Action: truce.AgreementBringIntoForce}, 0); err != nil {
				t.Fatal(err)
			}
			var wg sync.WaitGroup
			errs := make([]error, 3)
			for i, ctx := range []context.Context{zp.a, zp.b, zp.sec} {
				wg.Go(func() { _, errs[i] = svc.DecideAgreement(ctx, ag.ID, 1, truce.ZoneDecision{Approve: true}) })
			}
			wg.Wait()
			for i, err := range errs {
				if err != nil {
					t.Errorf("signatory %d: %v", i, err)
				}
			}
			got, err := svc.FindAgreement(zp.a, ag.ID)
			if err != nil || got.Status != truce.AgreementInForce || got.Signed == nil || len(got.Signed.Decisions) != 3 {
				t.Fatalf("after three concurrent approvals: %+v, %v", got, err)
			}
		})
	}
}
