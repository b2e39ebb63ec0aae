package truce

import "time"

// EventKinds are the kinds of the events the services publish (a change's
// kind): what a webhook or stream may ask for.
var EventKinds = []string{"agreement", "aircraft", "alert", "feed", "zone", "site", "transmission", "movement",
	"control_area", "guarantee", "guarantee.breach", "guarantee.breach_overdue", "guarantee.breach_response", "guarantee.breach_withdrawn",
	// An accounts change (data-less: kind, subject and journal index).
	"token", "user", "party"}

// Event is something that happened: a record changed (Kind is the journal
// kind) or an engine raised something (an alert). It is logged in the
// transaction of the change that caused it (Tx.Publish) and delivered to
// live subscribers once that transaction has committed.
type Event struct {
	Kind    string    `json:"kind"`
	Subject string    `json:"subject"`
	Index   int64     `json:"index"` // journal index, -1 if none
	Time    time.Time `json:"time"`
	Data    any       `json:"data,omitempty"`
	// Visibility says who may receive the event. The zero value is
	// administrators only; an event published with a change takes the
	// change's visibility, the same as its journal entry's.
	Visibility Visibility `json:"-"`
	// Point (lon, lat) or BBox (minLon, minLat, maxLon, maxLat) place the
	// event for subscribers' bbox filters; an event with neither has no
	// place and passes no bbox filter.
	Point *[2]float64 `json:"point,omitempty"`
	BBox  *BBox       `json:"bbox,omitempty"`
}
