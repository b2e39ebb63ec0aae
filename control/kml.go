package control

import (
	"encoding/json"
	"strings"

	"github.com/truce-project/truce"
	"github.com/truce-project/truce/kml"
)

// KML is read as OGC KML 2.2 (OGC 07-147r2) writes areas: Placemarks
// holding a Polygon (outerBoundaryIs, innerBoundaryIs, each a LinearRing
// of "lon,lat[,alt]" tuples) or a MultiGeometry of Polygons, anywhere
// under Document and Folder. A Placemark's name becomes the area's name;
// its ExtendedData Data elements named like the GeoJSON import's
// properties (actor, from, to, source, confidence, liberated_from)
// override the defaults. Anything else (points, lines, styles) is
// skipped. Package kml reads the placemarks, as it does for humanitarian
// sites and routes.

// MaxKMLBytes bounds a KML document.
const MaxKMLBytes = 16 << 20

// KMLToGeoJSON returns the areas of a KML document as a GeoJSON
// FeatureCollection for ImportControl. EINVALID for a document that is
// not KML, has no Placemark with a Polygon, or a coordinate that is not
// a number.
func KMLToGeoJSON(doc []byte) (json.RawMessage, error) {
	if len(doc) > MaxKMLBytes {
		return nil, truce.Errorf(truce.EINVALID, "A KML document has at most %d MiB.", MaxKMLBytes>>20)
	}
	type feature struct {
		Type       string         `json:"type"`
		Properties map[string]any `json:"properties"`
		Geometry   map[string]any `json:"geometry"`
	}
	// The document's size bounds its placemarks; the features taken
	// from them are bounded by MaxImport below.
	pms, err := kml.Placemarks(doc, MaxKMLBytes)
	if err != nil {
		return nil, truce.Errorf(truce.EINVALID, "The KML is not well-formed: %v", err)
	}
	var out []feature
	for _, pm := range pms {
		polys := append(pm.Polygons, pm.Multi...)
		if len(polys) == 0 {
			continue
		}
		var coords [][][][2]float64
		for _, p := range polys {
			rings := [][][2]float64{}
			for _, r := range p.Rings() {
				pts, err := kml.Coordinates(r.Coordinates)
				if err != nil {
					return nil, truce.Errorf(truce.EINVALID, "Placemark %q: %v.", pm.Name, err)
				}
				rings = append(rings, pts)
			}
			coords = append(coords, rings)
		}
		props := map[string]any{}
		if n := strings.TrimSpace(pm.Name); n != "" {
			props["name"] = n
		}
		for _, d := range pm.Data {
			props[d.Name] = strings.TrimSpace(d.Value)
		}
		g := map[string]any{"type": "Polygon", "coordinates": coords[0]}
		if len(coords) > 1 {
			g = map[string]any{"type": "MultiPolygon", "coordinates": coords}
		}
		out = append(out, feature{"Feature", props, g})
		if len(out) > MaxImport {
			return nil, truce.Errorf(truce.EINVALID, "An import holds 1 to %d features.", MaxImport)
		}
	}
	if len(out) == 0 {
		return nil, truce.Errorf(truce.EINVALID, "The KML has no Placemark with a Polygon.")
	}
	return json.Marshal(map[string]any{"type": "FeatureCollection", "features": out})
}
