package api_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/truce-project/truce"
)

// TestZoneService_ImportErrorsNameTheFeature: a refused multi-feature
// import says which feature failed, by index and name, whatever the
// stage that refused it (geometry decoding and validation, or the rules
// of a proposal), and changes nothing.
func TestZoneService_ImportErrorsNameTheFeature(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	good := `{"type":"Feature","properties":{"name":"Good box"},"geometry":` + boxJSON + `}`
	for _, tt := range []struct {
		name, bad, want string
	}{
		{"SelfIntersection", `{"type":"Feature","properties":{"name":"Bow-tie field"},"geometry":` + bowTieJSON + `}`, "self-intersection"},
		{"OutOfRange", `{"type":"Feature","properties":{"name":"Far away"},"geometry":{"type":"Point","coordinates":[200,33]}}`, "Invalid"},
		{"NoGeometry", `{"type":"Feature","properties":{"name":"Empty"},"geometry":null}`, "no geometry"},
		{"BadRule", `{"type":"Feature","properties":{"name":"Line without width"},"geometry":{"type":"LineString","coordinates":[[36,33],[36.1,33.1]]}}`, "half_width_m"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			fc := `{"type":"FeatureCollection","features":[` + good + `,` + good + `,` + tt.bad + `]}`
			var f struct {
				Features []struct{ Properties map[string]any }
			}
			if err := json.Unmarshal([]byte(fc), &f); err != nil {
				t.Fatal(err)
			}
			name := f.Features[2].Properties["name"].(string)
			before := e.journalSize()
			_, err := e.client(e.tokens["us-op"]).ImportZones(ctx, truce.ZoneImport{Agreement: e.agreement.ID, Features: json.RawMessage(fc),
				Defaults: truce.ZoneProposal{Kind: truce.ZoneBuffer}})
			msg := truce.ErrorMessage(err)
			if err == nil || !strings.Contains(msg, "Feature 2") || !strings.Contains(msg, `"`+name+`"`) || !strings.Contains(msg, tt.want) {
				t.Fatalf("error %v; want one naming feature 2 %q and saying %q", err, name, tt.want)
			}
			if e.journalSize() != before {
				t.Error("a refused import changed the journal")
			}
		})
	}
}
