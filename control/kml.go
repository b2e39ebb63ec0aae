package control

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"strconv"
	"strings"

	"github.com/truce-project/truce"
)

// KML is read as OGC KML 2.2 (OGC 07-147r2) writes areas: Placemarks
// holding a Polygon (outerBoundaryIs, innerBoundaryIs, each a LinearRing
// of "lon,lat[,alt]" tuples) or a MultiGeometry of Polygons, anywhere
// under Document and Folder. A Placemark's name becomes the area's name;
// its ExtendedData Data elements named like the GeoJSON import's
// properties (actor, from, to, source, confidence, liberated_from)
// override the defaults. Anything else (points, lines, styles) is
// skipped.

type kmlRing struct {
	Coordinates string `xml:"LinearRing>coordinates"`
}

type kmlPolygon struct {
	Outer kmlRing   `xml:"outerBoundaryIs"`
	Inner []kmlRing `xml:"innerBoundaryIs"`
}

type kmlPlacemark struct {
	Name     string       `xml:"name"`
	Polygons []kmlPolygon `xml:"Polygon"`
	Multi    []kmlPolygon `xml:"MultiGeometry>Polygon"`
	Data     []struct {
		Name  string `xml:"name,attr"`
		Value string `xml:"value"`
	} `xml:"ExtendedData>Data"`
}

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
	dec := xml.NewDecoder(bytes.NewReader(doc))
	type feature struct {
		Type       string         `json:"type"`
		Properties map[string]any `json:"properties"`
		Geometry   map[string]any `json:"geometry"`
	}
	var out []feature
	for {
		tok, err := dec.Token()
		if err != nil {
			break
		}
		se, ok := tok.(xml.StartElement)
		if !ok || se.Name.Local != "Placemark" {
			continue
		}
		var pm kmlPlacemark
		if err := dec.DecodeElement(&pm, &se); err != nil {
			return nil, truce.Errorf(truce.EINVALID, "The KML is not well-formed: %v", err)
		}
		polys := append(pm.Polygons, pm.Multi...)
		if len(polys) == 0 {
			continue
		}
		var coords [][][][2]float64
		for _, p := range polys {
			rings := [][][2]float64{}
			for _, r := range append([]kmlRing{p.Outer}, p.Inner...) {
				pts, err := kmlCoordinates(r.Coordinates)
				if err != nil {
					return nil, truce.Errorf(truce.EINVALID, "Placemark %q: %s", pm.Name, truce.ErrorMessage(err))
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

// kmlCoordinates parses "lon,lat[,alt] lon,lat[,alt] …" (altitudes
// dropped).
func kmlCoordinates(s string) ([][2]float64, error) {
	var pts [][2]float64
	for _, t := range strings.Fields(s) {
		parts := strings.Split(t, ",")
		if len(parts) < 2 || len(parts) > 3 {
			return nil, truce.Errorf(truce.EINVALID, "KML coordinates are lon,lat[,alt] tuples, not %q.", t)
		}
		lon, err1 := strconv.ParseFloat(parts[0], 64)
		lat, err2 := strconv.ParseFloat(parts[1], 64)
		if err1 != nil || err2 != nil {
			return nil, truce.Errorf(truce.EINVALID, "KML coordinates are numbers, not %q.", t)
		}
		pts = append(pts, [2]float64{lon, lat})
	}
	return pts, nil
}
