package capxml_test

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/truce-project/truce/capxml"
)

// xmllint returns the path of xmllint. Without it the schema checks cannot
// run: they fail when TRUCE_REQUIRE_XMLLINT=1 (CI), and skip loudly
// otherwise.
func xmllint(t *testing.T) string {
	t.Helper()
	p, err := exec.LookPath("xmllint")
	if err == nil {
		return p
	}
	if os.Getenv("TRUCE_REQUIRE_XMLLINT") == "1" {
		t.Fatalf("xmllint not found but TRUCE_REQUIRE_XMLLINT=1: install it with `apt-get install -y libxml2-utils`")
	}
	t.Skipf("SKIPPING SCHEMA VALIDATION: xmllint not found (apt-get install -y libxml2-utils; set TRUCE_REQUIRE_XMLLINT=1 to make this a failure)")
	return ""
}

// validate runs xmllint offline (--nonet) against an XSD or RELAX NG schema
// and returns its verdict and output.
func validate(t *testing.T, doc []byte, flag, schema string) (bool, string) {
	t.Helper()
	bin := xmllint(t)
	f := filepath.Join(t.TempDir(), "doc.xml")
	if err := os.WriteFile(f, doc, 0o644); err != nil {
		t.Fatal(err)
	}
	return validateFile(t, bin, f, flag, schema)
}

func validateFile(t *testing.T, bin, file, flag, schema string) (bool, string) {
	t.Helper()
	out, err := exec.Command(bin, "--noout", "--nonet", flag, schema, file).CombinedOutput()
	if err != nil {
		var ee *exec.ExitError
		if !errors.As(err, &ee) {
			t.Fatalf("running xmllint: %v", err)
		}
		// Exit 3 and 4 mean the document failed validation (or did not
		// parse); 5 means the schema itself did not compile, a test bug.
		if code := ee.ExitCode(); code == 5 {
			t.Fatalf("schema %s did not compile: %s", schema, out)
		}
		return false, string(out)
	}
	return true, string(out)
}

const (
	cap12 = "testdata/cap12.xsd"
	cap11 = "testdata/cap11.xsd"
	atom  = "testdata/atom_rfc4287.rng"
)

// TestValidatorIsReal proves the xmllint setup can say no: real documents
// known to be invalid are rejected, real valid ones accepted.
func TestValidatorIsReal(t *testing.T) {
	bin := xmllint(t)
	tests := []struct {
		file, flag, schema string
		valid              bool
	}{
		{"testdata/invalid.cap", "--schema", cap12, false},   // no <scope>
		{"testdata/canada.cap", "--schema", cap12, true},     // a real CAP 1.2 alert
		{"testdata/weather.cap", "--schema", cap11, true},    // a real CAP 1.1 alert…
		{"testdata/weather.cap", "--schema", cap12, false},   // …is not CAP 1.2 (namespace)
		{"testdata/xee.cap", "--schema", cap12, false},       // external-entity attack
		{"testdata/weather.atom", "--relaxng", atom, true},   // a real Atom feed
		{"testdata/no_id.atom", "--relaxng", atom, false},    // feed without <id>
		{"testdata/no_title.atom", "--relaxng", atom, false}, // feed without <title>
		{"testdata/invalid_element.atom", "--relaxng", atom, false},
	}
	for _, tt := range tests {
		t.Run(filepath.Base(tt.file)+"/"+filepath.Base(tt.schema), func(t *testing.T) {
			ok, out := validateFile(t, bin, tt.file, tt.flag, tt.schema)
			if ok != tt.valid {
				t.Errorf("valid=%v, want %v: %s", ok, tt.valid, out)
			}
		})
	}
}

// undof reads the real UNDOF zone polygon (GeoJSON, [lon, lat]) as a CAP
// polygon.
func undof(t *testing.T) capxml.Polygon {
	t.Helper()
	b, err := os.ReadFile("testdata/undof-naturalearth.geojson")
	if err != nil {
		t.Fatal(err)
	}
	var fc struct {
		Features []struct {
			Geometry struct {
				Coordinates [][][2]float64 `json:"coordinates"`
			} `json:"geometry"`
		} `json:"features"`
	}
	if err := json.Unmarshal(b, &fc); err != nil {
		t.Fatal(err)
	}
	var pg capxml.Polygon
	for _, c := range fc.Features[0].Geometry.Coordinates[0] {
		pg = append(pg, capxml.Point{Lat: c[1], Lon: c[0]})
	}
	return pg
}

func f64(v float64) *float64 { return &v }

var sent = time.Date(2026, 11, 30, 14, 5, 9, 123_000_000, time.FixedZone("EET", 2*3600))

func minimal() capxml.Alert {
	return capxml.Alert{Identifier: "truce-alert-0001", Sender: "monitor@truce.example", Sent: sent,
		Status: capxml.StatusActual, MsgType: capxml.MsgAlert, Scope: capxml.ScopePublic}
}

func full(t *testing.T) capxml.Alert {
	a := minimal()
	a.Source = "Truce airspace monitor"
	a.Codes = []string{"TRUCE-1"}
	a.Note = "Relocated recording: demonstration"
	a.Incidents = []string{"inc-42", "inc 43"}
	a.Info = []capxml.Info{{
		Language:      "en-GB",
		Categories:    []capxml.Category{capxml.CategorySecurity, capxml.CategoryTransport},
		Event:         "No-fly zone entry",
		ResponseTypes: []capxml.ResponseType{capxml.ResponseMonitor},
		Urgency:       capxml.UrgencyImmediate,
		Severity:      capxml.SeveritySevere,
		Certainty:     capxml.CertaintyObserved,
		Audience:      "signatory parties",
		EventCodes:    []capxml.NamedValue{{Name: "TRUCE", Value: "zone_entry"}},
		Effective:     sent,
		Onset:         sent,
		Expires:       sent.Add(time.Hour),
		SenderName:    "Truce monitor",
		Headline:      "Aircraft 4B1908 entered the UNDOF no-fly zone",
		Description:   "Aircraft 4B1908 (SWR40) entered zone & stayed < 2 min",
		Instruction:   "Acknowledge receipt.",
		Web:           "https://truce.example/alerts/0001",
		Contact:       "ops@truce.example",
		Parameters:    []capxml.NamedValue{{Name: "icao", Value: "4B1908"}, {Name: "squawk", Value: "7700"}},
		Areas: []capxml.Area{{
			Desc:       "UNDOF area of separation",
			Polygons:   []capxml.Polygon{undof(t)},
			Circles:    []capxml.Circle{{Center: capxml.Point{Lat: 33.2, Lon: 35.85}, RadiusKm: 5.5}},
			Geocodes:   []capxml.NamedValue{{Name: "ISO3166-2", Value: "SY-UNDOF"}},
			AltitudeFt: f64(0),
			CeilingFt:  f64(45000),
		}},
	}}
	return a
}

// parsedAlert is an independent reading of the fields the tests check.
type parsedAlert struct {
	XMLName    xml.Name `xml:"urn:oasis:names:tc:emergency:cap:1.2 alert"`
	Sent       string   `xml:"sent"`
	References string   `xml:"references"`
	Incidents  string   `xml:"incidents"`
	Addresses  string   `xml:"addresses"`
	Info       []struct {
		Description string `xml:"description"`
		Area        []struct {
			Polygon []string `xml:"polygon"`
			Circle  []string `xml:"circle"`
		} `xml:"area"`
	} `xml:"info"`
}

func TestEncode_ValidatesAgainstSchema(t *testing.T) {
	restricted := minimal()
	restricted.Scope, restricted.Restriction = capxml.ScopeRestricted, "Signatory parties only"
	private := minimal()
	private.Scope, private.Addresses = capxml.ScopePrivate, []string{"party-a@truce.example", "Party B ops"}
	cancel := minimal()
	cancel.MsgType = capxml.MsgCancel
	cancel.References = []capxml.Reference{{Sender: "monitor@truce.example", Identifier: "truce-alert-0001", Sent: sent}}
	multi := full(t)
	multi.Info = append(multi.Info, capxml.Info{Categories: []capxml.Category{capxml.CategoryOther}, Event: "x",
		Urgency: capxml.UrgencyUnknown, Severity: capxml.SeverityUnknown, Certainty: capxml.CertaintyUnknown, Language: "ar"})

	for _, tt := range []struct {
		name  string
		alert capxml.Alert
	}{
		{"Minimal", minimal()}, {"Full", full(t)}, {"Restricted", restricted},
		{"Private", private}, {"Cancel", cancel}, {"TwoInfos", multi},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := capxml.Encode(&buf, tt.alert); err != nil {
				t.Fatal(err)
			}
			var p parsedAlert
			if err := xml.Unmarshal(buf.Bytes(), &p); err != nil {
				t.Fatal(err)
			}
			if p.Sent != "2026-11-30T12:05:09+00:00" {
				t.Errorf("sent %q", p.Sent)
			}
			if ok, out := validate(t, buf.Bytes(), "--schema", cap12); !ok {
				t.Fatalf("not valid CAP 1.2: %s\n%s", out, buf.String())
			}
		})
	}
}

// TestEncode_Content checks what the schema cannot: CAP's lat,lon order on
// a real polygon, escaping, quoting of lists, references.
func TestEncode_Content(t *testing.T) {
	a := full(t)
	var buf bytes.Buffer
	if err := capxml.Encode(&buf, a); err != nil {
		t.Fatal(err)
	}
	var p parsedAlert
	if err := xml.Unmarshal(buf.Bytes(), &p); err != nil {
		t.Fatal(err)
	}
	ring := a.Info[0].Areas[0].Polygons[0]
	pairs := strings.Fields(p.Info[0].Area[0].Polygon[0])
	if len(pairs) != len(ring) || pairs[0] != pairs[len(pairs)-1] {
		t.Fatalf("%d pairs for %d points, closed=%v", len(pairs), len(ring), pairs[0] == pairs[len(pairs)-1])
	}
	for i, pair := range pairs {
		latS, lonS, ok := strings.Cut(pair, ",")
		lat, err1 := strconv.ParseFloat(latS, 64)
		lon, err2 := strconv.ParseFloat(lonS, 64)
		if !ok || err1 != nil || err2 != nil || lat != ring[i].Lat || lon != ring[i].Lon {
			t.Fatalf("pair %d %q, want lat %v lon %v", i, pair, ring[i].Lat, ring[i].Lon)
		}
		// UNDOF lies at 32.7–33.4°N, 35.7–36.0°E: a swapped pair is caught.
		if lat < 32 || lat > 34 || lon < 35 || lon > 37 {
			t.Fatalf("pair %d %q is not lat,lon over the Golan", i, pair)
		}
	}
	if got := p.Info[0].Area[0].Circle[0]; got != "33.2,35.85 5.5" {
		t.Errorf("circle %q", got)
	}
	if got := p.Info[0].Description; got != a.Info[0].Description {
		t.Errorf("description round trip %q", got)
	}
	if p.Incidents != `inc-42 "inc 43"` {
		t.Errorf("incidents %q", p.Incidents)
	}
}

func TestEncode_Invalid(t *testing.T) {
	mod := func(f func(a *capxml.Alert)) capxml.Alert {
		a := full(t)
		f(&a)
		return a
	}
	area := func(a *capxml.Alert) *capxml.Area { return &a.Info[0].Areas[0] }
	tests := []struct {
		name  string
		alert capxml.Alert
		want  string
	}{
		{"NoIdentifier", mod(func(a *capxml.Alert) { a.Identifier = "" }), "identifier is required"},
		{"IdentifierSpace", mod(func(a *capxml.Alert) { a.Identifier = "a b" }), "identifier"},
		{"SenderComma", mod(func(a *capxml.Alert) { a.Sender = "a,b" }), "sender"},
		{"SenderAmp", mod(func(a *capxml.Alert) { a.Sender = "a&b" }), "sender"},
		{"NoSent", mod(func(a *capxml.Alert) { a.Sent = time.Time{} }), "sent"},
		{"BadStatus", mod(func(a *capxml.Alert) { a.Status = "Real" }), "status"},
		{"BadScope", mod(func(a *capxml.Alert) { a.Scope = "" }), "scope"},
		{"RestrictedNoRestriction", mod(func(a *capxml.Alert) { a.Scope = capxml.ScopeRestricted }), "restriction"},
		{"PrivateNoAddresses", mod(func(a *capxml.Alert) { a.Scope = capxml.ScopePrivate }), "addresses"},
		{"UpdateNoReferences", mod(func(a *capxml.Alert) { a.MsgType = capxml.MsgUpdate }), "references"},
		{"NoCategory", mod(func(a *capxml.Alert) { a.Info[0].Categories = nil }), "category"},
		{"BadCategory", mod(func(a *capxml.Alert) { a.Info[0].Categories = []capxml.Category{"Military"} }), "category"},
		{"NoEvent", mod(func(a *capxml.Alert) { a.Info[0].Event = " " }), "event"},
		{"BadUrgency", mod(func(a *capxml.Alert) { a.Info[0].Urgency = "" }), "urgency"},
		{"BadLanguage", mod(func(a *capxml.Alert) { a.Info[0].Language = "en_GB" }), "language"},
		{"ExpiresBeforeEffective", mod(func(a *capxml.Alert) { a.Info[0].Expires = sent.Add(-time.Hour) }), "expires"},
		{"NoAreaDesc", mod(func(a *capxml.Alert) { area(a).Desc = "" }), "areaDesc"},
		{"OpenPolygon", mod(func(a *capxml.Alert) {
			pg := area(a).Polygons[0]
			area(a).Polygons[0] = pg[:len(pg)-1]
		}), "not closed"},
		{"ThreePoints", mod(func(a *capxml.Alert) {
			area(a).Polygons[0] = capxml.Polygon{{Lat: 1, Lon: 1}, {Lat: 2, Lon: 2}, {Lat: 1, Lon: 1}}
		}), "at least 4"},
		{"SwappedOutOfRange", mod(func(a *capxml.Alert) {
			area(a).Polygons[0] = capxml.Polygon{{Lat: 100, Lon: 1}, {Lat: 2, Lon: 2}, {Lat: 3, Lon: 1}, {Lat: 100, Lon: 1}}
		}), "out of range"},
		{"NegativeRadius", mod(func(a *capxml.Alert) { area(a).Circles[0].RadiusKm = -1 }), "radius"},
		{"CeilingWithoutAltitude", mod(func(a *capxml.Alert) { area(a).AltitudeFt = nil }), "ceiling needs an altitude"},
		{"CeilingBelowAltitude", mod(func(a *capxml.Alert) { area(a).AltitudeFt = f64(50000) }), "below altitude"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			err := capxml.Encode(&buf, tt.alert)
			if !errors.Is(err, capxml.ErrInvalid) {
				t.Fatalf("err %v, want ErrInvalid", err)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err %q does not mention %q", err, tt.want)
			}
			if buf.Len() != 0 {
				t.Errorf("wrote %d bytes for an invalid alert", buf.Len())
			}
		})
	}
}
