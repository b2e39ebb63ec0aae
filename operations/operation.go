package operations

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/paulmach/orb"
	"github.com/truce-project/truce"
	"github.com/truce-project/truce/geo"
)

// Kind is what an operation does.
type Kind string

// Operation kinds.
const (
	AirPatrol      Kind = "air_patrol"
	AirStrike      Kind = "air_strike"
	Reconnaissance Kind = "reconnaissance"
	GroundPatrol   Kind = "ground_patrol"
	ArtilleryFire  Kind = "artillery_fire"
	Demining       Kind = "demining"
	Escort         Kind = "escort"
	Evacuation     Kind = "evacuation"
	OtherKind      Kind = "other"
)

// Kinds lists the operation kinds in the order forms show them.
var Kinds = []Kind{AirPatrol, AirStrike, Reconnaissance, GroundPatrol, ArtilleryFire, Demining, Escort, Evacuation, OtherKind}

// Valid reports whether k is a known kind.
func (k Kind) Valid() bool {
	for _, c := range Kinds {
		if k == c {
			return true
		}
	}
	return false
}

// Air reports whether an operation of kind k flies.
func (k Kind) Air() bool { return k == AirPatrol || k == AirStrike || k == Reconnaissance }

// Kinetic reports whether an operation of kind k delivers fire.
func (k Kind) Kinetic() bool { return k == AirStrike || k == ArtilleryFire }

// Status is where an operation is in its life.
type Status string

// Operation statuses: a joint operation is a draft until every
// participating party has approved it; an operation of one party is filed
// at once.
const (
	Draft     Status = "draft"
	Filed     Status = "filed"
	Active    Status = "active"
	Completed Status = "completed"
	Cancelled Status = "cancelled"
)

// Bounds of an operation's input.
const (
	MaxVolumes      = 20
	MaxVertices     = 2_000
	MaxRadiusM      = 50_000 // a circle's radius
	MaxHalfWidthM   = 10_000 // a corridor's half-width
	MinAltitudeM    = -500
	MaxAltitudeM    = 30_000
	MaxWindow       = time.Duration(truce.MaxOperationWindow) // one volume's time window, under any agreement
	MaxNameLen      = 200
	MaxContactLen   = 500
	MaxReasonLen    = 1_000
	MaxParticipants = 10
	MaxAircraft     = 100
)

// VolumeInput is one 4D volume as a party files it: a GeoJSON Polygon or
// MultiPolygon; a Point with BufferM as a circle's radius; or a
// LineString with BufferM as a corridor's half-width; × the altitude band
// [FloorM, CeilingM] (metres AMSL) × the window [Start, End).
type VolumeInput struct {
	Geometry json.RawMessage `json:"geometry" required:"true"`
	BufferM  float64         `json:"buffer_m,omitempty"`
	FloorM   float64         `json:"floor_m"`
	CeilingM float64         `json:"ceiling_m" required:"true"`
	Start    time.Time       `json:"start" required:"true"`
	End      time.Time       `json:"end" required:"true"`
}

// Volume is a volume as recorded, with the bounding box of its area.
type Volume struct {
	VolumeInput
	BBox truce.BBox `json:"bbox"`
}

// Plan is what a party files and what the participating parties approve.
// Participants and NotifyTo are party ids or slugs; the filing party is a
// participant whether it is named or not.
type Plan struct {
	AgreementID  string        `json:"agreement_id" required:"true"`
	Name         string        `json:"name" required:"true"`
	Kind         Kind          `json:"kind" required:"true"`
	Volumes      []VolumeInput `json:"volumes" required:"true"`
	Participants []string      `json:"participants,omitempty"`
	NotifyTo     []string      `json:"notify_to,omitempty"`
	// Aircraft are the ICAO 24-bit addresses (hex) of the aircraft
	// taking part, as the aircraft registry holds them: each registered
	// to a participating party (Service.Aircraft).
	Aircraft []string `json:"aircraft,omitempty"`
	Contacts string   `json:"contacts,omitempty"`
}

// FileInput is the input to Service.File: the plan and, to file despite
// a blocking conflict, the reason (journalled and alerted to every party).
type FileInput struct {
	Plan
	Override string `json:"override,omitempty"`
}

// ApproveInput is the input to Service.Approve: the version approved and
// the signed note of its ApprovalStatement (empty: signed here for a
// custodial party); Override files a joint operation despite blocking
// conflicts found when the last approval files it.
type ApproveInput struct {
	Version   int64  `json:"version" required:"true"`
	Signature string `json:"signature,omitempty"`
	Override  string `json:"override,omitempty"`
}

// Approval is a participating party's signed approval of a version.
type Approval struct {
	PartyID   string    `json:"party_id"`
	UserID    string    `json:"user_id"`
	Signature string    `json:"signature"`
	At        time.Time `json:"at"`
}

// Override records that a party filed despite blocking conflicts.
type Override struct {
	Reason  string    `json:"reason"`
	PartyID string    `json:"party_id"`
	UserID  string    `json:"user_id"`
	At      time.Time `json:"at"`
}

// Operation is the latest version of a planned operation.
type Operation struct {
	ID          string   `json:"id"`
	AgreementID string   `json:"agreement_id"`
	PartyID     string   `json:"party_id"` // the filing party
	Name        string   `json:"name"`
	Kind        Kind     `json:"kind"`
	Volumes     []Volume `json:"volumes"`
	// Participants are the participating parties' ids, the filer first;
	// NotifyTo the other parties it is notified to.
	Participants []string   `json:"participants"`
	NotifyTo     []string   `json:"notify_to"`
	Aircraft     []string   `json:"aircraft,omitempty"`
	Contacts     string     `json:"contacts,omitempty"`
	Status       Status     `json:"status"`
	Digest       string     `json:"digest"` // PlanDigest of this version
	Approvals    []Approval `json:"approvals"`
	Override     *Override  `json:"override,omitempty"`
	// Conflicts is how many conflicts this version raised when filed.
	Conflicts int        `json:"conflicts"`
	CreatedAt time.Time  `json:"created_at"`
	UpdatedAt time.Time  `json:"updated_at"`
	FiledAt   *time.Time `json:"filed_at,omitempty"`
	ChangedBy string     `json:"changed_by"` // user id
	// Version is the plan's version (what approvals name); Revision
	// counts every stored change (approvals, status) for the store's
	// optimistic check.
	Version      int64 `json:"version"`
	Revision     int64 `json:"revision"`
	JournalIndex int64 `json:"journal_index"`
}

// Joint reports whether the operation has more than one participating
// party.
func (o *Operation) Joint() bool { return len(o.Participants) > 1 }

// Window returns the earliest start and latest end of the volumes.
func (o *Operation) Window() (time.Time, time.Time) {
	var s, e time.Time
	for i, v := range o.Volumes {
		if i == 0 || v.Start.Before(s) {
			s = v.Start
		}
		if i == 0 || v.End.After(e) {
			e = v.End
		}
	}
	return s, e
}

// Visibility says who may read the operation: its parties and the
// parties it is notified to.
func (o *Operation) Visibility() truce.Visibility {
	var ps []string
	for _, p := range append(append([]string(nil), o.Participants...), o.NotifyTo...) {
		if p != o.PartyID {
			ps = append(ps, p)
		}
	}
	return truce.Visibility{Scope: truce.ScopeParties, Owner: o.PartyID, Parties: ps}
}

// Against is what a conflict is with.
type Against string

// What an operation can conflict with.
const (
	AgainstOperation Against = "operation"
	AgainstSite      Against = "site"
	AgainstMovement  Against = "movement"
	AgainstZone      Against = "zone"
)

// Overlap is where a conflict is: the band and window both share, and the
// box of both areas' common ground. Start or End is nil where both are
// unbounded.
type Overlap struct {
	FloorM   float64    `json:"floor_m"`
	CeilingM float64    `json:"ceiling_m"`
	Start    *time.Time `json:"start,omitempty"`
	End      *time.Time `json:"end,omitempty"`
	BBox     truce.BBox `json:"bbox"`
}

// Conflict is one conflict a version of an operation raised when filed:
// which of its volumes, with what, where, and whether it blocked filing.
// It discloses of the other side only its kind, its party and the overlap.
type Conflict struct {
	ID               string  `json:"id"`
	OperationID      string  `json:"operation_id"`
	OperationVersion int64   `json:"operation_version"`
	PartyID          string  `json:"party_id"` // the filing party
	Kind             Kind    `json:"kind"`     // the operation's kind
	Volume           int     `json:"volume"`   // index in the operation's volumes
	Against          Against `json:"against"`
	OtherID          string  `json:"other_id"`
	// OtherParty is the other side's party: another operation's filer,
	// a site's or movement's notifying party, a zone's agreement's
	// (empty).
	OtherParty string `json:"other_party,omitempty"`
	// OtherKind is the other side's kind: an operation kind, a site
	// category, "movement", a zone kind.
	OtherKind string `json:"other_kind"`
	// OtherName names a site, movement or zone (never another party's
	// operation, whose plan is not disclosed).
	OtherName  string    `json:"other_name,omitempty"`
	Overlap    Overlap   `json:"overlap"`
	Blocking   bool      `json:"blocking"`
	Overridden bool      `json:"overridden"`
	Reason     string    `json:"reason"`
	DetectedAt time.Time `json:"detected_at"`
	// Visible are the parties the conflict is disclosed to beside the
	// filer.
	Visible      []string `json:"visible"`
	JournalIndex int64    `json:"journal_index"`
	// Later is set on a conflict raised after the operation was filed,
	// by a change on the other side (a site notified inside it).
	Later bool `json:"later,omitempty"`
	// WithdrawnAt and WithdrawnReason: when and why a conflict raised
	// later was withdrawn (the site closed, the movement over); nil while
	// it stands.
	WithdrawnAt     *time.Time `json:"withdrawn_at,omitempty"`
	WithdrawnReason string     `json:"withdrawn_reason,omitempty"`
}

// checked is a plan's volumes as decoded.
type checked struct {
	geoms []orb.Geometry
}

// CheckPlan validates a plan's own fields (not the parties it names) and
// normalises its times, or returns EINVALID naming every field at fault,
// or EUNPROCESSABLE for a geometry the geometry engine refuses.
func CheckPlan(p *Plan) (checked, error) {
	var ps []string
	bad := func(format string, args ...any) { ps = append(ps, fmt.Sprintf(format, args...)) }
	for _, c := range []struct {
		field, v string
		max      int
	}{{"name", p.Name, MaxNameLen}, {"contacts", p.Contacts, MaxContactLen}} {
		if err := truce.CheckText(c.field, c.v, c.max, false); err != nil {
			bad("%s", truce.ErrorMessage(err))
		}
	}
	if strings.TrimSpace(p.Name) == "" {
		bad("name: An operation needs a name.")
	}
	if p.AgreementID == "" {
		bad("agreement_id: An operation is filed under an agreement.")
	}
	if !p.Kind.Valid() {
		bad("kind: Unknown kind %q: use one of %v.", p.Kind, Kinds)
	}
	if len(p.Participants) > MaxParticipants || len(p.NotifyTo) > MaxParticipants*4 {
		bad("participants: At most %d participating parties.", MaxParticipants)
	}
	if len(p.Aircraft) > MaxAircraft {
		bad("aircraft: At most %d aircraft.", MaxAircraft)
	}
	for _, a := range p.Aircraft {
		// The monitor knows aircraft by their ICAO 24-bit address: any
		// other name would never be checked for conformance.
		if err := truce.CheckText("aircraft", a, truce.MaxRefLen, false); err != nil || len(a) != 6 || !isHex(a) {
			bad("aircraft: %q is not an ICAO 24-bit address (6 hexadecimal digits, like 4CA2D1).", a)
			break
		}
	}
	if len(p.Volumes) == 0 || len(p.Volumes) > MaxVolumes {
		bad("volumes: An operation has 1 to %d volumes.", MaxVolumes)
	}
	var out checked
	unprocessable := false
	for i := range p.Volumes {
		v := &p.Volumes[i]
		n := i + 1
		switch {
		case math.IsNaN(v.FloorM) || math.IsNaN(v.CeilingM) || v.FloorM < MinAltitudeM || v.CeilingM > MaxAltitudeM:
			bad("volumes[%d]: The altitude band must lie within %d to %d metres.", n, MinAltitudeM, MaxAltitudeM)
		case v.FloorM > v.CeilingM:
			bad("volumes[%d]: The band's floor (%g m) is above its ceiling (%g m).", n, v.FloorM, v.CeilingM)
		}
		switch {
		case v.Start.IsZero() || v.End.IsZero():
			bad("volumes[%d]: A volume needs its start and end.", n)
		case !v.End.After(v.Start):
			bad("volumes[%d]: The window ends (%s) before it starts (%s).", n, v.End.Format(time.RFC3339), v.Start.Format(time.RFC3339))
		case v.End.Sub(v.Start) > MaxWindow:
			bad("volumes[%d]: The window is %s long; at most %s.", n, v.End.Sub(v.Start).Round(time.Minute), MaxWindow)
		}
		if math.IsNaN(v.BufferM) || v.BufferM < 0 {
			bad("volumes[%d]: buffer_m is a distance in metres.", n)
			continue
		}
		if len(v.Geometry) == 0 {
			bad("volumes[%d]: A volume needs a geometry.", n)
			continue
		}
		g, err := geo.Decode(v.Geometry, geo.Options{MaxVertices: MaxVertices})
		if err != nil {
			bad("volumes[%d]: %s", n, err.Error())
			unprocessable = true
			continue
		}
		switch g.(type) {
		case orb.Polygon, orb.MultiPolygon:
			if v.BufferM != 0 {
				bad("volumes[%d]: A polygon takes no buffer_m.", n)
			}
		case orb.Point:
			if v.BufferM <= 0 || v.BufferM > MaxRadiusM {
				bad("volumes[%d]: A circle (a Point) needs buffer_m, its radius, of up to %d metres.", n, MaxRadiusM)
			}
		case orb.LineString:
			if v.BufferM <= 0 || v.BufferM > MaxHalfWidthM {
				bad("volumes[%d]: A corridor (a LineString) needs buffer_m, its half-width, of up to %d metres.", n, MaxHalfWidthM)
			}
		default:
			bad("volumes[%d]: A volume is a Polygon, MultiPolygon, Point (circle) or LineString (corridor), not a %s.", n, g.GeoJSONType())
		}
		out.geoms = append(out.geoms, g)
		v.Start, v.End = v.Start.UTC().Truncate(time.Microsecond), v.End.UTC().Truncate(time.Microsecond)
	}
	if len(ps) > 0 {
		code := truce.EINVALID
		if unprocessable && len(ps) == 1 {
			code = truce.EUNPROCESSABLE
		}
		return checked{}, truce.Errorf(code, "%s", strings.Join(ps, " "))
	}
	return out, nil
}

// PlanDigest is the hex SHA-256 of the canonical JSON (RFC 8785) of what
// a version of an operation plans: what its approvals sign.
func PlanDigest(o *Operation) (string, error) {
	plan := struct {
		ID           string   `json:"id"`
		AgreementID  string   `json:"agreement_id"`
		PartyID      string   `json:"party_id"`
		Name         string   `json:"name"`
		Kind         Kind     `json:"kind"`
		Volumes      []Volume `json:"volumes"`
		Participants []string `json:"participants"`
		NotifyTo     []string `json:"notify_to"`
		Aircraft     []string `json:"aircraft,omitempty"`
		Contacts     string   `json:"contacts,omitempty"`
		Version      int64    `json:"version"`
	}{o.ID, o.AgreementID, o.PartyID, o.Name, o.Kind, o.Volumes, o.Participants, o.NotifyTo, o.Aircraft, o.Contacts, o.Version}
	b, err := json.Marshal(plan)
	if err != nil {
		return "", err
	}
	c, err := truce.AppendCanonical(nil, b)
	if err != nil {
		return "", err
	}
	h := sha256.Sum256(c)
	return hex.EncodeToString(h[:]), nil
}

// ApprovalStatement is the text a participating party signs to approve a
// version of an operation: it names the operation, the version and the
// digest of its plan, so a signature approves exactly that plan.
func ApprovalStatement(o *Operation) string {
	return fmt.Sprintf("truce operation approval v1\noperation %s\nversion %d\ndigest %s\n", o.ID, o.Version, o.Digest)
}

// decode reads a volume's stored or checked GeoJSON geometry.
func decode(raw json.RawMessage) (orb.Geometry, error) {
	g, err := geo.Decode(raw, geo.Options{MaxVertices: -1})
	if err != nil {
		return nil, truce.Errorf(truce.EUNPROCESSABLE, "%s", err.Error())
	}
	return g, nil
}

// encode writes a decoded geometry as GeoJSON.
func encode(g orb.Geometry) (json.RawMessage, error) {
	return json.Marshal(struct {
		Type        string       `json:"type"`
		Coordinates orb.Geometry `json:"coordinates"`
	}{g.GeoJSONType(), g})
}

// isHex reports whether s is hexadecimal digits only.
func isHex(s string) bool {
	for _, c := range []byte(s) {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
			return false
		}
	}
	return true
}
