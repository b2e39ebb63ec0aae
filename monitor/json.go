package monitor

import (
	"encoding/json"
	"math"
	"time"

	"github.com/truce-project/truce/feed"
)

// The JSON forms below exist because encoding/json refuses NaN, which the
// engine uses for "unknown": unknown numbers are written as null, ICAO
// addresses as six hex digits and squawks as four octal digits, the way
// feeds and the NDJSON API write them.

func num(x float64) *float64 {
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return nil
	}
	return &x
}

type pointJSON struct {
	Time          time.Time `json:"time"`
	Lat           *float64  `json:"lat"`
	Lon           *float64  `json:"lon"`
	AltFt         *float64  `json:"alt_ft"`
	GroundSpeedKt *float64  `json:"gs_kt"`
	TrackDeg      *float64  `json:"track_deg"`
}

// MarshalJSON writes p with unknown values as null.
func (p Point) MarshalJSON() ([]byte, error) {
	return json.Marshal(pointJSON{p.Time, num(p.Lat), num(p.Lon), num(p.AltFt), num(p.GroundSpeedKt), num(p.TrackDeg)})
}

type aircraftJSON struct {
	ICAO     string  `json:"icao"`
	Callsign string  `json:"callsign,omitempty"`
	Party    string  `json:"party,omitempty"`
	Squawk   string  `json:"squawk,omitempty"`
	Position *Point  `json:"position,omitempty"`
	Trigger  []Point `json:"trigger,omitempty"`
	History  []Point `json:"history,omitempty"`
}

// MarshalJSON writes a with its ICAO address in hex and its squawk in octal;
// Position is omitted when no position was known.
func (a Aircraft) MarshalJSON() ([]byte, error) {
	j := aircraftJSON{ICAO: feed.FormatICAO(a.ICAO), Callsign: a.Callsign, Party: a.Party, Trigger: a.Trigger, History: a.History}
	if a.HasSquawk {
		j.Squawk = a.Squawk.String()
	}
	if !a.Position.Time.IsZero() {
		j.Position = &a.Position
	}
	return json.Marshal(j)
}

type alertJSON struct {
	Kind           Kind       `json:"kind"`
	Episode        string     `json:"episode"`
	Time           time.Time  `json:"time"`
	Reason         string     `json:"reason,omitempty"`
	Aircraft       Aircraft   `json:"aircraft"`
	ZoneID         string     `json:"zone_id,omitempty"`
	Other          *Aircraft  `json:"other,omitempty"`
	HorizontalM    *float64   `json:"horizontal_m,omitempty"`
	VerticalFt     *float64   `json:"vertical_ft,omitempty"`
	MinHorizontalM *float64   `json:"min_horizontal_m,omitempty"`
	MinVerticalFt  *float64   `json:"min_vertical_ft,omitempty"`
	PredictedAt    *time.Time `json:"predicted_at,omitempty"`
	PredictedPoint *Point     `json:"predicted_point,omitempty"`
	Squawk         string     `json:"squawk,omitempty"`
}

// MarshalJSON writes the fields that apply to the alert's kind.
func (a Alert) MarshalJSON() ([]byte, error) {
	j := alertJSON{Kind: a.Kind, Episode: a.Episode, Time: a.Time, Reason: a.Reason, Aircraft: a.Aircraft, ZoneID: a.ZoneID, Other: a.Other}
	switch a.Kind {
	case KindProximity:
		j.HorizontalM, j.VerticalFt = num(a.HorizontalM), num(a.VerticalFt)
		j.MinHorizontalM, j.MinVerticalFt = num(a.MinHorizontalM), num(a.MinVerticalFt)
	case KindPredictedEntry:
		j.PredictedAt, j.PredictedPoint = &a.PredictedAt, &a.PredictedPoint
	case KindEmergencySquawk:
		j.Squawk = a.Squawk.String()
	}
	return json.Marshal(j)
}

type trackJSON struct {
	ICAO            string    `json:"icao"`
	Callsign        string    `json:"callsign,omitempty"`
	Squawk          string    `json:"squawk,omitempty"`
	Party           string    `json:"party,omitempty"`
	Position        Point     `json:"position"`
	VerticalRateFpm *float64  `json:"vrate_fpm"`
	OnGround        bool      `json:"on_ground"`
	LastSeen        time.Time `json:"last_seen"`
	Relocated       bool      `json:"relocated,omitempty"`
	Zones           []string  `json:"zones,omitempty"`
	History         []Point   `json:"history,omitempty"`
}

// MarshalJSON writes the track for live views, unknown values as null.
func (t TrackInfo) MarshalJSON() ([]byte, error) {
	j := trackJSON{
		ICAO: feed.FormatICAO(t.ICAO), Callsign: t.Callsign, Party: t.Party, Position: t.Position,
		VerticalRateFpm: num(t.VerticalRateFpm), OnGround: t.OnGround, LastSeen: t.LastSeen,
		Relocated: t.Relocated, Zones: t.Zones, History: t.History,
	}
	if t.Present.Has(feed.FieldSquawk) {
		j.Squawk = t.Squawk.String()
	}
	return json.Marshal(j)
}
