package humanitarian_test

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/truce-project/truce"
	"github.com/truce-project/truce/humanitarian"
)

const kmlHead = `<?xml version="1.0" encoding="UTF-8"?><kml xmlns="http://www.opengis.net/kml/2.2"><Document><Folder><name>Sites</name>`

func placemark(name, data, geom string) string {
	return `<Placemark><name>` + name + `</name><ExtendedData>` + data + `</ExtendedData>` + geom + `</Placemark>`
}

const siteData = `<Data name="category"><value>hospital</value></Data><Data name="organisation"><value>SARC</value></Data><Data name="valid_from"><value>2030-01-01T00:00:00Z</value></Data>`

// TestParseSites_KML: placemarks in folders are sites, a Point or a
// Polygon with its fields in ExtendedData; every bad placemark is
// reported by its number, and nothing is read from a file with any.
func TestParseSites_KML(t *testing.T) {
	good := kmlHead + placemark("Dar'a hospital", siteData, `<Point><coordinates>36.10213,32.61889,0</coordinates></Point>`) +
		`</Folder><Folder>` + placemark("Camp", strings.Replace(siteData, "hospital", "idp_camp", 1),
		`<Polygon><outerBoundaryIs><LinearRing><coordinates>36.0,32.6 36.01,32.6 36.01,32.61 36.0,32.61 36.0,32.6</coordinates></LinearRing></outerBoundaryIs></Polygon>`) +
		`</Folder></Document></kml>`
	fs, err := humanitarian.ParseSites(humanitarian.FormatKML, []byte(good))
	if err != nil {
		t.Fatal(err)
	}
	if len(fs) != 2 || fs[0].Name != "Dar'a hospital" || fs[0].Category != humanitarian.Hospital || !strings.Contains(string(fs[0].Geometry), `"Point"`) ||
		fs[1].Category != humanitarian.IDPCamp || !strings.Contains(string(fs[1].Geometry), `"Polygon"`) {
		t.Fatalf("sites %+v", fs)
	}
	bad := kmlHead + placemark("Good", siteData, `<Point><coordinates>36.1,32.6</coordinates></Point>`) +
		placemark("Far", siteData, `<Point><coordinates>236.1,32.6</coordinates></Point>`) +
		placemark("Road", siteData, `<LineString><coordinates>36.1,32.6 36.2,32.7</coordinates></LineString>`) +
		placemark("Nobody's", strings.Replace(siteData, "SARC", "", 1), `<Point><coordinates>36.1,32.7</coordinates></Point>`) +
		`</Folder></Document></kml>`
	_, err = humanitarian.ParseSites(humanitarian.FormatKML, []byte(bad))
	var ie *humanitarian.ImportError
	if truce.ErrorCode(err) != truce.EINVALID || !errors.As(err, &ie) {
		t.Fatalf("a file with bad placemarks: %v", err)
	}
	var got []string
	for _, r := range ie.Rows {
		got = append(got, r.Column)
		if r.Line < 2 || r.Line > 4 {
			t.Errorf("a fault at placemark %d: %+v", r.Line, r)
		}
	}
	if len(ie.Rows) != 3 || !strings.Contains(err.Error(), "placemark 2, geometry") || !strings.Contains(err.Error(), "placemark 4, organisation") {
		t.Fatalf("faults %v: %v", got, err)
	}
	for _, tt := range []struct{ name, doc string }{
		{"NotKML", `<gpx></gpx>`},
		{"Broken", kmlHead},
		{"Entity", `<?xml version="1.0"?><!DOCTYPE kml [<!ENTITY x SYSTEM "file:///etc/passwd">]><kml>&x;</kml>`},
	} {
		if _, err := humanitarian.ParseSites(humanitarian.FormatKML, []byte(tt.doc)); truce.ErrorCode(err) != truce.EINVALID {
			t.Errorf("%s: %v", tt.name, err)
		}
	}
}

// TestParseRoute: a GPX track's segments are joined into one route, a GPX
// route and a KML LineString are read as they are; every bad point is
// named by its place; a file of two tracks is refused.
func TestParseRoute(t *testing.T) {
	gpx := func(body string) []byte {
		return []byte(`<?xml version="1.0"?><gpx version="1.1" creator="test" xmlns="http://www.topografix.com/GPX/1/1">` + body + `</gpx>`)
	}
	pt := func(tag, lat, lon string) string {
		return `<` + tag + ` lat="` + lat + `" lon="` + lon + `"><ele>500</ele></` + tag + `>`
	}
	tests := []struct {
		name, format string
		data         []byte
		want         string // the coordinates, or the fault
		ok           bool
	}{
		{"GPXTrack", humanitarian.FormatGPX, gpx(`<trk><name>Ramtha–Dar'a</name><trkseg>` + pt("trkpt", "32.556", "36.0076") + pt("trkpt", "32.59", "36.05") + `</trkseg><trkseg>` + pt("trkpt", "32.6189", "36.102") + `</trkseg></trk>`),
			`[[36.0076,32.556],[36.05,32.59],[36.102,32.6189]]`, true},
		{"GPXRoute", humanitarian.FormatGPX, gpx(`<rte>` + pt("rtept", "32.556", "36.0076") + pt("rtept", "32.6189", "36.102") + `</rte>`), `[[36.0076,32.556],[36.102,32.6189]]`, true},
		{"KML", humanitarian.FormatKML, []byte(kmlHead + `<Placemark><name>Road</name><LineString><coordinates>36.0076,32.556,0 36.102,32.6189,0</coordinates></LineString></Placemark></Folder></Document></kml>`),
			`[[36.0076,32.556],[36.102,32.6189]]`, true},
		{"GPXBadPoints", humanitarian.FormatGPX, gpx(`<trk><trkseg>` + pt("trkpt", "32.556", "36.0076") + `</trkseg><trkseg>` + pt("trkpt", "32.59", "36.05") + pt("trkpt", "132.6", "36.1") + pt("trkpt", "x", "36.1") + `</trkseg></trk>`),
			"track segment 2 point 2: lat \"132.6\"", false},
		{"GPXTwoTracks", humanitarian.FormatGPX, gpx(`<trk><trkseg>` + pt("trkpt", "32.556", "36.0076") + `</trkseg></trk><trk><trkseg>` + pt("trkpt", "32.556", "36.0076") + `</trkseg></trk>`),
			"one track or one route, not 2 tracks", false},
		{"KMLNoLine", humanitarian.FormatKML, []byte(kmlHead + `</Folder></Document></kml>`), "one LineString placemark, not 0", false},
		{"Unknown", "shp", nil, "Unknown route format", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := humanitarian.ParseRoute(tt.format, tt.data)
			if !tt.ok {
				if truce.ErrorCode(err) != truce.EINVALID || !strings.Contains(err.Error(), tt.want) {
					t.Fatalf("err %v, want %q", err, tt.want)
				}
				if tt.name == "GPXBadPoints" && !strings.Contains(err.Error(), "track segment 2 point 3") {
					t.Errorf("the second bad point is not named: %v", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var g struct {
				Type        string          `json:"type"`
				Coordinates json.RawMessage `json:"coordinates"`
			}
			if json.Unmarshal(r, &g) != nil || g.Type != "LineString" || string(g.Coordinates) != tt.want {
				t.Fatalf("route %s, want coordinates %s", r, tt.want)
			}
		})
	}
}
