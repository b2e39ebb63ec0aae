package humanitarian

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math"
	"time"

	"github.com/gowebpki/jcs"
	"github.com/paulmach/orb"
	"github.com/truce-project/truce"
	"github.com/truce-project/truce/geo"
)

// Category is what a site is, in the categories HNS4D uses.
type Category string

// Site categories.
const (
	Hospital          Category = "hospital"
	HealthFacility    Category = "health_facility"
	School            Category = "school"
	WaterStation      Category = "water_station"
	Warehouse         Category = "warehouse"
	DistributionPoint Category = "distribution_point"
	IDPCamp           Category = "idp_camp"
	Office            Category = "office"
	StaffResidence    Category = "staff_residence"
	OtherCategory     Category = "other"
)

// Categories lists the site categories, in the order forms show them.
var Categories = []Category{Hospital, HealthFacility, School, WaterStation, Warehouse,
	DistributionPoint, IDPCamp, Office, StaffResidence, OtherCategory}

// Valid reports whether c is a known category.
func (c Category) Valid() bool {
	for _, k := range Categories {
		if c == k {
			return true
		}
	}
	return false
}

// SiteStatus says whether a site is operating.
type SiteStatus string

// Site statuses: a closure is a version like any other, notified again.
const (
	SiteActive SiteStatus = "active"
	SiteClosed SiteStatus = "closed"
)

// Bounds of a site's input.
const (
	MaxBufferM     = 50_000 // a buffer radius above 50 km is not a site
	MaxSiteVertex  = 2_000  // vertices of a site polygon
	MaxNameLen     = 200
	MaxContactLen  = 500
	MaxCapacity    = 10_000_000
	MaxConcernText = 4_000
)

// SiteFields are what an organisation says of its site: the input to a
// notification and each of its versions.
type SiteFields struct {
	Name         string          `json:"name" required:"true"`
	Category     Category        `json:"category" required:"true"`
	Organisation string          `json:"organisation" required:"true"`
	Contact      string          `json:"contact,omitempty"`
	Capacity     int             `json:"capacity,omitempty"`
	Geometry     json.RawMessage `json:"geometry" required:"true"`
	BufferM      float64         `json:"buffer_m,omitempty"`
	ValidFrom    time.Time       `json:"valid_from" required:"true"`
	ValidTo      *time.Time      `json:"valid_to,omitempty"`
}

// SiteCreate is the input to Service.NotifySite.
type SiteCreate struct {
	AgreementID string `json:"agreement_id" required:"true"`
	SiteFields
}

// SiteUpdate is the input to Service.UpdateSite: the site as it is from
// now (a move or an update), notified again. EffectiveFrom, when set, is
// when the change takes effect, against which the lead time is measured
// (now when unset).
type SiteUpdate struct {
	SiteFields
	EffectiveFrom *time.Time `json:"effective_from,omitempty"`
}

// Site is one version of a notified site; the latest is the site.
type Site struct {
	ID          string `json:"id"`
	AgreementID string `json:"agreement_id"`
	PartyID     string `json:"party_id"` // the notifying party
	SiteFields
	Status SiteStatus `json:"status"`
	// PCodes are the OCHA P-codes of the admin areas (governorate,
	// district) the site lies in, filled in from the embedded boundaries.
	PCodes []string   `json:"pcodes"`
	BBox   truce.BBox `json:"bbox"`
	Change string     `json:"change"` // notified, updated, closed
	Notice SiteNotice `json:"notice"`
	// Hazards are the hazards at the site found when this version was
	// recorded (SiteHazards): notice, never a refusal.
	Hazards      []Hazard  `json:"hazards,omitempty"`
	Hash         string    `json:"hash"` // VersionHash of this version
	NotifiedAt   time.Time `json:"notified_at"`
	NotifiedBy   string    `json:"notified_by"` // user id
	Version      int64     `json:"version"`
	JournalIndex int64     `json:"journal_index"`
}

// SiteNotice is the notice a version gave: when it takes effect, the lead
// time the agreement asks and whether the notice was shorter (late: the
// notification is accepted and flagged, never refused).
type SiteNotice struct {
	EffectiveFrom time.Time      `json:"effective_from"`
	LeadTime      truce.Duration `json:"lead_time"`
	Late          bool           `json:"late"`
}

// VersionHash is the hex SHA-256 of the canonical JSON (RFC 8785) of what a
// version notifies: every field but the hash itself and the journal index.
// It is what an acknowledgement's statement names.
func VersionHash(s *Site) (string, error) {
	c := *s
	c.Hash, c.JournalIndex = "", 0
	raw, err := json.Marshal(&c)
	if err != nil {
		return "", err
	}
	b, err := jcs.Transform(raw)
	if err != nil {
		return "", err
	}
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:]), nil
}

// checkFields validates a site's fields and returns its geometry (a Point
// or a Polygon) normalised; an error is EINVALID and names the first
// field at fault.
func checkFields(f *SiteFields) (orb.Geometry, error) {
	g, ps := checkSite(f)
	if len(ps) > 0 {
		return nil, truce.Errorf(truce.EINVALID, "%s: %s", ps[0].field, ps[0].msg)
	}
	return g, nil
}

// problem is one field at fault and why.
type problem struct{ field, msg string }

// checkSite is checkFields's work, saying which fields are wrong and why
// (every one, for the import's report).
func checkSite(f *SiteFields) (orb.Geometry, []problem) {
	var ps []problem
	bad := func(field, format string, args ...any) { ps = append(ps, problem{field, fmt.Sprintf(format, args...)}) }
	for _, c := range []struct {
		field, v string
		max      int
	}{{"name", f.Name, MaxNameLen}, {"organisation", f.Organisation, MaxNameLen}, {"contact", f.Contact, MaxContactLen}} {
		if err := truce.CheckText(c.field, c.v, c.max, false); err != nil {
			bad(c.field, "%s", truce.ErrorMessage(err))
		}
	}
	if f.Name == "" {
		bad("name", "A site needs a name.")
	}
	if !f.Category.Valid() {
		bad("category", "Unknown category %q: use one of %v.", f.Category, Categories)
	}
	if f.Organisation == "" {
		bad("organisation", "A site needs its operating organisation.")
	}
	if f.Capacity < 0 || f.Capacity > MaxCapacity {
		bad("capacity", "Capacity must be 0 to %d.", MaxCapacity)
	}
	if math.IsNaN(f.BufferM) || f.BufferM < 0 || f.BufferM > MaxBufferM {
		bad("buffer_m", "The buffer radius must be 0 to %d metres.", MaxBufferM)
	}
	if f.ValidFrom.IsZero() {
		bad("valid_from", "A site needs the date it is valid from.")
	} else if f.ValidTo != nil && !f.ValidTo.After(f.ValidFrom) {
		bad("valid_to", "The validity ends (%s) before it starts (%s).", f.ValidTo.Format(time.RFC3339), f.ValidFrom.Format(time.RFC3339))
	}
	if len(f.Geometry) == 0 {
		bad("geometry", "A site needs a geometry: a GeoJSON Point or Polygon.")
		return nil, ps
	}
	g, err := geo.Decode(f.Geometry, geo.Options{MaxVertices: MaxSiteVertex})
	if err != nil {
		bad("geometry", "%s", err.Error())
		return nil, ps
	}
	switch g.(type) {
	case orb.Point, orb.Polygon:
	default:
		bad("geometry", "A site is a Point or a Polygon, not a %s.", g.GeoJSONType())
		return nil, ps
	}
	if len(ps) > 0 {
		return nil, ps
	}
	f.ValidFrom = f.ValidFrom.UTC().Truncate(time.Microsecond)
	if f.ValidTo != nil {
		t := f.ValidTo.UTC().Truncate(time.Microsecond)
		f.ValidTo = &t
	}
	if f.Geometry, err = marshalGeometry(g); err != nil {
		bad("geometry", "%s", err.Error())
	}
	return g, ps
}

// marshalGeometry writes a decoded Point or Polygon as GeoJSON.
func marshalGeometry(g orb.Geometry) (json.RawMessage, error) {
	var v any
	switch g := g.(type) {
	case orb.Point:
		v = struct {
			Type        string    `json:"type"`
			Coordinates orb.Point `json:"coordinates"`
		}{"Point", g}
	case orb.Polygon:
		v = struct {
			Type        string      `json:"type"`
			Coordinates orb.Polygon `json:"coordinates"`
		}{"Polygon", g}
	default:
		return nil, fmt.Errorf("unexpected geometry %T", g)
	}
	return json.Marshal(v)
}

// bbox returns a geometry's bounding box widened by the buffer radius.
func bbox(g orb.Geometry, bufferM float64) truce.BBox {
	b := g.Bound()
	dLat := bufferM / 111_320
	dLon := dLat / math.Max(math.Cos(b.Max[1]*math.Pi/180), 0.01)
	return truce.BBox{b.Min[0] - dLon, b.Min[1] - dLat, b.Max[0] + dLon, b.Max[1] + dLat}
}
