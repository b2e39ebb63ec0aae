package truce

import "time"

// Track is a live moving object as the air picture shows it.
type Track struct {
	ICAO            string    `json:"icao"`
	Callsign        string    `json:"callsign,omitempty"`
	Squawk          string    `json:"squawk,omitempty"`
	Party           string    `json:"party,omitempty"`
	Lon             float64   `json:"lon"`
	Lat             float64   `json:"lat"`
	AltM            *float64  `json:"alt_m,omitempty"`
	GroundSpeedKt   *float64  `json:"gs_kt,omitempty"`
	TrackDeg        *float64  `json:"track_deg,omitempty"`
	VerticalRateFpm *float64  `json:"vrate_fpm,omitempty"`
	LastSeen        time.Time `json:"last_seen"`
	Zones           []string  `json:"zones,omitempty"` // zones it is inside
	Relocated       bool      `json:"relocated,omitempty"`
	// Trail is recent positions, oldest first: [lon, lat].
	Trail [][2]float64 `json:"trail,omitempty"`
}

// IngestResult says what happened to posted positions.
type IngestResult struct {
	Accepted int      `json:"accepted"`
	Rejected int      `json:"rejected"`
	Dropped  int      `json:"dropped"` // shed under overload
	Errors   []string `json:"errors,omitempty"`
}
