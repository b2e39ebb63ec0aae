package monitor

import (
	"math"
	"time"

	"github.com/truce-project/truce/feed"
)

const (
	earthRadiusM = 6371008.8 // mean radius (IUGG)
	knotMps      = 1852.0 / 3600
	degRad       = math.Pi / 180

	// The tolerances within which an aircraft is still on its projected
	// path, so that the points already tested stay valid.
	pathToleranceM   = 500
	pathToleranceDeg = 5
	pathToleranceGS  = 0.1
	pathToleranceVR  = 500 // ft/min
)

// predState is a track's projected path and its open prediction episodes.
type predState struct {
	valid        bool
	gen          uint64
	lat, lon     float64
	altFt, vrFps float64 // NaN altitude when unknown
	gsMps, trk   float64
	t0           int64 // Unix ns of the reference position
	until        int64 // Unix ns up to which the path has been tested
	zones        []predZone
}

type predZone struct {
	id      string
	episode string
	last    time.Time // position time of the last prediction of this zone
	at      int64     // predicted entry time, Unix ns
}

// project returns the point and altitude (feet, NaN unknown) on the path at
// Unix time ns, on a local flat earth: over a 2-minute look-ahead (under
// 35 km at 550 kt) its error is a few metres.
func (ps *predState) project(ns int64) (lat, lon, altFt float64) {
	dt := float64(ns-ps.t0) / 1e9
	d := ps.gsMps * dt
	s, c := math.Sincos(ps.trk * degRad)
	lat = ps.lat + d*c/earthRadiusM/degRad
	lon = ps.lon + d*s/(earthRadiusM*math.Cos(ps.lat*degRad))/degRad
	return lat, lon, ps.altFt + ps.vrFps*dt
}

// onPath reports whether the track still follows the projected path.
func (ps *predState) onPath(t *track, vr float64) bool {
	if math.Abs(t.pos.GroundSpeedKt*knotMps-ps.gsMps) > pathToleranceGS*ps.gsMps+0.5 {
		return false
	}
	if d := math.Abs(math.Mod(t.pos.TrackDeg-ps.trk+540, 360) - 180); d > pathToleranceDeg {
		return false
	}
	if math.IsNaN(t.pos.AltFt) != math.IsNaN(ps.altFt) || math.Abs(vr/60-ps.vrFps)*60 > pathToleranceVR {
		return false
	}
	lat, lon, _ := ps.project(t.pos.Time.UnixNano())
	dy := (t.pos.Lat - lat) * degRad * earthRadiusM
	dx := (t.pos.Lon - lon) * degRad * earthRadiusM * math.Cos(lat*degRad)
	return dx*dx+dy*dy <= pathToleranceM*pathToleranceM
}

// predict tests the newly reached part of the track's projected path and
// raises predicted entries; see the package documentation.
func (e *Engine) predict(t *track) {
	ps := &t.pred
	now := t.pos.Time
	nowNs := now.UnixNano()
	step := int64(e.cfg.PredictStep)
	end := nowNs + int64(e.cfg.LookAhead)
	if ps.valid && ps.gen == e.gen && len(ps.zones) == 0 && nextSample(ps.until, step) > end {
		// No point of the path is due: the path is checked (and redrawn if
		// the aircraft left it) once a PredictStep.
		return
	}
	// Close episodes not predicted for PredictHold, and never predict a zone
	// the track is in or entering.
	for i := 0; i < len(ps.zones); {
		z := &ps.zones[i]
		if k := t.zoneIndex(z.id); k >= 0 && t.zones[k].inside {
			e.endPrediction(t, z.id, ReasonEntered, now, t.zones[k].episode)
			continue
		} else if k >= 0 {
			// Entering, not yet confirmed: the entry will end it.
			i++
			continue
		}
		if now.Sub(z.last) > e.cfg.PredictHold {
			e.endPrediction(t, z.id, ReasonNoEntry, now, "")
			continue
		}
		i++
	}
	if e.snap == nil || t.onGround || math.IsNaN(t.pos.GroundSpeedKt) || math.IsNaN(t.pos.TrackDeg) || t.pos.GroundSpeedKt < 1 {
		ps.valid = false
		return
	}
	vr := t.vrate
	if math.IsNaN(vr) {
		vr = 0
	}
	if ps.valid && ps.gen == e.gen && ps.onPath(t, vr) {
		// The points already tested stand: a zone predicted ahead is still
		// predicted.
		for i := range ps.zones {
			if ps.zones[i].at > nowNs {
				ps.zones[i].last = now
			}
		}
	} else {
		// A new path: a zone stays predicted only if the new path meets
		// it again (predicted sets its time), else its episode expires
		// after PredictHold.
		for i := range ps.zones {
			ps.zones[i].at = 0
		}
		*ps = predState{
			valid: true, gen: e.gen,
			lat: t.pos.Lat, lon: t.pos.Lon, altFt: t.pos.AltFt, vrFps: vr / 60,
			gsMps: t.pos.GroundSpeedKt * knotMps, trk: t.pos.TrackDeg,
			t0: nowNs, until: nowNs, zones: ps.zones,
		}
	}
	for ts := nextSample(ps.until, step); ts <= end; ts += step {
		lat, lon, altFt := ps.project(ts)
		if lat > 90 || lat < -90 {
			break
		}
		altM := nan
		if !math.IsNaN(altFt) {
			altM = altFt * feed.FeetToMetres
		}
		e.hits = e.hits[:0]
		at := time.Unix(0, ts).UTC()
		e.snap.Containing(lon, lat, altM, at, e.collect)
		e.nChecks++
		for _, id := range e.hits {
			e.predicted(t, id, ts, lat, lon, altFt)
		}
	}
	ps.until = end
}

func (e *Engine) predicted(t *track, id string, ts int64, lat, lon, altFt float64) {
	if t.zoneIndex(id) >= 0 {
		return
	}
	ps := &t.pred
	for i := range ps.zones {
		if z := &ps.zones[i]; z.id == id {
			z.last = t.pos.Time
			if ts < z.at || z.at <= t.pos.Time.UnixNano() {
				z.at = ts
			}
			return
		}
	}
	ep := episodeID("predicted", t.icao, 0, id, t.pos.Time)
	ps.zones = append(ps.zones, predZone{id: id, episode: ep, last: t.pos.Time, at: ts})
	at := time.Unix(0, ts).UTC()
	e.pending = append(e.pending, Alert{
		Kind: KindPredictedEntry, Episode: ep, Time: t.pos.Time,
		Aircraft: t.aircraft(1), ZoneID: id, PredictedAt: at,
		PredictedPoint: Point{Time: at, Lat: lat, Lon: lon, AltFt: altFt, GroundSpeedKt: t.pos.GroundSpeedKt, TrackDeg: t.pos.TrackDeg},
	})
}

// nextSample is the first multiple of step after ns.
func nextSample(ns, step int64) int64 {
	ts := ns - ns%step // rounds toward zero
	for ts <= ns {
		ts += step
	}
	return ts
}
