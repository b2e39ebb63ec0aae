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

// IngestResult says what happened to posted positions: every non-blank
// line is counted once, in Accepted, Rejected, Dropped, Refused or Pending.
type IngestResult struct {
	Accepted int `json:"accepted"` // used by the monitor
	Rejected int `json:"rejected"` // bad lines, refused before the monitor (RejectedLines, Errors)
	Dropped  int `json:"dropped"`  // shed under overload before the monitor saw them
	// Refused counts positions the monitor saw and did not use, and
	// RefusedBy says why: track_table_full, too_old, future, out_of_order
	// (older than the aircraft's last position; its callsign and squawk
	// are still used), invalid.
	Refused   int            `json:"refused"`
	RefusedBy map[string]int `json:"refused_by,omitempty"`
	// Pending counts positions queued and not yet processed when the
	// answer was sent (the monitor was busy).
	Pending int `json:"pending,omitempty"`
	// RejectedLines lists the line numbers (from 1, blank lines counted)
	// of every rejected line; Errors says why for the first 20.
	RejectedLines []int    `json:"rejected_lines,omitempty"`
	Errors        []string `json:"errors,omitempty"`
}
