package truce

import (
	"reflect"
	"slices"
	"strings"
	"time"
)

// This file holds who may do what to an agreement, and the agreement's
// joint decisions and notices, as pure functions: the agreement service,
// the zone service and the UI ask these, so the rules are written once.
// Who is a signatory at a time is Agreement.IsSignatory.
//
// No single party changes what all agreed: bringing an agreement into
// force, amending, suspending and terminating it are proposals that take
// effect only when every signatory has approved them
// (ProposeAgreement, DecideAgreement). A party's unilateral act is a
// notice of withdrawal, effective after the notice period the agreement
// sets (GiveNotice).

// CanSign reports whether a party of this kind may sign an agreement:
// guarantor parties (the states party to it) and the coordinator. The
// same parties' operators create agreements (CanCreateAgreement).
func (k PartyKind) CanSign() bool { return k == PartyGuarantor || k == PartyCoordinator }

// CanCreateAgreement reports whether a may create an agreement:
// administrators, and operators of a party that may sign one.
func CanCreateAgreement(a *Caller) bool {
	return a.IsAdmin() || (a.User.HasRole(RoleOperator) && a.Party.Kind.CanSign())
}

// CanManageAgreement reports whether a may edit ag's draft and propose
// joint decisions on it at t: administrators, and operators of the
// coordinator or of a party that is a signatory at t. Proposing decides
// nothing: only the signatories decide (DecideAgreement). ag may be nil
// (an agreement not yet known).
func CanManageAgreement(a *Caller, ag *Agreement, t time.Time) bool {
	if a.IsAdmin() {
		return true
	}
	if !a.User.HasRole(RoleOperator) {
		return false
	}
	return a.Party.Kind == PartyCoordinator || (ag != nil && ag.IsSignatory(a.Party.ID, t))
}

// CanEditDraft returns nil if a may edit ag's text directly at t: ag is a
// draft (a text in force changes only by an amendment every signatory
// approves) that no proposal awaits decisions on (their signatures name
// the text). Returns EFORBIDDEN or ECONFLICT.
func CanEditDraft(a *Caller, ag *Agreement, t time.Time) error {
	if !CanManageAgreement(a, ag, t) {
		return Errorf(EFORBIDDEN, "Only an administrator or an operator of a signatory or the coordinator can change this agreement.")
	}
	if ag.Status != AgreementDraft {
		return Errorf(ECONFLICT, "Agreement %q is %s: its text changes only by an amendment every signatory approves.", ag.Title, ag.Status)
	}
	if p := ag.Pending(); p != nil {
		return Errorf(ECONFLICT, "Proposal %d on agreement %q awaits decisions; its text cannot change until it is decided.", p.Number, ag.Title)
	}
	return nil
}

// agreementActionFrom lists the statuses each action may be proposed from;
// drafts are edited directly (CanEditDraft), so amendments are of texts
// that have been in force.
var agreementActionFrom = map[AgreementAction][]AgreementStatus{
	AgreementBringIntoForce: {AgreementDraft, AgreementSuspended},
	AgreementAmend:          {AgreementInForce, AgreementSuspended},
	AgreementSuspend:        {AgreementInForce},
	AgreementTerminate:      {AgreementDraft, AgreementInForce, AgreementSuspended},
}

// agreementActionTo is the status an approved action leaves (an amendment
// keeps the status).
var agreementActionTo = map[AgreementAction]AgreementStatus{
	AgreementBringIntoForce: AgreementInForce, AgreementSuspend: AgreementSuspended, AgreementTerminate: AgreementTerminated,
}

// CanPropose reports, as an error, whether action may be proposed on ag
// now: ECONFLICT while a proposal awaits decisions, for a terminated
// agreement, for an action its status does not allow, and for anything
// but termination once notices of withdrawal have ended it; EINVALID for
// an unknown action.
func (ag *Agreement) CanPropose(action AgreementAction, at time.Time) error {
	from, ok := agreementActionFrom[action]
	switch {
	case !ok:
		return Errorf(EINVALID, "Unknown agreement action %q: one of bring_into_force, amend, suspend, terminate.", action)
	case ag.Pending() != nil:
		return Errorf(ECONFLICT, "Proposal %d on agreement %q awaits decisions; decide it first.", ag.Pending().Number, ag.Title)
	case ag.Status == AgreementTerminated:
		return Errorf(ECONFLICT, "Agreement %q is terminated.", ag.Title)
	case !slices.Contains(from, ag.Status):
		return Errorf(ECONFLICT, "Agreement %q is %s: it cannot be proposed to %s.", ag.Title, ag.Status, action)
	}
	if w := ag.WithdrawnAt(); w != nil && !at.Before(*w) && action != AgreementTerminate {
		return Errorf(ECONFLICT, "Agreement %q ended on %s by withdrawal; it can only be terminated.", ag.Title, w.Format(time.RFC3339))
	}
	return nil
}

// ProposeAgreement returns ag with proposal p put to its signatories by a
// at time at; ag itself is not changed. p.Action is required; p.Text is
// the amended text for an amendment (it must differ from ag's) and is
// ignored otherwise (the proposal signs ag's text); p.Note is kept. The
// proposal's number, status, proposer and decisions are set here.
// Returns EFORBIDDEN unless CanManageAgreement (asked first), then the
// errors of CanPropose, and EINVALID for an amendment that changes
// nothing.
func ProposeAgreement(a *Caller, ag *Agreement, p AgreementProposal, at time.Time) (*Agreement, error) {
	if !CanManageAgreement(a, ag, at) {
		return nil, Errorf(EFORBIDDEN, "Only an administrator or an operator of a signatory or the coordinator can propose decisions on this agreement.")
	}
	if err := ag.CanPropose(p.Action, at); err != nil {
		return nil, err
	}
	if p.Action == AgreementAmend {
		was, _ := textDigest(ag.Text())
		now, err := textDigest(p.Text)
		if err != nil {
			return nil, err
		}
		if was == now {
			return nil, Errorf(EINVALID, "The amendment changes nothing in agreement %q.", ag.Title)
		}
	} else {
		p.Text = ag.Text()
	}
	n := *ag
	p.Number = ag.Proposals + 1
	p.Status = VersionProposed
	p.ProposedBy, p.ProposedByUser, p.ProposedAt = a.Party.ID, a.User.ID, at
	p.Decisions, p.DecidedAt = []Decision{}, nil
	n.Proposal, n.Proposals = &p, p.Number
	return &n, nil
}

// Deciders returns the parties whose approval proposal p needs at t: the
// agreement's signatories then, and for an amendment also every party the
// amended text names (a party joins only by signing).
func (ag *Agreement) Deciders(p *AgreementProposal, t time.Time) []string {
	out := ag.SignatoriesAt(t)
	if p.Action == AgreementAmend {
		for _, s := range p.Text.Signatories {
			if !slices.Contains(out, s) {
				out = append(out, s)
			}
		}
	}
	return out
}

// CanDecideAgreement reports, as an error, whether party may decide at t
// on proposal number of ag: only one of its Deciders (EFORBIDDEN), only on
// the proposal awaiting decisions, and only once (ECONFLICT).
func CanDecideAgreement(ag *Agreement, number int, party string, t time.Time) error {
	p := ag.Proposal
	if p == nil || p.Number != number {
		return Errorf(ENOTFOUND, "Agreement %q has no proposal %d awaiting decisions.", ag.Title, number)
	}
	if !slices.Contains(ag.Deciders(p, t), party) {
		return Errorf(EFORBIDDEN, "Only signatory parties decide on agreement %q; your party is not one.", ag.Title)
	}
	if p.Status != VersionProposed {
		return Errorf(ECONFLICT, "Proposal %d on agreement %q is %s, not awaiting decisions.", number, ag.Title, p.Status)
	}
	if slices.ContainsFunc(p.Decisions, func(d Decision) bool { return d.PartyID == party }) {
		return Errorf(ECONFLICT, "Your party has already decided on proposal %d.", number)
	}
	return nil
}

// DecideAgreement applies decision d (by d.PartyID, at d.DecidedAt) on
// proposal number of ag and returns the agreement it leaves; ag is not
// changed.
//
//   - A rejection rejects the proposal; the agreement stays as it was.
//   - An approval by some of the Deciders records the decision only.
//   - The approval that completes every Decider's approves the proposal
//     and carries it out at d.DecidedAt: the status moves (with its
//     history) to in force, suspended or terminated, or the amended text
//     replaces the text (rules it replaces are kept in ReplacedRules,
//     signatories and period in ReplacedTerms, with the moment they
//     ended). Bringing into force and amending keep the
//     approved proposal as the text's Signed.
//
// The errors are those of CanDecideAgreement.
func DecideAgreement(ag *Agreement, number int, d Decision) (*Agreement, error) {
	if err := CanDecideAgreement(ag, number, d.PartyID, d.DecidedAt); err != nil {
		return nil, err
	}
	n := *ag
	p := *ag.Proposal
	p.Decisions = append(slices.Clip(slices.Clone(p.Decisions)), d)
	n.Proposal = &p
	at := d.DecidedAt
	switch {
	case !d.Approve:
		p.Status, p.DecidedAt = VersionRejected, &at
	case approvedByAll(p.Decisions, ag.Deciders(&p, at)):
		p.Status, p.DecidedAt = VersionApproved, &at
		if p.Action == AgreementAmend {
			t := p.Text
			n.Title, n.Reference, n.Signatories = t.Title, t.Reference, slices.Clone(t.Signatories)
			n.EffectiveFrom, n.EffectiveTo, n.Rules = t.EffectiveFrom, t.EffectiveTo, t.Rules
			if !reflect.DeepEqual(ag.Rules, t.Rules) {
				n.ReplacedRules = append(slices.Clip(slices.Clone(ag.ReplacedRules)), ReplacedRules{Rules: ag.Rules, Until: at})
			}
			if !slices.Equal(ag.Signatories, t.Signatories) || !ag.EffectiveFrom.Equal(t.EffectiveFrom) ||
				(ag.EffectiveTo == nil) != (t.EffectiveTo == nil) || (ag.EffectiveTo != nil && !ag.EffectiveTo.Equal(*t.EffectiveTo)) {
				n.ReplacedTerms = append(slices.Clip(slices.Clone(ag.ReplacedTerms)),
					ReplacedTerms{Signatories: slices.Clone(ag.Signatories), EffectiveFrom: ag.EffectiveFrom, EffectiveTo: ag.EffectiveTo, Until: at})
			}
		}
		if p.Action == AgreementAmend || p.Action == AgreementBringIntoForce {
			signed := p
			signed.Decisions = slices.Clone(p.Decisions)
			n.Signed = &signed
		}
		if to, ok := agreementActionTo[p.Action]; ok && to != n.Status {
			n.Status = to
			n.StatusHistory = append(slices.Clip(slices.Clone(ag.StatusHistory)), StatusChange{Status: to, At: at})
		}
	}
	return &n, nil
}

// approvedByAll reports whether every party has approved among ds.
func approvedByAll(ds []Decision, parties []string) bool {
	for _, p := range parties {
		if !slices.ContainsFunc(ds, func(d Decision) bool { return d.PartyID == p && d.Approve }) {
			return false
		}
	}
	return true
}

// GiveNotice returns ag with a's party's notice of withdrawal n added,
// effective the agreement's notice period after n.GivenAt; ag is not
// changed. n.PartyID and n.UserID are set from a. Only an operator (or
// administrator) of a party that is a signatory at n.GivenAt may
// (EFORBIDDEN); once, while the agreement is in force or suspended and
// not already ended by withdrawals (ECONFLICT).
func GiveNotice(a *Caller, ag *Agreement, n WithdrawalNotice) (*Agreement, error) {
	at := n.GivenAt
	if !a.IsAdmin() && !a.User.HasRole(RoleOperator) {
		return nil, Errorf(EFORBIDDEN, "Only an operator of a signatory party can give notice of withdrawal.")
	}
	if !ag.IsSignatory(a.Party.ID, at) {
		return nil, Errorf(EFORBIDDEN, "Your party is not a signatory of agreement %q.", ag.Title)
	}
	if ag.Notice(a.Party.ID) != nil {
		return nil, Errorf(ECONFLICT, "Your party has already given notice of withdrawal from agreement %q.", ag.Title)
	}
	if ag.Status != AgreementInForce && ag.Status != AgreementSuspended {
		return nil, Errorf(ECONFLICT, "Agreement %q is %s: there is nothing to withdraw from.", ag.Title, ag.Status)
	}
	if w := ag.WithdrawnAt(); w != nil && !at.Before(*w) {
		return nil, Errorf(ECONFLICT, "Agreement %q has ended by withdrawal.", ag.Title)
	}
	n.PartyID, n.UserID = a.Party.ID, a.User.ID
	d, err := textDigest(ag.Text())
	if err != nil {
		return nil, err
	}
	n.TextDigest = d
	n.EffectiveAt = at.Add(time.Duration(ag.Rules.WithDefaults().NoticePeriod))
	c := *ag
	c.Notices = append(slices.Clip(slices.Clone(ag.Notices)), n)
	return &c, nil
}

// CanActOnZones returns nil if a may propose zones of ag and decide on
// them at t: an operator (or administrator) of a signatory party
// (EFORBIDDEN otherwise; an administrator of another party may propose
// but not decide, see CanDecideAs), while ag is not terminated (ECONFLICT).
func CanActOnZones(a *Caller, ag *Agreement, t time.Time) error {
	if !a.IsAdmin() && !a.User.HasRole(RoleOperator) {
		return Errorf(EFORBIDDEN, "Only an operator of a signatory party can do this.")
	}
	if !ag.IsSignatory(a.Party.ID, t) && !a.IsAdmin() {
		return Errorf(EFORBIDDEN, "Your party is not a signatory of agreement %q.", ag.Title)
	}
	if ag.Status == AgreementTerminated {
		return Errorf(ECONFLICT, "Agreement %q is terminated.", ag.Title)
	}
	return nil
}

// Validate checks an agreement's rules: each prohibition names an
// activity and known zone kinds; separation minima are 0-100 NM and
// 0-10,000 ft (0 takes the default, WithDefaults); a notice period is at
// least MinNoticePeriod and at most a year (0 takes the default). Lead
// times are not checked here: a negative one is refused as it is decoded
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
		if len(p.Exempt) > MaxExempt {
			return Errorf(EINVALID, "A prohibition exempts at most %d parties.", MaxExempt)
		}
		for _, id := range p.Exempt {
			if err := CheckRef("exempt", id); err != nil || id == "" {
				return Errorf(EINVALID, "exempt: %q is not a party id.", id)
			}
		}
	}
	if r.SeparationNM < 0 || r.SeparationNM > 100 || r.SeparationFt < 0 || r.SeparationFt > 10000 {
		return Errorf(EINVALID, "Separation minima are 0-100 NM and 0-10,000 ft.")
	}
	if r.NoticePeriod != 0 && (r.NoticePeriod < MinNoticePeriod || r.NoticePeriod > Duration(366*24*time.Hour)) {
		return Errorf(EINVALID, "A notice period of withdrawal is 24h to 8784h (a year).")
	}
	if w := r.MaxOperationWindow; w != 0 && (w < Duration(time.Minute) || w > MaxOperationWindow) {
		return Errorf(EINVALID, "max_operation_window is 1m to %s.", time.Duration(MaxOperationWindow))
	}
	if err := r.validateConflicts(); err != nil {
		return err
	}
	if err := CheckRef("relay", r.Relay); err != nil {
		return Errorf(EINVALID, "relay: %q is not a party id.", r.Relay)
	}
	return r.validateNotification()
}

// MaxConflictRules bounds an agreement's rules on conflicts, and
// MaxConflictNames the activities and other kinds one of them names.
const (
	MaxConflictRules = 50
	MaxConflictNames = 20
)

// validateConflicts checks the rules on conflicts found at filing: each
// names what it is against (one of ConflictAgainst) and an effect (block
// or warn); activities and other kinds are names (the operation kinds,
// activities, site categories and movement kinds are their packages' to
// know; here their shape, as for prohibitions).
func (r AgreementRules) validateConflicts() error {
	if len(r.Conflicts) > MaxConflictRules {
		return Errorf(EINVALID, "An agreement sets at most %d rules on conflicts.", MaxConflictRules)
	}
	for i, c := range r.Conflicts {
		if !slices.Contains(ConflictAgainst, c.Against) {
			return Errorf(EINVALID, "conflicts[%d].against is %q: one of %s.", i+1, c.Against, strings.Join(ConflictAgainst, ", "))
		}
		if c.Effect != ConflictBlock && c.Effect != ConflictWarn {
			return Errorf(EINVALID, "conflicts[%d].effect is %q: block or warn.", i+1, c.Effect)
		}
		if len(c.Activities) > MaxConflictNames || len(c.OtherKinds) > MaxConflictNames {
			return Errorf(EINVALID, "conflicts[%d] names at most %d activities and %d other kinds.", i+1, MaxConflictNames, MaxConflictNames)
		}
		for j, names := range [][]string{c.Activities, c.OtherKinds} {
			for _, n := range names {
				if !ValidSlug(strings.ReplaceAll(n, "_", "-")) {
					return Errorf(EINVALID, "conflicts[%d].%s: %q is not a name like air_strike, strike or hospital (lower-case letters, digits, _ and -).", i+1, []string{"activities", "other_kinds"}[j], n)
				}
			}
		}
	}
	return nil
}

// MaxLeadTimes bounds the kinds an agreement sets lead times for, and
// MaxReminders its reminders.
const (
	// MaxExempt bounds the parties one prohibition exempts.
	MaxExempt    = 50
	MaxLeadTimes = 50
	MaxReminders = 10
)

// validateNotification checks the rules of humanitarian notification:
// lead-time keys are "site/<category>" or "movement/<kind>" (the names
// are package humanitarian's to know; here their shape), every duration
// is positive and at most MaxNotificationDuration, reminders fall inside
// the acknowledgement window and are distinct.
func (r AgreementRules) validateNotification() error {
	if len(r.LeadTimes) > MaxLeadTimes || len(r.Reminders) > MaxReminders {
		return Errorf(EINVALID, "An agreement sets at most %d lead times and %d reminders.", MaxLeadTimes, MaxReminders)
	}
	for k, d := range r.LeadTimes {
		kind, name, ok := strings.Cut(k, "/")
		if !ok || (kind != "site" && kind != "movement") || !ValidSlug(strings.ReplaceAll(name, "_", "-")) {
			return Errorf(EINVALID, "Lead time %q: a key is site/<category> or movement/<kind>, like site/hospital or movement/road_convoy.", k)
		}
		if d <= 0 || d > MaxNotificationDuration {
			return Errorf(EINVALID, "Lead time %s: more than 0 and at most %s.", k, time.Duration(MaxNotificationDuration))
		}
	}
	if r.AckWindow < 0 || r.AckWindow > MaxNotificationDuration {
		return Errorf(EINVALID, "The acknowledgement window is at most %s.", time.Duration(MaxNotificationDuration))
	}
	seen := map[Duration]bool{}
	for _, d := range r.Reminders {
		if d <= 0 || (r.AckWindow > 0 && d >= r.AckWindow) || d > MaxNotificationDuration {
			return Errorf(EINVALID, "A reminder (%s before the deadline) falls after the transmission and before its deadline.", time.Duration(d))
		}
		if seen[d] {
			return Errorf(EINVALID, "Reminder %s is set twice.", time.Duration(d))
		}
		seen[d] = true
	}
	return nil
}
