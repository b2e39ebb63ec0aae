package geo_test

import (
	"encoding/json"
	"errors"
	"math"
	"os"
	"reflect"
	"testing"

	"github.com/paulmach/orb"
	"github.com/truce-project/truce/geo"
)

// realFeatures returns the named features of a real boundary file in
// testdata/ (Natural Earth, public domain; GeoNames, CC BY 4.0: see
// testdata/README.md), each as its own JSON.
func realFeatures(f *testing.F, file, prop string, want ...string) [][]byte {
	f.Helper()
	b, err := os.ReadFile("testdata/" + file)
	if err != nil {
		f.Fatal(err)
	}
	var fc struct {
		Features []json.RawMessage `json:"features"`
	}
	if err := json.Unmarshal(b, &fc); err != nil {
		f.Fatal(err)
	}
	var out [][]byte
	for _, raw := range fc.Features {
		var ft struct {
			Properties map[string]any `json:"properties"`
		}
		json.Unmarshal(raw, &ft)
		for _, w := range want {
			if ft.Properties[prop] == w {
				out = append(out, raw)
			}
		}
	}
	if len(out) != len(want) {
		f.Fatalf("%s: found %d of %v", file, len(out), want)
	}
	return out
}

// checkGeoError fails unless err is one of the two kinds Decode documents.
func checkGeoError(t *testing.T, err error) {
	t.Helper()
	var ve *geo.ValidationError
	if !errors.Is(err, geo.ErrGeoJSON) && !errors.As(err, &ve) {
		t.Fatalf("error %v (%T) is neither ErrGeoJSON nor a ValidationError", err, err)
	}
}

// checkRoundTrip fails unless g, written as GeoJSON, decodes to itself.
func checkRoundTrip(t *testing.T, g orb.Geometry, opts geo.Options) {
	t.Helper()
	b, err := json.Marshal(map[string]any{"type": g.GeoJSONType(), "coordinates": g})
	if err != nil {
		t.Fatalf("%v: %v", g, err)
	}
	again, err := geo.Decode(b, opts)
	if err != nil {
		t.Fatalf("accepted %v, refused it written back as %s: %v", g, b, err)
	}
	if !reflect.DeepEqual(again, g) {
		t.Fatalf("round trip\n got %v\nwant %v", again, g)
	}
}

// FuzzDecodeFeatures drives the zone import's decoder (a FeatureCollection,
// a Feature or a bare geometry) with the options the import uses: every
// accepted feature has a valid geometry that round-trips through GeoJSON,
// and an error is one of the documented kinds with no features.
func FuzzDecodeFeatures(f *testing.F) {
	admin := realFeatures(f, "syria-admin1-naturalearth.geojson", "region_code", "SY-DI", "SY-DY")
	places := realFeatures(f, "syria-places-geonames.geojson", "name", "Latakia", "Tadmur")
	fc := []byte(`{"type":"FeatureCollection","features":[` + string(admin[0]) + `,` + string(places[0]) + `,` + string(places[1]) + `]}`)
	for _, seed := range [][]byte{fc, admin[0], admin[1], places[0]} {
		if fs, err := geo.DecodeFeatures(seed, geo.Options{MaxVertices: 500, Repair: true}); err != nil || len(fs) == 0 {
			f.Fatalf("a real seed was refused: %v", err)
		}
		f.Add(seed)
	}
	f.Add([]byte(`{"type":"Feature","id":7,"properties":{"name":"x"},"geometry":{"type":"Polygon","coordinates":[[[36,33],[36.1,33],[36.1,33.1],[36,33],[36,33]]]}}`))
	f.Add([]byte(`{"type":"FeatureCollection","features":[{"type":"Feature","geometry":null}]}`))
	opts := geo.Options{MaxVertices: 500, Repair: true}
	f.Fuzz(func(t *testing.T, data []byte) {
		fs, err := geo.DecodeFeatures(data, opts)
		if err != nil {
			checkGeoError(t, err)
			if fs != nil {
				t.Fatalf("error %v with %d features", err, len(fs))
			}
			return
		}
		for i, ft := range fs {
			if ft.Geometry == nil {
				t.Fatalf("feature %d has no geometry", i)
			}
			if err := geo.Validate(ft.Geometry, geo.Options{MaxVertices: 500}); err != nil {
				t.Fatalf("feature %d was accepted but is invalid: %v", i, err)
			}
			checkRoundTrip(t, ft.Geometry, opts)
		}
	})
}

// FuzzDecodeRoundTrip: what Decode accepts is valid, normalised (decoding
// it again changes nothing) and survives being written as GeoJSON.
func FuzzDecodeRoundTrip(f *testing.F) {
	for _, raw := range realFeatures(f, "syria-admin1-naturalearth.geojson", "region_code", "SY-DI", "SY-UNDOF") {
		var ft struct {
			Geometry json.RawMessage `json:"geometry"`
		}
		json.Unmarshal(raw, &ft)
		f.Add([]byte(ft.Geometry))
	}
	f.Add([]byte(`{"type":"MultiPolygon","coordinates":[[[[36,33],[36.1,33],[36.1,33.1],[36,33]]],[[[37,33],[37.1,33],[37.1,33.1],[37,33]]]]}`))
	f.Add([]byte(`{"type":"LineString","coordinates":[[36,33],[36.5,33.2,120]]}`))
	f.Add([]byte(`{"type":"Point","coordinates":[180,-90]}`))
	opts := geo.Options{MaxVertices: 500}
	f.Fuzz(func(t *testing.T, data []byte) {
		g, err := geo.Decode(data, opts)
		if err != nil {
			checkGeoError(t, err)
			if g != nil {
				t.Fatalf("error %v with %v", err, g)
			}
			return
		}
		if err := geo.Validate(g, opts); err != nil {
			t.Fatalf("accepted an invalid geometry: %v", err)
		}
		if !reflect.DeepEqual(geo.Normalize(g), g) {
			t.Fatalf("accepted geometry is not normalised: %v", g)
		}
		checkRoundTrip(t, g, opts)
	})
}

// FuzzParseAltitude: zone floors and ceilings. An accepted altitude is in
// range or one of the two unbounded values, and the same altitude in metres
// reads back the same.
func FuzzParseAltitude(f *testing.F) {
	for _, s := range []string{"0", "FL200", "fl 95", "10000ft", "3000m", "3000", "-430m", "SFC", "GND", "UNL", "FL1000", "1e3", "0x10", "Inf"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		v, err := geo.ParseAltitude(s)
		if err != nil {
			if !errors.Is(err, geo.ErrAltitude) || v != 0 {
				t.Fatalf("%q: %v, %v", s, v, err)
			}
			return
		}
		if math.IsInf(v, 0) {
			return
		}
		if math.IsNaN(v) || v < geo.MinAltitude || v > geo.MaxAltitude {
			t.Fatalf("%q accepted as %v m", s, v)
		}
	})
}
