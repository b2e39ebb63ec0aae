package control

import (
	"encoding/json"
	"slices"
	"time"

	"github.com/paulmach/orb"
	"github.com/truce-project/truce"
	"github.com/truce-project/truce/geo"
)

// ActorType is an actor's type as ACLED codes it (its "inter" codes 1–8).
type ActorType string

// The ACLED actor types.
const (
	StateForces      ActorType = "state_forces"
	RebelGroup       ActorType = "rebel_group"
	PoliticalMilitia ActorType = "political_militia"
	IdentityMilitia  ActorType = "identity_militia"
	Rioters          ActorType = "rioters"
	Protesters       ActorType = "protesters"
	Civilians        ActorType = "civilians"
	ExternalOther    ActorType = "external_other"
)

// ActorTypes lists the ACLED actor types in ACLED's order.
var ActorTypes = []ActorType{StateForces, RebelGroup, PoliticalMilitia, IdentityMilitia, Rioters, Protesters, Civilians, ExternalOther}

// Actor is an armed force or group named in reports and control areas.
// Actors are not users: they sign nothing; GuarantorID, when set, is the
// party that answers for the actor from GuaranteeFrom until GuaranteeTo.
type Actor struct {
	ID string `json:"id"`
	// Slug is a short unique name for URLs and the command line.
	Slug string `json:"slug"`
	// Names is the actor's name by language tag ("en", "ar", …).
	Names         map[string]string `json:"names"`
	Aliases       []string          `json:"aliases,omitempty"`
	ParentID      string            `json:"parent_id,omitempty"`
	Type          ActorType         `json:"type"`
	GuarantorID   string            `json:"guarantor_id,omitempty"`
	GuaranteeFrom *time.Time        `json:"guarantee_from,omitempty"`
	GuaranteeTo   *time.Time        `json:"guarantee_to,omitempty"`
	CreatedAt     time.Time         `json:"created_at"`
	Version       int64             `json:"version"`
	JournalIndex  int64             `json:"journal_index"`
}

// Name returns the actor's name in lang, else in English, else its slug.
func (a *Actor) Name(lang string) string {
	if n := a.Names[lang]; n != "" {
		return n
	}
	if n := a.Names["en"]; n != "" {
		return n
	}
	return a.Slug
}

// GuarantorAt returns the party answering for the actor at t ("" if none).
func (a *Actor) GuarantorAt(t time.Time) string {
	if a.GuarantorID == "" || (a.GuaranteeFrom != nil && t.Before(*a.GuaranteeFrom)) || (a.GuaranteeTo != nil && !t.Before(*a.GuaranteeTo)) {
		return ""
	}
	return a.GuarantorID
}

// Confidence is how sure the source of a control area is.
type Confidence string

// The confidence levels.
const (
	ConfidenceLow    Confidence = "low"
	ConfidenceMedium Confidence = "medium"
	ConfidenceHigh   Confidence = "high"
)

// ControlArea is one actor's control of one polygon from From until To
// (nil: still). A record is versioned: ending it (End) writes a new
// version. LiberatedFrom, when set, says the area was taken from that
// actor at From: the control change "liberated from X at T".
type ControlArea struct {
	ID            string          `json:"id"`
	ActorID       string          `json:"actor_id"`
	Name          string          `json:"name,omitempty"`
	Geometry      json.RawMessage `json:"geometry"`
	BBox          truce.BBox      `json:"bbox"`
	AreaKM2       float64         `json:"area_km2"`
	From          time.Time       `json:"from"`
	To            *time.Time      `json:"to,omitempty"`
	Source        string          `json:"source"`
	Confidence    Confidence      `json:"confidence"`
	LiberatedFrom string          `json:"liberated_from,omitempty"`
	RecordedBy    string          `json:"recorded_by"` // party id
	CreatedAt     time.Time       `json:"created_at"`
	Version       int64           `json:"version"`
	JournalIndex  int64           `json:"journal_index"`
}

// At reports whether the area is held at t: From ≤ t < To.
func (c *ControlArea) At(t time.Time) bool {
	return !t.Before(c.From) && (c.To == nil || t.Before(*c.To))
}

// ControlInput is the input for a new control area.
type ControlInput struct {
	Actor         string          `json:"actor"` // id or slug
	Name          string          `json:"name,omitempty"`
	Geometry      json.RawMessage `json:"geometry"`
	From          time.Time       `json:"from"`
	To            *time.Time      `json:"to,omitempty"`
	Source        string          `json:"source"`
	Confidence    Confidence      `json:"confidence"`
	LiberatedFrom string          `json:"liberated_from,omitempty"` // actor id or slug
}

// Limits on the text of the records.
const (
	MaxNameLen   = 200
	MaxSourceLen = 2000
	MaxNames     = 20
	MaxAliases   = 50
	MaxAllowed   = 100
	MaxAction    = 4000
)

// geometry decodes and validates an area: a Polygon or MultiPolygon
// (EINVALID otherwise), with its box and geodesic area in km².
func geometry(raw json.RawMessage) (orb.Geometry, truce.BBox, float64, error) {
	if len(raw) == 0 {
		return nil, truce.BBox{}, 0, truce.Errorf(truce.EINVALID, "An area needs a geometry (a GeoJSON Polygon or MultiPolygon).")
	}
	g, err := geo.Decode(raw, geo.Options{})
	if err != nil {
		return nil, truce.BBox{}, 0, truce.Errorf(truce.EINVALID, "The geometry is not valid: %v", err)
	}
	switch g.(type) {
	case orb.Polygon, orb.MultiPolygon:
	default:
		return nil, truce.BBox{}, 0, truce.Errorf(truce.EINVALID, "An area is a Polygon or MultiPolygon, not a %s.", g.GeoJSONType())
	}
	b := g.Bound()
	return g, truce.BBox{b.Min[0], b.Min[1], b.Max[0], b.Max[1]}, geo.Area(g) / 1e6, nil
}

// Validate checks the input's own fields (not the actors it names):
// EINVALID for a missing source or actor, an unknown confidence, and a
// period that ends before it starts.
func (in *ControlInput) Validate() error {
	switch {
	case in.Actor == "":
		return truce.Errorf(truce.EINVALID, "A control area names the actor holding it.")
	case in.From.IsZero():
		return truce.Errorf(truce.EINVALID, "A control area has a start (from).")
	case in.To != nil && !in.To.After(in.From):
		return truce.Errorf(truce.EINVALID, "The control period ends (%s) before it starts (%s).", in.To.Format(time.RFC3339), in.From.Format(time.RFC3339))
	case in.Source == "" || len(in.Source) > MaxSourceLen:
		return truce.Errorf(truce.EINVALID, "A control area names its source (at most %d characters).", MaxSourceLen)
	case len(in.Name) > MaxNameLen:
		return truce.Errorf(truce.EINVALID, "A name has at most %d characters.", MaxNameLen)
	}
	switch in.Confidence {
	case ConfidenceLow, ConfidenceMedium, ConfidenceHigh:
	default:
		return truce.Errorf(truce.EINVALID, "Confidence is low, medium or high.")
	}
	return nil
}

// ActorInput is the input for a new actor. Parent and Guarantor are ids
// or slugs.
type ActorInput struct {
	Slug          string            `json:"slug"`
	Names         map[string]string `json:"names"`
	Aliases       []string          `json:"aliases,omitempty"`
	Parent        string            `json:"parent,omitempty"`
	Type          ActorType         `json:"type"`
	Guarantor     string            `json:"guarantor,omitempty"`
	GuaranteeFrom *time.Time        `json:"guarantee_from,omitempty"`
	GuaranteeTo   *time.Time        `json:"guarantee_to,omitempty"`
}

// Validate checks the input's own fields (EINVALID).
func (in *ActorInput) Validate() error {
	if !validSlug(in.Slug) {
		return truce.Errorf(truce.EINVALID, "A slug is 1-64 lower-case letters, digits and dashes.")
	}
	if len(in.Names) == 0 || len(in.Names) > MaxNames {
		return truce.Errorf(truce.EINVALID, "An actor has a name in 1 to %d languages.", MaxNames)
	}
	for lang, n := range in.Names {
		if lang == "" || len(lang) > 16 || n == "" || len(n) > MaxNameLen {
			return truce.Errorf(truce.EINVALID, "Each name has a language tag and 1-%d characters.", MaxNameLen)
		}
	}
	if len(in.Aliases) > MaxAliases {
		return truce.Errorf(truce.EINVALID, "An actor has at most %d aliases.", MaxAliases)
	}
	for _, a := range in.Aliases {
		if a == "" || len(a) > MaxNameLen {
			return truce.Errorf(truce.EINVALID, "An alias has 1-%d characters.", MaxNameLen)
		}
	}
	if !slices.Contains(ActorTypes, in.Type) {
		return truce.Errorf(truce.EINVALID, "An actor's type is one of ACLED's: state_forces, rebel_group, political_militia, identity_militia, rioters, protesters, civilians, external_other.")
	}
	if in.Guarantor == "" && (in.GuaranteeFrom != nil || in.GuaranteeTo != nil) {
		return truce.Errorf(truce.EINVALID, "A guarantee period needs a guarantor.")
	}
	if in.GuaranteeFrom != nil && in.GuaranteeTo != nil && !in.GuaranteeTo.After(*in.GuaranteeFrom) {
		return truce.Errorf(truce.EINVALID, "The guarantee period ends before it starts.")
	}
	return nil
}

func validSlug(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-') {
			return false
		}
	}
	return true
}

// Guarantee is an agreement's guarantee over one of its zones: the
// guarantor parties answer for the area being held only by the allowed
// actors from From until To (nil: while the agreement lasts), and owe a
// response to a breach within ResponseWithin (the agreement's rule when
// the guarantee was given).
type Guarantee struct {
	ID             string          `json:"id"`
	AgreementID    string          `json:"agreement_id"`
	ZoneID         string          `json:"zone_id"`
	ZoneVersion    int             `json:"zone_version"`
	Name           string          `json:"name"`
	Geometry       json.RawMessage `json:"geometry"`
	BBox           truce.BBox      `json:"bbox"`
	AreaKM2        float64         `json:"area_km2"`
	Guarantors     []string        `json:"guarantors"` // party ids
	Allowed        []string        `json:"allowed"`    // actor ids
	From           time.Time       `json:"from"`
	To             *time.Time      `json:"to,omitempty"`
	ResponseWithin truce.Duration  `json:"response_within"`
	CreatedBy      string          `json:"created_by"` // party id
	CreatedAt      time.Time       `json:"created_at"`
	Version        int64           `json:"version"`
	JournalIndex   int64           `json:"journal_index"`
}

// GuaranteeInput is the input for a new guarantee: a zone of the
// agreement, guarantors (party ids or slugs, signatories of the
// agreement) and the allowed actors (ids or slugs).
type GuaranteeInput struct {
	AgreementID string     `json:"agreement_id"`
	ZoneID      string     `json:"zone_id"`
	Guarantors  []string   `json:"guarantors"`
	Allowed     []string   `json:"allowed"`
	From        time.Time  `json:"from"`
	To          *time.Time `json:"to,omitempty"`
}

// Validate checks the input's own fields (EINVALID).
func (in *GuaranteeInput) Validate() error {
	switch {
	case in.AgreementID == "" || in.ZoneID == "":
		return truce.Errorf(truce.EINVALID, "A guarantee names an agreement and one of its zones.")
	case len(in.Guarantors) == 0 || len(in.Guarantors) > MaxAllowed:
		return truce.Errorf(truce.EINVALID, "A guarantee has 1 to %d guarantor parties.", MaxAllowed)
	case len(in.Allowed) == 0 || len(in.Allowed) > MaxAllowed:
		return truce.Errorf(truce.EINVALID, "A guarantee names 1 to %d actors allowed to hold the area.", MaxAllowed)
	case in.From.IsZero():
		return truce.Errorf(truce.EINVALID, "A guarantee has a start (from).")
	case in.To != nil && !in.To.After(in.From):
		return truce.Errorf(truce.EINVALID, "The guarantee ends before it starts.")
	}
	return nil
}

// BreachStatus is where a breach stands.
type BreachStatus string

// Breach statuses: open until the guarantor responds; escalated when the
// response is overdue (and still open to a response); answered;
// withdrawn when the incident it rests on is no longer verified (disputed,
// rejected, merged into another, gone) before it was answered: nothing is
// owed while it stays so (see Withdrawal).
const (
	BreachOpen      BreachStatus = "open"
	BreachEscalated BreachStatus = "escalated"
	BreachAnswered  BreachStatus = "answered"
	BreachWithdrawn BreachStatus = "withdrawn"
)

// Withdrawal says that the evidence a breach names was withdrawn: the
// incident that raised it, as it stood when that was found. A breach
// answered before keeps its answer and status, and records the
// withdrawal all the same.
type Withdrawal struct {
	At              time.Time `json:"at"`
	IncidentVersion int       `json:"incident_version,omitempty"`
	IncidentStatus  string    `json:"incident_status,omitempty"`
	Reason          string    `json:"reason"`
}

// Breach is a control change that put an actor the guarantee does not
// allow in control of part of the guaranteed area, or a verified incident
// of territory overtaken inside it by such an actor. It names the area,
// the actor, the party answering for the actor at the time (if any), the
// guarantors who owe a response by Due, and the evidence: the control
// area and its source (ControlAreaID), or the incident (IncidentID). An
// incident's actor is as the observers attributed it (Attribution);
// ActorID is the actor that names when one is known, else empty.
type Breach struct {
	ID            string `json:"id"`
	GuaranteeID   string `json:"guarantee_id"`
	AgreementID   string `json:"agreement_id"`
	ZoneID        string `json:"zone_id"`
	ControlAreaID string `json:"control_area_id,omitempty"`
	IncidentID    string `json:"incident_id,omitempty"`
	Attribution   string `json:"attribution,omitempty"`
	// Location is where the incident was ([lon, lat]); a control change's
	// ground is its control area's geometry.
	Location       *[2]float64  `json:"location,omitempty"`
	ActorID        string       `json:"actor_id"`
	ActorGuarantor string       `json:"actor_guarantor,omitempty"` // party id
	Guarantors     []string     `json:"guarantors"`
	At             time.Time    `json:"at"`
	Evidence       string       `json:"evidence"`
	DetectedAt     time.Time    `json:"detected_at"`
	Due            time.Time    `json:"due"`
	Status         BreachStatus `json:"status"`
	EscalatedAt    *time.Time   `json:"escalated_at,omitempty"`
	Response       *Response    `json:"response,omitempty"`
	// Withdrawal, when set, says the breach's evidence was withdrawn;
	// ReinstatedAt, when the incident was verified again after a
	// withdrawal (a new response is then owed by Due).
	Withdrawal   *Withdrawal `json:"withdrawal,omitempty"`
	ReinstatedAt *time.Time  `json:"reinstated_at,omitempty"`
	Version      int64       `json:"version"`
	JournalIndex int64       `json:"journal_index"`
}

// Response is a guarantor's answer to a breach: the action taken, and
// the statement (ResponseStatement) signed as a C2SP signed note with
// the party's key.
type Response struct {
	PartyID   string    `json:"party_id"`
	UserID    string    `json:"user_id"`
	Action    string    `json:"action"`
	Signature string    `json:"signature"`
	At        time.Time `json:"at"`
	Late      bool      `json:"late"`
}

// ResponseStatement is the text a guarantor signs to answer breach b
// with action (truce.BreachResponseStatement): it names the breach, its
// guarantee, the actor, the evidence and the action, so a signature
// cannot be moved to another breach.
func ResponseStatement(b *Breach, action string) string {
	return truce.BreachResponseStatement(b.ID, b.GuaranteeID, b.ActorID, b.ControlAreaID, b.IncidentID, action)
}

// ResponseHead is ResponseStatement's lines before the action, which a
// browser signing a response completes with the action typed
// (truce.BreachResponseHead).
func ResponseHead(b *Breach) string {
	return truce.BreachResponseHead(b.ID, b.GuaranteeID, b.ActorID, b.ControlAreaID, b.IncidentID)
}
