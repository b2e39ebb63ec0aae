package truce_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/truce-project/truce"
)

// TestZoneFeature checks the one zone → GeoJSON mapping against the
// features it must write.
func TestZoneFeature(t *testing.T) {
	sq := json.RawMessage(`{"type":"Polygon","coordinates":[[[35,33],[36,33],[36,34],[35,33]]]}`)
	line := json.RawMessage(`{"type":"LineString","coordinates":[[35,33],[36,34]]}`)
	pt := json.RawMessage(`{"type":"Polygon","coordinates":[[[35.9,32.9],[36.1,32.9],[36.1,33.1],[35.9,32.9]]]}`)
	m := func(f float64) *float64 { return &f }
	beirut := time.FixedZone("EET", 2*3600)
	from, until := t0.In(beirut), t2
	for _, c := range []struct {
		name string
		v    *truce.ZoneVersion
		want string
	}{
		{"Proposed",
			&truce.ZoneVersion{ZoneID: "z1", AgreementID: "ag1", Version: 1, Status: truce.VersionProposed,
				Spec: truce.ZoneSpec{Name: "North", Kind: truce.ZoneNoFly, Geometry: sq}},
			`{"type":"Feature","id":"z1","geometry":` + string(sq) + `,"properties":{"agreement_id":"ag1","in_force_from":null,"kind":"no_fly","name":"North","status":"proposed","version":1,"zone_id":"z1"}}`},
		{"InForceBandWindowsUTC",
			&truce.ZoneVersion{ZoneID: "z1", AgreementID: "ag1", Version: 2, Status: truce.VersionSuperseded, InForceFrom: &from, InForceUntil: &until,
				Spec: truce.ZoneSpec{Name: "North", Kind: truce.ZoneBuffer, Geometry: sq, FloorM: m(0), CeilingM: m(6096),
					Windows: []truce.Window{{Start: &t0, End: &t1}}}},
			`{"type":"Feature","id":"z1","geometry":` + string(sq) + `,"properties":{"agreement_id":"ag1","ceiling_m":6096,"floor_m":0,` +
				`"in_force_from":"2026-03-01T12:00:00Z","in_force_until":"2026-03-03T12:00:00Z","kind":"buffer","name":"North","status":"superseded","version":2,` +
				`"windows":[{"start":"2026-03-01T12:00:00Z","end":"2026-03-01T13:00:00Z"}],"zone_id":"z1"}}`},
		{"Corridor",
			&truce.ZoneVersion{ZoneID: "z2", AgreementID: "ag1", Version: 1, Status: truce.VersionApproved, InForceFrom: &t1,
				Spec: truce.ZoneSpec{Name: "Road", Kind: truce.ZoneCorridor, Geometry: line, HalfWidthM: 500}},
			`{"type":"Feature","id":"z2","geometry":` + string(line) + `,"properties":{"agreement_id":"ag1","half_width_m":500,"in_force_from":"2026-03-01T13:00:00Z",` +
				`"kind":"humanitarian_corridor","name":"Road","status":"approved","version":1,"zone_id":"z2"}}`},
		{"Circle",
			&truce.ZoneVersion{ZoneID: "z3", AgreementID: "ag1", Version: 1, Status: truce.VersionApproved, InForceFrom: &t1,
				Spec: truce.ZoneSpec{Name: "Site", Kind: truce.ZoneExclusion, Geometry: pt, Center: []float64{36, 33}, RadiusM: 1000}},
			`{"type":"Feature","id":"z3","geometry":` + string(pt) + `,"properties":{"agreement_id":"ag1","center":[36,33],"in_force_from":"2026-03-01T13:00:00Z",` +
				`"kind":"exclusion","name":"Site","radius_m":1000,"status":"approved","version":1,"zone_id":"z3"}}`},
	} {
		t.Run(c.name, func(t *testing.T) {
			b, err := json.Marshal(truce.ZoneFeature(c.v))
			if err != nil {
				t.Fatal(err)
			}
			if string(b) != c.want {
				t.Errorf("got  %s\nwant %s", b, c.want)
			}
		})
	}
	b, err := json.Marshal(truce.ZoneFeatures(nil))
	if err != nil || string(b) != `{"type":"FeatureCollection","features":[]}` {
		t.Errorf("no zones: %s %v", b, err)
	}
}
