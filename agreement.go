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

// Prohibition says which activity categories are prohibited in which zone
// kinds; later engines use it to decide what is a violation.
type Prohibition struct {
	Activity  string     `json:"activity"`
	ZoneKinds []ZoneKind `json:"zone_kinds"`
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
	// GuaranteeResponse is the time a guarantor has to answer a breach
	// of a guarantee (package control); default 72 h, longer than the
	// 48 h movement notice because the guarantor must first hear from
	// the actor it answers for, act, and sign a statement, and short
	// enough that a re-taken village is answered within the week's news.
	// omitempty keeps the bodies of agreements written before it as
	// they were.
	GuaranteeResponse Duration `json:"guarantee_response,omitempty"`
}

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
	CreatedBy     string         `json:"created_by"` // party id
	CreatedAt     time.Time      `json:"created_at"`
	UpdatedAt     time.Time      `json:"updated_at"`
	Version       int64          `json:"version"`
	JournalIndex  int64          `json:"journal_index"`
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
// t was in_force and t is within its effective period.
func (a *Agreement) InForceAt(t time.Time) bool {
	return a.StatusAt(t) == AgreementInForce && !t.Before(a.EffectiveFrom) && (a.EffectiveTo == nil || t.Before(*a.EffectiveTo))
}

// IsSignatory reports whether the party signed the agreement.
func (a *Agreement) IsSignatory(partyID string) bool { return slices.Contains(a.Signatories, partyID) }

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
// stay as they are.
type AgreementUpdate struct {
	Title         *string         `json:"title,omitempty"`
	Reference     *string         `json:"reference,omitempty"`
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
	// UpdateAgreement changes a draft or in-force agreement. ifVersion, when
	// not zero, must match (EPRECONDITION).
	UpdateAgreement(ctx context.Context, id string, u AgreementUpdate, ifVersion int64) (*Agreement, error)
	// SetAgreementStatus moves an agreement along draft → in_force ⇄
	// suspended → terminated. Returns ECONFLICT for a move not allowed.
	SetAgreementStatus(ctx context.Context, id string, to AgreementStatus, ifVersion int64) (*Agreement, error)
}
