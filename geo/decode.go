package geo

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/paulmach/orb"
)

// ErrGeoJSON is wrapped by every error that [Decode] and [DecodeFeatures]
// return for input that is not GeoJSON of a supported shape, so callers can
// map it to one "invalid" code with errors.Is.
var ErrGeoJSON = errors.New("geo: invalid GeoJSON")

// Feature is one decoded GeoJSON Feature. ID is the Feature's "id" member as
// raw JSON (a string or a number, RFC 7946 §3.2) or nil when absent.
type Feature struct {
	ID         json.RawMessage
	Properties map[string]any
	Geometry   orb.Geometry
}

type rawObject struct {
	Type        string            `json:"type"`
	Coordinates json.RawMessage   `json:"coordinates"`
	Geometries  []json.RawMessage `json:"geometries"`
	Geometry    json.RawMessage   `json:"geometry"`
	Properties  map[string]any    `json:"properties"`
	Features    []json.RawMessage `json:"features"`
	ID          json.RawMessage   `json:"id"`
}

func geojsonErr(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrGeoJSON, fmt.Sprintf(format, args...))
}

// Decode parses one GeoJSON geometry object (Point, MultiPoint, LineString,
// MultiLineString, Polygon or MultiPolygon) and validates it with opts. A
// polygon is returned with its rings oriented as RFC 7946 §3.1.6 says.
// With opts.Repair, [Repair] runs first. GeometryCollection is refused: Truce stores one homogeneous geometry per
// record.
func Decode(data []byte, opts Options) (orb.Geometry, error) {
	var o rawObject
	if err := json.Unmarshal(data, &o); err != nil {
		return nil, geojsonErr("%v", err)
	}
	g, err := decodeGeometry(&o)
	if err != nil {
		return nil, err
	}
	if opts.Repair {
		g = Repair(g)
	}
	if err := Validate(g, opts); err != nil {
		return nil, err
	}
	return Normalize(g), nil
}

// DecodeFeatures parses an import file: a FeatureCollection, a single
// Feature, or a bare geometry, and returns its features in order with each
// geometry validated and normalised as by [Decode]. A Feature whose geometry
// is null is an error, because an agreed area without an area is meaningless.
// The error for a bad feature is a [*FeatureError] naming it.
func DecodeFeatures(data []byte, opts Options) ([]Feature, error) {
	var o rawObject
	if err := json.Unmarshal(data, &o); err != nil {
		return nil, geojsonErr("%v", err)
	}
	switch o.Type {
	case "FeatureCollection":
		out := make([]Feature, 0, len(o.Features))
		for i, raw := range o.Features {
			var fo rawObject
			if err := json.Unmarshal(raw, &fo); err != nil {
				return nil, &FeatureError{Index: i, Err: geojsonErr("%v", err)}
			}
			f, err := decodeFeature(&fo, opts)
			if err != nil {
				name, _ := fo.Properties["name"].(string)
				return nil, &FeatureError{Index: i, Name: name, Err: err}
			}
			out = append(out, f)
		}
		return out, nil
	case "Feature":
		f, err := decodeFeature(&o, opts)
		if err != nil {
			name, _ := o.Properties["name"].(string)
			return nil, &FeatureError{Index: 0, Name: name, Err: err}
		}
		return []Feature{f}, nil
	default:
		g, err := Decode(data, opts)
		if err != nil {
			return nil, err
		}
		return []Feature{{Geometry: g}}, nil
	}
}

// FeatureError is the error of one feature of an import: its index in the
// collection, its "name" property if it has one, and what is wrong (a
// [*ValidationError] or an [ErrGeoJSON], which errors.As and errors.Is find).
type FeatureError struct {
	Index int
	Name  string
	Err   error
}

func (e *FeatureError) Error() string {
	if e.Name != "" {
		return fmt.Sprintf("feature %d (%q): %v", e.Index, e.Name, e.Err)
	}
	return fmt.Sprintf("feature %d: %v", e.Index, e.Err)
}

func (e *FeatureError) Unwrap() error { return e.Err }

func decodeFeature(o *rawObject, opts Options) (Feature, error) {
	if o.Type != "Feature" {
		return Feature{}, geojsonErr("type %q, want Feature", o.Type)
	}
	if len(o.Geometry) == 0 || bytes.Equal(bytes.TrimSpace(o.Geometry), []byte("null")) {
		return Feature{}, geojsonErr("feature has no geometry")
	}
	g, err := Decode(o.Geometry, opts)
	if err != nil {
		return Feature{}, err
	}
	return Feature{ID: o.ID, Properties: o.Properties, Geometry: g}, nil
}

func decodeGeometry(o *rawObject) (orb.Geometry, error) {
	if o.Type == "GeometryCollection" {
		return nil, geojsonErr("GeometryCollection is not supported")
	}
	if len(o.Coordinates) == 0 {
		return nil, geojsonErr("%q has no coordinates", o.Type)
	}
	switch o.Type {
	case "Point":
		var c []float64
		if err := json.Unmarshal(o.Coordinates, &c); err != nil {
			return nil, geojsonErr("Point coordinates: %v", err)
		}
		p, err := position(c)
		if err != nil {
			return nil, err
		}
		return p, nil
	case "MultiPoint", "LineString":
		var c [][]float64
		if err := json.Unmarshal(o.Coordinates, &c); err != nil {
			return nil, geojsonErr("%s coordinates: %v", o.Type, err)
		}
		pts, err := positions(c)
		if err != nil {
			return nil, err
		}
		if o.Type == "MultiPoint" {
			return orb.MultiPoint(pts), nil
		}
		return orb.LineString(pts), nil
	case "MultiLineString", "Polygon":
		var c [][][]float64
		if err := json.Unmarshal(o.Coordinates, &c); err != nil {
			return nil, geojsonErr("%s coordinates: %v", o.Type, err)
		}
		if o.Type == "Polygon" {
			return polygon(c)
		}
		mls := make(orb.MultiLineString, len(c))
		for i, l := range c {
			pts, err := positions(l)
			if err != nil {
				return nil, err
			}
			mls[i] = pts
		}
		return mls, nil
	case "MultiPolygon":
		var c [][][][]float64
		if err := json.Unmarshal(o.Coordinates, &c); err != nil {
			return nil, geojsonErr("MultiPolygon coordinates: %v", err)
		}
		mp := make(orb.MultiPolygon, len(c))
		for i, pc := range c {
			p, err := polygon(pc)
			if err != nil {
				return nil, err
			}
			mp[i] = p
		}
		return mp, nil
	case "":
		return nil, geojsonErr("missing type")
	default:
		return nil, geojsonErr("unknown geometry type %q", o.Type)
	}
}

func polygon(c [][][]float64) (orb.Polygon, error) {
	p := make(orb.Polygon, len(c))
	for i, r := range c {
		pts, err := positions(r)
		if err != nil {
			return nil, err
		}
		p[i] = orb.Ring(pts)
	}
	return p, nil
}

func positions(c [][]float64) ([]orb.Point, error) {
	pts := make([]orb.Point, len(c))
	for i, q := range c {
		p, err := position(q)
		if err != nil {
			return nil, err
		}
		pts[i] = p
	}
	return pts, nil
}

// position keeps longitude and latitude and drops an altitude: RFC 7946
// §3.1.1 allows a third element, and Truce carries altitude bands separately.
func position(c []float64) (orb.Point, error) {
	if len(c) < 2 || len(c) > 3 {
		return orb.Point{}, geojsonErr("a position has %d numbers, want 2 or 3", len(c))
	}
	return orb.Point{c[0], c[1]}, nil
}
