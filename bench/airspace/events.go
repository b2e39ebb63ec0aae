package main

import (
	"github.com/truce-project/truce/feed"
)

// report is one alert of the engine that an event delivers, by the
// aircraft and the time of the position that triggered it: the key by
// which the latency test finds the line it was sent on.
type report struct {
	icao uint32
	ms   int64 // the triggering position's time, Unix milliseconds
}

// openers are the kinds of record that open an episode its end closes
// (airspace's episodes): an exit, a prediction's end or a separation
// ends the record instead of raising one of its own.
var openers = map[string]bool{"zone_entry": true, "predicted_entry": true, "proximity": true}

// delivery says which of the engine's alerts an event carries.
type delivery struct {
	raised    bool // a new record (version 1)
	coalesced bool // with the end of its episode, reported in the same write: two engine alerts, one journal entry
	ended     bool // a later version that ends a stored record: the end's own journal entry
}

// delivers classifies ev: a version 1 record was raised (and when it is an
// opener already ended, its end was coalesced into it); a later version
// whose last step is the end reports the end; any other later version
// (acknowledged, closed) reports nothing the engine raised. An end whose
// opener no server recorded stands as a record of its own (an orphan,
// version 1, not an opener): one engine alert.
func (ev *alertEvent) delivers() delivery {
	d := &ev.Data
	if d.Version <= 1 {
		return delivery{raised: true, coalesced: d.EndedAt != nil && openers[d.Kind]}
	}
	n := len(d.History)
	return delivery{ended: d.EndedAt != nil && n > 0 && d.History[n-1].Action == "ended"}
}

// reports lists the engine's alerts that ev delivers, each keyed by the
// time of its triggering position: the record's time for the alert that
// raised it, the end's time (ended_at) for the exit that ended it.
func (ev *alertEvent) reports() ([]report, error) {
	if len(ev.Data.Aircraft) == 0 {
		return nil, nil // an alert of the server's own, not an aircraft's
	}
	icao, err := feed.ParseICAO(ev.Data.Aircraft[0].ICAO)
	if err != nil {
		return nil, err
	}
	var rs []report
	switch d := ev.delivers(); {
	case d.raised:
		rs = append(rs, report{icao, ev.Data.Time.UnixMilli()})
		if d.coalesced {
			rs = append(rs, report{icao, ev.Data.EndedAt.UnixMilli()})
		}
	case d.ended:
		rs = append(rs, report{icao, ev.Data.EndedAt.UnixMilli()})
	}
	return rs, nil
}
