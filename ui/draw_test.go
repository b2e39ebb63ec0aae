package ui_test

import (
	"encoding/json"
	"fmt"
	"html"
	"math"
	"os"
	"regexp"
	"testing"
	"time"

	"github.com/paulmach/orb"
	"github.com/truce-project/truce"
	"github.com/truce-project/truce/geo"
	"github.com/truce-project/truce/geo/geotest"
	"github.com/truce-project/truce/ui"
)

// The OCHA sub-districts of Syria (COD-AB, CC BY-IGO, credit OCHA / HDX),
// kept once in geo's testdata: 272 real boundaries of about 480 vertices
// each, with holes and islands.
const admin3 = "../geo/testdata/syria-admin3-ocha.geojson"

func subdistricts(t *testing.T) []json.RawMessage {
	t.Helper()
	b, err := os.ReadFile(admin3)
	if err != nil {
		t.Fatal(err)
	}
	var fc struct {
		Features []struct {
			Geometry json.RawMessage `json:"geometry"`
		} `json:"features"`
	}
	if err := json.Unmarshal(b, &fc); err != nil {
		t.Fatal(err)
	}
	out := make([]json.RawMessage, len(fc.Features))
	for i, f := range fc.Features {
		out[i] = f.Geometry
	}
	return out
}

func decode(t *testing.T, raw json.RawMessage) orb.Geometry {
	t.Helper()
	g, err := geo.Decode(raw, geo.Options{SkipTopology: true, MaxVertices: -1})
	if err != nil {
		t.Fatalf("%v: %.200s", err, raw)
	}
	return g
}

// TestSimplifyForDrawing_OCHA simplifies every real sub-district at the
// map's zooms: each stays valid when it was valid, keeps its bounds to
// within the tolerance, keeps only (rounded) vertices of its own, and the
// whole set shrinks to what a browser draws quickly.
func TestSimplifyForDrawing_OCHA(t *testing.T) {
	raws := subdistricts(t)
	for _, tc := range []struct {
		zoom     int
		maxShare float64 // of the vertices kept, at most
	}{{5, 0.03}, {7, 0.08}, {9, 0.15}, {12, 0.5}} {
		t.Run(fmt.Sprintf("zoom%d", tc.zoom), func(t *testing.T) {
			tol := ui.DrawTolerance(tc.zoom)
			var before, after int
			for i, raw := range raws {
				orig := decode(t, raw)
				out, err := ui.SimplifyForDrawing(raw, tc.zoom)
				if err != nil {
					t.Fatalf("sub-district %d: %v", i, err)
				}
				s := decode(t, out)
				before, after = before+geotest.Vertices(orig), after+geotest.Vertices(s)
				if geo.ValidateTopology(orig) == nil {
					if err := geo.ValidateTopology(s); err != nil {
						t.Errorf("sub-district %d is valid, its drawing at zoom %d is not: %v", i, tc.zoom, err)
					}
				}
				ob, sb := orig.Bound(), s.Bound()
				for j, d := range []float64{ob.Min[0] - sb.Min[0], ob.Min[1] - sb.Min[1], ob.Max[0] - sb.Max[0], ob.Max[1] - sb.Max[1]} {
					if math.Abs(d) > tol*1.1 {
						t.Errorf("sub-district %d at zoom %d: bound %d moved %g°, tolerance %g°", i, tc.zoom, j, d, tol)
					}
				}
				own := map[orb.Point]bool{}
				eachPoint(orig, func(p orb.Point) { own[p] = true })
				eachPoint(s, func(p orb.Point) {
					if !own[p] && !near(own, p, tol/10) {
						t.Fatalf("sub-district %d at zoom %d: vertex %v is not one of its own", i, tc.zoom, p)
					}
				})
			}
			share := float64(after) / float64(before)
			t.Logf("zoom %d (tolerance %.2g°): %d of %d vertices kept (%.1f%%)", tc.zoom, tol, after, before, 100*share)
			if share > tc.maxShare {
				t.Errorf("zoom %d keeps %.1f%% of the vertices, want at most %.0f%%", tc.zoom, 100*share, 100*tc.maxShare)
			}
		})
	}
}

func eachPoint(g orb.Geometry, f func(orb.Point)) {
	switch g := g.(type) {
	case orb.Polygon:
		for _, r := range g {
			for _, p := range r {
				f(p)
			}
		}
	case orb.MultiPolygon:
		for _, p := range g {
			eachPoint(p, f)
		}
	}
}

func near(set map[orb.Point]bool, p orb.Point, d float64) bool {
	for q := range set {
		if math.Abs(q[0]-p[0]) <= d && math.Abs(q[1]-p[1]) <= d {
			return true
		}
	}
	return false
}

// TestSimplifyForDrawing_SmallShapes: what is smaller than a pixel stays
// drawable (a shell is never dropped), a pixel-sized hole goes, and a
// point or line comes back as a point or line.
func TestSimplifyForDrawing_SmallShapes(t *testing.T) {
	square := func(x, y, d float64) string {
		return fmt.Sprintf("[[%g,%g],[%g,%g],[%g,%g],[%g,%g],[%g,%g]]", x, y, x+d, y, x+d, y+d, x, y+d, x, y)
	}
	hole := func(x, y, d float64) string {
		return fmt.Sprintf("[[%g,%g],[%g,%g],[%g,%g],[%g,%g],[%g,%g]]", x, y, x, y+d, x+d, y+d, x+d, y, x, y)
	}
	for _, tc := range []struct {
		name  string
		geom  string
		zoom  int
		want  string // GeoJSON type
		rings []int  // ring lengths of the first polygon
	}{
		{"a 10 m square at zoom 5", `{"type":"Polygon","coordinates":[` + square(36.1, 33.1, 0.0001) + `]}`, 5, "Polygon", []int{5}},
		{"a 1 km hole at zoom 6 goes", `{"type":"Polygon","coordinates":[` + square(36, 33, 1) + `,` + hole(36.5, 33.5, 0.01) + `]}`, 6, "Polygon", []int{5}},
		{"a 1 km hole at zoom 13 stays", `{"type":"Polygon","coordinates":[` + square(36, 33, 1) + `,` + hole(36.5, 33.5, 0.01) + `]}`, 13, "Polygon", []int{5, 5}},
		{"a tiny island of a MultiPolygon", `{"type":"MultiPolygon","coordinates":[[` + square(36, 33, 1) + `],[` + square(38, 33, 0.0001) + `]]}`, 5, "MultiPolygon", []int{5}},
		{"a corridor's centre line", `{"type":"LineString","coordinates":[[36,33],[36.00001,33.5],[36,34]]}`, 7, "LineString", nil},
		{"a point", `{"type":"Point","coordinates":[36,33]}`, 7, "Point", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, err := ui.SimplifyForDrawing(json.RawMessage(tc.geom), tc.zoom)
			if err != nil {
				t.Fatal(err)
			}
			g := decode(t, out)
			if g.GeoJSONType() != tc.want {
				t.Fatalf("%s became %s", tc.geom, out)
			}
			if err := geo.ValidateTopology(g); err != nil {
				t.Fatalf("%s: %v", out, err)
			}
			var p orb.Polygon
			switch g := g.(type) {
			case orb.Polygon:
				p = g
			case orb.MultiPolygon:
				p = g[0]
			case orb.LineString:
				if len(g) != 2 {
					t.Fatalf("line %s: want its two ends", out)
				}
			}
			if p != nil {
				var got []int
				for _, r := range p {
					got = append(got, len(r))
				}
				if fmt.Sprint(got) != fmt.Sprint(tc.rings) {
					t.Fatalf("%s: rings of %v vertices, want %v", out, got, tc.rings)
				}
			}
		})
	}
	if _, err := ui.SimplifyForDrawing(json.RawMessage(`{"type":"Polygon","coordinates":"x"}`), 7); err == nil {
		t.Error("a broken geometry gave no error")
	}
}

// TestZonesGeoJSON_ZoomAndBBox: the map's zone source serves the real
// sub-district simplified for the asked zoom and only within the asked
// box, and refuses a bad zoom or box.
func TestZonesGeoJSON_ZoomAndBBox(t *testing.T) {
	s := newServer(t)
	c := client(t)
	login(t, s, c, "us-operator", "us-password-1")
	us := actorOf(t, s, "us-operator", "us-password-1")
	ag, err := s.node.Zones.CreateAgreement(us, truce.AgreementCreate{Title: "Local truce", Signatories: []string{"us"},
		EffectiveFrom: time.Now().Add(-time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := truce.AgreeAll(s.node.Zones, ag.ID, truce.AgreementMotion{Action: truce.AgreementBringIntoForce}, us); err != nil {
		t.Fatal(err)
	}
	raw := subdistricts(t)[0]
	z, _, err := s.node.Zones.ProposeZone(us, truce.ZoneProposal{Agreement: ag.ID, Name: "Damascus", Kind: truce.ZoneDeescalation, Geometry: raw})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.node.Zones.DecideZone(us, z.ID, 1, truce.ZoneDecision{Approve: true}); err != nil {
		t.Fatal(err)
	}
	stored := geotest.Vertices(decode(t, raw))
	for _, tc := range []struct {
		query    string
		status   int
		features int
		simpler  bool
	}{
		{"", 200, 1, false},
		{"zoom=7", 200, 1, true},
		{"zoom=7&bbox=35,33,37,34", 200, 1, true},
		{"zoom=7&bbox=40,33,41,34", 200, 0, false},
		{"zoom=-1", 400, 0, false},
		{"zoom=seven", 400, 0, false},
		{"bbox=1,2,3", 400, 0, false},
		{"bbox=40,33,35,34", 400, 0, false},
	} {
		resp, body := get(t, c, s.url+"/map/zones.geojson?"+tc.query)
		if resp.StatusCode != tc.status {
			t.Errorf("%q: %d %s", tc.query, resp.StatusCode, body)
			continue
		}
		if tc.status != 200 {
			continue
		}
		var fc struct {
			Features []struct {
				Geometry json.RawMessage `json:"geometry"`
			} `json:"features"`
		}
		if err := json.Unmarshal([]byte(body), &fc); err != nil {
			t.Fatal(err)
		}
		if len(fc.Features) != tc.features {
			t.Errorf("%q: %d features, want %d", tc.query, len(fc.Features), tc.features)
			continue
		}
		if tc.features == 0 {
			continue
		}
		n := geotest.Vertices(decode(t, fc.Features[0].Geometry))
		if simpler := n < stored/4; simpler != tc.simpler {
			t.Errorf("%q: %d of %d vertices served", tc.query, n, stored)
		}
	}
	// The map opens on the zone.
	_, page := get(t, c, s.url+"/map")
	m := regexp.MustCompile(`data-config="([^"]*)"`).FindStringSubmatch(page)
	var cfg struct {
		Fit []float64 `json:"fit"`
	}
	if m == nil || json.Unmarshal([]byte(html.UnescapeString(m[1])), &cfg) != nil {
		t.Fatal("no map config")
	}
	b := decode(t, raw).Bound()
	if fmt.Sprint(cfg.Fit) != fmt.Sprint([]float64{b.Min[0], b.Min[1], b.Max[0], b.Max[1]}) {
		t.Errorf("the map opens on %v, want the zone's bounds %v", cfg.Fit, b)
	}
}
