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
		StatusHistory: []truce.StatusChange{{Status: truce.AgreementDraft, At: t0}}}
}

// TestAgreementTransition checks every status move, and who may make it.
func TestAgreementTransition(t *testing.T) {
	const (
		draft      = truce.AgreementDraft
		inForce    = truce.AgreementInForce
		suspended  = truce.AgreementSuspended
		terminated = truce.AgreementTerminated
	)
	for _, c := range []struct {
		name     string
		by       *truce.Caller
		from, to truce.AgreementStatus
		wantErr  string
	}{
		{"DraftToInForce", signatoryOp, draft, inForce, ""},
		{"DraftToTerminated", signatoryOp, draft, terminated, ""},
		{"InForceToSuspended", signatoryOp, inForce, suspended, ""},
		{"InForceToTerminated", signatoryOp, inForce, terminated, ""},
		{"SuspendedToInForce", signatoryOp, suspended, inForce, ""},
		{"SuspendedToTerminated", signatoryOp, suspended, terminated, ""},
		{"ErrDraftToSuspended", signatoryOp, draft, suspended, truce.ECONFLICT},
		{"ErrDraftToDraft", signatoryOp, draft, draft, truce.ECONFLICT},
		{"ErrInForceToDraft", signatoryOp, inForce, draft, truce.ECONFLICT},
		{"ErrInForceToInForce", signatoryOp, inForce, inForce, truce.ECONFLICT},
		{"ErrSuspendedToDraft", signatoryOp, suspended, draft, truce.ECONFLICT},
		{"ErrTerminatedToInForce", signatoryOp, terminated, inForce, truce.ECONFLICT},
		{"ErrTerminatedToDraft", signatoryOp, terminated, draft, truce.ECONFLICT},
		{"ErrTerminatedToTerminated", signatoryOp, terminated, terminated, truce.ECONFLICT},
		{"ErrUnknownStatus", signatoryOp, draft, "signed", truce.ECONFLICT},
		{"AdminOfAnotherParty", adminElsewhere, draft, inForce, ""},
		{"CoordinatorOperator", coordinatorOp, inForce, suspended, ""},
		{"ErrSignatoryViewer", signatoryView, draft, inForce, truce.EFORBIDDEN},
		{"ErrNonSignatoryGuarantor", otherGuarOp, draft, inForce, truce.EFORBIDDEN},
		{"ErrMonitorOperator", monitorOp, draft, inForce, truce.EFORBIDDEN},
		// Who may is asked before whether the move is allowed.
		{"ErrForbiddenBeforeConflict", otherGuarOp, terminated, inForce, truce.EFORBIDDEN},
	} {
		t.Run(c.name, func(t *testing.T) {
			ag := agreement(c.from)
			got, err := truce.MoveAgreement(c.by, ag, c.to, t1)
			if ag.Status != c.from || len(ag.StatusHistory) != 1 {
				t.Errorf("MoveAgreement changed its argument: %s %v", ag.Status, ag.StatusHistory)
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
			want := truce.StatusChange{Status: c.to, At: t1}
			if got.Status != c.to || len(got.StatusHistory) != 2 || got.StatusHistory[1] != want {
				t.Errorf("got %s %v, want %s with %v last", got.Status, got.StatusHistory, c.to, want)
			}
			if !got.InForceAt(t1) != (c.to != inForce) {
				t.Errorf("in force at the move: %v, want %v", got.InForceAt(t1), c.to == inForce)
			}
		})
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
			if got := truce.CanManageAgreement(c.by, ag); got != c.wantMgmt {
				t.Errorf("CanManageAgreement = %v, want %v", got, c.wantMgmt)
			}
			if err := truce.CanActOnZones(c.by, ag); truce.ErrorCode(err) != c.wantZones && !(err == nil && c.wantZones == "") {
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
