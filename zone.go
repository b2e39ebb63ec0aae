package truce

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"time"

	"github.com/gowebpki/jcs"
)

// ZoneKind is what a zone is for.
type ZoneKind string

// Zone kinds.
const (
	ZoneDeescalation ZoneKind = "deescalation"
	ZoneNoFly        ZoneKind = "no_fly"
	ZoneBuffer       ZoneKind = "buffer"
	ZoneLiberated    ZoneKind = "liberated_area"
	ZoneCorridor     ZoneKind = "humanitarian_corridor"
	ZoneExclusion    ZoneKind = "exclusion"
	ZoneContactLine  ZoneKind = "contact_line"
)

// ZoneKinds lists every zone kind.
var ZoneKinds = []ZoneKind{ZoneDeescalation, ZoneNoFly, ZoneBuffer, ZoneLiberated, ZoneCorridor, ZoneExclusion, ZoneContactLine}

// Valid reports whether k is a known zone kind.
func (k ZoneKind) Valid() bool {
	for _, x := range ZoneKinds {
		if x == k {
			return true
		}
	}
	return false
}

// Window is a UTC interval [Start, End) in which a zone is active; nil
// Start means since always, nil End until further notice.
type Window struct {
	Start *time.Time `json:"start,omitempty"`
	End   *time.Time `json:"end,omitempty"`
}

// ZoneSpec is what the signatories agree on: the zone's name, kind,
// geometry (RFC 7946 GeoJSON: Polygon, MultiPolygon, LineString with a
// half-width, or a Point with a radius, kept as its geodesic circle),
// altitude band in metres above mean sea level (nil = unbounded) and active
// windows (none = always).
type ZoneSpec struct {
	Name       string          `json:"name"`
	Kind       ZoneKind        `json:"kind"`
	Geometry   json.RawMessage `json:"geometry"`
	HalfWidthM float64         `json:"half_width_m,omitempty"`
	// Center and RadiusM record a circle as it was proposed; Geometry
	// then holds the circle's polygon.
	Center   []float64 `json:"center,omitempty"`
	RadiusM  float64   `json:"radius_m,omitempty"`
	FloorM   *float64  `json:"floor_m,omitempty"`
	CeilingM *float64  `json:"ceiling_m,omitempty"`
	Windows  []Window  `json:"windows,omitempty"`
	// Repaired says the proposed geometry was invalid and was made valid
	// on request; AreaChangeM2 is the repaired area less the proposed one
	// (m² on WGS84) and AreaChangeRelative its size over the larger area.
	Repaired           bool     `json:"repaired,omitempty"`
	AreaChangeM2       *float64 `json:"area_change_m2,omitempty"`
	AreaChangeRelative *float64 `json:"area_change_relative,omitempty"`
}

// ZoneAction is what a zone version does.
type ZoneAction string

// Zone actions.
const (
	ZoneProposed   ZoneAction = "propose"  // the first version
	ZoneChange     ZoneAction = "change"   // a new geometry, band, windows or name
	ZoneSuspension ZoneAction = "suspend"  // the zone stops being in force
	ZoneWithdrawal ZoneAction = "withdraw" // the zone ends for good
)

// VersionStatus is where a zone version stands.
type VersionStatus string

// Version statuses.
const (
	VersionProposed   VersionStatus = "proposed"   // awaiting signatories
	VersionApproved   VersionStatus = "approved"   // all approved; in force from InForceFrom
	VersionRejected   VersionStatus = "rejected"   // a signatory rejected it
	VersionSuperseded VersionStatus = "superseded" // was in force, replaced by a later version
)

// Decision is one signatory party's signed approval or rejection of a
// zone version. Signature is a C2SP signed note over DecisionStatement,
// signed with the party's key.
type Decision struct {
	PartyID      string    `json:"party_id"`
	UserID       string    `json:"user_id"`
	Approve      bool      `json:"approve"`
	Reason       string    `json:"reason,omitempty"`
	Signature    string    `json:"signature"`
	DecidedAt    time.Time `json:"decided_at"`
	JournalIndex int64     `json:"journal_index"`
}

// ZoneVersion is one version of a zone: a proposal, change, suspension or
// withdrawal, with the signatories' decisions and, once approved, the
// interval in which it is (or was) in force.
type ZoneVersion struct {
	ZoneID         string        `json:"zone_id"`
	AgreementID    string        `json:"agreement_id"`
	Version        int           `json:"version"`
	Action         ZoneAction    `json:"action"`
	Status         VersionStatus `json:"status"`
	Spec           ZoneSpec      `json:"spec"`
	BBox           BBox          `json:"bbox"` // min lon, min lat, max lon, max lat
	EffectiveFrom  time.Time     `json:"effective_from"`
	InForceFrom    *time.Time    `json:"in_force_from,omitempty"`
	InForceUntil   *time.Time    `json:"in_force_until,omitempty"`
	ProposedBy     string        `json:"proposed_by"` // party id
	ProposedByUser string        `json:"proposed_by_user"`
	ProposedAt     time.Time     `json:"proposed_at"`
	Note           string        `json:"note,omitempty"`
	Decisions      []Decision    `json:"decisions"`
	JournalIndex   int64         `json:"journal_index"`
}

// InForceAt reports whether this version is in force at t (ignoring the
// agreement's own status).
func (v *ZoneVersion) InForceAt(t time.Time) bool {
	if v.InForceFrom == nil || v.Action == ZoneSuspension || v.Action == ZoneWithdrawal {
		return false
	}
	return !t.Before(*v.InForceFrom) && (v.InForceUntil == nil || t.Before(*v.InForceUntil))
}

// Digest is the hex SHA-256 of the canonical JSON of what a decision
// approves: the version's zone, number, action, spec and effective time.
func (v *ZoneVersion) Digest() (string, error) {
	b, err := json.Marshal(struct {
		Zone          string     `json:"zone"`
		Agreement     string     `json:"agreement"`
		Version       int        `json:"version"`
		Action        ZoneAction `json:"action"`
		Spec          ZoneSpec   `json:"spec"`
		EffectiveFrom time.Time  `json:"effective_from"`
	}{v.ZoneID, v.AgreementID, v.Version, v.Action, v.Spec, v.EffectiveFrom.UTC()})
	if err != nil {
		return "", err
	}
	return canonicalDigest(b)
}

// canonicalDigest is the hex SHA-256 of a JSON document's canonical form
// (RFC 8785): what a signed statement names.
func canonicalDigest(b []byte) (string, error) {
	c, err := jcs.Transform(b)
	if err != nil {
		return "", err
	}
	h := sha256.Sum256(c)
	return hex.EncodeToString(h[:]), nil
}

// DecisionStatement is the text a party signs to approve or reject a zone
// version; a client holding its own key signs exactly this as a C2SP note.
func DecisionStatement(v *ZoneVersion, approve bool) (string, error) {
	d, err := v.Digest()
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("truce zone decision v1\nzone %s\nversion %d\ndecision %s\ndigest %s\n", v.ZoneID, v.Version, decisionWord(approve), d), nil
}

func decisionWord(approve bool) string {
	if approve {
		return "approve"
	}
	return "reject"
}

// textDigest is the hex SHA-256 of the canonical JSON of an agreement's
// text (times in UTC).
func textDigest(t AgreementText) (string, error) {
	t.EffectiveFrom = t.EffectiveFrom.UTC()
	if t.EffectiveTo != nil {
		e := t.EffectiveTo.UTC()
		t.EffectiveTo = &e
	}
	b, err := json.Marshal(t)
	if err != nil {
		return "", err
	}
	return canonicalDigest(b)
}

// AgreementDecisionStatement is the text a signatory signs to approve or
// reject proposal p of agreement id: it names the action and the digest
// of the text the proposal signs (for an amendment, the text proposed).
// A client holding its own key signs exactly this as a C2SP note.
func AgreementDecisionStatement(id string, p *AgreementProposal, approve bool) (string, error) {
	d, err := textDigest(p.Text)
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("truce agreement decision v1\nagreement %s\nproposal %d\naction %s\ndecision %s\ndigest %s\n",
		id, p.Number, p.Action, decisionWord(approve), d), nil
}

// WithdrawalStatement is the text a signatory signs to give notice of its
// withdrawal from agreement a: it names the party and the digest of the
// text it withdraws from.
func WithdrawalStatement(a *Agreement, partyID string) (string, error) {
	d, err := textDigest(a.Text())
	if err != nil {
		return "", err
	}
	return withdrawalStatement(a.ID, partyID, d), nil
}

func withdrawalStatement(agreementID, partyID, digest string) string {
	return fmt.Sprintf("truce agreement withdrawal v1\nagreement %s\nparty %s\ndigest %s\n", agreementID, partyID, digest)
}

// ZoneState is a zone's overall state.
type ZoneState string

// Zone states.
const (
	ZoneStateProposed  ZoneState = "proposed"  // never yet approved
	ZoneStateInForce   ZoneState = "in_force"  // a version is approved (possibly effective later)
	ZoneStateSuspended ZoneState = "suspended" // an approved suspension
	ZoneStateWithdrawn ZoneState = "withdrawn" // an approved withdrawal; final
	ZoneStateRejected  ZoneState = "rejected"  // its first proposal was rejected
)

// Zone is an agreed (or proposed) area with its versions.
type Zone struct {
	ID          string    `json:"id"`
	AgreementID string    `json:"agreement_id"`
	Name        string    `json:"name"`
	Kind        ZoneKind  `json:"kind"`
	State       ZoneState `json:"state"`
	// Current is the number of the latest approved version (0 if none);
	// Pending that of the version awaiting decisions (0 if none); Latest
	// that of the newest version.
	Current      int       `json:"current"`
	Pending      int       `json:"pending"`
	Latest       int       `json:"latest"`
	CreatedAt    time.Time `json:"created_at"`
	UpdatedAt    time.Time `json:"updated_at"`
	Version      int64     `json:"version"` // row version, for ETag
	JournalIndex int64     `json:"journal_index"`
}

// ZoneProposal is the input for a new zone or a new version of one.
// Altitudes are strings as aviation writes them ("0", "FL200", "10000ft",
// "3000m"; bare numbers are metres) or empty for unbounded.
type ZoneProposal struct {
	Agreement     string          `json:"agreement,omitempty"` // new zones only
	Name          string          `json:"name" required:"true"`
	Kind          ZoneKind        `json:"kind" required:"true"`
	Geometry      json.RawMessage `json:"geometry" required:"true"`
	HalfWidthM    float64         `json:"half_width_m,omitempty"`
	RadiusM       float64         `json:"radius_m,omitempty"`
	Floor         string          `json:"floor,omitempty"`
	Ceiling       string          `json:"ceiling,omitempty"`
	Windows       []Window        `json:"windows,omitempty"`
	EffectiveFrom *time.Time      `json:"effective_from,omitempty"`
	Note          string          `json:"note,omitempty"`
	// Repair asks for an invalid polygonal geometry to be made valid
	// (geo.MakeValid) instead of rejected; the version records it.
	Repair bool `json:"repair,omitempty"`
}

// ZoneDecision is a party's decision on a version. Signature is optional
// for a custodial party (the server signs with the key it keeps) and
// required for a party that holds its own key: a C2SP signed note over
// DecisionStatement.
type ZoneDecision struct {
	Approve   bool   `json:"approve" required:"true"`
	Reason    string `json:"reason,omitempty"`
	Signature string `json:"signature,omitempty"`
}

// ZoneFilter selects zones.
type ZoneFilter struct {
	Agreement string
	Kind      ZoneKind
	State     ZoneState
	// Pending selects the zones with a version awaiting decisions.
	Pending bool
	Cursor  string
	Limit   int
}

// ZoneImport is a GeoJSON FeatureCollection imported as proposals; each
// feature's properties may set name, kind, floor, ceiling, half_width_m and
// radius_m, and Defaults fills what they do not.
type ZoneImport struct {
	Agreement     string          `json:"agreement" required:"true"`
	Features      json.RawMessage `json:"features" required:"true"`
	Defaults      ZoneProposal    `json:"defaults"`
	EffectiveFrom *time.Time      `json:"effective_from,omitempty"`
}

// ZoneAt is a zone version in force at a point, with its zone and its
// agreement's standing at that time (notices of withdrawal pending).
type ZoneAt struct {
	Zone      *Zone              `json:"zone"`
	Version   *ZoneVersion       `json:"version"`
	Agreement *AgreementStanding `json:"agreement,omitempty"`
}

// ZoneView is a zone as shown: the record, whether it is in force at a
// time (its own state and its agreement's), and its agreement's standing.
// A zone whose agreement is not in force is never shown in force.
type ZoneView struct {
	*Zone
	InForce   bool              `json:"in_force"`
	Agreement AgreementStanding `json:"agreement"`
}

// ViewAt returns z as shown at t, under agreement ag.
func (z *Zone) ViewAt(ag *Agreement, t time.Time) ZoneView {
	return ZoneView{Zone: z, InForce: z.State == ZoneStateInForce && ag.InForceAt(t), Agreement: ag.StandingAt(t)}
}

// ZoneService manages zones and their joint approval.
type ZoneService interface {
	// ProposeZone creates a zone and its first version, awaiting every
	// signatory's decision. Returns EINVALID, EUNPROCESSABLE (geometry),
	// ENOTFOUND (agreement), EFORBIDDEN.
	ProposeZone(ctx context.Context, p ZoneProposal) (*Zone, *ZoneVersion, error)
	// ImportZones proposes every feature of a FeatureCollection in one
	// transaction: all or none.
	ImportZones(ctx context.Context, in ZoneImport) ([]*ZoneVersion, error)
	// ProposeChange proposes a new version of a zone. ECONFLICT if a
	// version is already pending or the zone is withdrawn.
	ProposeChange(ctx context.Context, zoneID string, p ZoneProposal, ifVersion int64) (*ZoneVersion, error)
	// ProposeSuspension and ProposeWithdrawal propose versions that, once
	// approved, take the zone out of force.
	ProposeSuspension(ctx context.Context, zoneID, note string, effectiveFrom *time.Time) (*ZoneVersion, error)
	ProposeWithdrawal(ctx context.Context, zoneID, note string, effectiveFrom *time.Time) (*ZoneVersion, error)
	// DecideZone records the caller's party's decision on a pending
	// version. When every signatory has approved, the version comes into
	// force at max(effective_from, now); one rejection rejects it.
	DecideZone(ctx context.Context, zoneID string, version int, d ZoneDecision) (*ZoneVersion, error)
	FindZone(ctx context.Context, id string) (*Zone, error)
	ListZones(ctx context.Context, f ZoneFilter) ([]*Zone, string, error)
	// ZoneHistory returns every version of a zone, oldest first.
	ZoneHistory(ctx context.Context, id string) ([]*ZoneVersion, error)
	// ZonesInForce returns the zone versions in force at t, in agreements
	// in force at t.
	ZonesInForce(ctx context.Context, t time.Time) ([]*ZoneVersion, error)
	// ZonesAt returns the zones in force at t that contain the position
	// (altitude in metres; NaN for any altitude).
	ZonesAt(ctx context.Context, lon, lat, altM float64, t time.Time) ([]ZoneAt, error)
}
