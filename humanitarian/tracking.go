package humanitarian

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"sync"
	"time"

	"github.com/paulmach/orb"
	"github.com/truce-project/truce"
	"github.com/truce-project/truce/geo"
	"github.com/truce-project/truce/journal"
)

// AlertConvoyDeviation is the kind of the alert raised when a convoy has
// left its notified route's corridor for longer than the grace time.
const AlertConvoyDeviation = truce.AlertConvoyDeviation

// The kinds of the alerts the clock raises about a convoy under way
// (ConvoyWatch.Check): stopped, silent, behind its schedule.
const (
	AlertConvoyStopped = truce.AlertConvoyStopped
	AlertConvoySilent  = truce.AlertConvoySilent
	AlertConvoyBehind  = truce.AlertConvoyBehind
	// AlertConvoyZoneEntry is raised when a convoy's position enters a
	// zone of concern in force (a hazardous kind: exclusion, contact line,
	// buffer; no-fly for an air movement), once per entry.
	AlertConvoyZoneEntry = truce.AlertConvoyZoneEntry
)

// ConvoyZoneEntry is the event of a convoy entering a zone of concern.
const ConvoyZoneEntry ConvoyEventKind = "zone_entry"

// ConvoyPosition is one position of a convoy's GPS unit.
type ConvoyPosition struct {
	Lon  float64   `json:"lon"`
	Lat  float64   `json:"lat"`
	Time time.Time `json:"time"`
	// SpeedKn and Bearing are what the unit reports, when it does.
	SpeedKn *float64 `json:"speed_kn,omitempty"`
	Bearing *float64 `json:"bearing,omitempty"`
	// Replayed marks a position from a replay (a demo or an exercise),
	// not a live unit: the alerts it raises are marked relocated, as a
	// replayed flight's are (CAP status Exercise).
	Replayed bool `json:"replayed,omitempty"`
}

// PositionResult is what a reported position made: how far the convoy is
// from its route, whether inside the corridor, and the alert it raised.
type PositionResult struct {
	Movement  string       `json:"movement"`
	Inside    bool         `json:"inside"`
	DistanceM float64      `json:"distance_m"`
	Alert     *truce.Alert `json:"alert,omitempty"`
}

// convoys holds the live watch of each convoy reporting positions, and
// its last position; positions are not journalled one by one (DESIGN:
// the live path), only the alerts they raise.
type convoys struct {
	mu      sync.Mutex
	watches map[string]*convoyState
}

type convoyState struct {
	notified int64 // the notified version the watch follows
	watch    *ConvoyWatch
	last     ConvoyPosition
	heard    bool // last holds a position
	// zones are the zones of concern the last position was in, by
	// "id#version".
	zones []string
}

// zoneKeyOf names a zone version in a convoy's state.
func zoneKeyOf(h ZoneHit) string { return fmt.Sprintf("%s#%d", h.ZoneID, h.Version) }

// enter records the zones of concern a position is in and returns those
// it was not in at the last position: the entries.
func (st *convoyState) enter(hits []ZoneHit) []ZoneHit {
	var entered []ZoneHit
	now := make([]string, 0, len(hits))
	for _, h := range hits {
		k := zoneKeyOf(h)
		if !slices.Contains(st.zones, k) {
			entered = append(entered, h)
		}
		now = append(now, k)
	}
	st.zones = now
	return entered
}

// zonesOfConcern returns the zones of concern in force that contain a
// convoy's position (nil when the service checks no zones).
func (s *Service) zonesOfConcern(ctx context.Context, air bool, p ConvoyPosition) ([]ZoneHit, error) {
	if s.Hazards == nil {
		return nil, nil
	}
	hits, err := s.Hazards.ZonesMeeting(ctx, orb.Point{p.Lon, p.Lat}, air, p.Time, p.Time)
	if err != nil {
		return nil, err
	}
	return slices.DeleteFunc(hits, func(h ZoneHit) bool { return !HazardKind(h.Kind, air) }), nil
}

// maxClockSkew bounds how far ahead of the server's clock a position may
// be dated.
const maxClockSkew = 5 * time.Minute

// ReportPosition takes one position of a convoy's GPS unit: the caller
// acts for the party that notified the movement, which must be notified
// or under way. The position is checked against the notified route's
// corridor; a convoy off it for longer than the grace time raises one
// journalled convoy_deviation alert per episode. Returns EINVALID,
// ENOTFOUND, EFORBIDDEN, ECONFLICT (a movement not on the road).
func (s *Service) ReportPosition(ctx context.Context, movementID string, p ConvoyPosition) (*PositionResult, error) {
	a, err := truce.RequireCaller(ctx)
	if err != nil {
		return nil, err
	}
	return s.reportPosition(ctx, movementID, p, func(m *Movement) error {
		if m.PartyID != a.Party.ID && !a.IsAdmin() {
			return truce.Errorf(truce.EFORBIDDEN, "Movement %s is another party's: only its own party reports its positions.", movementID)
		}
		return nil
	})
}

// reportPosition is ReportPosition once allow has said whether the
// reporter may report for the movement.
func (s *Service) reportPosition(ctx context.Context, movementID string, p ConvoyPosition, allow func(*Movement) error) (*PositionResult, error) {
	if math.IsNaN(p.Lon) || math.IsNaN(p.Lat) || p.Lon < -180 || p.Lon > 180 || p.Lat < -90 || p.Lat > 90 {
		return nil, truce.Errorf(truce.EINVALID, "A position has lat -90 to 90 and lon -180 to 180.")
	}
	now := s.Now()
	if p.Time.IsZero() {
		p.Time = now
	}
	if p.Time.After(now.Add(maxClockSkew)) {
		return nil, truce.Errorf(truce.EINVALID, "The position is dated %s, in the future.", p.Time.UTC().Format(time.RFC3339))
	}
	m, err := journal.VouchedFind(ctx, s.Journal, KindMovement, func(ctx context.Context) (*Movement, error) {
		return s.Store.Movement(ctx, movementID)
	}, func(m *Movement) string { return m.ID })
	if err != nil {
		return nil, err
	}
	if err := allow(m); err != nil {
		return nil, err
	}
	if m.Status != MovementNotified && m.Status != MovementUnderWay {
		return nil, truce.Errorf(truce.ECONFLICT, "Movement %s is %s: positions are taken while it is notified or under way.", movementID, m.Status)
	}
	notified, err := s.notifiedVersion(ctx, m)
	if err != nil {
		return nil, err
	}
	stored, err := s.storedTrack(ctx, m.ID)
	if err != nil {
		return nil, err
	}
	p.Time = p.Time.UTC()
	inZones, err := s.zonesOfConcern(ctx, notified.Kind == AirMovement, p)
	if err != nil {
		return nil, err
	}
	s.tracking.mu.Lock()
	st, err := s.watchLocked(m, notified)
	if err != nil {
		s.tracking.mu.Unlock()
		return nil, err
	}
	st.restore(stored)
	// A position older than the last one heard is checked but changes
	// nothing (the watch ignores it).
	older := st.heard && p.Time.Before(st.last.Time)
	ev := st.watch.Observe(p.Lon, p.Lat, p.Time)
	var track *ConvoyTrack
	var entered []ZoneHit
	if !older {
		st.last, st.heard = p, true
		entered = st.enter(inZones)
		track = st.track()
	}
	res := &PositionResult{Movement: m.ID, Inside: st.watch.Corridor.Inside(p.Lon, p.Lat), DistanceM: math.Round(st.watch.Corridor.DistanceM(p.Lon, p.Lat))}
	var clock []ConvoyEvent
	if m.Status == MovementUnderWay {
		clock = st.watch.Check(now, m.ChangedAt, schedule(notified), s.ConvoyLimits)
	}
	s.tracking.mu.Unlock()
	if track != nil {
		if err := s.Store.PutConvoyTrack(ctx, m.ID, track); err != nil {
			return nil, err
		}
	}
	if ev != nil && ev.Kind == ConvoyDeviation {
		al, err := s.raiseConvoyAlert(ctx, m, notified, st.watch.Corridor.HalfWidthM, *ev, p.Replayed)
		if err != nil {
			return nil, err
		}
		res.Alert = al
	}
	for _, z := range entered {
		ev := ConvoyEvent{Kind: ConvoyZoneEntry, Since: p.Time, At: p.Time, Lon: p.Lon, Lat: p.Lat, Zone: &z}
		al, err := s.raiseConvoyAlert(ctx, m, notified, st.watch.Corridor.HalfWidthM, ev, p.Replayed)
		if err != nil {
			return nil, err
		}
		if res.Alert == nil {
			res.Alert = al
		}
	}
	for _, ev := range clock {
		al, err := s.raiseConvoyAlert(ctx, m, notified, st.watch.Corridor.HalfWidthM, ev, p.Replayed)
		if err != nil {
			return nil, err
		}
		if res.Alert == nil {
			res.Alert = al
		}
	}
	return res, nil
}

// schedule is the latest schedule a notified movement allows.
func schedule(v *Movement) Schedule { return Schedule{Depart: v.Departure.To, Arrive: v.Arrival.To} }

// watchLocked returns the watch of a movement following its notified
// version, made (or made again, after a new notification) when needed.
func (s *Service) watchLocked(m, notified *Movement) (*convoyState, error) {
	if s.tracking.watches == nil {
		s.tracking.watches = map[string]*convoyState{}
	}
	st := s.tracking.watches[m.ID]
	if st == nil || st.notified != m.Notified {
		g, err := geo.Decode(notified.Route, geo.Options{MaxVertices: MaxRouteVertices})
		route, ok := g.(orb.LineString)
		if err != nil || !ok {
			return nil, truce.Errorf(truce.EINTERNAL, "Movement %s version %d has no readable route.", m.ID, m.Notified)
		}
		st = &convoyState{notified: m.Notified, watch: &ConvoyWatch{Corridor: NewCorridor(route, notified.CorridorM)}}
		s.tracking.watches[m.ID] = st
	}
	return st, nil
}

// convoyAlertKinds maps the watch's events to the alerts they raise.
var convoyAlertKinds = map[ConvoyEventKind]truce.AlertKind{ConvoyDeviation: AlertConvoyDeviation, ConvoyStopped: AlertConvoyStopped,
	ConvoySilent: AlertConvoySilent, ConvoyBehind: AlertConvoyBehind, ConvoyZoneEntry: AlertConvoyZoneEntry}

// raiseConvoyAlert journals the alert of a convoy event, for the parties
// that may see the convoy's positions (positionAudience) and only them:
// the alert tells where the convoy is. A clock event's
// alert is raised once per episode across servers and restarts: when its
// episode was raised already it returns nil.
func (s *Service) raiseConvoyAlert(ctx context.Context, m, notified *Movement, corridorM float64, ev ConvoyEvent, replayed bool) (*truce.Alert, error) {
	kind := convoyAlertKinds[ev.Kind]
	ed := map[string]any{"movement": m.ID, "notified_version": m.Notified, "hash": notified.Hash, "since": ev.Since,
		"at": ev.At, "lon": ev.Lon, "lat": ev.Lat, "distance_m": math.Round(ev.DistanceM), "corridor_m": corridorM, "event": ev.Kind}
	if ev.Zone != nil {
		ed["zone_id"], ed["zone_version"], ed["zone_kind"] = ev.Zone.ZoneID, ev.Zone.Version, ev.Zone.Kind
	}
	evidence, err := json.Marshal(ed)
	if err != nil {
		return nil, err
	}
	since := ev.Since.UTC().Format(time.RFC3339)
	var summary, episode string
	switch ev.Kind {
	case ConvoyDeviation:
		episode = m.ID + "@" + ev.Since.Format(time.RFC3339Nano)
		summary = fmt.Sprintf("Convoy %q (movement %s) has been off its notified route since %s: %.0f m from it, beyond its %.0f m corridor.",
			m.Name, m.ID, since, ev.DistanceM, corridorM)
	case ConvoyStopped:
		summary = fmt.Sprintf("Convoy %q (movement %s) has not moved more than %d m since %s.", m.Name, m.ID, StoppedRadiusM, since)
	case ConvoySilent:
		summary = fmt.Sprintf("Convoy %q (movement %s) has reported no position since %s.", m.Name, m.ID, since)
	case ConvoyZoneEntry:
		episode = fmt.Sprintf("%s/zone/%s@%s", m.ID, zoneKeyOf(*ev.Zone), ev.Since.Format(time.RFC3339Nano))
		summary = fmt.Sprintf("Convoy %q (movement %s) entered %s zone %q (%s version %d) at %s.", m.Name, m.ID, ev.Zone.Kind, ev.Zone.Name,
			ev.Zone.ZoneID, ev.Zone.Version, since)
	case ConvoyBehind:
		// Once per notified version: the lag's start moves with the
		// convoy's progress.
		episode = fmt.Sprintf("%s/%s@v%d", m.ID, ev.Kind, m.Notified)
		summary = fmt.Sprintf("Convoy %q (movement %s) is behind the latest schedule of its notification: it was due where it is at %s, with %.0f m of its route still ahead.",
			m.Name, m.ID, since, ev.DistanceM)
	default:
		return nil, fmt.Errorf("humanitarian: no alert for convoy event %q", ev.Kind)
	}
	if episode == "" {
		episode = m.ID + "/" + string(ev.Kind) + "@" + ev.Since.Format(time.RFC3339Nano)
	}
	al := &truce.Alert{ID: truce.NewID(), Kind: kind, State: truce.AlertOpen, Time: ev.At, Lon: ev.Lon, Lat: ev.Lat,
		Aircraft: []truce.AlertAircraft{}, Episode: episode, Evidence: evidence, Version: 1, Summary: summary, Relocated: replayed}
	if al.Lon == 0 && al.Lat == 0 {
		// Never heard: the alert is placed at the route's start.
		al.Lon, al.Lat = (m.BBox[0]+m.BBox[2])/2, (m.BBox[1]+m.BBox[3])/2
	}
	// The parties concerned, each asked to acknowledge, and the only ones
	// that may read the alert (truce.AlertVisibility): those that may see
	// the convoy's positions (canSeePositions).
	if al.Parties, err = s.positionAudience(ctx, m); err != nil {
		return nil, err
	}
	_, err = journal.Write(ctx, s.Journal, s.Store, nil, func(tx Tx, w *journal.Writer) (*truce.Alert, error) {
		al.JournalIndex = w.Journal(truce.Change{Kind: "alert", Subject: al.ID, Body: al, New: true, Visibility: truce.AlertVisibility(al),
			Event: &truce.Event{Data: al, Point: &[2]float64{al.Lon, al.Lat}}})
		return al, tx.PutAlert(ctx, al)
	})
	if truce.ErrorCode(err) == truce.ECONFLICT && ev.Kind != ConvoyDeviation {
		return nil, nil // raised already, by this server before a restart or by another
	}
	if err != nil {
		return nil, err
	}
	return al, nil
}

// SweepConvoys checks every movement under way against the clock
// (ConvoyWatch.Check) and raises the alerts due: stopped, silent, behind
// its schedule. It returns the alerts raised. The server runs it every
// ConvoySweepEvery.
func (s *Service) SweepConvoys(ctx context.Context) ([]*truce.Alert, error) {
	now := s.Now()
	var out []*truce.Alert
	// A movement whose record does not match the journal is left out and
	// reported (EINTEGRITY, after the others): one edited row does not
	// stop the watch of every convoy.
	var refused error
	cursor := ""
	for {
		var rows []*Movement
		ms, err := journal.Read(ctx, s.Journal, func(ctx context.Context) ([]*Movement, error) {
			var err error
			if rows, err = s.Store.Movements(ctx, MovementFilter{Status: MovementUnderWay, Cursor: cursor, Limit: sweepPage}); err != nil {
				return nil, err
			}
			good, first, err := journal.VouchRecords(ctx, s.Journal, KindMovement, rows, movementID)
			refused = cmp.Or(refused, first)
			return good, err
		})
		if err != nil {
			return out, err
		}
		for _, m := range ms {
			notified, err := s.notifiedVersion(ctx, m)
			if truce.ErrorCode(err) == truce.EINTEGRITY {
				refused = cmp.Or(refused, err)
				continue
			}
			if err != nil {
				return out, err
			}
			stored, err := s.storedTrack(ctx, m.ID)
			if err != nil {
				return out, err
			}
			s.tracking.mu.Lock()
			st, err := s.watchLocked(m, notified)
			var evs []ConvoyEvent
			if err == nil {
				// What this server lost in a restart, or another server
				// heard since: the clock goes on from the last position.
				st.restore(stored)
				evs = st.watch.Check(now, m.ChangedAt, schedule(notified), s.ConvoyLimits)
			}
			s.tracking.mu.Unlock()
			if err != nil {
				return out, err
			}
			for _, ev := range evs {
				al, err := s.raiseConvoyAlert(ctx, m, notified, st.watch.Corridor.HalfWidthM, ev, false)
				if err != nil {
					return out, err
				}
				if al != nil {
					out = append(out, al)
				}
			}
		}
		if len(rows) < sweepPage {
			return out, refused
		}
		cursor = rows[len(rows)-1].ID
	}
}

// LastPosition returns a convoy's last reported position, to this
// server or another, before a restart or since (ENOTFOUND when it has
// reported none). A convoy's positions are visible to the parties its
// movement was notified to, its own and the coordinator
// (canSeePositions; EFORBIDDEN to others).
func (s *Service) LastPosition(ctx context.Context, movementID string) (*ConvoyPosition, error) {
	a, err := truce.RequireCaller(ctx)
	if err != nil {
		return nil, err
	}
	m, err := s.FindMovement(ctx, movementID)
	if err != nil {
		return nil, err
	}
	if ok, err := s.canSeePositions(ctx, a, m); err != nil {
		return nil, err
	} else if !ok {
		return nil, truce.Errorf(truce.EFORBIDDEN, "A convoy's positions are visible to the parties its movement was notified to; movement %s was not notified to %s.", m.ID, a.Party.Slug)
	}
	stored, err := s.storedTrack(ctx, movementID)
	if err != nil {
		return nil, err
	}
	s.tracking.mu.Lock()
	defer s.tracking.mu.Unlock()
	var p *ConvoyPosition
	if stored != nil {
		p = &stored.Last
	}
	if st := s.tracking.watches[movementID]; st != nil && st.heard && (p == nil || st.last.Time.After(p.Time)) {
		last := st.last
		p = &last
	}
	if p == nil {
		return nil, truce.Errorf(truce.ENOTFOUND, "Movement %s has reported no position.", movementID)
	}
	return p, nil
}

// RunConvoySweeps runs SweepConvoys after every interval until ctx ends,
// logging failures.
func (s *Service) RunConvoySweeps(ctx context.Context, interval time.Duration) {
	s.every(ctx, interval, "sweeping convoys under way", func(ctx context.Context) error {
		_, err := s.SweepConvoys(ctx)
		return err
	})
}

// ConvoyView is a convoy under way as the map shows it: its movement,
// its last position (nil when it has reported none since the server
// started) and the state of its tracking.
type ConvoyView struct {
	Movement *Movement       `json:"movement"`
	Position *ConvoyPosition `json:"position,omitempty"`
	// State is "on_route", "off_route", "stopped", "silent" or "behind"
	// (the first that holds, from the last: silent before stopped before
	// off route before behind), or "unheard".
	State     string  `json:"state"`
	DistanceM float64 `json:"distance_m"`
}

// Convoys returns the movements under way with their tracking state, at
// most limit (1,000 when 0 or more). Convoys are visible to every member
// party, as their movements are.
func (s *Service) Convoys(ctx context.Context, limit int) ([]ConvoyView, error) {
	a, err := truce.RequireCaller(ctx)
	if err != nil {
		return nil, err
	}
	if limit <= 0 || limit > 1000 {
		limit = 1000
	}
	var out []ConvoyView
	cursor := ""
	for len(out) < limit {
		all, err := s.underWay(ctx, cursor)
		if err != nil {
			return nil, err
		}
		var ms []*Movement
		for _, m := range all {
			if ok, err := s.canSeePositions(ctx, a, m); err != nil {
				return nil, err
			} else if ok {
				ms = append(ms, m)
			}
		}
		// A convoy this server has not heard since it started is shown
		// from its stored state (heard before a restart, or by another
		// server).
		if err := s.restoreUnheard(ctx, ms); err != nil {
			return nil, err
		}
		s.tracking.mu.Lock()
		for _, m := range ms {
			if len(out) == limit {
				break
			}
			v := ConvoyView{Movement: m, State: "unheard"}
			if st := s.tracking.watches[m.ID]; st != nil && st.heard && st.notified == m.Notified {
				p := st.last
				v.Position, v.DistanceM = &p, math.Round(st.watch.Corridor.DistanceM(p.Lon, p.Lat))
				c := st.watch.clock
				switch {
				case c.silent:
					v.State = "silent"
				case c.stopped:
					v.State = "stopped"
				case !st.watch.Corridor.Inside(p.Lon, p.Lat):
					v.State = "off_route"
				case c.behind:
					v.State = "behind"
				default:
					v.State = "on_route"
				}
			}
			out = append(out, v)
		}
		s.tracking.mu.Unlock()
		if len(all) < sweepPage {
			break
		}
		cursor = all[len(all)-1].ID
	}
	return out, nil
}

// ConvoyTrack is a convoy's tracking state as stored after each position
// (Store.PutConvoyTrack): the notified version it follows, the last
// position, and the watch's state, so that a restarted server, or another
// one, goes on from it: not silent since the convoy set out, not stopped
// afresh, not off its corridor afresh.
type ConvoyTrack struct {
	Notified int64          `json:"notified"`
	Last     ConvoyPosition `json:"last"`
	// AnchorLon, AnchorLat and AnchorAt are where and when the convoy last
	// moved more than StoppedRadiusM; ProgressM how far along its route it
	// has been seen inside its corridor.
	AnchorLon float64   `json:"anchor_lon"`
	AnchorLat float64   `json:"anchor_lat"`
	AnchorAt  time.Time `json:"anchor_at"`
	ProgressM float64   `json:"progress_m"`
	// OffSince is when the convoy left its corridor (absent while inside);
	// Deviated that the deviation of that episode was raised.
	OffSince *time.Time `json:"off_since,omitempty"`
	Deviated bool       `json:"deviated,omitempty"`
	// Zones are the zones of concern the last position was in
	// ("id#version"): an entry is raised once.
	Zones []string `json:"zones,omitempty"`
}

// track returns the state of a convoy to store.
func (st *convoyState) track() *ConvoyTrack {
	w := st.watch
	t := &ConvoyTrack{Notified: st.notified, Last: st.last, AnchorLon: w.clock.anchorLon, AnchorLat: w.clock.anchorLat,
		AnchorAt: w.clock.anchorAt, ProgressM: w.clock.progressM, Deviated: w.alerted, Zones: slices.Clone(st.zones)}
	if !w.offSince.IsZero() {
		off := w.offSince
		t.OffSince = &off
	}
	return t
}

// restore takes up a stored state newer than the watch's own (one this
// server lost in a restart, or heard by another server).
func (st *convoyState) restore(t *ConvoyTrack) {
	if t == nil || t.Notified != st.notified || (st.heard && !t.Last.Time.After(st.last.Time)) {
		return
	}
	w := st.watch
	st.last, st.heard = t.Last, true
	st.zones = slices.Clone(t.Zones)
	w.last = t.Last.Time
	w.offSince, w.alerted = time.Time{}, t.Deviated
	if t.OffSince != nil {
		w.offSince = *t.OffSince
	}
	c := &w.clock
	if !c.anchorAt.Equal(t.AnchorAt) {
		c.stopped = false
	}
	c.anchorLon, c.anchorLat, c.anchorAt = t.AnchorLon, t.AnchorLat, t.AnchorAt
	c.progressM = max(c.progressM, t.ProgressM)
	c.silent = false
}

// storedTrack returns a convoy's stored tracking state, nil when it has
// none.
func (s *Service) storedTrack(ctx context.Context, movementID string) (*ConvoyTrack, error) {
	t, err := s.Store.ConvoyTrack(ctx, movementID)
	if truce.ErrorCode(err) == truce.ENOTFOUND {
		return nil, nil
	}
	return t, err
}

// restoreUnheard takes up the stored tracking state of the movements
// (under way) that this server holds no watch of.
func (s *Service) restoreUnheard(ctx context.Context, ms []*Movement) error {
	for _, m := range ms {
		s.tracking.mu.Lock()
		st := s.tracking.watches[m.ID]
		known := st != nil && st.notified == m.Notified
		s.tracking.mu.Unlock()
		if known {
			continue
		}
		stored, err := s.storedTrack(ctx, m.ID)
		if err != nil {
			return err
		}
		if stored == nil || stored.Notified != m.Notified {
			continue
		}
		notified, err := s.notifiedVersion(ctx, m)
		if err != nil {
			return err
		}
		s.tracking.mu.Lock()
		st, err = s.watchLocked(m, notified)
		if err == nil {
			st.restore(stored)
		}
		s.tracking.mu.Unlock()
		if err != nil {
			return err
		}
	}
	return nil
}

// underWay reads a page of the movements under way, vouched for by the
// journal (the sweep and the convoys view use them).
func (s *Service) underWay(ctx context.Context, cursor string) ([]*Movement, error) {
	return journal.VouchedRead(ctx, s.Journal, KindMovement, func(ctx context.Context) ([]*Movement, error) {
		return s.Store.Movements(ctx, MovementFilter{Status: MovementUnderWay, Cursor: cursor, Limit: sweepPage})
	}, movementID)
}

// notifiedVersion reads the version of a movement last notified, vouched
// for by the journal: its route is what positions are checked against.
func (s *Service) notifiedVersion(ctx context.Context, m *Movement) (*Movement, error) {
	vs, err := vouchedVersions(ctx, s.Journal, KindMovement, m.ID, func(ctx context.Context) ([]*Movement, error) {
		return s.Store.MovementVersions(ctx, m.ID)
	}, func(v *Movement) int64 { return v.Version })
	if err != nil {
		return nil, err
	}
	if v := versionOf(vs, m.Notified, func(v *Movement) int64 { return v.Version }); v != nil {
		return v, nil
	}
	return nil, truce.Errorf(truce.ENOTFOUND, "Movement %s has no notified version %d.", m.ID, m.Notified)
}

// audiencePage is the page size positionAudience reads transmissions and
// parties in.
const audiencePage = 500

// positionAudience returns the parties that may see a convoy's positions
// (canSeePositions, administrators aside): the movement's own party, each
// party its notified version was transmitted to, and every coordinator,
// read vouched by the journal.
func (s *Service) positionAudience(ctx context.Context, m *Movement) ([]string, error) {
	out := []string{m.PartyID}
	add := func(p string) {
		if !slices.Contains(out, p) {
			out = append(out, p)
		}
	}
	for cursor := ""; ; {
		ts, err := journal.VouchedRead(ctx, s.Journal, KindTransmission, func(ctx context.Context) ([]*Transmission, error) {
			return s.Store.Transmissions(ctx, TransmissionFilter{RecordID: m.ID, RecordVersion: m.Notified, Cursor: cursor, Limit: audiencePage})
		}, transmissionID)
		if err != nil {
			return nil, err
		}
		for _, t := range ts {
			add(t.To)
		}
		if len(ts) < audiencePage {
			break
		}
		cursor = ts[len(ts)-1].ID
	}
	for cursor := ""; ; {
		ps, err := journal.VouchedRead(ctx, s.Journal, "party", func(ctx context.Context) ([]*truce.Party, error) {
			return s.Store.Parties(ctx, truce.PartyFilter{Kind: truce.PartyCoordinator, Cursor: cursor, Limit: audiencePage})
		}, func(p *truce.Party) string { return p.ID })
		if err != nil {
			return nil, err
		}
		for _, p := range ps {
			add(p.ID)
		}
		if len(ps) < audiencePage {
			break
		}
		cursor = ps[len(ps)-1].ID
	}
	return out, nil
}

// canSeePositions says whether the caller may see a convoy's positions:
// an administrator, the movement's own party, a coordinator (the conduit
// of notifications), or a party the movement's notification was
// transmitted to (DESIGN: positions of convoys are visible to the parties
// the movement was notified to).
func (s *Service) canSeePositions(ctx context.Context, a *truce.Caller, m *Movement) (bool, error) {
	if a.IsAdmin() || a.Party.ID == m.PartyID || a.Party.Kind == truce.PartyCoordinator {
		return true, nil
	}
	if m.Notified == 0 {
		return false, nil
	}
	ts, err := journal.VouchedRead(ctx, s.Journal, KindTransmission, func(ctx context.Context) ([]*Transmission, error) {
		return s.Store.Transmissions(ctx, TransmissionFilter{To: a.Party.ID, RecordID: m.ID, RecordVersion: m.Notified, Limit: 1})
	}, transmissionID)
	return len(ts) > 0, err
}
