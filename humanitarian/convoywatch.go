package humanitarian

import (
	"math"
	"time"
)

// Convoy tracking on the clock: besides leaving its corridor, a convoy
// under way may stop (no progress for StoppedAfter), fall behind its
// schedule (later than the latest schedule its notification allows by
// BehindBy) or fall silent (no position for SilentAfter). Check finds
// these from the watch's state and the time; each is an episode raised
// once and ended by the convoy moving, catching up or reporting again.

// Default limits of convoy tracking.
const (
	DefaultStoppedAfter = 20 * time.Minute
	DefaultSilentAfter  = 15 * time.Minute
	DefaultBehindBy     = 30 * time.Minute
	// StoppedRadiusM is how far a convoy must move to be making
	// progress: more than GPS wander at a checkpoint.
	StoppedRadiusM = 200
)

// Convoy events of the clock.
const (
	ConvoyStopped ConvoyEventKind = "stopped"
	ConvoySilent  ConvoyEventKind = "silent"
	ConvoyBehind  ConvoyEventKind = "behind"
)

// ConvoyLimits are the limits Check applies; zero fields take the
// defaults.
type ConvoyLimits struct {
	StoppedAfter time.Duration
	SilentAfter  time.Duration
	BehindBy     time.Duration
}

func (l ConvoyLimits) orDefaults() ConvoyLimits {
	if l.StoppedAfter <= 0 {
		l.StoppedAfter = DefaultStoppedAfter
	}
	if l.SilentAfter <= 0 {
		l.SilentAfter = DefaultSilentAfter
	}
	if l.BehindBy <= 0 {
		l.BehindBy = DefaultBehindBy
	}
	return l
}

// Schedule is the latest a movement may be: it leaves by Depart at the
// latest and arrives by Arrive at the latest; in between, the latest
// schedule has it cover its route at an even pace.
type Schedule struct {
	Depart, Arrive time.Time
}

// dueAt is when the latest schedule has the convoy alongM metres along a
// route of lengthM.
func (s Schedule) dueAt(alongM, lengthM float64) time.Time {
	if lengthM <= 0 || !s.Arrive.After(s.Depart) {
		return s.Arrive
	}
	f := math.Min(math.Max(alongM/lengthM, 0), 1)
	return s.Depart.Add(time.Duration(f * float64(s.Arrive.Sub(s.Depart))))
}

// clockState is the part of a ConvoyWatch that Check reads and keeps.
type clockState struct {
	// anchor is where the convoy was when it last moved more than
	// StoppedRadiusM, and anchorAt when.
	anchorLon, anchorLat float64
	anchorAt             time.Time
	// progressM is the furthest along its route the convoy has been
	// seen inside its corridor.
	progressM float64
	stopped   bool // the current stop was raised
	silent    bool // the current silence was raised
	behind    bool // the current lag was raised
}

// observeClock updates the state that Check reads with a position taken
// in time order.
func (w *ConvoyWatch) observeClock(lon, lat float64, at time.Time, inside bool) {
	c := &w.clock
	c.silent = false
	if c.anchorAt.IsZero() || w.Corridor.metresBetween(c.anchorLon, c.anchorLat, lon, lat) > StoppedRadiusM {
		c.anchorLon, c.anchorLat, c.anchorAt = lon, lat, at
		c.stopped = false
	}
	if inside {
		if a := w.Corridor.AlongM(lon, lat); a > c.progressM {
			c.progressM = a
		}
	}
}

// Check returns the clock's events due at now for a convoy under way
// since started (a zero time: since its first position), each once per
// episode: stopped once its last StoppedAfter of positions stayed within
// StoppedRadiusM (and it is not silent), silent once it has reported
// nothing for SilentAfter, behind once it is later than its latest
// schedule by BehindBy. It is pure: the caller gives the time.
func (w *ConvoyWatch) Check(now, started time.Time, s Schedule, lim ConvoyLimits) []ConvoyEvent {
	lim = lim.orDefaults()
	c := &w.clock
	var out []ConvoyEvent
	heard := w.last
	if heard.IsZero() || heard.Before(started) {
		heard = started
	}
	if !heard.IsZero() && now.Sub(heard) >= lim.SilentAfter {
		if !c.silent {
			c.silent = true
			out = append(out, ConvoyEvent{Kind: ConvoySilent, Since: heard, At: now, Lon: c.anchorLon, Lat: c.anchorLat})
		}
	} else if !c.anchorAt.IsZero() && w.last.Sub(c.anchorAt) >= lim.StoppedAfter && !c.stopped {
		c.stopped = true
		out = append(out, ConvoyEvent{Kind: ConvoyStopped, Since: c.anchorAt, At: now, Lon: c.anchorLon, Lat: c.anchorLat})
	}
	due := s.dueAt(c.progressM, w.Corridor.LengthM())
	lag := now.Sub(due)
	switch {
	case lag >= lim.BehindBy && !c.behind && c.progressM < w.Corridor.LengthM()-w.Corridor.HalfWidthM:
		c.behind = true
		out = append(out, ConvoyEvent{Kind: ConvoyBehind, Since: due, At: now, Lon: c.anchorLon, Lat: c.anchorLat, DistanceM: w.Corridor.LengthM() - c.progressM})
	case lag < lim.BehindBy/2:
		c.behind = false
	}
	return out
}
