package operations

import (
	"slices"
	"time"

	"github.com/truce-project/truce"
)

// The pure rules of operations: which overlaps are conflicts and which of
// them block filing, who may approve, and the lifecycle. The service
// applies them; they read nothing and write nothing.

// moves lists the allowed transitions: a draft (a joint operation
// awaiting approvals) is filed or cancelled; a filed operation becomes
// active or is cancelled; an active one completes or is cancelled.
// Completed and cancelled are final.
var moves = map[Status][]Status{
	Draft:  {Filed, Cancelled},
	Filed:  {Active, Cancelled},
	Active: {Completed, Cancelled},
}

// CanMove reports whether an operation may go from s to to.
func (s Status) CanMove(to Status) bool { return slices.Contains(moves[s], to) }

// Live reports whether an operation in status s takes part in
// deconfliction: filed or active.
func (s Status) Live() bool { return s == Filed || s == Active }

// Activities returns the activity names an agreement's prohibitions may
// use for an operation of kind k: the kind itself, and the broader
// activity it is a case of.
func Activities(k Kind) []string {
	out := []string{string(k)}
	if k.Air() {
		out = append(out, "air_operation", "overflight", "military_flight")
	}
	switch k {
	case AirStrike:
		out = append(out, "strike", "air_strike")
	case ArtilleryFire:
		out = append(out, "strike", "shelling")
	case GroundPatrol, Demining, Escort, Evacuation:
		out = append(out, "ground_operation")
	}
	return slices.Compact(out)
}

// Prohibited reports whether an agreement's rules prohibit an operation of
// kind k in a zone of kind zk: a prohibition names one of k's activities
// and that zone kind (or no zone kind: every kind).
func Prohibited(r truce.AgreementRules, k Kind, zk truce.ZoneKind) bool {
	return ProhibitedFor(r, k, zk, nil)
}

// ProhibitedFor is Prohibited for an operation of the participating
// parties given: a prohibition that exempts every one of them does not
// apply (none given: every prohibition applies).
func ProhibitedFor(r truce.AgreementRules, k Kind, zk truce.ZoneKind, parties []string) bool {
	acts := Activities(k)
	for _, p := range r.Prohibited {
		if !slices.Contains(acts, p.Activity) {
			continue
		}
		if len(parties) > 0 && len(p.Exempt) > 0 && !slices.ContainsFunc(parties, func(q string) bool { return !slices.Contains(p.Exempt, q) }) {
			continue
		}
		if len(p.ZoneKinds) == 0 || slices.Contains(p.ZoneKinds, zk) {
			return true
		}
	}
	return false
}

// Decision is what the rules make of an overlap.
type Decision struct {
	Conflict bool
	Blocking bool
	Reason   string
}

// DefaultConflicts are the rules on conflicts that decide an overlap no
// rule of the agreement matches (all of them, for an agreement that sets
// none): fire (an air strike, artillery: the activity "strike") over
// another party's operation, a notified site or a movement blocks
// filing, and so does any activity a zone in force prohibits; every other
// overlap with another party's operation, a site or a movement warns.
var DefaultConflicts = []truce.ConflictRule{
	{Against: string(AgainstZone), Effect: truce.ConflictBlock},
	{Against: string(AgainstOperation), Activities: []string{"strike"}, Effect: truce.ConflictBlock},
	{Against: string(AgainstOperation), OtherKinds: []string{"strike"}, Effect: truce.ConflictBlock},
	{Against: string(AgainstSite), Activities: []string{"strike"}, Effect: truce.ConflictBlock},
	{Against: string(AgainstMovement), Activities: []string{"strike"}, Effect: truce.ConflictBlock},
	{Against: string(AgainstOperation), Effect: truce.ConflictWarn},
	{Against: string(AgainstSite), Effect: truce.ConflictWarn},
	{Against: string(AgainstMovement), Effect: truce.ConflictWarn},
}

// Decide decides an overlap of an operation of kind k with something of
// the kind against, under an agreement's rules on conflicts (rules; see
// truce.AgreementRules.Conflicts): another party's operation (other is
// its kind), a notified site (other: its category) or movement (its
// kind), or a zone in force (its kind) whose agreement prohibits the
// activity (prohibited; an overlap with a zone that does not is no
// conflict, whatever the rules).
//
// The first of rules that matches says whether the conflict blocks filing
// (refused unless the filer overrides with a reason) or warns (both sides
// are told); an overlap none matches is decided by DefaultConflicts. A
// rule matches when it is against this kind of thing, one of its
// activities is one of k's (Activities) or it names none, and one of its
// other kinds is other (for an operation, one of the other's activities)
// or it names none.
func Decide(rules []truce.ConflictRule, k Kind, against Against, other string, prohibited bool) Decision {
	var reason string
	switch against {
	case AgainstZone:
		if !prohibited {
			return Decision{}
		}
		reason = "the agreement prohibits this activity in this zone"
	case AgainstOperation:
		reason = "another party operates in the same space and time"
		if k.Kinetic() || Kind(other).Kinetic() {
			reason = "fire planned where another party operates"
		}
	case AgainstSite, AgainstMovement:
		reason = "operation over a notified humanitarian " + string(against)
		if k.Kinetic() {
			reason = "fire planned over a notified humanitarian " + string(against)
		}
	default:
		return Decision{}
	}
	acts, others := Activities(k), []string{other}
	if against == AgainstOperation {
		others = Activities(Kind(other))
	}
	for _, r := range rules {
		if matches(r, against, acts, others) {
			if r.Effect == truce.ConflictBlock {
				return Decision{true, true, reason + " (the agreement's rules make it blocking)"}
			}
			return Decision{true, false, reason + " (the agreement's rules make it a warning)"}
		}
	}
	for _, r := range DefaultConflicts {
		if matches(r, against, acts, others) {
			return Decision{true, r.Effect == truce.ConflictBlock, reason}
		}
	}
	return Decision{true, false, reason}
}

// matches reports whether rule r applies to an overlap with against, of
// an operation doing acts with something of the kinds others.
func matches(r truce.ConflictRule, against Against, acts, others []string) bool {
	some := func(names, of []string) bool {
		return len(names) == 0 || slices.ContainsFunc(names, func(n string) bool { return slices.Contains(of, n) })
	}
	return r.Against == string(against) && some(r.Activities, acts) && some(r.OtherKinds, others)
}

// MayApprove returns nil if party partyID, whose caller is an operator
// (operator), may approve version of o: o awaits approvals (a draft), the
// version is o's latest, the party participates and has not approved it.
// EFORBIDDEN for a non-participant or a caller without the role;
// ECONFLICT for an operation not awaiting approval or approved already;
// EPRECONDITION for another version.
func MayApprove(o *Operation, partyID string, operator bool, version int64) error {
	switch {
	case !slices.Contains(o.Participants, partyID):
		return truce.Errorf(truce.EFORBIDDEN, "Only a participating party approves an operation.")
	case !operator:
		return truce.Errorf(truce.EFORBIDDEN, "Only an operator of a participating party approves an operation.")
	case o.Status != Draft:
		return truce.Errorf(truce.ECONFLICT, "Operation %q is %s: it does not await approval.", o.ID, o.Status)
	case version != o.Version:
		return truce.Errorf(truce.EPRECONDITION, "Operation %q is at version %d, not %d: read it again and approve what it says now.", o.ID, o.Version, version)
	}
	for _, a := range o.Approvals {
		if a.PartyID == partyID {
			return truce.Errorf(truce.ECONFLICT, "Your party has approved version %d of operation %q.", o.Version, o.ID)
		}
	}
	return nil
}

// Approved reports whether every participating party has approved o.
func Approved(o *Operation) bool {
	for _, p := range o.Participants {
		if !slices.ContainsFunc(o.Approvals, func(a Approval) bool { return a.PartyID == p }) {
			return false
		}
	}
	return true
}

// MayMove returns nil if a caller of party partyID (operator says it has
// the role) may move o to status to: a participant, and a transition the
// lifecycle allows. A draft is filed by approval, never moved there.
func MayMove(o *Operation, partyID string, operator bool, to Status) error {
	switch {
	case !slices.Contains(o.Participants, partyID) || !operator:
		return truce.Errorf(truce.EFORBIDDEN, "Only an operator of a participating party changes an operation's status.")
	case to == Filed && o.Status == Draft:
		return truce.Errorf(truce.ECONFLICT, "A joint operation is filed when every participating party has approved it.")
	case !o.Status.CanMove(to):
		return truce.Errorf(truce.ECONFLICT, "Operation %q is %s: it cannot become %s.", o.ID, o.Status, to)
	}
	return nil
}

// Shares reports whether two operations have a participating party in
// common: a party's own operations never conflict with each other.
func Shares(a, b []string) bool {
	for _, p := range a {
		if slices.Contains(b, p) {
			return true
		}
	}
	return false
}

// withinWindow returns EINVALID if a volume's window is longer than the
// agreement's rules allow (max_operation_window; CheckPlan holds every
// window to MaxWindow).
func withinWindow(ag *truce.Agreement, vs []VolumeInput) error {
	limit := time.Duration(ag.Rules.MaxOperationWindow)
	if limit <= 0 {
		return nil
	}
	for i, v := range vs {
		if d := v.End.Sub(v.Start); d > limit {
			return truce.Errorf(truce.EINVALID, "volumes[%d]: The window is %s long; agreement %q allows at most %s.", i+1, d.Round(time.Minute), ag.Title, limit)
		}
	}
	return nil
}
