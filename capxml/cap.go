// Package capxml writes Truce alerts as OASIS Common Alerting Protocol 1.2
// documents (CAP-V1.2, OASIS Standard, 1 July 2010) and as an Atom feed of
// them (RFC 4287).
//
// Encode checks the rules of the CAP 1.2 specification that its XML schema
// cannot express (polygons closed with at least four points, ceiling only with
// altitude, restriction or addresses required by scope, identifiers without
// spaces, commas or markup characters) before it writes anything, so every
// document it produces validates against the OASIS schema.
//
// Geometry: CAP writes a point as "lat,lon" (WGS 84), the reverse of GeoJSON's
// [lon, lat]; Point holds named fields so that the order cannot be confused.
package capxml

import (
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"time"
)

// Namespace is the CAP 1.2 XML namespace.
const Namespace = "urn:oasis:names:tc:emergency:cap:1.2"

// MediaType is the media type of a CAP document.
const MediaType = "application/cap+xml"

// ErrInvalid is matched (errors.Is) by every error about an Alert or FeedInfo
// that cannot be written as valid CAP or Atom.
var ErrInvalid = errors.New("cap: invalid alert")

type invalidError struct{ msg string }

func (e *invalidError) Error() string        { return "cap: " + e.msg }
func (e *invalidError) Is(target error) bool { return target == ErrInvalid }

func invalidf(format string, args ...any) error {
	return &invalidError{msg: fmt.Sprintf(format, args...)}
}

// Status is the CAP <status> of an alert.
type Status string

// The CAP 1.2 status values.
const (
	StatusActual   Status = "Actual"
	StatusExercise Status = "Exercise"
	StatusSystem   Status = "System"
	StatusTest     Status = "Test"
	StatusDraft    Status = "Draft"
)

// MsgType is the CAP <msgType> of an alert.
type MsgType string

// The CAP 1.2 message types.
const (
	MsgAlert  MsgType = "Alert"
	MsgUpdate MsgType = "Update"
	MsgCancel MsgType = "Cancel"
	MsgAck    MsgType = "Ack"
	MsgError  MsgType = "Error"
)

// Scope is the CAP <scope> of an alert.
type Scope string

// The CAP 1.2 scopes. Restricted needs Alert.Restriction; Private needs
// Alert.Addresses.
const (
	ScopePublic     Scope = "Public"
	ScopeRestricted Scope = "Restricted"
	ScopePrivate    Scope = "Private"
)

// Category is a CAP <category> of an info block.
type Category string

// The CAP 1.2 categories. Truce's zone and proximity alerts are Security or
// Transport; humanitarian-site alerts Safety.
const (
	CategoryGeo       Category = "Geo"
	CategoryMet       Category = "Met"
	CategorySafety    Category = "Safety"
	CategorySecurity  Category = "Security"
	CategoryRescue    Category = "Rescue"
	CategoryFire      Category = "Fire"
	CategoryHealth    Category = "Health"
	CategoryEnv       Category = "Env"
	CategoryTransport Category = "Transport"
	CategoryInfra     Category = "Infra"
	CategoryCBRNE     Category = "CBRNE"
	CategoryOther     Category = "Other"
)

// ResponseType is a CAP <responseType>.
type ResponseType string

// The CAP 1.2 response types.
const (
	ResponseShelter  ResponseType = "Shelter"
	ResponseEvacuate ResponseType = "Evacuate"
	ResponsePrepare  ResponseType = "Prepare"
	ResponseExecute  ResponseType = "Execute"
	ResponseAvoid    ResponseType = "Avoid"
	ResponseMonitor  ResponseType = "Monitor"
	ResponseAssess   ResponseType = "Assess"
	ResponseAllClear ResponseType = "AllClear"
	ResponseNone     ResponseType = "None"
)

// Urgency is the CAP <urgency> of an info block.
type Urgency string

// The CAP 1.2 urgencies.
const (
	UrgencyImmediate Urgency = "Immediate"
	UrgencyExpected  Urgency = "Expected"
	UrgencyFuture    Urgency = "Future"
	UrgencyPast      Urgency = "Past"
	UrgencyUnknown   Urgency = "Unknown"
)

// Severity is the CAP <severity> of an info block.
type Severity string

// The CAP 1.2 severities.
const (
	SeverityExtreme  Severity = "Extreme"
	SeveritySevere   Severity = "Severe"
	SeverityModerate Severity = "Moderate"
	SeverityMinor    Severity = "Minor"
	SeverityUnknown  Severity = "Unknown"
)

// Certainty is the CAP <certainty> of an info block.
type Certainty string

// The CAP 1.2 certainties.
const (
	CertaintyObserved Certainty = "Observed"
	CertaintyLikely   Certainty = "Likely"
	CertaintyPossible Certainty = "Possible"
	CertaintyUnlikely Certainty = "Unlikely"
	CertaintyUnknown  Certainty = "Unknown"
)

// Alert is one CAP alert message. Zero-valued optional fields are left out
// of the document.
type Alert struct {
	Identifier  string    // unique per Sender; no spaces, commas, '<' or '&'
	Sender      string    // e.g. "truce@monitor.example"; same character rules
	Sent        time.Time // written to the second with a numeric offset, as CAP requires
	Status      Status
	MsgType     MsgType
	Source      string
	Scope       Scope
	Restriction string   // required when Scope is Restricted
	Addresses   []string // required when Scope is Private; an address containing a space is quoted
	Codes       []string
	Note        string
	References  []Reference // earlier messages this one updates, cancels or acknowledges
	Incidents   []string    // incident identifiers; an identifier containing a space is quoted
	Info        []Info
}

// Reference names an earlier CAP message: written "sender,identifier,sent".
type Reference struct {
	Sender     string
	Identifier string
	Sent       time.Time
}

// Info is one CAP <info> block.
type Info struct {
	Language      string     // RFC 3066 tag; empty means CAP's default, en-US
	Categories    []Category // at least one
	Event         string     // required: the kind of event, e.g. "No-fly zone entry"
	ResponseTypes []ResponseType
	Urgency       Urgency
	Severity      Severity
	Certainty     Certainty
	Audience      string
	EventCodes    []NamedValue
	Effective     time.Time
	Onset         time.Time
	Expires       time.Time
	SenderName    string
	Headline      string
	Description   string
	Instruction   string
	Web           string // absolute URI of further information
	Contact       string
	Parameters    []NamedValue
	Areas         []Area
}

// NamedValue is a CAP valueName/value pair (eventCode, parameter, geocode).
type NamedValue struct {
	Name  string
	Value string
}

// Point is a WGS 84 position.
type Point struct {
	Lat, Lon float64
}

// Polygon is a closed ring: at least four points, the first equal to the
// last (CAP 1.2 §3.2.4 "polygon").
type Polygon []Point

// Circle is a centre and a radius in kilometres.
type Circle struct {
	Center   Point
	RadiusKm float64
}

// Area is one CAP <area> block.
type Area struct {
	Desc     string // required
	Polygons []Polygon
	Circles  []Circle
	Geocodes []NamedValue
	// AltitudeFt and CeilingFt are in feet above mean sea level, as CAP
	// defines them; nil means absent, and a ceiling needs an altitude.
	AltitudeFt *float64
	CeilingFt  *float64
}

// capTime is the only dateTime form the CAP 1.2 schema accepts: seconds, no
// fraction, and a numeric offset ("Z" is not allowed).
const capTime = "2006-01-02T15:04:05-07:00"

func formatTime(t time.Time) string { return t.UTC().Format(capTime) }

// The wire structs mirror the schema's element order.
type xmlAlert struct {
	XMLName     xml.Name  `xml:"urn:oasis:names:tc:emergency:cap:1.2 alert"`
	Identifier  string    `xml:"identifier"`
	Sender      string    `xml:"sender"`
	Sent        string    `xml:"sent"`
	Status      Status    `xml:"status"`
	MsgType     MsgType   `xml:"msgType"`
	Source      string    `xml:"source,omitempty"`
	Scope       Scope     `xml:"scope"`
	Restriction string    `xml:"restriction,omitempty"`
	Addresses   string    `xml:"addresses,omitempty"`
	Codes       []string  `xml:"code"`
	Note        string    `xml:"note,omitempty"`
	References  string    `xml:"references,omitempty"`
	Incidents   string    `xml:"incidents,omitempty"`
	Info        []xmlInfo `xml:"info"`
}

type xmlInfo struct {
	Language      string         `xml:"language,omitempty"`
	Categories    []Category     `xml:"category"`
	Event         string         `xml:"event"`
	ResponseTypes []ResponseType `xml:"responseType"`
	Urgency       Urgency        `xml:"urgency"`
	Severity      Severity       `xml:"severity"`
	Certainty     Certainty      `xml:"certainty"`
	Audience      string         `xml:"audience,omitempty"`
	EventCodes    []xmlNamed     `xml:"eventCode"`
	Effective     string         `xml:"effective,omitempty"`
	Onset         string         `xml:"onset,omitempty"`
	Expires       string         `xml:"expires,omitempty"`
	SenderName    string         `xml:"senderName,omitempty"`
	Headline      string         `xml:"headline,omitempty"`
	Description   string         `xml:"description,omitempty"`
	Instruction   string         `xml:"instruction,omitempty"`
	Web           string         `xml:"web,omitempty"`
	Contact       string         `xml:"contact,omitempty"`
	Parameters    []xmlNamed     `xml:"parameter"`
	Areas         []xmlArea      `xml:"area"`
}

type xmlNamed struct {
	Name  string `xml:"valueName"`
	Value string `xml:"value"`
}

type xmlArea struct {
	Desc     string     `xml:"areaDesc"`
	Polygons []string   `xml:"polygon"`
	Circles  []string   `xml:"circle"`
	Geocodes []xmlNamed `xml:"geocode"`
	Altitude string     `xml:"altitude,omitempty"`
	Ceiling  string     `xml:"ceiling,omitempty"`
}

// Encode validates a and writes it to w as a CAP 1.2 XML document (with an
// XML declaration, UTF-8). On a validation error, which matches ErrInvalid,
// nothing is written.
func Encode(w io.Writer, a Alert) error {
	x, err := toXML(a)
	if err != nil {
		return err
	}
	b, err := xml.MarshalIndent(x, "", "  ")
	if err != nil {
		return fmt.Errorf("cap: %w", err)
	}
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return err
	}
	if _, err := w.Write(append(b, '\n')); err != nil {
		return err
	}
	return nil
}

// Validate reports the first reason a cannot be written as valid CAP 1.2.
func Validate(a Alert) error {
	_, err := toXML(a)
	return err
}

func toXML(a Alert) (*xmlAlert, error) {
	if err := checkID("identifier", a.Identifier); err != nil {
		return nil, err
	}
	if err := checkID("sender", a.Sender); err != nil {
		return nil, err
	}
	if a.Sent.IsZero() {
		return nil, invalidf("sent time is required")
	}
	if err := oneOf("status", string(a.Status), "Actual", "Exercise", "System", "Test", "Draft"); err != nil {
		return nil, err
	}
	if err := oneOf("msgType", string(a.MsgType), "Alert", "Update", "Cancel", "Ack", "Error"); err != nil {
		return nil, err
	}
	if err := oneOf("scope", string(a.Scope), "Public", "Restricted", "Private"); err != nil {
		return nil, err
	}
	if a.Scope == ScopeRestricted && strings.TrimSpace(a.Restriction) == "" {
		return nil, invalidf("scope Restricted needs a restriction")
	}
	if a.Scope == ScopePrivate && len(a.Addresses) == 0 {
		return nil, invalidf("scope Private needs addresses")
	}
	if (a.MsgType == MsgUpdate || a.MsgType == MsgCancel || a.MsgType == MsgAck || a.MsgType == MsgError) && len(a.References) == 0 {
		return nil, invalidf("msgType %s needs references to the messages it concerns", a.MsgType)
	}
	x := &xmlAlert{
		Identifier:  a.Identifier,
		Sender:      a.Sender,
		Sent:        formatTime(a.Sent),
		Status:      a.Status,
		MsgType:     a.MsgType,
		Source:      a.Source,
		Scope:       a.Scope,
		Restriction: a.Restriction,
		Codes:       a.Codes,
		Note:        a.Note,
	}
	var err error
	if x.Addresses, err = spaceList("address", a.Addresses); err != nil {
		return nil, err
	}
	if x.Incidents, err = spaceList("incident", a.Incidents); err != nil {
		return nil, err
	}
	refs := make([]string, len(a.References))
	for i, r := range a.References {
		if err := checkID("reference sender", r.Sender); err != nil {
			return nil, err
		}
		if err := checkID("reference identifier", r.Identifier); err != nil {
			return nil, err
		}
		if r.Sent.IsZero() {
			return nil, invalidf("reference %d: sent time is required", i)
		}
		refs[i] = r.Sender + "," + r.Identifier + "," + formatTime(r.Sent)
	}
	x.References = strings.Join(refs, " ")
	for i, in := range a.Info {
		xi, err := infoXML(in)
		if err != nil {
			return nil, fmt.Errorf("info %d: %w", i, err)
		}
		x.Info = append(x.Info, xi)
	}
	return x, nil
}

func infoXML(in Info) (xmlInfo, error) {
	if len(in.Categories) == 0 {
		return xmlInfo{}, invalidf("at least one category is required")
	}
	for _, c := range in.Categories {
		if err := oneOf("category", string(c), "Geo", "Met", "Safety", "Security", "Rescue", "Fire", "Health", "Env", "Transport", "Infra", "CBRNE", "Other"); err != nil {
			return xmlInfo{}, err
		}
	}
	if strings.TrimSpace(in.Event) == "" {
		return xmlInfo{}, invalidf("event is required")
	}
	for _, r := range in.ResponseTypes {
		if err := oneOf("responseType", string(r), "Shelter", "Evacuate", "Prepare", "Execute", "Avoid", "Monitor", "Assess", "AllClear", "None"); err != nil {
			return xmlInfo{}, err
		}
	}
	if err := oneOf("urgency", string(in.Urgency), "Immediate", "Expected", "Future", "Past", "Unknown"); err != nil {
		return xmlInfo{}, err
	}
	if err := oneOf("severity", string(in.Severity), "Extreme", "Severe", "Moderate", "Minor", "Unknown"); err != nil {
		return xmlInfo{}, err
	}
	if err := oneOf("certainty", string(in.Certainty), "Observed", "Likely", "Possible", "Unlikely", "Unknown"); err != nil {
		return xmlInfo{}, err
	}
	if in.Language != "" && !validLanguage(in.Language) {
		return xmlInfo{}, invalidf("language %q is not a language tag", in.Language)
	}
	if in.Web != "" && !strings.Contains(in.Web, ":") {
		return xmlInfo{}, invalidf("web %q is not an absolute URI", in.Web)
	}
	if !in.Effective.IsZero() && !in.Expires.IsZero() && in.Expires.Before(in.Effective) {
		return xmlInfo{}, invalidf("expires %v is before effective %v", in.Expires, in.Effective)
	}
	xi := xmlInfo{
		Language:      in.Language,
		Categories:    in.Categories,
		Event:         in.Event,
		ResponseTypes: in.ResponseTypes,
		Urgency:       in.Urgency,
		Severity:      in.Severity,
		Certainty:     in.Certainty,
		Audience:      in.Audience,
		EventCodes:    named(in.EventCodes),
		SenderName:    in.SenderName,
		Headline:      in.Headline,
		Description:   in.Description,
		Instruction:   in.Instruction,
		Web:           in.Web,
		Contact:       in.Contact,
		Parameters:    named(in.Parameters),
	}
	for _, t := range []struct {
		t   time.Time
		dst *string
	}{{in.Effective, &xi.Effective}, {in.Onset, &xi.Onset}, {in.Expires, &xi.Expires}} {
		if !t.t.IsZero() {
			*t.dst = formatTime(t.t)
		}
	}
	for i, ar := range in.Areas {
		xa, err := areaXML(ar)
		if err != nil {
			return xmlInfo{}, fmt.Errorf("area %d: %w", i, err)
		}
		xi.Areas = append(xi.Areas, xa)
	}
	return xi, nil
}

func areaXML(ar Area) (xmlArea, error) {
	if strings.TrimSpace(ar.Desc) == "" {
		return xmlArea{}, invalidf("areaDesc is required")
	}
	xa := xmlArea{Desc: ar.Desc, Geocodes: named(ar.Geocodes)}
	for i, pg := range ar.Polygons {
		if len(pg) < 4 {
			return xmlArea{}, invalidf("polygon %d has %d points, want at least 4", i, len(pg))
		}
		if pg[0] != pg[len(pg)-1] {
			return xmlArea{}, invalidf("polygon %d is not closed: first point %v, last %v", i, pg[0], pg[len(pg)-1])
		}
		var b strings.Builder
		for j, p := range pg {
			if err := checkPoint(p); err != nil {
				return xmlArea{}, fmt.Errorf("polygon %d point %d: %w", i, j, err)
			}
			if j > 0 {
				b.WriteByte(' ')
			}
			b.WriteString(formatPoint(p))
		}
		xa.Polygons = append(xa.Polygons, b.String())
	}
	for i, c := range ar.Circles {
		if err := checkPoint(c.Center); err != nil {
			return xmlArea{}, fmt.Errorf("circle %d: %w", i, err)
		}
		if !(c.RadiusKm >= 0 && c.RadiusKm <= 20040) { // half the Earth's circumference
			return xmlArea{}, invalidf("circle %d radius %v km out of range", i, c.RadiusKm)
		}
		xa.Circles = append(xa.Circles, formatPoint(c.Center)+" "+formatNum(c.RadiusKm))
	}
	if ar.CeilingFt != nil && ar.AltitudeFt == nil {
		return xmlArea{}, invalidf("ceiling needs an altitude")
	}
	if ar.AltitudeFt != nil {
		if !finite(*ar.AltitudeFt) {
			return xmlArea{}, invalidf("altitude %v is not a number", *ar.AltitudeFt)
		}
		xa.Altitude = formatNum(*ar.AltitudeFt)
	}
	if ar.CeilingFt != nil {
		if !finite(*ar.CeilingFt) || *ar.CeilingFt < *ar.AltitudeFt {
			return xmlArea{}, invalidf("ceiling %v below altitude %v", *ar.CeilingFt, *ar.AltitudeFt)
		}
		xa.Ceiling = formatNum(*ar.CeilingFt)
	}
	return xa, nil
}

func finite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }

func checkPoint(p Point) error {
	if !(p.Lat >= -90 && p.Lat <= 90) || !(p.Lon >= -180 && p.Lon <= 180) {
		return invalidf("point lat %v lon %v out of range", p.Lat, p.Lon)
	}
	return nil
}

// formatPoint writes CAP's "lat,lon" — latitude first, unlike GeoJSON.
func formatPoint(p Point) string { return formatNum(p.Lat) + "," + formatNum(p.Lon) }

func formatNum(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }

func named(vs []NamedValue) []xmlNamed {
	out := make([]xmlNamed, len(vs))
	for i, v := range vs {
		out[i] = xmlNamed(v)
	}
	return out
}

// checkID enforces CAP 1.2's rule for identifier and sender: no spaces,
// commas or restricted characters (< and &). Commas and spaces matter because
// <references> joins these with them.
func checkID(name, s string) error {
	if s == "" {
		return invalidf("%s is required", name)
	}
	if i := strings.IndexAny(s, " ,<&\t\r\n"); i >= 0 {
		return invalidf("%s %q contains %q, which CAP forbids", name, s, s[i])
	}
	return nil
}

func oneOf(name, v string, allowed ...string) error {
	for _, a := range allowed {
		if v == a {
			return nil
		}
	}
	return invalidf("%s %q is not one of %s", name, v, strings.Join(allowed, ", "))
}

// spaceList joins CAP's space-delimited lists, quoting items that contain a
// space as CAP 1.2 prescribes for <addresses>.
func spaceList(name string, items []string) (string, error) {
	parts := make([]string, len(items))
	for i, it := range items {
		if it == "" || strings.ContainsAny(it, "\"\t\r\n") {
			return "", invalidf("%s %q is empty or contains a quote or line break", name, it)
		}
		if strings.Contains(it, " ") {
			it = `"` + it + `"`
		}
		parts[i] = it
	}
	return strings.Join(parts, " "), nil
}

// validLanguage accepts the xs:language pattern: 1–8 letters, then
// hyphen-separated 1–8 letters or digits.
func validLanguage(s string) bool {
	for i, part := range strings.Split(s, "-") {
		if len(part) < 1 || len(part) > 8 {
			return false
		}
		for _, c := range part {
			letter := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
			if !letter && (i == 0 || c < '0' || c > '9') {
				return false
			}
		}
	}
	return true
}
