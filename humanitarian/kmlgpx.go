package humanitarian

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/truce-project/truce"
	"github.com/truce-project/truce/kml"
)

// KML 2.2 (OGC 07-147r2) and GPX 1.1 (topografix.com/GPX/1/1) are what
// GIS tools and GPS units export: sites come as KML Placemarks (a Point
// or Polygon, with ExtendedData naming the site's fields as the CSV
// columns do), routes as a KML LineString or a GPX track or route. Both
// are read with the import's rules: every bad placemark or point is
// reported by its position, and nothing is taken from a file with any.

// Import formats read from XML.
const (
	FormatKML = "kml"
	FormatGPX = "gpx"
)

// parseKMLSites reads sites from KML placemarks: each a Point or a
// Polygon, its name the site's, its ExtendedData the other fields (named
// as the CSV columns).
func parseKMLSites(data []byte) ([]row, *ImportError) {
	e := &ImportError{Format: FormatKML}
	ps, err := kml.Placemarks(data, MaxImportRows)
	if err != nil {
		e.Rows = append(e.Rows, RowError{0, "-", "Not a KML file: " + err.Error() + "."})
		return nil, e
	}
	var rows []row
	for i, p := range ps {
		n := i + 1
		rec, col := []string{}, map[string]int{}
		set := func(k, v string) {
			f, ok := columns[strings.ToLower(strings.TrimSpace(k))]
			if !ok {
				return
			}
			col[f] = len(rec)
			rec = append(rec, strings.TrimSpace(v))
		}
		if p.Name != "" {
			set("name", p.Name)
		}
		for _, d := range p.Data {
			set(d.Name, d.Value)
		}
		for _, d := range p.SimpleData {
			set(d.Name, d.Value)
		}
		var geom any
		switch {
		case p.Point != nil && len(p.Polygons) == 0:
			cs, err := kml.Coordinates(*p.Point)
			if err == nil && len(cs) != 1 {
				err = fmt.Errorf("a Point has one coordinate, not %d", len(cs))
			}
			if err != nil {
				e.Rows = append(e.Rows, RowError{n, "geometry", "Point: " + err.Error() + "."})
				continue
			}
			geom = map[string]any{"type": "Point", "coordinates": cs[0]}
		case len(p.Polygons) == 1 && p.Point == nil:
			var rings [][][2]float64
			bad := false
			for j, r := range p.Polygons[0].Rings() {
				cs, err := kml.Coordinates(r.Coordinates)
				if err != nil {
					what := "outer boundary"
					if j > 0 {
						what = fmt.Sprintf("inner boundary %d", j)
					}
					e.Rows = append(e.Rows, RowError{n, "geometry", "Polygon " + what + ": " + err.Error() + "."})
					bad = true
					break
				}
				rings = append(rings, cs)
			}
			if bad {
				continue
			}
			geom = map[string]any{"type": "Polygon", "coordinates": rings}
		default:
			e.Rows = append(e.Rows, RowError{n, "geometry", "A site's placemark holds one Point or one Polygon."})
			continue
		}
		b, _ := json.Marshal(geom)
		col["geometry"] = len(rec)
		rec = append(rec, string(b))
		f, bad := csvRow(rec, col, n)
		e.Rows = append(e.Rows, bad...)
		rows = append(rows, newRow(f, n, bad))
	}
	return rows, e
}

// RouteError is a route file that cannot be read, with every fault by
// its position (a KML placemark, a GPX point).
type RouteError struct {
	Faults []string
}

func (e *RouteError) Error() string {
	return "The route was not read: " + strings.Join(e.Faults, "; ") + "."
}

// ParseRoute reads a movement's route from a KML file (its one
// LineString placemark) or a GPX file (its one track, of one or more
// segments joined, or its one route) and returns it as a GeoJSON
// LineString. Every bad point is reported by its position; a file with
// any is refused (EINVALID). The route's own rules (length, spikes) are
// the notification's.
func ParseRoute(format string, data []byte) (json.RawMessage, error) {
	if len(data) > MaxImportBytes {
		return nil, errorf("A route file is at most %d MiB.", MaxImportBytes>>20)
	}
	var cs [][2]float64
	var faults []string
	switch format {
	case FormatKML:
		ps, err := kml.Placemarks(data, MaxImportRows)
		if err != nil {
			return nil, errorf("Not a KML file: %s.", err)
		}
		var lines []int
		for i, p := range ps {
			if p.LineString != nil {
				lines = append(lines, i)
			}
		}
		if len(lines) != 1 {
			return nil, errorf("A route file holds one LineString placemark, not %d.", len(lines))
		}
		c, err := kml.Coordinates(*ps[lines[0]].LineString)
		if err != nil {
			faults = append(faults, fmt.Sprintf("placemark %d: %s", lines[0]+1, err))
		}
		cs = c
	case FormatGPX:
		cs, faults = gpxRoute(data)
	default:
		return nil, errorf("Unknown route format %q: use kml or gpx.", format)
	}
	if len(faults) > 0 {
		return nil, truce.Errorf(truce.EINVALID, "%s", (&RouteError{Faults: faults}).Error())
	}
	if len(cs) > MaxRouteVertices {
		return nil, errorf("A route has at most %d points, not %d.", MaxRouteVertices, len(cs))
	}
	return json.Marshal(map[string]any{"type": "LineString", "coordinates": cs})
}

type gpxPoint struct {
	Lat string `xml:"lat,attr"`
	Lon string `xml:"lon,attr"`
}

type gpxFile struct {
	XMLName xml.Name `xml:"gpx"`
	Tracks  []struct {
		Segments []struct {
			Points []gpxPoint `xml:"trkpt"`
		} `xml:"trkseg"`
	} `xml:"trk"`
	Routes []struct {
		Points []gpxPoint `xml:"rtept"`
	} `xml:"rte"`
}

// gpxRoute reads the one track or route of a GPX file, naming each bad
// point by its track segment or route and its number.
func gpxRoute(data []byte) ([][2]float64, []string) {
	if bytes.Contains(data, []byte("<!DOCTYPE")) || bytes.Contains(data, []byte("<!ENTITY")) {
		return nil, []string{"a DOCTYPE or entity: GPX has none"}
	}
	var g gpxFile
	d := xml.NewDecoder(bytes.NewReader(data))
	d.Strict = true
	if err := d.Decode(&g); err != nil {
		return nil, []string{"not a GPX file: " + err.Error()}
	}
	if len(g.Tracks)+len(g.Routes) != 1 {
		return nil, []string{fmt.Sprintf("a route file holds one track or one route, not %d tracks and %d routes", len(g.Tracks), len(g.Routes))}
	}
	var cs [][2]float64
	var faults []string
	take := func(where string, ps []gpxPoint) {
		for i, p := range ps {
			lat, err1 := strconv.ParseFloat(strings.TrimSpace(p.Lat), 64)
			lon, err2 := strconv.ParseFloat(strings.TrimSpace(p.Lon), 64)
			if err1 != nil || err2 != nil || !(lat >= -90 && lat <= 90) || !(lon >= -180 && lon <= 180) || math.IsNaN(lat) || math.IsNaN(lon) {
				faults = append(faults, fmt.Sprintf("%s point %d: lat %q lon %q is not a latitude from -90 to 90 and a longitude from -180 to 180", where, i+1, p.Lat, p.Lon))
				continue
			}
			cs = append(cs, [2]float64{lon, lat})
		}
	}
	if len(g.Routes) == 1 {
		take("route", g.Routes[0].Points)
	} else {
		for j, s := range g.Tracks[0].Segments {
			take(fmt.Sprintf("track segment %d", j+1), s.Points)
		}
	}
	if len(cs) == 0 && len(faults) == 0 {
		faults = append(faults, "the track or route has no points")
	}
	return cs, faults
}
