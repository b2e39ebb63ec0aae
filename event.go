package truce

import "time"

// Event is something that happened, published on the in-process bus after
// the change that caused it has committed: a record changed (Kind is the
// journal kind) or an engine raised something (an alert).
type Event struct {
	Kind    string    `json:"kind"`
	Subject string    `json:"subject"`
	Index   int64     `json:"index"` // journal index, -1 if none
	Time    time.Time `json:"time"`
	Data    any       `json:"data,omitempty"`
	// Point locates the event (lon, lat) for bbox filters; nil if it has
	// no place.
	Point *[2]float64 `json:"point,omitempty"`
}
