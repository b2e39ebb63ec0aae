package airspace

import (
	"math"

	"github.com/paulmach/orb"
	"github.com/truce-project/truce"
	"github.com/truce-project/truce/feed"
	"github.com/truce-project/truce/monitor"
	"github.com/truce-project/truce/zones"
)

// Tracks implements api.TrackSource.
func (a *Host) Tracks(bbox *truce.BBox) []truce.Track {
	var b orb.Bound
	if bbox != nil {
		b = orb.Bound{Min: orb.Point{bbox[0], bbox[1]}, Max: orb.Point{bbox[2], bbox[3]}}
	}
	var out []truce.Track
	var icaos []uint32
	num := func(v float64) *float64 {
		if math.IsNaN(v) {
			return nil
		}
		return &v
	}
	a.engine.Tracks(b, func(ti monitor.TrackInfo) bool {
		t := truce.Track{ICAO: feed.FormatICAO(ti.ICAO), Callsign: ti.Callsign, Party: ti.Party, Lon: ti.Position.Lon, Lat: ti.Position.Lat,
			GroundSpeedKt: num(ti.Position.GroundSpeedKt), TrackDeg: num(ti.Position.TrackDeg), VerticalRateFpm: num(ti.VerticalRateFpm),
			LastSeen: ti.LastSeen, Relocated: ti.Relocated}
		if ti.Present.Has(feed.FieldSquawk) {
			t.Squawk = ti.Squawk.String()
		}
		if !math.IsNaN(ti.Position.AltFt) {
			m := ti.Position.AltFt * feed.FeetToMetres
			t.AltM = &m
		}
		for _, z := range ti.Zones {
			t.Zones = append(t.Zones, zones.ZoneOf(z))
		}
		out, icaos = append(out, t), append(icaos, ti.ICAO)
		return true
	})
	// Tracks leaves the histories out; Track has them.
	for i := range out {
		if ti, ok := a.engine.Track(icaos[i]); ok {
			for _, p := range ti.History {
				out[i].Trail = append(out[i].Trail, [2]float64{p.Lon, p.Lat})
			}
		}
	}
	return out
}
