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
// The move keeps each leg, not each point's offset from the anchor: every
// point is placed from the previous one by that leg's north offset in degrees
// of latitude and its east offset in metres (the longitude difference scaled
// by cos of the leg's mean latitude before the move, unscaled at its mean
// latitude after). So every point keeps its latitude difference from the
// anchor, and every leg keeps its length and heading to within the flat-earth
// error of one leg (under 0.1% for the real samples' legs, even the 8,000 km
// trace moved 17° north); the
// track, speeds and altitudes in the positions therefore stay true to the
// moved path and are left unchanged. The whole track's outline is bent
// slightly where a long east-west track changes latitude, as a map
// projection would bend it.
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
	lat0 := ps[anchor].Lat
	var dt time.Duration
	if !start.IsZero() {
		dt = start.Sub(ps[0].Time)
	}
	const rad = math.Pi / 180
	out := make([]Position, len(ps))
	var prevOld, prevNew Position
	for i, p := range ps {
		if p.Present.Has(FieldLatLon) {
			newLat := lat + (p.Lat - lat0)
			if math.Abs(newLat) > maxRelocatedLat {
				return nil, invalidf("relocate: point %d would move to latitude %.4f", i, newLat)
			}
			newLon := lon
			if i != anchor {
				east := wrapLon(p.Lon-prevOld.Lon) * math.Cos((p.Lat+prevOld.Lat)/2*rad)
				newLon = wrapLon(prevNew.Lon + east/math.Cos((newLat+prevNew.Lat)/2*rad))
			}
			prevOld = p
			p.Lat, p.Lon = newLat, newLon
			prevNew = p
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
