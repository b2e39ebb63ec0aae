package observation

import (
	"slices"
	"time"

	"github.com/truce-project/truce"
)

// Action is a verification decision on an incident.
type Action string

// Actions.
const (
	ActionVerify  Action = "verify"
	ActionDispute Action = "dispute"
	ActionReject  Action = "reject"
)

// Decision is one signed verification decision, as the incident keeps it.
type Decision struct {
	Action    Action    `json:"action"`
	From      Status    `json:"from"`
	To        Status    `json:"to"`
	PartyID   string    `json:"party_id"`
	UserID    string    `json:"user_id"`
	Reason    string    `json:"reason"`
	Signature string    `json:"signature"`
	DecidedAt time.Time `json:"decided_at"`
	// Version is the incident's version decided on, which the signed
	// statement names (DecisionStatement); absent from decisions recorded
	// before it was kept.
	Version int `json:"version,omitempty"`
	// JournalIndex is the entry of the change that recorded it.
	JournalIndex int64 `json:"journal_index"`
}

// moves lists, for each action, the statuses it may be taken from and
// the status it leads to. Rejected is final; a verified incident can be
// disputed, and a disputed one verified again or rejected.
var moves = map[Action]struct {
	from []Status
	to   Status
}{
	ActionVerify:  {[]Status{StatusReported, StatusCorroborated, StatusDisputed}, StatusVerified},
	ActionDispute: {[]Status{StatusVerified}, StatusDisputed},
	ActionReject:  {[]Status{StatusReported, StatusCorroborated, StatusDisputed}, StatusRejected},
}

// CanDecide returns nil if a may take the action: verifying and rejecting
// are the monitoring centre's (an operator or observer of a monitor party);
// any party's operator may dispute a verified incident. EFORBIDDEN
// otherwise, EINVALID for an unknown action.
func CanDecide(a *truce.Caller, act Action) error {
	if _, ok := moves[act]; !ok {
		return truce.Errorf(truce.EINVALID, "action must be verify, dispute or reject.")
	}
	if a.IsAdmin() {
		return nil
	}
	if act == ActionDispute {
		if a.User.HasRole(truce.RoleOperator) {
			return nil
		}
		return truce.Errorf(truce.EFORBIDDEN, "Only a party's operator can dispute an incident.")
	}
	if a.Party.Kind == truce.PartyMonitor && a.User.HasRole(truce.RoleOperator) {
		return nil
	}
	return truce.Errorf(truce.EFORBIDDEN, "Only an operator of the monitoring mission can %s an incident.", act)
}

// Move returns the status an action takes an incident to from status
// from, or ECONFLICT when the action is not allowed from there.
func Move(from Status, act Action) (Status, error) {
	m, ok := moves[act]
	if !ok {
		return "", truce.Errorf(truce.EINVALID, "action must be verify, dispute or reject.")
	}
	if !slices.Contains(m.from, from) {
		return "", truce.Errorf(truce.ECONFLICT, "An incident that is %s cannot be %s.", from, pastTense(act))
	}
	return m.to, nil
}

func pastTense(a Action) string {
	switch a {
	case ActionVerify:
		return "verified"
	case ActionDispute:
		return "disputed"
	}
	return "rejected"
}

// DecisionStatement is the text a party signs (a C2SP signed note) to take
// an action on a version of an incident with a reason: the signature binds
// the incident as it was decided on, and why.
func DecisionStatement(inc *Incident, act Action, reason string) string {
	return truce.IncidentDecisionStatement(inc.ID, inc.Version, string(act), reason)
}

// Decide returns inc with decision d taken (d.From and d.To filled in,
// appended to the history, the status moved, the version bumped); inc is
// not changed. EINVALID without a reason, ECONFLICT for a move the status
// does not allow.
func Decide(inc *Incident, d Decision) (*Incident, error) {
	if err := truce.CheckText("reason", d.Reason, truce.MaxTextLen, true); err != nil {
		return nil, err
	}
	if d.Reason == "" {
		return nil, truce.Errorf(truce.EINVALID, "A decision needs its reason.")
	}
	to, err := Move(inc.Status, d.Action)
	if err != nil {
		return nil, err
	}
	n := *inc
	d.From, d.To, d.Version = inc.Status, to, inc.Version
	n.Decisions = append(slices.Clip(slices.Clone(inc.Decisions)), d)
	n.Status = to
	n.Version++
	n.UpdatedAt = d.DecidedAt
	return &n, nil
}

// ZoneInForce is a zone version in force at an incident's place and time,
// with its agreement's rules.
type ZoneInForce struct {
	AgreementID string
	Rules       truce.AgreementRules
	ZoneID      string
	ZoneVersion int
	Kind        truce.ZoneKind
}

// Violation is an agreement rule an incident broke: the prohibited
// activity, the agreement, and the zone version in force where it
// happened.
type Violation struct {
	Activity    string         `json:"activity"`
	AgreementID string         `json:"agreement_id"`
	ZoneID      string         `json:"zone_id"`
	ZoneVersion int            `json:"zone_version"`
	ZoneKind    truce.ZoneKind `json:"zone_kind"`
	At          time.Time      `json:"at"`
}

// Violations returns the rules a verified incident breaks among the zones
// in force at its place and time: each prohibition of the zone's agreement
// whose activity is the incident's (Activity) and whose zone kinds include
// the zone's, unless it exempts actorParty: the party the incident is
// attributed to (its id; "" when the actor is no party). An incident that
// is not verified breaks none (yet).
func Violations(inc *Incident, zones []ZoneInForce, actorParty string) []Violation {
	if inc.Status != StatusVerified {
		return nil
	}
	act := Activity(inc.Category, inc.SubCategory)
	if act == "" {
		return nil
	}
	var out []Violation
	for _, z := range zones {
		for _, p := range z.Rules.Prohibited {
			if p.Activity == act && slices.Contains(p.ZoneKinds, z.Kind) && !p.Exempts(actorParty) {
				out = append(out, Violation{Activity: act, AgreementID: z.AgreementID, ZoneID: z.ZoneID, ZoneVersion: z.ZoneVersion, ZoneKind: z.Kind, At: inc.Start})
			}
		}
	}
	return out
}
