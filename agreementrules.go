package truce

import (
	"slices"
	"time"
)

// This file holds who may do what to an agreement, and the agreement's
// status transitions, as pure functions: the agreement service, the zone
// service and the UI ask these, so the rules are written once.

// CanSign reports whether a party of this kind may sign an agreement:
// guarantor parties (the states party to it) and the coordinator. The
// same parties' operators create agreements (CanCreateAgreement).
func (k PartyKind) CanSign() bool { return k == PartyGuarantor || k == PartyCoordinator }

// CanCreateAgreement reports whether a may create an agreement:
// administrators, and operators of a party that may sign one.
func CanCreateAgreement(a *Caller) bool {
	return a.IsAdmin() || (a.User.HasRole(RoleOperator) && a.Party.Kind.CanSign())
}

// CanManageAgreement reports whether a may change ag (its text, period,
// rules or status): administrators, and operators of the coordinator or
// of a signatory party. ag may be nil (an agreement not yet known).
func CanManageAgreement(a *Caller, ag *Agreement) bool {
	if a.IsAdmin() {
		return true
	}
	if !a.User.HasRole(RoleOperator) {
		return false
	}
	return a.Party.Kind == PartyCoordinator || (ag != nil && ag.IsSignatory(a.Party.ID))
}

// MoveAgreement returns ag moved to status to at time at by a, with the
// move added to its status history; ag itself is not changed. Returns
// EFORBIDDEN unless CanManageAgreement, and ECONFLICT for a move the
// status does not allow (draft → in_force ⇄ suspended, any of them →
// terminated; terminated is final).
func MoveAgreement(a *Caller, ag *Agreement, to AgreementStatus, at time.Time) (*Agreement, error) {
	if !CanManageAgreement(a, ag) {
		return nil, Errorf(EFORBIDDEN, "Only an administrator or an operator of a signatory or the coordinator can change this agreement.")
	}
	if !ag.Status.CanMove(to) {
		return nil, Errorf(ECONFLICT, "Agreement %q cannot go from %s to %q.", ag.ID, ag.Status, to)
	}
	n := *ag
	n.Status = to
	n.StatusHistory = append(slices.Clip(slices.Clone(ag.StatusHistory)), StatusChange{Status: to, At: at})
	return &n, nil
}

// CanActOnZones returns nil if a may propose zones of ag and decide on
// them: an operator (or administrator) of a signatory party (EFORBIDDEN
// otherwise; an administrator of another party may propose but not
// decide, see CanDecideAs), while ag is not terminated (ECONFLICT).
func CanActOnZones(a *Caller, ag *Agreement) error {
	if !a.IsAdmin() && !a.User.HasRole(RoleOperator) {
		return Errorf(EFORBIDDEN, "Only an operator of a signatory party can do this.")
	}
	if !ag.IsSignatory(a.Party.ID) && !a.IsAdmin() {
		return Errorf(EFORBIDDEN, "Your party is not a signatory of agreement %q.", ag.Title)
	}
	if ag.Status == AgreementTerminated {
		return Errorf(ECONFLICT, "Agreement %q is terminated.", ag.Title)
	}
	return nil
}

// Validate checks an agreement's rules: each prohibition names an
// activity and known zone kinds; separation minima are 0-100 NM and
// 0-10,000 ft (0 takes the default, WithDefaults). Lead times are not
// checked here: a negative one is refused as it is decoded
// (Duration.UnmarshalJSON). Returns EINVALID.
func (r AgreementRules) Validate() error {
	for _, p := range r.Prohibited {
		if p.Activity == "" {
			return Errorf(EINVALID, "A prohibition names an activity (at most %d characters).", MaxActivityLen)
		}
		if err := CheckText("activity", p.Activity, MaxActivityLen, false); err != nil {
			return err
		}
		for _, k := range p.ZoneKinds {
			if !k.Valid() {
				return Errorf(EINVALID, "Unknown zone kind %q in the rules.", k)
			}
		}
	}
	if r.SeparationNM < 0 || r.SeparationNM > 100 || r.SeparationFt < 0 || r.SeparationFt > 10000 {
		return Errorf(EINVALID, "Separation minima are 0-100 NM and 0-10,000 ft.")
	}
	return nil
}
