package control_test

import (
	"testing"

	"github.com/truce-project/truce"
	"github.com/truce-project/truce/control"
	"github.com/truce-project/truce/geo"
)

const kmlDoc = `<?xml version="1.0" encoding="UTF-8"?>
<kml xmlns="http://www.opengis.net/kml/2.2"><Document><Folder><name>Control</name>
<Placemark><name>Village</name>
 <ExtendedData><Data name="actor"><value>faction</value></Data><Data name="from"><value>2026-03-01T00:00:00Z</value></Data></ExtendedData>
 <Polygon><outerBoundaryIs><LinearRing><coordinates>
  35.93,32.73,0 35.95,32.73,0 35.95,32.75,0 35.93,32.75,0 35.93,32.73,0
 </coordinates></LinearRing></outerBoundaryIs>
 <innerBoundaryIs><LinearRing><coordinates>35.935,32.735 35.935,32.74 35.94,32.74 35.94,32.735 35.935,32.735</coordinates></LinearRing></innerBoundaryIs>
 </Polygon></Placemark>
<Placemark><name>Checkpoint</name><Point><coordinates>35.9,32.7</coordinates></Point></Placemark>
<Placemark><name>Two fields</name><MultiGeometry>
 <Polygon><outerBoundaryIs><LinearRing><coordinates>36.0,32.7 36.01,32.7 36.01,32.71 36.0,32.71 36.0,32.7</coordinates></LinearRing></outerBoundaryIs></Polygon>
 <Polygon><outerBoundaryIs><LinearRing><coordinates>36.02,32.7 36.03,32.7 36.03,32.71 36.02,32.71 36.02,32.7</coordinates></LinearRing></outerBoundaryIs></Polygon>
</MultiGeometry></Placemark>
</Folder></Document></kml>`

// TestKMLToGeoJSON reads areas as GIS tools write them: a polygon with a
// hole and extended data, a point skipped, a multi-polygon.
func TestKMLToGeoJSON(t *testing.T) {
	fc, err := control.KMLToGeoJSON([]byte(kmlDoc))
	if err != nil {
		t.Fatal(err)
	}
	fs, err := geo.DecodeFeatures(fc, geo.Options{})
	if err != nil {
		t.Fatalf("not valid GeoJSON: %v\n%s", err, fc)
	}
	if len(fs) != 2 {
		t.Fatalf("%d features, want 2 (the point skipped)", len(fs))
	}
	if fs[0].Properties["name"] != "Village" || fs[0].Properties["actor"] != "faction" || fs[0].Properties["from"] != "2026-03-01T00:00:00Z" {
		t.Fatalf("properties %v", fs[0].Properties)
	}
	// The hole is cut out: 0.02° square less a 0.005° one.
	full, hole := geo.Area(box(35.93, 32.73, 35.95, 32.75)), geo.Area(box(35.935, 32.735, 35.94, 32.74))
	if a := geo.Area(fs[0].Geometry); a < full-hole-1 || a > full-hole+1 {
		t.Fatalf("area %.0f m², want %.0f", a, full-hole)
	}
	if fs[1].Geometry.GeoJSONType() != "MultiPolygon" {
		t.Fatalf("multi-geometry read as %s", fs[1].Geometry.GeoJSONType())
	}
	for name, doc := range map[string]string{
		"not XML":    "{}",
		"no polygon": `<kml><Placemark><Point><coordinates>1,2</coordinates></Point></Placemark></kml>`,
		"bad number": `<kml><Placemark><Polygon><outerBoundaryIs><LinearRing><coordinates>1,x 2,3 3,3 1,x</coordinates></LinearRing></outerBoundaryIs></Polygon></Placemark></kml>`,
		"bad tuple":  `<kml><Placemark><Polygon><outerBoundaryIs><LinearRing><coordinates>1 2 3</coordinates></LinearRing></outerBoundaryIs></Polygon></Placemark></kml>`,
		// Cut off after its first area: the rest must not be dropped
		// in silence.
		"truncated": `<kml><Placemark><Polygon><outerBoundaryIs><LinearRing><coordinates>1,1 2,1 2,2 1,1</coordinates></LinearRing></outerBoundaryIs></Polygon></Placemark><Folder><name>More are`,
	} {
		if _, err := control.KMLToGeoJSON([]byte(doc)); truce.ErrorCode(err) != truce.EINVALID {
			t.Errorf("%s: %v, want invalid", name, err)
		}
	}
}
