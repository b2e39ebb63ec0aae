package main

import (
	"fmt"
	"maps"

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

// tally is what a run's alerts and positions came to, counted apart: the
// engine's alerts (raised: entries, exits, predictions and their ends, one
// each), the ends written into the record of the episode they end in the
// same write (coalesced: no journal entry of their own), the journal
// entries of alerts (journalled), the events read from the stream
// (delivered) and the engine alerts they carry, the alerts the journal
// refused for good (lost); positions used, shed by the full queue,
// invalid, and not used for any reason (invalid among them); tracks
// dropped as stale (each open episode then ends with an exit).
type tally struct {
	sent                                int64 // positions sent
	raised, coalesced, journalled, lost int64
	delivered, deliveredAlerts          int64
	used, shed, invalid, unused         int64
	expired                             int64
	kinds                               map[string]int // engine alerts delivered, by kind
}

// tallyOf takes the server's counts over a run and what its subscriber
// read.
func tallyOf(sent int64, c counts, st *alertStream) tally {
	t := tally{sent: sent, raised: c.alerts, journalled: c.journalled, lost: c.lost,
		used: c.used, shed: c.dropped, invalid: c.invalid, unused: c.unused, expired: c.expired}
	if st != nil {
		t.coalesced = st.coalesced.Load()
		t.delivered = st.n.Load()
		t.deliveredAlerts = st.raised.Load() + st.coalesced.Load() + st.ended.Load()
		st.kindsMu.Lock()
		t.kinds = maps.Clone(st.kinds)
		st.kindsMu.Unlock()
	}
	return t
}

// perPosition is the engine's alerts per position sent.
func (t tally) perPosition() float64 {
	if t.sent == 0 {
		return 0
	}
	return float64(t.raised) / float64(t.sent)
}

// missing is the engine's alerts neither delivered in an event nor lost
// for good (0 when every alert raised reached the subscriber).
func (t tally) missing() int64 { return t.raised - t.deliveredAlerts - t.lost }

func (t tally) String() string {
	s := fmt.Sprintf("alerts: %d raised (%.4f per position sent), %d of them ends coalesced into their entry's record, %d journalled, %d events delivered carrying %d of the raised, %d lost",
		t.raised, t.perPosition(), t.coalesced, t.journalled, t.delivered, t.deliveredAlerts, t.lost)
	if m := t.missing(); m != 0 {
		s += fmt.Sprintf(", %d MISSING", m)
	}
	return s + fmt.Sprintf(" %v; positions: %d sent, %d used, %d shed, %d invalid, %d not used (invalid among them); %d tracks expired",
		t.kinds, t.sent, t.used, t.shed, t.invalid, t.unused, t.expired)
}
