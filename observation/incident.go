package observation

import (
	"slices"
	"time"
)

// Status is where an incident is in its verification.
type Status string

// Statuses: reported (one source), corroborated (independent observers
// or parties), verified (by the monitoring centre), disputed (a verified
// incident questioned), rejected.
const (
	StatusReported     Status = "reported"
	StatusCorroborated Status = "corroborated"
	StatusVerified     Status = "verified"
	StatusDisputed     Status = "disputed"
	StatusRejected     Status = "rejected"
)

// Incident is observations of the same event grouped together.
type Incident struct {
	ID          string   `json:"id"`
	Category    Category `json:"category"`
	SubCategory string   `json:"sub_category,omitempty"`
	Status      Status   `json:"status"`
	// Center and Radius are where the event was: the cross-fix when there
	// is one, otherwise the observation with the smallest uncertainty.
	Center Point        `json:"center"`
	Radius float64      `json:"radius"`
	Area   [][2]float64 `json:"area"`
	Fix    *Fix         `json:"fix,omitempty"`
	// PCode is the OCHA P-code of the sub-district of Center.
	PCode string `json:"pcode,omitempty"`
	// Start and End span the observations' windows.
	Start time.Time `json:"start"`
	End   time.Time `json:"end"`
	// Observations, Observers and Parties count the observations, the
	// distinct observers and the distinct parties they come from.
	Observations int      `json:"observations"`
	Observers    int      `json:"observers"`
	Parties      []string `json:"parties"`
	Events       Count    `json:"events"`
	// Actor is the attribution made with the most confidence by any
	// observation ("" if none).
	Actor           string      `json:"actor,omitempty"`
	ActorConfidence float64     `json:"actor_confidence,omitempty"`
	Casualties      Count       `json:"casualties"`
	Decisions       []Decision  `json:"decisions,omitempty"`
	Violations      []Violation `json:"violations,omitempty"`
	// Responses are the signed answers of the party a violation is
	// attributed to (RespondIncident).
	Responses []Response `json:"responses,omitempty"`
	// Regroupings are the merges and splits made by hand; MergedInto the
	// incident this one's observations were all moved into.
	Regroupings  []Regrouping `json:"regroupings,omitempty"`
	MergedInto   string       `json:"merged_into,omitempty"`
	CreatedAt    time.Time    `json:"created_at"`
	UpdatedAt    time.Time    `json:"updated_at"`
	Version      int          `json:"version"`
	JournalIndex int64        `json:"journal_index"`
}

// Summarize returns inc with what its observations say: counts of
// observations, distinct observers and parties, the window, the location
// (cross-fixed from bearings of different observers when it can be) and
// the counts (the largest best/low/high of any observation: observers of
// one event report it, not parts of it). The status moves from reported
// to corroborated when two observers or parties report it. inc is not
// changed.
func Summarize(inc *Incident, obs []*Observation) *Incident {
	n := *inc
	n.Observations = len(obs)
	observers := map[string]bool{}
	n.Parties = nil
	n.Events, n.Casualties = Count{}, Count{}
	n.Actor, n.ActorConfidence = "", 0
	var best *Observation
	for i, o := range obs {
		observers[o.ObserverID] = true
		if !slices.Contains(n.Parties, o.PartyID) {
			n.Parties = append(n.Parties, o.PartyID)
		}
		if i == 0 || o.Start.Before(n.Start) {
			n.Start = o.Start
		}
		if i == 0 || o.End.After(n.End) {
			n.End = o.End
		}
		n.Events = maxCount(n.Events, o.Events)
		n.Casualties = maxCount(n.Casualties, o.Casualties)
		if o.Actor != "" && (n.Actor == "" || o.Confidence > n.ActorConfidence) {
			n.Actor, n.ActorConfidence = o.Actor, o.Confidence
		}
		if best == nil || o.Radius < best.Radius {
			best = o
		}
	}
	slices.Sort(n.Parties)
	n.Observers = len(observers)
	n.Fix = CrossFix(obs)
	switch {
	case n.Fix != nil && n.Fix.Radius < best.Radius:
		n.Center, n.Radius, n.Area = n.Fix.Center, n.Fix.Radius, n.Fix.Area
	case best != nil:
		n.Center, n.Radius, n.Area = best.Center, best.Radius, best.Area
	}
	if n.Status == StatusReported && (n.Observers > 1 || len(n.Parties) > 1) {
		n.Status = StatusCorroborated
	}
	return &n
}

func maxCount(a, b Count) Count {
	return Count{Best: max(a.Best, b.Best), Low: max(a.Low, b.Low), High: max(a.High, b.High)}
}
