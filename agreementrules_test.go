package truce_test

import (
	"testing"
	"time"

	"github.com/truce-project/truce"
)

// caller returns a signed-in user of a party of the kind, with the roles.
func caller(partyID string, kind truce.PartyKind, roles ...truce.Role) *truce.Caller {
	return &truce.Caller{Party: &truce.Party{ID: partyID, Kind: kind}, User: &truce.User{ID: "u-" + partyID, PartyID: partyID, Roles: roles}}
}

var (
	adminElsewhere = caller("hum", truce.PartyHumanitarian, truce.RoleAdmin)
	signatoryOp    = caller("g1", truce.PartyGuarantor, truce.RoleOperator)
	signatoryView  = caller("g1", truce.PartyGuarantor, truce.RoleViewer)
	coordinatorOp  = caller("coord", truce.PartyCoordinator, truce.RoleOperator) // not a signatory
	otherGuarOp    = caller("g3", truce.PartyGuarantor, truce.RoleOperator)      // not a signatory
	monitorOp      = caller("mon", truce.PartyMonitor, truce.RoleOperator)
)

func agreement(st truce.AgreementStatus) *truce.Agreement {
	return &truce.Agreement{ID: "ag1", Title: "Ceasefire", Signatories: []string{"g1", "g2"}, Status: st,
		StatusHistory: []truce.StatusChange{{Status: st, At: t0}}}
}

// approve returns d's approval by party at t1.
func approve(party string) truce.Decision {
	return truce.Decision{PartyID: party, Approve: true, DecidedAt: t1}
}

// TestAgreementTransition checks every action from every status, who may
// propose it, and that it is carried out only by the approval that
// completes every signatory's.
func TestAgreementTransition(t *testing.T) {
	const (
		draft      = truce.AgreementDraft
		inForce    = truce.AgreementInForce
		suspended  = truce.AgreementSuspended
		terminated = truce.AgreementTerminated
	)
	for _, c := range []struct {
		name    string
		by      *truce.Caller
		from    truce.AgreementStatus
		action  truce.AgreementAction
		want    truce.AgreementStatus // after both signatories approve
		wantErr string                // of the proposal
	}{
		{"BringDraftIntoForce", signatoryOp, draft, truce.AgreementBringIntoForce, inForce, ""},
		{"TerminateDraft", signatoryOp, draft, truce.AgreementTerminate, terminated, ""},
		{"SuspendInForce", signatoryOp, inForce, truce.AgreementSuspend, suspended, ""},
		{"TerminateInForce", signatoryOp, inForce, truce.AgreementTerminate, terminated, ""},
		{"AmendInForce", signatoryOp, inForce, truce.AgreementAmend, inForce, ""},
		{"BringSuspendedIntoForce", signatoryOp, suspended, truce.AgreementBringIntoForce, inForce, ""},
		{"AmendSuspended", signatoryOp, suspended, truce.AgreementAmend, suspended, ""},
		{"TerminateSuspended", signatoryOp, suspended, truce.AgreementTerminate, terminated, ""},
		{"ErrSuspendDraft", signatoryOp, draft, truce.AgreementSuspend, "", truce.ECONFLICT},
		{"ErrAmendDraft", signatoryOp, draft, truce.AgreementAmend, "", truce.ECONFLICT},
		{"ErrBringInForceIntoForce", signatoryOp, inForce, truce.AgreementBringIntoForce, "", truce.ECONFLICT},
		{"ErrSuspendSuspended", signatoryOp, suspended, truce.AgreementSuspend, "", truce.ECONFLICT},
		{"ErrTerminatedBringIntoForce", signatoryOp, terminated, truce.AgreementBringIntoForce, "", truce.ECONFLICT},
		{"ErrTerminatedAmend", signatoryOp, terminated, truce.AgreementAmend, "", truce.ECONFLICT},
		{"ErrTerminatedTerminate", signatoryOp, terminated, truce.AgreementTerminate, "", truce.ECONFLICT},
		{"ErrUnknownAction", signatoryOp, draft, "sign", "", truce.EINVALID},
		{"AdminOfAnotherPartyProposes", adminElsewhere, draft, truce.AgreementBringIntoForce, inForce, ""},
		{"CoordinatorOperatorProposes", coordinatorOp, inForce, truce.AgreementSuspend, suspended, ""},
		{"ErrSignatoryViewer", signatoryView, draft, truce.AgreementBringIntoForce, "", truce.EFORBIDDEN},
		{"ErrNonSignatoryGuarantor", otherGuarOp, draft, truce.AgreementBringIntoForce, "", truce.EFORBIDDEN},
		{"ErrMonitorOperator", monitorOp, draft, truce.AgreementBringIntoForce, "", truce.EFORBIDDEN},
		// Who may is asked before whether the action is allowed.
		{"ErrForbiddenBeforeConflict", otherGuarOp, terminated, truce.AgreementBringIntoForce, "", truce.EFORBIDDEN},
	} {
		t.Run(c.name, func(t *testing.T) {
			ag := agreement(c.from)
			p := truce.AgreementProposal{Action: c.action}
			if c.action == truce.AgreementAmend {
				p.Text = ag.Text()
				p.Text.Title = "Ceasefire, amended"
			}
			prop, err := truce.ProposeAgreement(c.by, ag, p, t0)
			if ag.Proposal != nil || ag.Proposals != 0 {
				t.Errorf("ProposeAgreement changed its argument: %+v", ag.Proposal)
			}
			if c.wantErr != "" {
				if truce.ErrorCode(err) != c.wantErr {
					t.Fatalf("err = %v, want code %s", err, c.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if prop.Status != c.from || prop.Pending() == nil || prop.Proposal.Number != 1 || prop.Proposal.ProposedBy != c.by.Party.ID {
				t.Fatalf("proposed: status %s, proposal %+v", prop.Status, prop.Proposal)
			}
			// The proposer's party is no signatory in some cases: only
			// g1 and g2 decide, and one approval changes nothing.
			one, err := truce.DecideAgreement(prop, 1, approve("g1"))
			if err != nil {
				t.Fatal(err)
			}
			if one.Status != c.from || one.Title != "Ceasefire" || one.Pending() == nil {
				t.Fatalf("after one approval: %s %q, pending %v", one.Status, one.Title, one.Pending())
			}
			both, err := truce.DecideAgreement(one, 1, approve("g2"))
			if err != nil {
				t.Fatal(err)
			}
			if both.Status != c.want || both.Pending() != nil || both.Proposal.Status != truce.VersionApproved {
				t.Fatalf("after both approved: %s, proposal %+v; want %s", both.Status, both.Proposal, c.want)
			}
			if c.want != c.from {
				want := truce.StatusChange{Status: c.want, At: t1}
				if n := len(both.StatusHistory); n != 2 || both.StatusHistory[1] != want {
					t.Errorf("history %v, want %v last", both.StatusHistory, want)
				}
			}
			if c.action == truce.AgreementAmend && both.Title != "Ceasefire, amended" {
				t.Errorf("title after the amendment: %q", both.Title)
			}
			if signs := c.action == truce.AgreementBringIntoForce || c.action == truce.AgreementAmend; signs != (both.Signed != nil && len(both.Signed.Decisions) == 2) {
				t.Errorf("signatures of the text: %+v", both.Signed)
			}
			if both.InForceAt(t1) != (c.want == inForce) {
				t.Errorf("in force after: %v, want %v", both.InForceAt(t1), c.want == inForce)
			}
		})
	}
}

// TestDecideAgreement checks who decides a proposal and what a rejection
// does.
func TestDecideAgreement(t *testing.T) {
	prop, err := truce.ProposeAgreement(signatoryOp, agreement(truce.AgreementDraft), truce.AgreementProposal{Action: truce.AgreementBringIntoForce}, t0)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name    string
		number  int
		d       truce.Decision
		wantErr string
	}{
		{"Signatory", 1, approve("g1"), ""},
		{"ErrCoordinator", 1, approve("coord"), truce.EFORBIDDEN},
		{"ErrOtherGuarantor", 1, approve("g3"), truce.EFORBIDDEN},
		{"ErrNoSuchProposal", 2, approve("g1"), truce.ENOTFOUND},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := truce.DecideAgreement(prop, c.number, c.d)
			if truce.ErrorCode(err) != c.wantErr && !(err == nil && c.wantErr == "") {
				t.Fatalf("err = %v, want code %q", err, c.wantErr)
			}
		})
	}
	one, _ := truce.DecideAgreement(prop, 1, approve("g1"))
	if _, err := truce.DecideAgreement(one, 1, approve("g1")); truce.ErrorCode(err) != truce.ECONFLICT {
		t.Errorf("a second decision: %v, want ECONFLICT", err)
	}
	rej, err := truce.DecideAgreement(one, 1, truce.Decision{PartyID: "g2", DecidedAt: t1})
	if err != nil || rej.Status != truce.AgreementDraft || rej.Proposal.Status != truce.VersionRejected || rej.Pending() != nil {
		t.Fatalf("rejected: %+v, %v", rej, err)
	}
	if _, err := truce.DecideAgreement(rej, 1, approve("g2")); truce.ErrorCode(err) != truce.ECONFLICT {
		t.Errorf("a decision on a rejected proposal: %v, want ECONFLICT", err)
	}
	// An amendment that adds a signatory needs its approval too.
	ag := agreement(truce.AgreementInForce)
	text := ag.Text()
	text.Signatories = append(text.Signatories, "g3")
	am, err := truce.ProposeAgreement(signatoryOp, ag, truce.AgreementProposal{Action: truce.AgreementAmend, Text: text}, t0)
	if err != nil {
		t.Fatal(err)
	}
	am, _ = truce.DecideAgreement(am, 1, approve("g1"))
	am, _ = truce.DecideAgreement(am, 1, approve("g2"))
	if am.Pending() == nil || len(am.Signatories) != 2 {
		t.Fatalf("amendment adding g3, approved by g1 and g2 only: pending %v, signatories %v", am.Pending(), am.Signatories)
	}
	if am, err = truce.DecideAgreement(am, 1, approve("g3")); err != nil || len(am.Signatories) != 3 {
		t.Fatalf("approved by g3 too: %v, %v", am.Signatories, err)
	}
	if _, err := truce.ProposeAgreement(signatoryOp, ag, truce.AgreementProposal{Action: truce.AgreementAmend, Text: ag.Text()}, t0); truce.ErrorCode(err) != truce.EINVALID {
		t.Errorf("an amendment that changes nothing: %v, want EINVALID", err)
	}
}

// TestAgreement_RulesAt: an approved amendment that changes the rules
// keeps the ones it replaced, so a time before it is judged by them; an
// amendment that leaves the rules alone keeps nothing.
func TestAgreement_RulesAt(t *testing.T) {
	ag := agreement(truce.AgreementInForce)
	ag.Rules = truce.AgreementRules{Prohibited: []truce.Prohibition{{Activity: "shelling", ZoneKinds: []truce.ZoneKind{truce.ZoneDeescalation}}}}
	amend := func(ag *truce.Agreement, text truce.AgreementText, at time.Time) *truce.Agreement {
		t.Helper()
		p, err := truce.ProposeAgreement(signatoryOp, ag, truce.AgreementProposal{Action: truce.AgreementAmend, Text: text}, at)
		if err != nil {
			t.Fatal(err)
		}
		for _, party := range ag.Signatories {
			if p, err = truce.DecideAgreement(p, p.Proposals, truce.Decision{PartyID: party, Approve: true, DecidedAt: at}); err != nil {
				t.Fatal(err)
			}
		}
		return p
	}
	text := ag.Text()
	text.Title = "Ceasefire, renamed"
	renamed := amend(ag, text, t1)
	if len(renamed.ReplacedRules) != 0 {
		t.Fatalf("an amendment of the title kept rules %+v", renamed.ReplacedRules)
	}
	text.Rules = truce.AgreementRules{Prohibited: []truce.Prohibition{{Activity: "air_strike", ZoneKinds: []truce.ZoneKind{truce.ZoneNoFly}}}}
	t2 := t1.Add(time.Hour)
	lifted := amend(renamed, text, t2)
	for _, c := range []struct {
		at   time.Time
		want string
	}{{t0, "shelling"}, {t2.Add(-time.Nanosecond), "shelling"}, {t2, "air_strike"}, {t2.Add(time.Hour), "air_strike"}} {
		if got := lifted.RulesAt(c.at).Prohibited; len(got) != 1 || got[0].Activity != c.want {
			t.Errorf("rules at %v: %+v, want %s prohibited", c.at, got, c.want)
		}
	}
	if got := ag.RulesAt(t0.Add(-time.Hour)).Prohibited; len(got) != 1 || got[0].Activity != "shelling" {
		t.Errorf("an agreement never amended: rules %+v, want its own", got)
	}
}

// TestGiveNotice checks a notice of withdrawal: who may give it, when it
// takes effect, and that an agreement of two ends when one withdraws but
// one of three goes on between the other two.
func TestGiveNotice(t *testing.T) {
	month := time.Duration(truce.DefaultNoticePeriod)
	for _, c := range []struct {
		name    string
		by      *truce.Caller
		status  truce.AgreementStatus
		wantErr string
	}{
		{"SignatoryInForce", signatoryOp, truce.AgreementInForce, ""},
		{"SignatorySuspended", signatoryOp, truce.AgreementSuspended, ""},
		{"ErrDraft", signatoryOp, truce.AgreementDraft, truce.ECONFLICT},
		{"ErrTerminated", signatoryOp, truce.AgreementTerminated, truce.ECONFLICT},
		{"ErrViewer", signatoryView, truce.AgreementInForce, truce.EFORBIDDEN},
		{"ErrCoordinator", coordinatorOp, truce.AgreementInForce, truce.EFORBIDDEN},
		{"ErrAdminElsewhere", adminElsewhere, truce.AgreementInForce, truce.EFORBIDDEN},
	} {
		t.Run(c.name, func(t *testing.T) {
			ag := agreement(c.status)
			n, err := truce.GiveNotice(c.by, ag, truce.WithdrawalNotice{GivenAt: t1})
			if len(ag.Notices) != 0 {
				t.Fatal("GiveNotice changed its argument")
			}
			if truce.ErrorCode(err) != c.wantErr && !(err == nil && c.wantErr == "") {
				t.Fatalf("err = %v, want code %q", err, c.wantErr)
			}
			if err != nil {
				return
			}
			if len(n.Notices) != 1 || n.Notices[0].PartyID != "g1" || !n.Notices[0].EffectiveAt.Equal(t1.Add(month)) {
				t.Fatalf("notices: %+v", n.Notices)
			}
			if _, err := truce.GiveNotice(c.by, n, truce.WithdrawalNotice{GivenAt: t1}); truce.ErrorCode(err) != truce.ECONFLICT {
				t.Errorf("a second notice: %v, want ECONFLICT", err)
			}
		})
	}

	for _, c := range []struct {
		name        string
		signatories []string
		period      truce.Duration
		wantEnds    bool
	}{
		{"TwoEnd", []string{"g1", "g2"}, 0, true},
		{"OneEnds", []string{"g1"}, 0, true},
		{"ThreeGoOn", []string{"g1", "g2", "g3"}, 0, false},
		{"TwoEndAfterTheirPeriod", []string{"g1", "g2"}, truce.Duration(72 * time.Hour), true},
	} {
		t.Run(c.name, func(t *testing.T) {
			ag := agreement(truce.AgreementInForce)
			ag.Signatories, ag.Rules.NoticePeriod = c.signatories, c.period
			period := time.Duration(ag.Rules.WithDefaults().NoticePeriod)
			n, err := truce.GiveNotice(signatoryOp, ag, truce.WithdrawalNotice{GivenAt: t1})
			if err != nil {
				t.Fatal(err)
			}
			eff := t1.Add(period)
			before, at := eff.Add(-time.Nanosecond), eff
			if !n.InForceAt(before) || !n.IsSignatory("g1", before) || len(n.PendingNotices(before)) != 1 {
				t.Errorf("before the notice takes effect: in force %v, g1 signatory %v", n.InForceAt(before), n.IsSignatory("g1", before))
			}
			if n.IsSignatory("g1", at) || len(n.PendingNotices(at)) != 0 {
				t.Error("g1 is still a signatory once its notice took effect")
			}
			if n.InForceAt(at) == c.wantEnds {
				t.Errorf("in force once the notice took effect: %v, want %v", n.InForceAt(at), !c.wantEnds)
			}
			if ends := n.EndsAt(); (ends != nil) != c.wantEnds || (ends != nil && !ends.Equal(eff)) {
				t.Errorf("EndsAt = %v, want %v at %v", ends, c.wantEnds, eff)
			}
			if got := n.SignatoriesAt(at); len(got) != len(c.signatories)-1 {
				t.Errorf("signatories once it took effect: %v", got)
			}
		})
	}
}

// TestZoneViewAt: a zone in force is shown in force only while its
// agreement is.
func TestZoneViewAt(t *testing.T) {
	z := &truce.Zone{ID: "z", State: truce.ZoneStateInForce}
	for _, c := range []struct {
		status truce.AgreementStatus
		want   bool
	}{{truce.AgreementInForce, true}, {truce.AgreementSuspended, false}, {truce.AgreementTerminated, false}, {truce.AgreementDraft, false}} {
		ag := agreement(c.status)
		ag.StatusHistory = nil
		if got := z.ViewAt(ag, t1); got.InForce != c.want || got.Agreement.Status != c.status {
			t.Errorf("zone in force, agreement %s: shown in force %v, want %v", c.status, got.InForce, c.want)
		}
	}
}

// TestAgreementSignatory checks the one signatory rule: which parties may
// sign and create agreements, manage them, and act on their zones.
func TestAgreementSignatory(t *testing.T) {
	for _, c := range []struct {
		kind truce.PartyKind
		want bool
	}{{truce.PartyGuarantor, true}, {truce.PartyCoordinator, true}, {truce.PartyMonitor, false}, {truce.PartyHumanitarian, false}, {"", false}} {
		if got := c.kind.CanSign(); got != c.want {
			t.Errorf("%q.CanSign() = %v, want %v", c.kind, got, c.want)
		}
	}
	for _, c := range []struct {
		name                 string
		by                   *truce.Caller
		status               truce.AgreementStatus
		wantCreate, wantMgmt bool
		wantZones            string // error code of CanActOnZones
	}{
		{"SignatoryOperator", signatoryOp, truce.AgreementInForce, true, true, ""},
		{"SignatoryOperatorTerminated", signatoryOp, truce.AgreementTerminated, true, true, truce.ECONFLICT},
		{"SignatoryViewer", signatoryView, truce.AgreementInForce, false, false, truce.EFORBIDDEN},
		{"CoordinatorNotSignatory", coordinatorOp, truce.AgreementInForce, true, true, truce.EFORBIDDEN},
		{"GuarantorNotSignatory", otherGuarOp, truce.AgreementInForce, true, false, truce.EFORBIDDEN},
		{"MonitorOperator", monitorOp, truce.AgreementInForce, false, false, truce.EFORBIDDEN},
		{"AdminOfAnotherParty", adminElsewhere, truce.AgreementDraft, true, true, ""},
		{"AdminTerminated", adminElsewhere, truce.AgreementTerminated, true, true, truce.ECONFLICT},
	} {
		t.Run(c.name, func(t *testing.T) {
			ag := agreement(c.status)
			if got := truce.CanCreateAgreement(c.by); got != c.wantCreate {
				t.Errorf("CanCreateAgreement = %v, want %v", got, c.wantCreate)
			}
			if got := truce.CanManageAgreement(c.by, ag, t1); got != c.wantMgmt {
				t.Errorf("CanManageAgreement = %v, want %v", got, c.wantMgmt)
			}
			if err := truce.CanActOnZones(c.by, ag, t1); truce.ErrorCode(err) != c.wantZones && !(err == nil && c.wantZones == "") {
				t.Errorf("CanActOnZones = %v, want code %q", err, c.wantZones)
			}
		})
	}
}

// TestAgreementRules_Validate checks the bounds of an agreement's rules,
// and the defaults that fill the unset ones.
func TestAgreementRules_Validate(t *testing.T) {
	ok := truce.Prohibition{Activity: "overflight", ZoneKinds: []truce.ZoneKind{truce.ZoneNoFly}}
	for _, c := range []struct {
		name    string
		r       truce.AgreementRules
		wantErr bool
	}{
		{"Zero", truce.AgreementRules{}, false},
		{"Prohibition", truce.AgreementRules{Prohibited: []truce.Prohibition{ok}}, false},
		{"ProhibitionAnyKind", truce.AgreementRules{Prohibited: []truce.Prohibition{{Activity: "shelling"}}}, false},
		{"SeparationBounds", truce.AgreementRules{SeparationNM: 100, SeparationFt: 10000}, false},
		{"ErrNoActivity", truce.AgreementRules{Prohibited: []truce.Prohibition{ok, {ZoneKinds: []truce.ZoneKind{truce.ZoneNoFly}}}}, true},
		{"ErrActivityControl", truce.AgreementRules{Prohibited: []truce.Prohibition{{Activity: "over\x00flight"}}}, true},
		{"ErrUnknownKind", truce.AgreementRules{Prohibited: []truce.Prohibition{{Activity: "overflight", ZoneKinds: []truce.ZoneKind{"moon"}}}}, true},
		{"ErrNegativeNM", truce.AgreementRules{SeparationNM: -1}, true},
		{"ErrNM", truce.AgreementRules{SeparationNM: 100.5}, true},
		{"ErrNegativeFt", truce.AgreementRules{SeparationFt: -0.1}, true},
		{"ErrFt", truce.AgreementRules{SeparationFt: 10001}, true},
		{"ConflictRules", truce.AgreementRules{Conflicts: []truce.ConflictRule{
			{Against: "site", Activities: []string{"strike"}, OtherKinds: []string{"hospital"}, Effect: truce.ConflictWarn},
			{Against: "operation", Effect: truce.ConflictBlock}}}, false},
		{"ErrConflictAgainst", truce.AgreementRules{Conflicts: []truce.ConflictRule{{Against: "hospital", Effect: truce.ConflictBlock}}}, true},
		{"ErrConflictNoAgainst", truce.AgreementRules{Conflicts: []truce.ConflictRule{{Effect: truce.ConflictWarn}}}, true},
		{"ErrConflictEffect", truce.AgreementRules{Conflicts: []truce.ConflictRule{{Against: "site", Effect: "refuse"}}}, true},
		{"ErrConflictNoEffect", truce.AgreementRules{Conflicts: []truce.ConflictRule{{Against: "site"}}}, true},
		{"ErrConflictActivity", truce.AgreementRules{Conflicts: []truce.ConflictRule{{Against: "site", Activities: []string{""}, Effect: truce.ConflictWarn}}}, true},
		{"ErrConflictOtherKind", truce.AgreementRules{Conflicts: []truce.ConflictRule{{Against: "site", OtherKinds: []string{"hos\x00pital"}, Effect: truce.ConflictWarn}}}, true},
		{"ErrConflictTooMany", truce.AgreementRules{Conflicts: make([]truce.ConflictRule, truce.MaxConflictRules+1)}, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			err := c.r.Validate()
			if (err != nil) != c.wantErr || (err != nil && truce.ErrorCode(err) != truce.EINVALID) {
				t.Fatalf("Validate() = %v, want error %v", err, c.wantErr)
			}
		})
	}
	d := truce.AgreementRules{SeparationNM: 3}.WithDefaults()
	want := truce.AgreementRules{LeadTime: truce.Duration(48 * time.Hour), EmergencyLeadTime: truce.Duration(24 * time.Hour), SeparationNM: 3, SeparationFt: 1000}
	if d.LeadTime != want.LeadTime || d.EmergencyLeadTime != want.EmergencyLeadTime || d.SeparationNM != want.SeparationNM || d.SeparationFt != want.SeparationFt {
		t.Errorf("WithDefaults = %+v, want %+v", d, want)
	}
}
