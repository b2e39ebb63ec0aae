package monitor

import (
	"slices"
	"strings"
	"time"

	"github.com/truce-project/truce/spatial"
)

// Conformance: an aircraft taking part in an active operation keeps to the
// operation's 4D volumes (area × altitude band × time window), as ASTM
// F3548 conformance monitoring holds a drone to its operational intent. A
// position of such an aircraft in none of its operation's volumes opens a
// non-conformance episode (KindNonConformance); a position back in one,
// the operation's end or the track's loss closes it
// (KindNonConformanceEnded). A position without a known altitude is
// judged on area and window alone.

// The kinds of a conformance episode's alerts, and of an intrusion's: an
// aircraft of a party in an active operation's volume that none of the
// operation's parties is (Intents.Parties), from its entry to its exit.
const (
	KindNonConformance      Kind = "non_conformance"
	KindNonConformanceEnded Kind = "non_conformance_end"
	KindIntrusion           Kind = "operation_intrusion"
	KindIntrusionEnded      Kind = "operation_intrusion_end"
)

// The reasons a non-conformance episode ends.
const (
	ReasonConforms       = "conforms"        // the aircraft is back in a volume
	ReasonOperationEnded = "operation_ended" // the operation is no longer active, or the aircraft no longer in it
	ReasonOutsideVolumes = "outside_volumes" // non_conformance: outside every volume (area, band or window)
	ReasonOutsideBand    = "outside_band"    // non_conformance: in a volume's area and window, not its band
	ReasonOutsideWindow  = "outside_window"  // non_conformance: in a volume's area, outside its window
)

// Intents are the active operations an engine holds aircraft to. Volumes
// holds each operation's volumes as zones whose ids are the operation's
// id, "/", and the volume's index; Areas holds the same with every
// altitude (the band left out), and Footprints with every altitude at any
// time (band and window left out): they say why a position is outside.
// Aircraft lists, by ICAO address, the operations each aircraft takes
// part in. An Intents is not changed once handed to the engine: a change
// is a new one.
// Parties lists each operation's participating parties: an aircraft
// attributed to another party inside one of its volumes intrudes.
type Intents struct {
	Volumes, Areas, Footprints *spatial.Snapshot
	Aircraft                   map[uint32][]string
	Parties                    map[string][]string
}

// confState is a track's open non-conformance episode with an operation.
type confState struct {
	op      string
	episode string
}

// conform checks t's position against the volumes of the operations it
// takes part in, opening and closing its episodes.
func (e *Engine) conform(t *track) {
	if t.confGen != e.confGen || t.confParty != t.party {
		// Once per track and change of the active operations or of its
		// party, not per position.
		t.confGen, t.confParty, t.confOps, t.exposed = e.confGen, t.party, nil, false
		if e.intents != nil {
			t.confOps = e.intents.Aircraft[t.icao]
			t.exposed = t.party != "" && e.intents.Volumes != nil && len(e.intents.Parties) > 0 && !hasID(e.inEvery, t.party)
		}
	}
	ops, attributed := t.confOps, t.exposed
	if len(ops) == 0 && len(t.conf) == 0 && !attributed && len(t.intr) == 0 {
		return
	}
	at := t.pos.Time
	alt := t.altM()
	// One lookup serves both checks: the operations with a volume
	// holding the position.
	holding := e.opHits[:0]
	if e.intents != nil && e.intents.Volumes != nil && (len(ops) > 0 || attributed) {
		e.intents.Volumes.Containing(t.pos.Lon, t.pos.Lat, alt, at, func(id string) bool {
			holding = append(holding, opOfVolume(id))
			return true
		})
	}
	e.opHits = holding
	e.intrude(t, holding)
	// Episodes of operations the aircraft no longer takes part in end.
	for i := 0; i < len(t.conf); {
		if !hasID(ops, t.conf[i].op) {
			e.endConformance(t, i, ReasonOperationEnded, at)
			continue
		}
		i++
	}
	if len(ops) == 0 {
		return
	}
	for _, op := range ops {
		inside := hasID(holding, op)
		if !inside && alt != alt {
			// No altitude: judged on area and window.
			inside = in(e.intents.Areas, op, t.pos.Lon, t.pos.Lat, at)
		}
		i := t.confIndex(op)
		switch {
		case inside && i >= 0:
			e.endConformance(t, i, ReasonConforms, at)
		case !inside && i < 0:
			ep := episodeID("conformance", t.icao, 0, op, at)
			t.conf = append(t.conf, confState{op: op, episode: ep})
			reason := ReasonOutsideVolumes
			if in(e.intents.Areas, op, t.pos.Lon, t.pos.Lat, at) {
				reason = ReasonOutsideBand
			} else if in(e.intents.Footprints, op, t.pos.Lon, t.pos.Lat, at) {
				reason = ReasonOutsideWindow
			}
			e.pending = append(e.pending, Alert{Kind: KindNonConformance, Episode: ep, Time: at, Reason: reason,
				Aircraft: t.aircraft(1), OperationID: op})
		}
	}
}

// loadIntents reads Config.Intents into e.intents and, when they are not
// the ones last read, bumps confGen (so that each track looks its
// operations up again) and finds the parties taking part in every active
// operation, whose aircraft need no intrusion check.
func (e *Engine) loadIntents() {
	e.intents = nil
	if e.cfg.Intents != nil {
		e.intents = e.cfg.Intents()
	}
	if e.intents == e.confFor {
		return
	}
	e.confFor = e.intents
	e.confGen++
	e.inEvery = e.inEvery[:0]
	if e.intents == nil {
		return
	}
	first := true
	for _, ps := range e.intents.Parties {
		if first {
			e.inEvery = append(e.inEvery, ps...)
			first = false
			continue
		}
		e.inEvery = slices.DeleteFunc(e.inEvery, func(p string) bool { return !hasID(ps, p) })
		if len(e.inEvery) == 0 {
			break
		}
	}
}

// in reports whether the point is in one of operation op's volumes in
// snapshot s (nil: none), at any altitude.
func in(s *spatial.Snapshot, op string, lon, lat float64, at time.Time) bool {
	found := false
	if s != nil {
		s.Containing(lon, lat, 0, at, func(id string) bool {
			found = opOfVolume(id) == op
			return !found
		})
	}
	return found
}

func opOfVolume(id string) string {
	if k := strings.LastIndexByte(id, '/'); k >= 0 {
		return id[:k]
	}
	return id
}

func (t *track) confIndex(op string) int {
	for i := range t.conf {
		if t.conf[i].op == op {
			return i
		}
	}
	return -1
}

// endConformance closes t's episode i.
func (e *Engine) endConformance(t *track, i int, reason string, at time.Time) {
	c := t.conf[i]
	t.conf = append(t.conf[:i], t.conf[i+1:]...)
	e.pending = append(e.pending, Alert{Kind: KindNonConformanceEnded, Episode: c.episode, Time: at, Reason: reason,
		Aircraft: t.aircraft(1), OperationID: c.op})
}

// intrude checks an attributed aircraft's position (holding: the
// operations with a volume holding it) against the active operations of
// other parties, opening an intrusion episode on
// entering one and closing it on leaving (ReasonLeft), when the operation
// ends or the aircraft's party changes (ReasonOperationEnded), or when the
// track is lost.
func (e *Engine) intrude(t *track, holding []string) {
	in := e.opIn[:0] // operations of other parties holding the position
	if t.party != "" {
		for _, op := range holding {
			if ps, ok := e.intents.Parties[op]; ok && !hasID(ps, t.party) && !hasID(in, op) {
				in = append(in, op)
			}
		}
	}
	e.opIn = in
	at := t.pos.Time
	for i := 0; i < len(t.intr); {
		c := t.intr[i]
		if hasID(in, c.op) {
			i++
			continue
		}
		reason := ReasonLeft
		if ps, ok := e.intents.partiesOf(c.op); !ok || hasID(ps, t.party) || t.party == "" {
			reason = ReasonOperationEnded
		}
		t.intr = append(t.intr[:i], t.intr[i+1:]...)
		e.pending = append(e.pending, Alert{Kind: KindIntrusionEnded, Episode: c.episode, Time: at, Reason: reason,
			Aircraft: t.aircraft(1), OperationID: c.op})
	}
	for _, op := range in {
		if slices.ContainsFunc(t.intr, func(c confState) bool { return c.op == op }) {
			continue
		}
		ep := episodeID("intrusion", t.icao, 0, op, at)
		t.intr = append(t.intr, confState{op: op, episode: ep})
		e.pending = append(e.pending, Alert{Kind: KindIntrusion, Episode: ep, Time: at, Aircraft: t.aircraft(1), OperationID: op})
	}
}

func (in *Intents) partiesOf(op string) ([]string, bool) {
	if in == nil {
		return nil, false
	}
	ps, ok := in.Parties[op]
	return ps, ok
}

// IntentsChanged re-reads Config.Intents and checks every track's last
// position against them at once: an aircraft now outside the volumes of an
// operation that became active opens its episode, and the episodes of
// operations no longer active end. Call it after the active operations
// change.
func (e *Engine) IntentsChanged() {
	e.proc.Lock()
	defer e.proc.Unlock()
	e.mu.Lock()
	e.loadIntents()
	for _, t := range e.tracks {
		if t.hasPos {
			e.conform(t)
		}
	}
	e.flush()
}
