package zones

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/paulmach/orb"
	"github.com/truce-project/truce"
	"github.com/truce-project/truce/geo"
)

// Limits on zone proposals.
const (
	MaxZoneWindows = 200
	MaxZoneRadiusM = 500_000.0
	MaxHalfWidthM  = 50_000.0
)

// buildSpec validates a proposal and returns the spec to store and the
// zone's area (lines and points buffered) for indexing.
//
// The geometry work (buffering, repair) stops when ctx is done and is
// bounded (geo.MaxPairs, geo.MaxNodes, geo.MaxOutputVertices): any operator
// of a signatory party can send a geometry.
func (s *Service) buildSpec(ctx context.Context, p truce.ZoneProposal) (truce.ZoneSpec, orb.Geometry, truce.BBox, error) {
	var none truce.BBox
	spec := truce.ZoneSpec{Name: truce.Clean(p.Name), Kind: p.Kind, HalfWidthM: p.HalfWidthM, Windows: p.Windows}
	switch {
	case spec.Name == "":
		return spec, nil, none, truce.Errorf(truce.EINVALID, "A zone needs a name (at most %d characters).", truce.MaxNameLen)
	case truce.CheckText("name", spec.Name, truce.MaxNameLen, false) != nil:
		return spec, nil, none, truce.CheckText("name", spec.Name, truce.MaxNameLen, false)
	case truce.CheckText("note", p.Note, truce.MaxTextLen, true) != nil:
		return spec, nil, none, truce.CheckText("note", p.Note, truce.MaxTextLen, true)
	case truce.CheckRef("agreement", p.Agreement) != nil:
		return spec, nil, none, truce.CheckRef("agreement", p.Agreement)
	case !p.Kind.Valid():
		return spec, nil, none, truce.Errorf(truce.EINVALID, "Unknown zone kind %q: use one of %v.", p.Kind, truce.ZoneKinds)
	case len(p.Geometry) == 0:
		return spec, nil, none, truce.Errorf(truce.EINVALID, "A zone needs a GeoJSON geometry.")
	case p.HalfWidthM < 0 || p.HalfWidthM > MaxHalfWidthM || math.IsNaN(p.HalfWidthM):
		return spec, nil, none, truce.Errorf(truce.EINVALID, "half_width_m is 0 to %.0f metres.", MaxHalfWidthM)
	case p.RadiusM < 0 || p.RadiusM > MaxZoneRadiusM || math.IsNaN(p.RadiusM):
		return spec, nil, none, truce.Errorf(truce.EINVALID, "radius_m is 0 to %.0f metres.", MaxZoneRadiusM)
	case len(p.Windows) > MaxZoneWindows:
		return spec, nil, none, truce.Errorf(truce.EINVALID, "At most %d active windows.", MaxZoneWindows)
	}
	for i, w := range p.Windows {
		if w.Start != nil && w.End != nil && !w.End.After(*w.Start) {
			return spec, nil, none, truce.Errorf(truce.EINVALID, "Window %d ends before it starts.", i)
		}
		spec.Windows[i] = truce.Window{Start: utcPtr(w.Start), End: utcPtr(w.End)}
	}
	var err error
	if spec.FloorM, err = altitude(p.Floor, "floor"); err != nil {
		return spec, nil, none, err
	}
	if spec.CeilingM, err = altitude(p.Ceiling, "ceiling"); err != nil {
		return spec, nil, none, err
	}
	if spec.FloorM != nil && spec.CeilingM != nil && *spec.FloorM >= *spec.CeilingM {
		return spec, nil, none, truce.Errorf(truce.EINVALID, "The floor (%.0f m) must be below the ceiling (%.0f m).", *spec.FloorM, *spec.CeilingM)
	}
	g, err := geo.Decode(p.Geometry, geo.Options{MaxVertices: s.MaxVertices, SkipTopology: p.Repair})
	if err != nil {
		return spec, nil, none, geometryError(err)
	}
	if p.Repair {
		if g, err = s.repair(ctx, g, &spec); err != nil {
			return spec, nil, none, err
		}
	}
	var area orb.Geometry
	switch g := g.(type) {
	case orb.Polygon, orb.MultiPolygon:
		if p.HalfWidthM != 0 || p.RadiusM != 0 {
			return spec, nil, none, truce.Errorf(truce.EINVALID, "half_width_m and radius_m apply to lines and points, not to polygons.")
		}
		spec.Geometry = geoJSON(g)
		area = g
	case orb.LineString, orb.MultiLineString:
		if p.RadiusM != 0 {
			return spec, nil, none, truce.Errorf(truce.EINVALID, "radius_m applies to points; a line takes half_width_m.")
		}
		spec.Geometry = geoJSON(g)
		if p.HalfWidthM == 0 {
			if p.Kind != truce.ZoneContactLine {
				return spec, nil, none, truce.Errorf(truce.EINVALID, "A %s given as a line needs half_width_m.", p.Kind)
			}
			break // a bare contact line has no area
		}
		if area, err = bufferZone(ctx, g, p.HalfWidthM); err != nil {
			if e := geometryWorkError(err); e != nil {
				return spec, nil, none, e
			}
			return spec, nil, none, truce.Errorf(truce.EUNPROCESSABLE, "Cannot buffer the line: %s.", strings.TrimPrefix(err.Error(), "geo: "))
		}
	case orb.Point:
		if p.RadiusM == 0 {
			return spec, nil, none, truce.Errorf(truce.EINVALID, "A zone given as a point needs radius_m.")
		}
		c, err := geo.Circle(g, p.RadiusM, 0)
		if err != nil {
			return spec, nil, none, truce.Errorf(truce.EUNPROCESSABLE, "Cannot draw that circle: %s.", strings.TrimPrefix(err.Error(), "geo: "))
		}
		spec.Geometry, spec.Center, spec.RadiusM = geoJSON(c), []float64{g[0], g[1]}, p.RadiusM
		area = c
	default:
		return spec, nil, none, truce.Errorf(truce.EINVALID, "A zone is a Polygon, MultiPolygon, LineString, MultiLineString or Point, not a %s.", g.GeoJSONType())
	}
	b := g.Bound()
	if area != nil {
		b = area.Bound()
	}
	return spec, area, truce.BBox{b.Min[0], b.Min[1], b.Max[0], b.Max[1]}, nil
}

// repair makes an invalid polygonal geometry valid, as the proposer asked,
// and records in spec that it did and by how much the area changed. A
// valid geometry, or one that is not polygonal, goes through the usual
// check unchanged.
func (s *Service) repair(ctx context.Context, g orb.Geometry, spec *truce.ZoneSpec) (orb.Geometry, error) {
	terr := geo.ValidateTopology(g)
	if terr == nil {
		return g, nil
	}
	switch g.(type) {
	case orb.Polygon, orb.MultiPolygon:
	default:
		return nil, geometryError(terr)
	}
	fixed, err := geo.MakeValidContext(ctx, g)
	if e := geometryWorkError(err); e != nil {
		return nil, e
	}
	if err != nil {
		msg := strings.TrimPrefix(err.Error(), "geo: ")
		return nil, truce.Errorf(truce.EUNPROCESSABLE, "Cannot repair the geometry (%s); it was invalid: %s", msg, strings.TrimSuffix(truce.ErrorMessage(geometryError(terr)), "."))
	}
	if err := geo.Validate(fixed, geo.Options{MaxVertices: s.MaxVertices}); err != nil {
		return nil, geometryError(err)
	}
	delta, rel := geo.AreaChange(g, fixed)
	spec.Repaired, spec.AreaChangeM2, spec.AreaChangeRelative = true, &delta, &rel
	return fixed, nil
}

func altitude(s, what string) (*float64, error) {
	if strings.TrimSpace(s) == "" {
		return nil, nil
	}
	v, err := geo.ParseAltitude(s)
	if err != nil {
		return nil, truce.Errorf(truce.EINVALID, "Invalid %s %q: use metres (3000 or 3000m), feet (10000ft), a flight level (FL200), SFC or UNL.", what, s)
	}
	// SFC is a floor and UNL a ceiling: a floor "UNL" or a ceiling "SFC"
	// would make a zone no aircraft is ever in.
	if (what == "floor" && math.IsInf(v, 1)) || (what == "ceiling" && math.IsInf(v, -1)) {
		return nil, truce.Errorf(truce.EINVALID, "Invalid %s %q: a floor may be SFC but not UNL, a ceiling UNL but not SFC.", what, s)
	}
	if math.IsInf(v, 0) {
		return nil, nil
	}
	return &v, nil
}

// bufferZone buffers a LineString or MultiLineString.
func bufferZone(ctx context.Context, g orb.Geometry, halfWidth float64) (orb.Geometry, error) {
	if l, ok := g.(orb.LineString); ok {
		return geo.BufferLinesContext(ctx, orb.MultiLineString{l}, halfWidth)
	}
	return geo.BufferLinesContext(ctx, g.(orb.MultiLineString), halfWidth)
}

// geometryWorkError turns a geometry operation stopped by its bounds or by
// its context into a problem, and returns nil for other errors.
func geometryWorkError(err error) error {
	var le *geo.LimitError
	switch {
	case errors.As(err, &le):
		return truce.Errorf(truce.EUNPROCESSABLE, "The geometry is too complex: its %s would need more than %d %s (the limit). Simplify it, or split it into several zones.", le.Op, le.Limit, le.What)
	case errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded):
		return truce.Errorf(truce.EUNAVAILABLE, "The request was cancelled or timed out.")
	}
	return nil
}

// geometryError turns a decoding or validation error into a problem that
// says what is wrong and where.
func geometryError(err error) error {
	var ve *geo.ValidationError
	if errors.As(err, &ve) {
		msg := "Invalid geometry: " + ve.Reason
		if ve.Part >= 0 && ve.Ring >= 0 {
			msg += fmt.Sprintf(" (polygon %d, ring %d", ve.Part, ve.Ring)
		} else if ve.Ring >= 0 {
			msg += fmt.Sprintf(" (ring %d", ve.Ring)
		} else {
			msg += " ("
		}
		if ve.Vertex >= 0 {
			if !strings.HasSuffix(msg, "(") {
				msg += ", "
			}
			msg += fmt.Sprintf("vertex %d", ve.Vertex)
		}
		if ve.At != nil {
			msg += fmt.Sprintf(" at %.6f,%.6f", ve.At[0], ve.At[1])
		}
		msg = strings.TrimSuffix(msg, " (") + ")"
		if ve.Detail != "" {
			msg += ": " + ve.Detail
		}
		return &truce.Error{Code: truce.EUNPROCESSABLE, Message: msg + "."}
	}
	return truce.Errorf(truce.EUNPROCESSABLE, "Invalid GeoJSON geometry: %s.", strings.TrimPrefix(err.Error(), "geo: "))
}

// geoJSON encodes an orb geometry as an RFC 7946 geometry object.
// The members are in RFC 8785 order and encoding/json writes numbers as
// RFC 8785 does (ECMAScript's form), so the stored geometry is byte for
// byte the one in the journal body, whose check (vouch.go) is then a
// comparison of encodings.
func geoJSON(g orb.Geometry) json.RawMessage {
	c, _ := json.Marshal(g)
	return json.RawMessage(`{"coordinates":` + string(c) + `,"type":"` + g.GeoJSONType() + `"}`)
}

// zoneArea returns a stored spec's area (nil for a bare line).
func zoneArea(ctx context.Context, spec truce.ZoneSpec) (orb.Geometry, error) {
	g, err := geo.Decode(spec.Geometry, geo.Options{MaxVertices: -1})
	if err != nil {
		return nil, err
	}
	switch g.(type) {
	case orb.LineString, orb.MultiLineString:
		if spec.HalfWidthM == 0 {
			return nil, nil
		}
		return bufferZone(ctx, g, spec.HalfWidthM)
	}
	return g, nil
}

// activeWindows clips a version's windows to its in-force interval and its
// agreement's effective periods (each text's, over the time it stood: an
// amendment of the period or the signatories does not change when the
// zone applied before it): the times at which the zone applies.
func activeWindows(v *truce.ZoneVersion, ag *truce.Agreement) []truce.Window {
	ws := v.Spec.Windows
	if len(ws) == 0 {
		ws = []truce.Window{{}}
	}
	var out []truce.Window
	for _, p := range ag.EffectivePeriods() {
		lo, hi := *v.InForceFrom, v.InForceUntil
		if p.Start.After(lo) {
			lo = *p.Start
		}
		// The agreement ends at the end of its period or when withdrawals
		// end it, whichever is sooner.
		if p.End != nil && (hi == nil || p.End.Before(*hi)) {
			e := *p.End
			hi = &e
		}
		for _, w := range ws {
			s, e := lo, hi
			if w.Start != nil && w.Start.After(s) {
				s = *w.Start
			}
			if w.End != nil && (e == nil || w.End.Before(*e)) {
				x := *w.End
				e = &x
			}
			if e != nil && !e.After(s) {
				continue
			}
			sc := s
			out = append(out, truce.Window{Start: &sc, End: e})
		}
	}
	return out
}

func activeAt(ws []truce.Window, t time.Time) bool {
	for _, w := range ws {
		if (w.Start == nil || !t.Before(*w.Start)) && (w.End == nil || t.Before(*w.End)) {
			return true
		}
	}
	return false
}
