package truce

import (
	"encoding/json"
	"time"
)

// Feature is an RFC 7946 §3.2 Feature.
type Feature struct {
	Type       string          `json:"type"`
	ID         string          `json:"id"`
	Geometry   json.RawMessage `json:"geometry"`
	Properties map[string]any  `json:"properties"`
}

// FeatureCollection is an RFC 7946 §3.3 FeatureCollection.
type FeatureCollection struct {
	Type     string    `json:"type"`
	Features []Feature `json:"features"`
}

// ZoneFeature returns a zone version as a GeoJSON Feature: the zone's id,
// the version's geometry, and as properties the zone, agreement, name,
// kind, version and status, when it is in force (in_force_from, null if
// never; in_force_until if it ends), and what is set of its altitude band
// (floor_m, ceiling_m), corridor half-width, circle (radius_m, center)
// and windows. It is the one mapping of zones to GeoJSON: the export, the
// CLI and the map all use it.
func ZoneFeature(v *ZoneVersion) Feature {
	utc := func(t *time.Time) *time.Time {
		if t == nil {
			return nil
		}
		u := t.UTC()
		return &u
	}
	props := map[string]any{"zone_id": v.ZoneID, "agreement_id": v.AgreementID, "name": v.Spec.Name, "kind": v.Spec.Kind,
		"version": v.Version, "status": v.Status, "in_force_from": utc(v.InForceFrom)}
	if v.InForceUntil != nil {
		props["in_force_until"] = utc(v.InForceUntil)
	}
	if v.Spec.FloorM != nil {
		props["floor_m"] = *v.Spec.FloorM
	}
	if v.Spec.CeilingM != nil {
		props["ceiling_m"] = *v.Spec.CeilingM
	}
	if v.Spec.HalfWidthM > 0 {
		props["half_width_m"] = v.Spec.HalfWidthM
	}
	if v.Spec.RadiusM > 0 {
		props["radius_m"], props["center"] = v.Spec.RadiusM, v.Spec.Center
	}
	if len(v.Spec.Windows) > 0 {
		props["windows"] = v.Spec.Windows
	}
	return Feature{Type: "Feature", ID: v.ZoneID, Geometry: v.Spec.Geometry, Properties: props}
}

// ZoneFeatures returns zone versions as a FeatureCollection.
func ZoneFeatures(vs []*ZoneVersion) FeatureCollection {
	fc := FeatureCollection{Type: "FeatureCollection", Features: make([]Feature, 0, len(vs))}
	for _, v := range vs {
		fc.Features = append(fc.Features, ZoneFeature(v))
	}
	return fc
}
