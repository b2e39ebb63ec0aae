package feed

import (
	"math"
	"time"
)

// maxRelocatedLat keeps relocated tracks away from the poles, where the
// cos(lat) scaling of longitude below blows up.
const maxRelocatedLat = 85.0

// Relocate returns a copy of ps moved so that its first position with a
// latitude/longitude lands on (lat, lon), and, unless start is zero, shifted
// in time so that its first position is at start. Every returned position
// has Relocated set, including those without coordinates (their times moved).
//
// The move is a local east/north offset, not a rotation on the sphere: each
// point keeps its north offset from the anchor in degrees of latitude, and
// its east offset in metres (the longitude difference scaled by cos(lat) at
// the point's old latitude, unscaled at its new one). Distances and headings
// are kept to within the change of cos(lat) across the track, which for a
// track of a few hundred kilometres moved between mid-latitudes is well under
// a percent; track, speeds and altitudes are therefore left unchanged.
//
// It returns an error matching ErrInvalid when the target is out of range, ps
// has no position with coordinates, or a moved point would pass 85° of
// latitude.
func Relocate(ps []Position, lat, lon float64, start time.Time) ([]Position, error) {
	if !(lat >= -maxRelocatedLat && lat <= maxRelocatedLat) || !(lon >= -180 && lon <= 180) {
		return nil, invalidf("relocate: target %v, %v out of range (|lat| ≤ %v, |lon| ≤ 180)", lat, lon, maxRelocatedLat)
	}
	anchor := -1
	for i := range ps {
		if ps[i].Present.Has(FieldLatLon) {
			anchor = i
			break
		}
	}
	if anchor < 0 {
		return nil, invalidf("relocate: no position with coordinates")
	}
	lat0, lon0 := ps[anchor].Lat, ps[anchor].Lon
	var dt time.Duration
	if !start.IsZero() && len(ps) > 0 {
		dt = start.Sub(ps[0].Time)
	}
	out := make([]Position, len(ps))
	for i, p := range ps {
		if p.Present.Has(FieldLatLon) {
			newLat := lat + (p.Lat - lat0)
			if math.Abs(newLat) > maxRelocatedLat {
				return nil, invalidf("relocate: point %d would move to latitude %.4f", i, newLat)
			}
			dLon := wrapLon(p.Lon - lon0)
			eastDeg := dLon * math.Cos(p.Lat*math.Pi/180)
			p.Lat = newLat
			p.Lon = wrapLon(lon + eastDeg/math.Cos(newLat*math.Pi/180))
		}
		p.Time = p.Time.Add(dt)
		p.Relocated = true
		out[i] = p
	}
	return out, nil
}

// wrapLon brings a longitude or longitude difference into [-180, 180), so
// that tracks crossing the antimeridian stay continuous.
func wrapLon(d float64) float64 {
	d = math.Mod(d+180, 360)
	if d < 0 {
		d += 360
	}
	return d - 180
}
