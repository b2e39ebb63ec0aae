package humanitarian

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"sync"
	"time"

	"github.com/paulmach/orb"
	"github.com/truce-project/truce"
	"github.com/truce-project/truce/geo"
	"github.com/truce-project/truce/journal"
)

// AlertConvoyDeviation is the kind of the alert raised when a convoy has
// left its notified route's corridor for longer than the grace time.
const AlertConvoyDeviation truce.AlertKind = "convoy_deviation"

// ConvoyPosition is one position of a convoy's GPS unit.
type ConvoyPosition struct {
	Lon  float64   `json:"lon"`
	Lat  float64   `json:"lat"`
	Time time.Time `json:"time"`
	// SpeedKn and Bearing are what the unit reports, when it does.
	SpeedKn *float64 `json:"speed_kn,omitempty"`
	Bearing *float64 `json:"bearing,omitempty"`
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
	m, err := s.Store.Movement(ctx, movementID)
	if err != nil {
		return nil, err
	}
	if m.PartyID != a.Party.ID && !a.IsAdmin() {
		return nil, truce.Errorf(truce.EFORBIDDEN, "Movement %s is another party's: only its own party reports its positions.", movementID)
	}
	if m.Status != MovementNotified && m.Status != MovementUnderWay {
		return nil, truce.Errorf(truce.ECONFLICT, "Movement %s is %s: positions are taken while it is notified or under way.", movementID, m.Status)
	}
	notified, err := s.Store.MovementVersion(ctx, m.ID, m.Notified)
	if err != nil {
		return nil, err
	}
	s.tracking.mu.Lock()
	if s.tracking.watches == nil {
		s.tracking.watches = map[string]*convoyState{}
	}
	st := s.tracking.watches[m.ID]
	if st == nil || st.notified != m.Notified {
		g, err := geo.Decode(notified.Route, geo.Options{MaxVertices: MaxRouteVertices})
		route, ok := g.(orb.LineString)
		if err != nil || !ok {
			s.tracking.mu.Unlock()
			return nil, truce.Errorf(truce.EINTERNAL, "Movement %s version %d has no readable route.", m.ID, m.Notified)
		}
		st = &convoyState{notified: m.Notified, watch: &ConvoyWatch{Corridor: NewCorridor(route, notified.CorridorM)}}
		s.tracking.watches[m.ID] = st
	}
	ev := st.watch.Observe(p.Lon, p.Lat, p.Time.UTC())
	st.last = p
	res := &PositionResult{Movement: m.ID, Inside: st.watch.Corridor.Inside(p.Lon, p.Lat), DistanceM: math.Round(st.watch.Corridor.DistanceM(p.Lon, p.Lat))}
	s.tracking.mu.Unlock()
	if ev == nil || ev.Kind != ConvoyDeviation {
		return res, nil
	}
	evidence, err := json.Marshal(map[string]any{"movement": m.ID, "notified_version": m.Notified, "hash": notified.Hash, "since": ev.Since,
		"at": ev.At, "lon": ev.Lon, "lat": ev.Lat, "distance_m": math.Round(ev.DistanceM), "corridor_m": st.watch.Corridor.HalfWidthM})
	if err != nil {
		return nil, err
	}
	al := &truce.Alert{ID: truce.NewID(), Kind: AlertConvoyDeviation, State: truce.AlertOpen, Time: ev.At, Lon: ev.Lon, Lat: ev.Lat,
		Aircraft: []truce.AlertAircraft{}, Episode: m.ID + "@" + ev.Since.Format(time.RFC3339Nano), Evidence: evidence, Version: 1,
		Summary: fmt.Sprintf("Convoy %q (movement %s) has been off its notified route since %s: %.0f m from it, beyond its %.0f m corridor.",
			m.Name, m.ID, ev.Since.UTC().Format(time.RFC3339), ev.DistanceM, st.watch.Corridor.HalfWidthM)}
	if _, err := journal.Write(ctx, s.Journal, s.Store, nil, func(tx Tx, w *journal.Writer) (*truce.Alert, error) {
		al.JournalIndex = w.Journal(truce.Change{Kind: "alert", Subject: al.ID, Body: al, New: true, Visibility: truce.Visibility{Scope: truce.ScopeAll},
			Event: &truce.Event{Data: al, Point: &[2]float64{al.Lon, al.Lat}}})
		return al, tx.PutAlert(ctx, al)
	}); err != nil {
		return nil, err
	}
	res.Alert = al
	return res, nil
}

// LastPosition returns a convoy's last reported position (ENOTFOUND when
// it has reported none since the server started). Convoys' positions are
// visible to every member party, as their movements are.
func (s *Service) LastPosition(ctx context.Context, movementID string) (*ConvoyPosition, error) {
	if _, err := truce.RequireCaller(ctx); err != nil {
		return nil, err
	}
	s.tracking.mu.Lock()
	defer s.tracking.mu.Unlock()
	st := s.tracking.watches[movementID]
	if st == nil {
		return nil, truce.Errorf(truce.ENOTFOUND, "Movement %s has reported no position.", movementID)
	}
	p := st.last
	return &p, nil
}
