// Package kml reads the Placemarks of a KML 2.2 document (OGC 07-147r2),
// as GIS tools export them: their name, ExtendedData, and a Point,
// LineString, Polygons or a MultiGeometry of Polygons, wherever folders
// put them. It reads strictly and within bounds (no directives, nesting
// at most MaxDepth, a caller's bound on placemarks) and imports nothing
// of Truce: the capabilities that import KML (humanitarian sites and
// routes, control areas) turn placemarks into their own records.
package kml

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// MaxDepth bounds the nesting of KML folders.
const MaxDepth = 32

// Data is an ExtendedData Data element, or a SchemaData SimpleData one.
type Data struct {
	Name  string `xml:"name,attr"`
	Value string `xml:"value"`
}

// SimpleData is a SchemaData SimpleData element.
type SimpleData struct {
	Name  string `xml:"name,attr"`
	Value string `xml:",chardata"`
}

// Ring is a LinearRing's coordinates string.
type Ring struct {
	Coordinates string `xml:"LinearRing>coordinates"`
}

// Polygon is a polygon's boundaries.
type Polygon struct {
	Outer Ring   `xml:"outerBoundaryIs"`
	Inner []Ring `xml:"innerBoundaryIs"`
}

// Rings returns the outer boundary then the inner ones.
func (p Polygon) Rings() []Ring { return append([]Ring{p.Outer}, p.Inner...) }

// Placemark is what the importers take from a Placemark.
type Placemark struct {
	Name       string       `xml:"name"`
	Data       []Data       `xml:"ExtendedData>Data"`
	SimpleData []SimpleData `xml:"ExtendedData>SchemaData>SimpleData"`
	Point      *string      `xml:"Point>coordinates"`
	LineString *string      `xml:"LineString>coordinates"`
	Polygons   []Polygon    `xml:"Polygon"`
	Multi      []Polygon    `xml:"MultiGeometry>Polygon"`
}

// Placemarks returns every Placemark of a KML document in document
// order; an error for a document that is not well-formed KML, holds a
// directive, nests deeper than MaxDepth or has more than max placemarks.
func Placemarks(data []byte, max int) ([]Placemark, error) {
	d := xml.NewDecoder(bytes.NewReader(data))
	d.Strict = true
	var out []Placemark
	depth, kml := 0, false
	for {
		tok, err := d.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("not well-formed XML: %v", err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if depth == 0 {
				if t.Name.Local != "kml" {
					return nil, fmt.Errorf("not a KML document: its root is <%s>", t.Name.Local)
				}
				kml = true
			}
			if t.Name.Local == "Placemark" {
				var p Placemark
				if err := d.DecodeElement(&p, &t); err != nil {
					return nil, fmt.Errorf("placemark %d: %v", len(out)+1, err)
				}
				out = append(out, p)
				if len(out) > max {
					return nil, fmt.Errorf("at most %d placemarks", max)
				}
				continue
			}
			if depth++; depth > MaxDepth {
				return nil, fmt.Errorf("elements nested deeper than %d", MaxDepth)
			}
		case xml.EndElement:
			depth--
		case xml.Directive:
			return nil, errors.New("a DOCTYPE or other directive: KML has none")
		}
	}
	if !kml {
		return nil, errors.New("not a KML document: empty")
	}
	return out, nil
}

// Coordinates parses a KML coordinates string: "lon,lat[,alt]" tuples
// separated by white space (altitudes dropped), each a longitude from
// -180 to 180 and a latitude from -90 to 90; at least one.
func Coordinates(s string) ([][2]float64, error) {
	var out [][2]float64
	for i, t := range strings.Fields(s) {
		parts := strings.Split(t, ",")
		if len(parts) < 2 || len(parts) > 3 {
			return nil, fmt.Errorf("coordinate %d (%q) is not lon,lat[,alt]", i+1, t)
		}
		lon, err1 := strconv.ParseFloat(parts[0], 64)
		lat, err2 := strconv.ParseFloat(parts[1], 64)
		if err1 != nil || err2 != nil || !(lon >= -180 && lon <= 180) || !(lat >= -90 && lat <= 90) {
			return nil, fmt.Errorf("coordinate %d (%q) is not a longitude from -180 to 180 and a latitude from -90 to 90", i+1, t)
		}
		out = append(out, [2]float64{lon, lat})
	}
	if len(out) == 0 {
		return nil, errors.New("no coordinates")
	}
	return out, nil
}
