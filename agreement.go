package truce

import (
	"context"
	"slices"
	"time"
)

// AgreementStatus is where an agreement is in its life.
type AgreementStatus string

// Agreement statuses.
const (
	AgreementDraft      AgreementStatus = "draft"
	AgreementInForce    AgreementStatus = "in_force"
	AgreementSuspended  AgreementStatus = "suspended"
	AgreementTerminated AgreementStatus = "terminated"
)

// agreementMoves lists the allowed status transitions.
var agreementMoves = map[AgreementStatus][]AgreementStatus{
	AgreementDraft:     {AgreementInForce, AgreementTerminated},
	AgreementInForce:   {AgreementSuspended, AgreementTerminated},
	AgreementSuspended: {AgreementInForce, AgreementTerminated},
}

// CanMove reports whether an agreement may go from one status to another.
func (s AgreementStatus) CanMove(to AgreementStatus) bool {
	return slices.Contains(agreementMoves[s], to)
}

// AgreementAction is what a joint decision on an agreement does.
type AgreementAction string

// Agreement actions: each is proposed, then decided by every signatory
// (agreementrules.go).
const (
	// AgreementBringIntoForce puts a draft or suspended agreement in
	// force, its text signed by every signatory.
	AgreementBringIntoForce AgreementAction = "bring_into_force"
	// AgreementAmend replaces the text (title, reference, signatories,
	// effective period, rules).
	AgreementAmend     AgreementAction = "amend"
	AgreementSuspend   AgreementAction = "suspend"
	AgreementTerminate AgreementAction = "terminate"
)

// AgreementActions lists every agreement action.
var AgreementActions = []AgreementAction{AgreementBringIntoForce, AgreementAmend, AgreementSuspend, AgreementTerminate}

// AgreementText is what the signatories sign: an agreement's title,
// reference, signatories, effective period and rules.
type AgreementText struct {
	Title         string         `json:"title"`
	Reference     string         `json:"reference,omitempty"`
	Signatories   []string       `json:"signatories"`
	EffectiveFrom time.Time      `json:"effective_from"`
	EffectiveTo   *time.Time     `json:"effective_to,omitempty"`
	Rules         AgreementRules `json:"rules"`
}

// AgreementProposal is a joint decision put to an agreement's signatories:
// the action, the text it signs (the agreement's text, or for an
// amendment the text proposed), and each signatory's signed decision.
// Status is proposed while it awaits decisions, then approved (every
// signatory approved) or rejected (one rejected).
type AgreementProposal struct {
	Number         int             `json:"number"` // 1, 2, … within the agreement
	Action         AgreementAction `json:"action"`
	Text           AgreementText   `json:"text"`
	Status         VersionStatus   `json:"status"`
	ProposedBy     string          `json:"proposed_by"` // party id
	ProposedByUser string          `json:"proposed_by_user"`
	ProposedAt     time.Time       `json:"proposed_at"`
	Note           string          `json:"note,omitempty"`
	Decisions      []Decision      `json:"decisions"`
	DecidedAt      *time.Time      `json:"decided_at,omitempty"`
}

// WithdrawalNotice is a signatory's unilateral, signed notice that it
// withdraws from an agreement; it takes effect at EffectiveAt, the notice
// period the agreement's rules set after it was given. Signature is a
// C2SP signed note over WithdrawalStatement.
type WithdrawalNotice struct {
	PartyID     string    `json:"party_id"`
	UserID      string    `json:"user_id"`
	Reason      string    `json:"reason,omitempty"`
	GivenAt     time.Time `json:"given_at"`
	EffectiveAt time.Time `json:"effective_at"`
	// TextDigest is the digest of the text the party withdraws from, as
	// its signed statement names it (WithdrawalStatement).
	TextDigest   string `json:"text_digest"`
	Signature    string `json:"signature"`
	JournalIndex int64  `json:"journal_index"`
}

// Prohibition says which activity categories are prohibited in which zone
// kinds; later engines use it to decide what is a violation.
type Prohibition struct {
	Activity  string     `json:"activity"`
	ZoneKinds []ZoneKind `json:"zone_kinds"`
	// Exempt are the parties (ids) the prohibition does not bind: an
	// operation all of whose participating parties are exempt may carry
	// out the activity there (the host state's air force in a no-fly
	// zone kept against others).
	Exempt []string `json:"exempt,omitempty"`
}

// Exempts reports whether the prohibition does not bind party (an id;
// "" is no party known, whom every prohibition binds).
func (p Prohibition) Exempts(party string) bool {
	return party != "" && slices.Contains(p.Exempt, party)
}

// Duration is a time.Duration written in JSON as a Go duration string
// ("48h").
type Duration time.Duration

// MarshalJSON implements json.Marshaler.
func (d Duration) MarshalJSON() ([]byte, error) {
	return []byte(`"` + time.Duration(d).String() + `"`), nil
}

// UnmarshalJSON implements json.Unmarshaler.
func (d *Duration) UnmarshalJSON(b []byte) error {
	if len(b) < 2 || b[0] != '"' {
		return Errorf(EINVALID, "A duration is a string like \"48h\".")
	}
	v, err := time.ParseDuration(string(b[1 : len(b)-1]))
	if err != nil || v < 0 {
		return Errorf(EINVALID, "Invalid duration %s: use a string like \"48h\".", b)
	}
	*d = Duration(v)
	return nil
}

// AgreementRules are the rules an agreement sets.
type AgreementRules struct {
	Prohibited []Prohibition `json:"prohibited,omitempty"`
	// LeadTime is the notice a movement needs (default 48 h);
	// EmergencyLeadTime that of an emergency movement (default 24 h).
	LeadTime          Duration `json:"lead_time"`
	EmergencyLeadTime Duration `json:"emergency_lead_time"`
	// Separation minima between aircraft of different parties (defaults
	// 5 NM and 1,000 ft).
	SeparationNM float64 `json:"separation_nm"`
	SeparationFt float64 `json:"separation_ft"`
	// NoticePeriod is how long after a signatory's notice of withdrawal
	// the withdrawal takes effect (default 30 days, at least a day).
	NoticePeriod Duration `json:"notice_period,omitempty"`
	// GuaranteeResponse is the time a guarantor has to answer a breach
	// of a guarantee (package control); default 72 h, longer than the
	// 48 h movement notice because the guarantor must first hear from
	// the actor it answers for, act, and sign a statement, and short
	// enough that a re-taken village is answered within the week's news.
	// omitempty keeps the bodies of agreements written before it as
	// they were.
	GuaranteeResponse Duration `json:"guarantee_response,omitempty"`
	// LeadTimes sets the lead time of a kind of humanitarian
	// notification, in place of LeadTime: keys are "site/" and a site
	// category ("site/hospital") or "movement/" and a movement kind
	// ("movement/road_convoy"), e.g. 72 h for convoys, 48 h for sites.
	// An emergency movement needs EmergencyLeadTime whatever its kind.
	LeadTimes map[string]Duration `json:"lead_times,omitempty"`
	// AckWindow is the time a party has to acknowledge a notification
	// transmitted to it (0: the server's, 24 h by default).
	AckWindow Duration `json:"ack_window,omitempty"`
	// Reminders are how long before an acknowledgement's deadline a
	// silent party is reminded, one reminder each (none set: one, 6 h
	// before; see DefaultReminders).
	Reminders []Duration `json:"reminders,omitempty"`
	// MaxOperationWindow is the longest time window a volume of an
	// operation filed under the agreement may have (0: MaxOperationWindow
	// itself, a minute at least).
	MaxOperationWindow Duration `json:"max_operation_window,omitempty"`
	// Conflicts say which overlaps found when an operation is filed
	// under the agreement block its filing (refused unless the filer
	// overrides with a reason) and which only warn: the first rule that
	// matches decides; an overlap none matches is decided as if the
	// agreement said nothing (package operations: fire over another
	// party's operation, a notified site or a movement, and an activity
	// a zone prohibits, block; the rest warn). A conflict with a zone is
	// decided by the rules of the zone's agreement.
	Conflicts []ConflictRule `json:"conflicts,omitempty"`
	// Relay is the id of the coordinator party that relays humanitarian
	// notifications made under the agreement: a notification goes to it
	// alone, and its relay transmits it to every other party the
	// agreement names. Empty: notifications go straight to every party.
	// It must be a coordinator among the signatories.
	Relay string `json:"relay,omitempty"`
}

// ConflictRule is one rule of an agreement on conflicts found at filing
// (AgreementRules.Conflicts): an overlap of an operation doing one of
// Activities (its kind, or a broader activity such as "strike"; none:
// every operation) with Against (another party's operation, a notified
// site or movement, or a zone whose agreement prohibits the activity),
// whose kind is one of OtherKinds (the other operation's kinds or
// activities, the site's category, the movement's kind, the zone's kind;
// none: every one), has Effect.
type ConflictRule struct {
	Against    string         `json:"against"`
	Activities []string       `json:"activities,omitempty"`
	OtherKinds []string       `json:"other_kinds,omitempty"`
	Effect     ConflictEffect `json:"effect"`
}

// ConflictEffect is what a conflict does to a filing.
type ConflictEffect string

// Conflict effects: a blocking conflict refuses the filing unless the
// filer overrides it with a reason (journalled, alerted to every party);
// a warning tells both sides and files.
const (
	ConflictBlock ConflictEffect = "block"
	ConflictWarn  ConflictEffect = "warn"
)

// ConflictAgainst lists what a ConflictRule may name as Against.
var ConflictAgainst = []string{"operation", "site", "movement", "zone"}

// MaxOperationWindow is the longest time window of an operation's volume
// under any agreement: 30 days.
const MaxOperationWindow = Duration(30 * 24 * time.Hour)

// DefaultReminders is when a silent party is reminded when an
// agreement's rules set no reminders: once, 6 hours before its
// acknowledgement is due (a quarter of the default 24 h window, a shift).
var DefaultReminders = []Duration{Duration(6 * time.Hour)}

// MaxNotificationDuration bounds the lead times, acknowledgement window
// and reminders an agreement sets: 90 days.
const MaxNotificationDuration = Duration(90 * 24 * time.Hour)

// DefaultNoticePeriod is the notice period of an agreement whose rules
// set none. A month leaves the other parties, and the humanitarian
// organisations that plan movements around the agreement's zones (48 h
// lead time by default), several notification cycles and a round of
// talks before the zones stop binding the withdrawing party; arms-control
// treaties give three to six months, a ceasefire's operational
// arrangements less.
const DefaultNoticePeriod = Duration(30 * 24 * time.Hour)

// MinNoticePeriod is the shortest notice period an agreement may set:
// shorter would make a withdrawal a unilateral termination.
const MinNoticePeriod = Duration(24 * time.Hour)

// WithDefaults fills unset rules with the defaults.
func (r AgreementRules) WithDefaults() AgreementRules {
	if r.LeadTime == 0 {
		r.LeadTime = Duration(48 * time.Hour)
	}
	if r.EmergencyLeadTime == 0 {
		r.EmergencyLeadTime = Duration(24 * time.Hour)
	}
	if r.SeparationNM == 0 {
		r.SeparationNM = 5
	}
	if r.SeparationFt == 0 {
		r.SeparationFt = 1000
	}
	if r.NoticePeriod == 0 {
		r.NoticePeriod = DefaultNoticePeriod
	}
	if r.GuaranteeResponse == 0 {
		r.GuaranteeResponse = Duration(72 * time.Hour)
	}
	return r
}

// Agreement is a ceasefire arrangement or memorandum: its signatory parties
// jointly approve its zones.
type Agreement struct {
	ID            string          `json:"id"`
	Title         string          `json:"title"`
	Reference     string          `json:"reference,omitempty"`
	Signatories   []string        `json:"signatories"` // party ids
	EffectiveFrom time.Time       `json:"effective_from"`
	EffectiveTo   *time.Time      `json:"effective_to,omitempty"`
	Status        AgreementStatus `json:"status"`
	// StatusHistory is every status the agreement has had and since when,
	// oldest first, so "in force at T" is answered with the status it had
	// at T. Agreements recorded before it was kept have none: their
	// current status stands for their whole life.
	StatusHistory []StatusChange `json:"status_history,omitempty"`
	Rules         AgreementRules `json:"rules"`
	// ReplacedRules are the rules amendments replaced, oldest first, each
	// with the moment the amendment ended them, so that an event is judged
	// by the rules in force when it happened (RulesAt). Agreements
	// amended before they were kept have none: their current rules stand
	// for their whole life.
	ReplacedRules []ReplacedRules `json:"replaced_rules,omitempty"`
	// ReplacedTerms are the signatories and effective periods amendments
	// replaced, oldest first, each with the moment the amendment ended
	// them, so that whether the agreement was in force at an event's time
	// is judged by the text that stood then (InForceAt). Agreements
	// amended before they were kept have none.
	ReplacedTerms []ReplacedTerms `json:"replaced_terms,omitempty"`
	// Signed is the proposal whose approval by every signatory put the
	// text as it stands in force (it brought the agreement into force or
	// last amended it), with their signed decisions; nil while a draft.
	Signed *AgreementProposal `json:"signed,omitempty"`
	// Proposal is the latest joint decision put to the signatories
	// (pending while its status is proposed); Proposals counts them.
	Proposal  *AgreementProposal `json:"proposal,omitempty"`
	Proposals int                `json:"proposals,omitempty"`
	// Notices are the signatories' notices of withdrawal, oldest first.
	Notices      []WithdrawalNotice `json:"notices,omitempty"`
	CreatedBy    string             `json:"created_by"` // party id
	CreatedAt    time.Time          `json:"created_at"`
	UpdatedAt    time.Time          `json:"updated_at"`
	Version      int64              `json:"version"`
	JournalIndex int64              `json:"journal_index"`
}

// ReplacedRules are rules an amendment replaced, and when it did.
type ReplacedRules struct {
	Rules AgreementRules `json:"rules"`
	Until time.Time      `json:"until"`
}

// RulesAt returns the rules the agreement set at t: those an amendment
// replaced after t, or else its current rules.
func (a *Agreement) RulesAt(t time.Time) AgreementRules {
	for _, r := range a.ReplacedRules {
		if t.Before(r.Until) {
			return r.Rules
		}
	}
	return a.Rules
}

// ReplacedTerms are the signatories and effective period an amendment
// replaced, and when it did.
type ReplacedTerms struct {
	Signatories   []string   `json:"signatories"`
	EffectiveFrom time.Time  `json:"effective_from"`
	EffectiveTo   *time.Time `json:"effective_to,omitempty"`
	Until         time.Time  `json:"until"`
}

// StatusChange is a status an agreement took, and when.
type StatusChange struct {
	Status AgreementStatus `json:"status"`
	At     time.Time       `json:"at"`
}

// StatusAt returns the agreement's status at t ("" before it existed).
func (a *Agreement) StatusAt(t time.Time) AgreementStatus {
	if len(a.StatusHistory) == 0 {
		return a.Status
	}
	var st AgreementStatus
	for _, c := range a.StatusHistory {
		if c.At.After(t) {
			break
		}
		st = c.Status
	}
	return st
}

// InForceAt reports whether the agreement is in force at t: its status at
// t was in_force and t is within its effective period, before any
// withdrawal ended it (EndsAt), all as the text that stood at t set them
// (an amendment since, of the period or the signatories, does not change
// what the agreement was at t).
func (a *Agreement) InForceAt(t time.Time) bool {
	if a.StatusAt(t) != AgreementInForce {
		return false
	}
	for _, p := range a.EffectivePeriods() {
		if !t.Before(*p.Start) && (p.End == nil || t.Before(*p.End)) {
			return true
		}
	}
	return false
}

// EffectivePeriods returns when the agreement's texts made it effective,
// oldest first: each text over the time it stood (from the amendment that
// set it to the one that replaced it), within its effective period and
// before notices of withdrawal left too few of its signatories bound. The
// status is not considered (StatusAt). Each period has a Start; the last
// may have no End.
func (a *Agreement) EffectivePeriods() []Window {
	var out []Window
	var since *time.Time
	add := func(r ReplacedTerms, until *time.Time) {
		lo, hi := r.EffectiveFrom, r.EffectiveTo
		if since != nil && since.After(lo) {
			lo = *since
		}
		if w := a.withdrawnAt(r.Signatories); w != nil && (hi == nil || w.Before(*hi)) {
			hi = w
		}
		if until != nil && (hi == nil || until.Before(*hi)) {
			hi = until
		}
		if hi == nil || hi.After(lo) {
			out = append(out, Window{Start: &lo, End: hi})
		}
	}
	for _, r := range a.ReplacedTerms {
		until := r.Until
		add(r, &until)
		since = &until
	}
	add(ReplacedTerms{Signatories: a.Signatories, EffectiveFrom: a.EffectiveFrom, EffectiveTo: a.EffectiveTo}, nil)
	return out
}

// EndsAt returns when the agreement stops being in force by its text or by
// withdrawals: the end of its effective period, or the moment a notice of
// withdrawal takes effect and leaves fewer than two signatories bound
// (none, for an agreement of one), whichever is sooner; nil if neither.
func (a *Agreement) EndsAt() *time.Time {
	end := a.EffectiveTo
	if w := a.WithdrawnAt(); w != nil && (end == nil || w.Before(*end)) {
		end = w
	}
	return end
}

// WithdrawnAt returns when notices of withdrawal end the agreement: the
// moment one takes effect and leaves fewer than two signatories bound
// (none, for an agreement of one); nil if they do not.
func (a *Agreement) WithdrawnAt() *time.Time { return a.withdrawnAt(a.Signatories) }

// withdrawnAt is WithdrawnAt for the signatories sigs.
func (a *Agreement) withdrawnAt(sigs []string) *time.Time {
	left := len(sigs)
	for _, n := range a.noticesByEffect() {
		if !slices.Contains(sigs, n.PartyID) {
			continue
		}
		left--
		if left < 2 && left < len(sigs) {
			e := n.EffectiveAt
			return &e
		}
	}
	return nil
}

// noticesByEffect returns the notices in the order they take effect.
func (a *Agreement) noticesByEffect() []WithdrawalNotice {
	ns := slices.Clone(a.Notices)
	slices.SortStableFunc(ns, func(x, y WithdrawalNotice) int { return x.EffectiveAt.Compare(y.EffectiveAt) })
	return ns
}

// Notice returns the party's notice of withdrawal, or nil.
func (a *Agreement) Notice(partyID string) *WithdrawalNotice {
	for i := range a.Notices {
		if a.Notices[i].PartyID == partyID {
			return &a.Notices[i]
		}
	}
	return nil
}

// PendingNotices returns the notices given and not yet in effect at t.
func (a *Agreement) PendingNotices(t time.Time) []WithdrawalNotice {
	var out []WithdrawalNotice
	for _, n := range a.Notices {
		if t.Before(n.EffectiveAt) {
			out = append(out, n)
		}
	}
	return out
}

// IsSignatory reports whether the party is bound by the agreement at t: it
// is one of the signatories and no notice of withdrawal it gave has taken
// effect. This is the one signatory rule: who decides on the agreement and
// its zones, in the services and in the UI.
func (a *Agreement) IsSignatory(partyID string, t time.Time) bool {
	if !slices.Contains(a.Signatories, partyID) {
		return false
	}
	n := a.Notice(partyID)
	return n == nil || t.Before(n.EffectiveAt)
}

// SignatoriesAt returns the signatories bound at t (IsSignatory).
func (a *Agreement) SignatoriesAt(t time.Time) []string {
	var out []string
	for _, p := range a.Signatories {
		if a.IsSignatory(p, t) {
			out = append(out, p)
		}
	}
	return out
}

// Text returns the agreement's text, as its signatories sign it.
func (a *Agreement) Text() AgreementText {
	return AgreementText{Title: a.Title, Reference: a.Reference, Signatories: slices.Clone(a.Signatories),
		EffectiveFrom: a.EffectiveFrom, EffectiveTo: a.EffectiveTo, Rules: a.Rules}
}

// Pending returns the proposal awaiting decisions, or nil.
func (a *Agreement) Pending() *AgreementProposal {
	if a.Proposal != nil && a.Proposal.Status == VersionProposed {
		return a.Proposal
	}
	return nil
}

// AgreementStanding is what an agreement makes of its zones at a time:
// whether it is in force, when it ends, and the notices of withdrawal not
// yet in effect. It is shown wherever the zones are.
type AgreementStanding struct {
	ID      string             `json:"id"`
	Title   string             `json:"title"`
	Status  AgreementStatus    `json:"status"`
	InForce bool               `json:"in_force"`
	EndsAt  *time.Time         `json:"ends_at,omitempty"`
	Notices []WithdrawalNotice `json:"notices,omitempty"`
}

// StandingAt returns the agreement's standing at t.
func (a *Agreement) StandingAt(t time.Time) AgreementStanding {
	return AgreementStanding{ID: a.ID, Title: a.Title, Status: a.StatusAt(t), InForce: a.InForceAt(t), EndsAt: a.EndsAt(), Notices: a.PendingNotices(t)}
}

// AgreementCreate is the input to AgreementService.CreateAgreement.
// Signatories are party ids or slugs.
type AgreementCreate struct {
	Title         string         `json:"title" required:"true"`
	Reference     string         `json:"reference,omitempty"`
	Signatories   []string       `json:"signatories" required:"true"`
	EffectiveFrom time.Time      `json:"effective_from" required:"true"`
	EffectiveTo   *time.Time     `json:"effective_to,omitempty"`
	Rules         AgreementRules `json:"rules"`
}

// AgreementUpdate changes an agreement's text, period or rules; nil fields
// stay as they are. It edits a draft (UpdateAgreement) or is the text an
// amendment proposes (AgreementMotion).
type AgreementUpdate struct {
	Title         *string         `json:"title,omitempty"`
	Reference     *string         `json:"reference,omitempty"`
	Signatories   []string        `json:"signatories,omitempty"` // party ids or slugs
	EffectiveFrom *time.Time      `json:"effective_from,omitempty"`
	EffectiveTo   *time.Time      `json:"effective_to,omitempty"`
	Rules         *AgreementRules `json:"rules,omitempty"`
}

// AgreementFilter selects agreements.
type AgreementFilter struct {
	Status AgreementStatus
	Party  string // only agreements this party signed
	Cursor string
	Limit  int
}

// AgreementService manages agreements.
type AgreementService interface {
	// CreateAgreement adds a draft agreement. Admins and operators of a
	// coordinator or guarantor party may. Returns EINVALID, ENOTFOUND (a
	// signatory), EFORBIDDEN.
	CreateAgreement(ctx context.Context, c AgreementCreate) (*Agreement, error)
	FindAgreement(ctx context.Context, id string) (*Agreement, error)
	ListAgreements(ctx context.Context, f AgreementFilter) ([]*Agreement, string, error)
	// UpdateAgreement changes a draft that no proposal awaits decisions
	// on; the text of an agreement once in force changes only by an
	// amendment every signatory approves (ECONFLICT). ifVersion, when not
	// zero, must match (EPRECONDITION).
	UpdateAgreement(ctx context.Context, id string, u AgreementUpdate, ifVersion int64) (*Agreement, error)
	// ProposeAgreement puts a joint decision to the signatories: bring the
	// agreement into force, amend, suspend or terminate it. Nothing
	// changes until every signatory approves (DecideAgreement). Returns
	// EINVALID, EFORBIDDEN, ECONFLICT (one already pending, or an action
	// the status does not allow), EPRECONDITION.
	ProposeAgreement(ctx context.Context, id string, m AgreementMotion, ifVersion int64) (*Agreement, error)
	// DecideAgreement records the caller's party's signed decision on the
	// pending proposal with the given number; the approval that completes
	// every signatory's carries it out, one rejection rejects it.
	// Signature is as for DecideZone. Returns EFORBIDDEN (not a
	// signatory), ECONFLICT (not pending, or already decided),
	// EUNPROCESSABLE (a signature that does not verify).
	DecideAgreement(ctx context.Context, id string, proposal int, d ZoneDecision) (*Agreement, error)
	// GiveNotice records the caller's party's signed notice of withdrawal,
	// effective after the agreement's notice period. Returns EFORBIDDEN
	// (not a signatory), ECONFLICT (already given, or the agreement is
	// terminated), EUNPROCESSABLE.
	GiveNotice(ctx context.Context, id string, n NoticeCreate) (*Agreement, error)
}

// AgreementMotion is the input to AgreementService.ProposeAgreement; Text
// is the amended text (amend only; nil fields stay as they are).
type AgreementMotion struct {
	Action AgreementAction  `json:"action" required:"true"`
	Text   *AgreementUpdate `json:"text,omitempty"`
	Note   string           `json:"note,omitempty"`
}

// NoticeCreate is the input to AgreementService.GiveNotice. Signature is
// optional for a custodial party and otherwise a C2SP signed note over
// WithdrawalStatement.
type NoticeCreate struct {
	Reason    string `json:"reason,omitempty"`
	Signature string `json:"signature,omitempty"`
}

// AgreeAll has the party of the first context propose m on agreement id,
// then each context's party approve it, in order (custodial parties: the
// server signs): how the demo and tests bring an agreement into force by
// every signatory's signature. It returns the agreement after the last
// approval.
func AgreeAll(svc AgreementService, id string, m AgreementMotion, signatories ...context.Context) (*Agreement, error) {
	if len(signatories) == 0 {
		return nil, Errorf(EINVALID, "AgreeAll needs the signatories' contexts.")
	}
	ag, err := svc.ProposeAgreement(signatories[0], id, m, 0)
	if err != nil {
		return nil, err
	}
	n := ag.Proposals
	for _, ctx := range signatories {
		if ag, err = svc.DecideAgreement(ctx, id, n, ZoneDecision{Approve: true}); err != nil {
			return nil, err
		}
	}
	return ag, nil
}
