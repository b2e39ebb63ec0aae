package observation

import (
	"slices"
	"time"

	"github.com/truce-project/truce"
)

// Mode is how the observer knows of the event.
type Mode string

// Modes, as the OSCE SMM records them, with remote sensing and reports of
// others.
const (
	ModeSaw         Mode = "saw"
	ModeHeard       Mode = "heard"
	ModeSawAndHeard Mode = "saw_and_heard"
	ModeCamera      Mode = "camera"
	ModeUAV         Mode = "uav"
	ModeSatellite   Mode = "satellite"
	ModeThirdParty  Mode = "third_party"
)

// Modes lists every mode.
var Modes = []Mode{ModeSaw, ModeHeard, ModeSawAndHeard, ModeCamera, ModeUAV, ModeSatellite, ModeThirdParty}

// Category is what was observed: the OSCE SMM's categories, each with the
// ACLED event type and sub-type it is counted as (Categories).
type Category string

// Categories.
const (
	CatExplosion        Category = "explosion"
	CatProjectile       Category = "projectile_in_flight"
	CatMuzzleFlash      Category = "muzzle_flash"
	CatFlare            Category = "illumination_flare"
	CatBurstShot        Category = "burst_and_shot"
	CatArmedClash       Category = "armed_clash"
	CatHeavyWeapons     Category = "heavy_weapons_movement"
	CatTerritory        Category = "territory_overtaken"
	CatCivilianViolence Category = "violence_against_civilians"
)

// CategoryList lists the categories in the order forms show them.
var CategoryList = []Category{CatExplosion, CatProjectile, CatMuzzleFlash, CatFlare, CatBurstShot, CatArmedClash, CatHeavyWeapons, CatTerritory, CatCivilianViolence}

// ACLED is an ACLED event type and sub-type.
type ACLED struct {
	EventType    string `json:"event_type"`
	SubEventType string `json:"sub_event_type"`
}

// CategoryInfo is what a category allows and means: its sub-categories,
// each sub-category's ACLED type (the category's when it has none), and
// the agreement activity (truce.Prohibition.Activity) it is an instance
// of, if any.
type CategoryInfo struct {
	SubCategories []string
	ACLED         ACLED
	SubACLED      map[string]ACLED
	Activity      string
	SubActivity   map[string]string
}

var shelling = ACLED{"Explosions/Remote violence", "Shelling/artillery/missile attack"}

// Categories maps each category onto ACLED and onto the agreements'
// activities ("shelling", "air_strike").
var Categories = map[Category]CategoryInfo{
	CatExplosion: {
		SubCategories: []string{"artillery", "mortar", "rocket", "air_strike", "ied", "undetermined"},
		ACLED:         shelling,
		SubACLED: map[string]ACLED{
			"air_strike":   {"Explosions/Remote violence", "Air/drone strike"},
			"ied":          {"Explosions/Remote violence", "Remote explosive/landmine/IED"},
			"undetermined": {"Explosions/Remote violence", "Shelling/artillery/missile attack"},
		},
		Activity:    "shelling",
		SubActivity: map[string]string{"air_strike": "air_strike", "ied": ""},
	},
	CatProjectile:       {ACLED: shelling, Activity: "shelling"},
	CatMuzzleFlash:      {ACLED: ACLED{"Battles", "Armed clash"}},
	CatFlare:            {ACLED: ACLED{"Strategic developments", "Other"}},
	CatBurstShot:        {ACLED: ACLED{"Battles", "Armed clash"}},
	CatArmedClash:       {ACLED: ACLED{"Battles", "Armed clash"}},
	CatHeavyWeapons:     {ACLED: ACLED{"Strategic developments", "Change to group/activity"}},
	CatTerritory:        {ACLED: ACLED{"Battles", "Non-state actor overtakes territory"}},
	CatCivilianViolence: {ACLED: ACLED{"Violence against civilians", "Attack"}},
}

// ACLEDType returns the ACLED event type and sub-type of a category and
// sub-category.
func ACLEDType(c Category, sub string) ACLED {
	info := Categories[c]
	if a, ok := info.SubACLED[sub]; ok {
		return a
	}
	return info.ACLED
}

// Activity returns the agreement activity a category and sub-category
// are an instance of ("" if none).
func Activity(c Category, sub string) string {
	info := Categories[c]
	if a, ok := info.SubActivity[sub]; ok {
		return a
	}
	return info.Activity
}

// Precision is how precise a location or time is, as ACLED's geo and time
// precision codes: 1 exact, 2 near (a part of a region or week), 3 only
// the larger area (region or month).
type Precision int

// Count is a number with its range: best estimate, low and high, as UCDP
// counts fatalities. The zero Count is "none reported".
type Count struct {
	Best int `json:"best"`
	Low  int `json:"low"`
	High int `json:"high"`
}

// Point is a WGS84 position: longitude, latitude (degrees).
type Point struct {
	Lon float64 `json:"lon"`
	Lat float64 `json:"lat"`
}

// Bearing is a direction from the observer with its error and the range
// of distances the event was at.
type Bearing struct {
	// Degrees from true north, clockwise, in [0, 360).
	Degrees float64 `json:"degrees"`
	// Error is the half-width of the bearing's uncertainty, degrees.
	Error float64 `json:"error"`
	// MinDistance and MaxDistance are metres from the observer.
	MinDistance float64 `json:"min_distance"`
	MaxDistance float64 `json:"max_distance"`
}

// Input is what an observer files.
type Input struct {
	// ObserverID is the user who observed; the caller when empty. A party's
	// operator may file for an observer of the same party.
	ObserverID string `json:"observer_id,omitempty"`
	Mode       Mode   `json:"mode" required:"true"`
	Position   Point  `json:"observer_position" required:"true"`
	// Location is the event's point, with Accuracy (metres) as its radius;
	// or nil with Bearing set.
	Location *Point   `json:"location,omitempty"`
	Accuracy float64  `json:"accuracy,omitempty"`
	Bearing  *Bearing `json:"bearing,omitempty"`
	// Start and End are the time window the event happened in.
	Start         time.Time `json:"start" required:"true"`
	End           time.Time `json:"end" required:"true"`
	TimePrecision Precision `json:"time_precision"`
	Category      Category  `json:"category" required:"true"`
	SubCategory   string    `json:"sub_category,omitempty"`
	Events        Count     `json:"events"`
	Weapon        string    `json:"weapon,omitempty"`
	// Actor is the armed force or group the observer attributes the event
	// to, with Confidence in [0, 1].
	Actor      string  `json:"actor,omitempty"`
	Confidence float64 `json:"confidence,omitempty"`
	Casualties Count   `json:"casualties"`
	Narrative  string  `json:"narrative,omitempty"`
	// Evidence are the SHA-256 hashes of the evidence files the observer
	// uploaded for it (UploadEvidence).
	Evidence []string `json:"evidence,omitempty"`
}

// Observation is one monitor's report, as stored.
type Observation struct {
	ID string `json:"id"`
	Input
	// PartyID is the observer's (monitoring) party; ObserverID is hidden
	// (empty) from the other parties, who read ObserverLabel.
	PartyID       string `json:"party_id"`
	ObserverLabel string `json:"observer_label"`
	// FiledBy is the user who filed it (hidden like ObserverID).
	FiledBy string `json:"filed_by,omitempty"`
	// Center, Radius and Area are where the event was: the located point,
	// the radius (metres) of a circle around it holding the uncertainty
	// area, and that area (a closed ring of [lon, lat]).
	Center       Point        `json:"center"`
	Radius       float64      `json:"radius"`
	Area         [][2]float64 `json:"area"`
	GeoPrecision Precision    `json:"geo_precision"`
	// PCode is the OCHA P-code of the sub-district the event's point is
	// in ("" outside the areas known); its first 6 and 4 characters are
	// its district's and governorate's.
	PCode        string    `json:"pcode,omitempty"`
	IncidentID   string    `json:"incident_id"`
	CreatedAt    time.Time `json:"created_at"`
	Version      int       `json:"version"`
	JournalIndex int64     `json:"journal_index"`
}

// Limits on what an observation may say.
const (
	MaxAccuracy   = 50_000 // metres
	MaxDistance   = 50_000 // metres from the observer
	MaxBearingErr = 45.0   // degrees
	MaxWindow     = 31 * 24 * time.Hour
	MaxCount      = 1_000_000
	MaxNarrative  = 10_000
	MaxWeaponLen  = 200
	MaxActorLen   = 200
	// ClockSkew is how far in the future a time may be (a phone's clock).
	ClockSkew = 5 * time.Minute
)

// Validate checks an observation's input at time now and returns an
// EINVALID error naming the first field that is wrong.
func (in *Input) Validate(now time.Time) error {
	if !slices.Contains(Modes, in.Mode) {
		return truce.Errorf(truce.EINVALID, "mode must be one of %v.", Modes)
	}
	if err := checkPoint("observer_position", in.Position); err != nil {
		return err
	}
	switch {
	case in.Location != nil && in.Bearing != nil:
		return truce.Errorf(truce.EINVALID, "Give the event's location or a bearing from the observer, not both.")
	case in.Location != nil:
		if err := checkPoint("location", *in.Location); err != nil {
			return err
		}
		if !(in.Accuracy > 0 && in.Accuracy <= MaxAccuracy) {
			return truce.Errorf(truce.EINVALID, "accuracy must be more than 0 and at most %d metres.", MaxAccuracy)
		}
	case in.Bearing != nil:
		b := in.Bearing
		if !(b.Degrees >= 0 && b.Degrees < 360) {
			return truce.Errorf(truce.EINVALID, "bearing.degrees must be in [0, 360).")
		}
		if !(b.Error >= 0 && b.Error <= MaxBearingErr) {
			return truce.Errorf(truce.EINVALID, "bearing.error must be in [0, %g] degrees.", MaxBearingErr)
		}
		if !(b.MinDistance >= 0 && b.MaxDistance <= MaxDistance) {
			return truce.Errorf(truce.EINVALID, "bearing distances must be in [0, %d] metres.", MaxDistance)
		}
		if !(b.MinDistance < b.MaxDistance) {
			return truce.Errorf(truce.EINVALID, "bearing.min_distance must be less than bearing.max_distance.")
		}
	default:
		return truce.Errorf(truce.EINVALID, "Give the event's location (with accuracy) or a bearing and distance range from the observer.")
	}
	if in.Start.IsZero() || in.End.IsZero() {
		return truce.Errorf(truce.EINVALID, "start and end are required.")
	}
	if in.End.Before(in.Start) {
		return truce.Errorf(truce.EINVALID, "end must not be before start.")
	}
	if in.End.Sub(in.Start) > MaxWindow {
		return truce.Errorf(truce.EINVALID, "The time window is at most %v.", MaxWindow)
	}
	if in.End.After(now.Add(ClockSkew)) {
		return truce.Errorf(truce.EINVALID, "The event's time is in the future.")
	}
	if in.TimePrecision < 0 || in.TimePrecision > 3 {
		return truce.Errorf(truce.EINVALID, "time_precision must be 1 (exact), 2 or 3 (0: from the window).")
	}
	info, ok := Categories[in.Category]
	if !ok {
		return truce.Errorf(truce.EINVALID, "Unknown category %q.", in.Category)
	}
	if in.SubCategory != "" && !slices.Contains(info.SubCategories, in.SubCategory) {
		return truce.Errorf(truce.EINVALID, "Category %s has no sub-category %q (one of %v).", in.Category, in.SubCategory, info.SubCategories)
	}
	if err := checkCount("events", in.Events); err != nil {
		return err
	}
	if err := checkCount("casualties", in.Casualties); err != nil {
		return err
	}
	if !(in.Confidence >= 0 && in.Confidence <= 1) {
		return truce.Errorf(truce.EINVALID, "confidence must be in [0, 1].")
	}
	if in.Confidence > 0 && in.Actor == "" {
		return truce.Errorf(truce.EINVALID, "A confidence needs the actor it is about.")
	}
	if err := truce.CheckText("weapon", in.Weapon, MaxWeaponLen, false); err != nil {
		return err
	}
	if err := truce.CheckText("actor", in.Actor, MaxActorLen, false); err != nil {
		return err
	}
	return truce.CheckText("narrative", in.Narrative, MaxNarrative, true)
}

func checkPoint(field string, p Point) error {
	if !(p.Lon >= -180 && p.Lon <= 180 && p.Lat >= -85 && p.Lat <= 85) {
		return truce.Errorf(truce.EINVALID, "%s must be a longitude in [-180, 180] and a latitude in [-85, 85].", field)
	}
	return nil
}

func checkCount(field string, c Count) error {
	if c.Low < 0 || c.High > MaxCount {
		return truce.Errorf(truce.EINVALID, "%s must be counts from 0 to %d.", field, MaxCount)
	}
	if !(c.Low <= c.Best && c.Best <= c.High) {
		return truce.Errorf(truce.EINVALID, "%s must have low ≤ best ≤ high.", field)
	}
	return nil
}

// timePrecision returns the given precision, or one from the window's
// length: 1 within a day, 2 within a week, 3 beyond.
func timePrecision(p Precision, start, end time.Time) Precision {
	if p != 0 {
		return p
	}
	switch d := end.Sub(start); {
	case d <= 24*time.Hour:
		return 1
	case d <= 7*24*time.Hour:
		return 2
	}
	return 3
}

// geoPrecision returns ACLED's geo precision for an uncertainty radius:
// 1 within 2 km, 2 within 25 km, 3 beyond.
func geoPrecision(radius float64) Precision {
	switch {
	case radius <= 2000:
		return 1
	case radius <= 25000:
		return 2
	}
	return 3
}
