// Package geotest gives tests and benchmarks real polygons to work on: a
// GeoJSON file of boundaries read without validation (OCHA's Syrian
// sub-districts, in geo/testdata, carry centimetre bow-ties that an index
// must still hold), and scaled, shifted copies of them for loads of
// thousands of zones.
package geotest

import (
	"encoding/json"
	"fmt"
	"os"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/project"
	"github.com/truce-project/truce/geo"
)

// Feature is a named polygonal boundary.
type Feature struct {
	Name     string // the NAME_EN property
	Geometry orb.Geometry
}

// LoadLoose reads a FeatureCollection of Polygons and MultiPolygons as it
// is, with no validation, and repairs each geometry (geo.Repair: repeated
// vertices, zero-width spikes).
func LoadLoose(path string) ([]Feature, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var fc struct {
		Features []struct {
			Properties struct{ NAME_EN string }
			Geometry   struct {
				Type        string
				Coordinates json.RawMessage
			}
		}
	}
	if err := json.Unmarshal(data, &fc); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	var out []Feature
	for i, f := range fc.Features {
		var g orb.Geometry
		switch f.Geometry.Type {
		case "Polygon":
			var c [][][2]float64
			if err := json.Unmarshal(f.Geometry.Coordinates, &c); err != nil {
				return nil, fmt.Errorf("%s: feature %d: %w", path, i, err)
			}
			g = polygon(c)
		case "MultiPolygon":
			var c [][][][2]float64
			if err := json.Unmarshal(f.Geometry.Coordinates, &c); err != nil {
				return nil, fmt.Errorf("%s: feature %d: %w", path, i, err)
			}
			mp := orb.MultiPolygon{}
			for _, p := range c {
				mp = append(mp, polygon(p))
			}
			g = mp
		default:
			return nil, fmt.Errorf("%s: feature %d: unexpected %s", path, i, f.Geometry.Type)
		}
		out = append(out, Feature{Name: f.Properties.NAME_EN, Geometry: geo.Repair(g)})
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s: no polygons", path)
	}
	return out, nil
}

func polygon(c [][][2]float64) orb.Polygon {
	p := make(orb.Polygon, len(c))
	for i, r := range c {
		p[i] = make(orb.Ring, len(r))
		for j, q := range r {
			p[i][j] = orb.Point(q)
		}
	}
	return p
}

// Geometries returns the features' geometries.
func Geometries(fs []Feature) []orb.Geometry {
	out := make([]orb.Geometry, len(fs))
	for i, f := range fs {
		out[i] = f.Geometry
	}
	return out
}

// Centre is the point about which CopyMove scales Syria's boundaries.
var Centre = orb.Point{38.9, 34.8}

// CopyMove is how copy k of a set of Syria's boundaries is placed for a
// load of many zones: scaled about Centre by 0.9, 1.0 or 1.1 (k mod 3)
// and shifted 8° east per column and 7° north per row of a grid of cols
// columns, so copies never overlap and keep the real shapes, vertex counts
// and holes. Copy 0 at scale 0.9 lies over Syria.
func CopyMove(k, cols int) orb.Projection {
	s := []float64{0.9, 1.0, 1.1}[k%3]
	dx, dy := float64(k%cols)*8, float64(k/cols)*7
	return func(p orb.Point) orb.Point {
		return orb.Point{Centre[0] + (p[0]-Centre[0])*s + dx, Centre[1] + (p[1]-Centre[1])*s + dy}
	}
}

// Moved returns a copy of g with every point moved by f; g is unchanged.
func Moved(g orb.Geometry, f orb.Projection) orb.Geometry {
	return project.Geometry(orb.Clone(g), f)
}

// Vertices counts a polygonal geometry's vertices.
func Vertices(g orb.Geometry) int {
	n := 0
	switch g := g.(type) {
	case orb.Polygon:
		for _, r := range g {
			n += len(r)
		}
	case orb.MultiPolygon:
		for _, p := range g {
			n += Vertices(p)
		}
	}
	return n
}
