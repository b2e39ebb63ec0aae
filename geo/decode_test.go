package geo_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"strings"
	"testing"

	"github.com/paulmach/orb"
	"github.com/truce-project/truce/geo"
)

func loadFeatures(t testing.TB, name string) []geo.Feature {
	t.Helper()
	data, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	fs, err := geo.DecodeFeatures(data, geo.Options{Repair: true})
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return fs
}

func byProp(t *testing.T, fs []geo.Feature, key, val string) orb.Geometry {
	t.Helper()
	for _, f := range fs {
		if f.Properties[key] == val {
			return f.Geometry
		}
	}
	t.Fatalf("no feature with %s=%s", key, val)
	return nil
}

// Rural Damascus (SY-RD) has a hole, and Damascus (SY-DI) fills it: a point
// in the city is in SY-DI and must not be in SY-RD.
func TestDecodeFeatures_DamascusHole(t *testing.T) {
	fs := loadFeatures(t, "syria-admin1-naturalearth.geojson")
	if len(fs) != 15 {
		t.Fatalf("got %d features, want 15", len(fs))
	}
	di := byProp(t, fs, "region_code", "SY-DI")
	rd := byProp(t, fs, "region_code", "SY-RD")
	if p, ok := rd.(orb.Polygon); !ok || len(p) != 2 {
		t.Fatalf("SY-RD is %T with %d rings, want a Polygon with one hole", rd, len(rd.(orb.Polygon)))
	}
	city := orb.Point{36.29128, 33.5102} // GeoNames "Damascus"
	if !geo.Contains(di, city) || !geo.Covers(di, city) || !geo.Within(city, di) {
		t.Errorf("Damascus city not in SY-DI")
	}
	if geo.Contains(rd, city) || geo.Covers(rd, city) || geo.Intersects(rd, city) {
		t.Errorf("Damascus city reported in SY-RD: the hole is ignored")
	}
	// The governorates share a border and no area.
	if !geo.Touches(di, rd) || geo.Overlaps(di, rd) {
		m, _ := geo.Relate(di, rd)
		t.Errorf("SY-DI/SY-RD relation %s, want touching without overlap", m)
	}
	// Orientation normalised per RFC 7946: shell CCW, hole CW.
	p := rd.(orb.Polygon)
	if p[0].Orientation() != orb.CCW || p[1].Orientation() != orb.CW {
		t.Errorf("SY-RD rings oriented %v, %v", p[0].Orientation(), p[1].Orientation())
	}
}

// Every GeoNames place lies in at most one governorate; a hole that was
// ignored or an overlap would put some in two. Nearly all lie in one.
func TestContains_PlacesInGovernorates(t *testing.T) {
	for _, set := range []string{"syria-admin1-naturalearth.geojson", "syria-admin1-ocha.geojson"} {
		t.Run(set, func(t *testing.T) {
			govs := loadFeatures(t, set)
			places := loadFeatures(t, "syria-places-geonames.geojson")
			inOne := 0
			for _, pl := range places {
				n := 0
				for _, g := range govs {
					if geo.Contains(g.Geometry, pl.Geometry) {
						n++
					}
				}
				if n > 1 {
					t.Errorf("%v (%v) is in %d governorates", pl.Properties["name"], pl.Geometry, n)
				}
				if n == 1 {
					inOne++
				}
			}
			t.Logf("%d of %d places in exactly one governorate", inOne, len(places))
			if inOne < len(places)*95/100 {
				t.Errorf("only %d of %d places found in a governorate", inOne, len(places))
			}
		})
	}
}

// OCHA's boundaries are real-world data with real defects. Dar'a's ring
// has a zero-width spike that Repair removes; two sub-districts have
// centimetre-scale bow-ties (Taldu near vertex 172, worked by hand: the
// edges 170-171 and 172-173 cross about 3e-7° east of vertex 171) that no
// repair may hide.
func TestDecode_OCHARealDefects(t *testing.T) {
	data, err := os.ReadFile("testdata/syria-admin1-ocha.geojson")
	if err != nil {
		t.Fatal(err)
	}
	_, err = geo.DecodeFeatures(data, geo.Options{})
	var ve *geo.ValidationError
	if !errors.As(err, &ve) || ve.Reason != geo.ReasonSelfIntersection || ve.At == nil || *ve.At != (orb.Point{36.032751, 32.657965}) {
		t.Fatalf("admin1 without repair: got %v, want the Dar'a spike at (36.032751 32.657965)", err)
	}
	if _, err := geo.DecodeFeatures(data, geo.Options{Repair: true}); err != nil {
		t.Fatalf("admin1 with repair: %v", err)
	}

	data, err = os.ReadFile("testdata/syria-admin3-ocha.geojson")
	if err != nil {
		t.Fatal(err)
	}
	var fc struct {
		Features []struct {
			Properties map[string]any
			Geometry   json.RawMessage
		}
	}
	if err := json.Unmarshal(data, &fc); err != nil {
		t.Fatal(err)
	}
	var invalid []string
	for _, f := range fc.Features {
		_, err := geo.Decode(f.Geometry, geo.Options{Repair: true})
		if err == nil {
			continue
		}
		if !errors.As(err, &ve) || ve.Reason != geo.ReasonSelfIntersection {
			t.Errorf("%v: %v, want a self-intersection", f.Properties["NAME_EN"], err)
		}
		invalid = append(invalid, fmt.Sprint(f.Properties["NAME_EN"]))
	}
	t.Logf("%d of %d OCHA sub-districts valid after repair; invalid: %v", len(fc.Features)-len(invalid), len(fc.Features), invalid)
	if len(fc.Features) != 272 || len(invalid) != 2 || invalid[0] != "Taldu" {
		t.Errorf("invalid sub-districts %v of %d, want Taldu and one other of 272", invalid, len(fc.Features))
	}
}

func TestRepair_Spikes(t *testing.T) {
	tests := []struct {
		name string
		in   orb.Ring
		want int // vertices after repair, closing one included
	}{
		{"Clean", orb.Ring{{0, 0}, {1, 0}, {1, 1}, {0, 0}}, 4},
		{"Repeated", orb.Ring{{0, 0}, {1, 0}, {1, 0}, {1, 1}, {0, 0}}, 4},
		{"SpikeBack", orb.Ring{{0, 0}, {1, 0}, {2, 2}, {1, 0}, {1, 1}, {0, 0}}, 4},
		{"CollinearSpike", orb.Ring{{0, 0}, {2, 0}, {3, 0}, {1, 0}, {1, 1}, {0, 0}}, 4},
		{"SpikeAtStart", orb.Ring{{5, 5}, {0, 0}, {1, 0}, {1, 1}, {0, 0}, {5, 5}}, 4},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := geo.Repair(orb.Polygon{tt.in}).(orb.Polygon)
			if len(got[0]) != tt.want {
				t.Fatalf("Repair = %v, want %d vertices", got[0], tt.want)
			}
			if err := geo.ValidateTopology(got); err != nil {
				t.Errorf("repaired ring invalid: %v", err)
			}
		})
	}
}

func TestDecode_Errors(t *testing.T) {
	ring := func(pts ...float64) string {
		var b strings.Builder
		b.WriteString("[")
		for i := 0; i < len(pts); i += 2 {
			if i > 0 {
				b.WriteString(",")
			}
			fmt.Fprintf(&b, "[%g,%g]", pts[i], pts[i+1])
		}
		b.WriteString("]")
		return b.String()
	}
	poly := func(rings ...string) string {
		return `{"type":"Polygon","coordinates":[` + strings.Join(rings, ",") + `]}`
	}
	square := ring(0, 0, 10, 0, 10, 10, 0, 10, 0, 0)
	tests := []struct {
		name         string
		in           string
		reason       string // "" for a GeoJSON syntax error
		ring, vertex int
	}{
		{"NotJSON", `{"type":`, "", -1, -1},
		{"UnknownType", `{"type":"Circle","coordinates":[1,2]}`, "", -1, -1},
		{"Collection", `{"type":"GeometryCollection","geometries":[]}`, "", -1, -1},
		{"ShortPosition", `{"type":"Point","coordinates":[1]}`, "", -1, -1},
		{"LongPosition", `{"type":"Point","coordinates":[1,2,3,4]}`, "", -1, -1},
		{"WrongNesting", `{"type":"Polygon","coordinates":[[1,2],[3,4]]}`, "", -1, -1},
		{"NotClosed", poly(ring(0, 0, 10, 0, 10, 10, 0, 10)), geo.ReasonNotClosed, 0, 3},
		{"TooFew", poly(ring(0, 0, 10, 0, 0, 0)), geo.ReasonTooFewPoints, 0, 2},
		{"Collapsed", poly(ring(0, 0, 10, 0, 10, 0, 0, 0)), geo.ReasonTooFewPoints, 0, 3},
		{"LonRange", poly(ring(0, 0, 190, 0, 10, 10, 0, 0)), geo.ReasonOutOfRange, 0, 1},
		{"LatRange", `{"type":"Point","coordinates":[10,-91]}`, geo.ReasonOutOfRange, -1, -1},
		{"Bowtie", poly(ring(0, 0, 10, 10, 10, 0, 0, 10, 0, 0)), geo.ReasonSelfIntersection, 0, 0},
		{"HoleOutside", poly(square, ring(20, 20, 21, 20, 21, 21, 20, 20)), geo.ReasonHoleOutsideShell, 1, 0},
		{"HoleCrossing", poly(square, ring(5, 5, 15, 5, 15, 6, 5, 5)), geo.ReasonSelfIntersection, 1, 0},
		{"NestedHoles", poly(square, ring(1, 1, 9, 1, 9, 9, 1, 1), ring(6, 2, 8, 2, 8, 4, 6, 2)), geo.ReasonNestedHoles, 2, 0},
		{"LineOnePoint", `{"type":"LineString","coordinates":[[1,1],[1,1]]}`, geo.ReasonTooFewPoints, -1, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g, err := geo.Decode([]byte(tt.in), geo.Options{})
			if err == nil {
				t.Fatalf("Decode succeeded: %v", g)
			}
			var ve *geo.ValidationError
			if tt.reason == "" {
				if !errors.Is(err, geo.ErrGeoJSON) {
					t.Errorf("error %v is not ErrGeoJSON", err)
				}
				return
			}
			if !errors.As(err, &ve) {
				t.Fatalf("error %v (%T) is not *ValidationError", err, err)
			}
			if ve.Reason != tt.reason || ve.Ring != tt.ring || ve.Vertex != tt.vertex {
				t.Errorf("got %q ring %d vertex %d (%v), want %q ring %d vertex %d", ve.Reason, ve.Ring, ve.Vertex, err, tt.reason, tt.ring, tt.vertex)
			}
		})
	}
}

func TestValidate_SelfIntersectionSaysWhere(t *testing.T) {
	bowtie := orb.Polygon{{{0, 0}, {10, 10}, {10, 0}, {0, 10}, {0, 0}}}
	err := geo.Validate(bowtie, geo.Options{})
	var ve *geo.ValidationError
	if !errors.As(err, &ve) || ve.At == nil || *ve.At != (orb.Point{5, 5}) {
		t.Fatalf("got %v, want a self-intersection at (5 5)", err)
	}
	if !strings.Contains(err.Error(), "(5 5)") {
		t.Errorf("message %q does not say where", err)
	}
}

func TestValidate_Limits(t *testing.T) {
	c, err := geo.Circle(orb.Point{36, 34}, 1000, 500)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		g      orb.Geometry
		opts   geo.Options
		reason string
	}{
		{"UnderCap", c, geo.Options{MaxVertices: 501}, ""},
		{"OverCap", c, geo.Options{MaxVertices: 500}, geo.ReasonTooManyVertices},
		{"NoCap", c, geo.Options{MaxVertices: -1}, ""},
		{"NaN", orb.Point{math.NaN(), 1}, geo.Options{}, geo.ReasonNotFinite},
		{"Inf", orb.LineString{{0, 0}, {math.Inf(1), 1}}, geo.Options{}, geo.ReasonNotFinite},
		{"PlanarAllowsRange", orb.Point{500, 500}, geo.Options{Planar: true}, ""},
		{"Nil", nil, geo.Options{}, geo.ReasonEmpty},
		{"EmptyPolygon", orb.Polygon{}, geo.Options{}, geo.ReasonEmpty},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := geo.Validate(tt.g, tt.opts)
			var ve *geo.ValidationError
			switch {
			case tt.reason == "" && err != nil:
				t.Errorf("unexpected error %v", err)
			case tt.reason != "" && (!errors.As(err, &ve) || ve.Reason != tt.reason):
				t.Errorf("got %v, want %q", err, tt.reason)
			}
		})
	}
	// The default cap is 20,000 vertices.
	big, _ := geo.Circle(orb.Point{36, 34}, 1000, 20000)
	if err := geo.Validate(big, geo.Options{}); err == nil {
		t.Errorf("20,001 vertices accepted under the default cap")
	}
}

func TestDecodeFeatures_Shapes(t *testing.T) {
	in := `{"type":"FeatureCollection","features":[
	 {"type":"Feature","id":"a","properties":{"k":1},"geometry":{"type":"Point","coordinates":[36.3,33.5,700]}},
	 {"type":"Feature","id":7,"properties":null,"geometry":{"type":"MultiPolygon","coordinates":[[[[0,0],[0,1],[1,1],[1,0],[0,0]],[[0.2,0.2],[0.8,0.2],[0.8,0.8],[0.2,0.8],[0.2,0.2]]]]}},
	 {"type":"Feature","properties":{},"geometry":{"type":"LineString","coordinates":[[36,33],[36.5,33.5]]}}]}`
	fs, err := geo.DecodeFeatures([]byte(in), geo.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(fs) != 3 || string(fs[0].ID) != `"a"` || string(fs[1].ID) != "7" {
		t.Fatalf("features %+v", fs)
	}
	if p, ok := fs[0].Geometry.(orb.Point); !ok || p != (orb.Point{36.3, 33.5}) {
		t.Errorf("point = %v", fs[0].Geometry)
	}
	mp := fs[1].Geometry.(orb.MultiPolygon)
	if mp[0][0].Orientation() != orb.CCW || mp[0][1].Orientation() != orb.CW {
		t.Errorf("multipolygon not normalised")
	}
	if geo.Contains(mp, orb.Point{0.5, 0.5}) || !geo.Contains(mp, orb.Point{0.1, 0.5}) {
		t.Errorf("multipolygon hole not honoured")
	}
	bad := `{"type":"FeatureCollection","features":[{"type":"Feature","geometry":null}]}`
	if _, err := geo.DecodeFeatures([]byte(bad), geo.Options{}); err == nil || !strings.Contains(err.Error(), "feature 0") {
		t.Errorf("null geometry: %v", err)
	}
}
