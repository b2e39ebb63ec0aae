package humanitarian

import (
	"fmt"
	"math"
	"slices"
	"sync"
	"time"

	"github.com/paulmach/orb"
	"github.com/tidwall/rtree"
	"github.com/truce-project/truce"
)

// Hazards from recent alerts: what the engines raised lately near a site
// or a route (an aircraft entering a zone, two air forces' aircraft too
// close, an emergency squawk, a verified violation) is notice to whoever
// notifies a site or a movement there. RecentAlerts keeps those alerts in
// memory, fed by the event bus and loaded from the store at start-up, so
// that the check at filing reads no database.

// AlertMarginM is how near a site's area or a route's corridor a recent
// alert must be to be a hazard: 5 km, the reach of artillery fire and
// of an aircraft's turn.
const AlertMarginM = 5_000

// DefaultAlertWindow is how far back RecentAlerts keeps alerts.
const DefaultAlertWindow = 72 * time.Hour

// MaxRecentAlerts bounds the alerts RecentAlerts holds: past it, the
// oldest are dropped first.
const MaxRecentAlerts = 200_000

// alertHazardKinds are the alert kinds that are hazards near a site or a
// route. Convoy and acknowledgement alerts are about the notifications
// themselves, zone exits and predictions about where aircraft left or
// may go, and are not.
var alertHazardKinds = []truce.AlertKind{truce.AlertZoneEntry, truce.AlertProximity, truce.AlertSquawk, "violation"}

// AlertHazardKind reports whether an alert of kind k is a hazard near a
// site or a route.
func AlertHazardKind(k truce.AlertKind) bool { return slices.Contains(alertHazardKinds, k) }

// AlertHazardKinds returns the alert kinds that are hazards near a site
// or a route.
func AlertHazardKinds() []truce.AlertKind { return slices.Clone(alertHazardKinds) }

// recentAlert is what RecentAlerts keeps of an alert.
type recentAlert struct {
	id       string
	kind     truce.AlertKind
	at       time.Time
	lon, lat float64
	summary  string
}

// RecentAlerts is an index of the alerts of a hazardous kind raised in
// the last Window, bounded by MaxRecentAlerts. It is safe for concurrent
// use.
type RecentAlerts struct {
	// Window is how far back alerts are kept (DefaultAlertWindow when
	// zero); Now is the clock that ages them (time.Now when nil).
	Window time.Duration
	Now    func() time.Time

	mu    sync.RWMutex
	tree  rtree.RTreeG[*recentAlert]
	byID  map[string]*recentAlert
	order []*recentAlert // by time of arrival, oldest first
}

func (r *RecentAlerts) window() time.Duration {
	if r.Window <= 0 {
		return DefaultAlertWindow
	}
	return r.Window
}

func (r *RecentAlerts) now() time.Time {
	if r.Now == nil {
		return time.Now()
	}
	return r.Now()
}

// Add keeps an alert if it is of a hazardous kind, recent and placed; a
// later version of an alert already kept replaces nothing (its place and
// time do not change). It reports whether the alert was kept.
func (r *RecentAlerts) Add(a *truce.Alert) bool {
	if a == nil || !AlertHazardKind(a.Kind) || math.IsNaN(a.Lon) || math.IsNaN(a.Lat) || a.Lon < -180 || a.Lon > 180 || a.Lat < -90 || a.Lat > 90 {
		return false
	}
	now := r.now()
	if a.Time.Before(now.Add(-r.window())) {
		return false
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.byID == nil {
		r.byID = map[string]*recentAlert{}
	}
	if _, ok := r.byID[a.ID]; ok {
		return true
	}
	ra := &recentAlert{id: a.ID, kind: a.Kind, at: a.Time.UTC(), lon: a.Lon, lat: a.Lat, summary: a.Summary}
	r.tree.Insert([2]float64{a.Lon, a.Lat}, [2]float64{a.Lon, a.Lat}, ra)
	r.byID[a.ID] = ra
	r.order = append(r.order, ra)
	r.pruneLocked(now)
	return true
}

// Len returns how many alerts are kept.
func (r *RecentAlerts) Len() int {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return len(r.byID)
}

// Prune drops the alerts older than the window.
func (r *RecentAlerts) Prune() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.pruneLocked(r.now())
}

func (r *RecentAlerts) pruneLocked(now time.Time) {
	cut := now.Add(-r.window())
	n := 0
	for n < len(r.order) && (len(r.order)-n > MaxRecentAlerts || r.order[n].at.Before(cut)) {
		ra := r.order[n]
		r.tree.Delete([2]float64{ra.lon, ra.lat}, [2]float64{ra.lon, ra.lat}, ra)
		delete(r.byID, ra.id)
		r.order[n] = nil
		n++
	}
	if n > 0 {
		r.order = slices.Delete(r.order, 0, n)
	}
}

// hazards appends a hazard for every alert within the window, inside b
// widened by reachM, that near says is near (with its distance).
func (r *RecentAlerts) hazards(out []Hazard, b orb.Bound, reachM float64, what string, near func(lon, lat float64) (float64, bool)) []Hazard {
	dLat := reachM / mPerDegLat
	cos := math.Max(math.Cos(math.Min(math.Max(math.Abs(b.Min[1]), math.Abs(b.Max[1]))+dLat, 89)*math.Pi/180), 0.01)
	dLon := reachM / (mPerDegLon * cos)
	cut := r.now().Add(-r.window())
	r.mu.RLock()
	defer r.mu.RUnlock()
	r.tree.Search([2]float64{b.Min[0] - dLon, b.Min[1] - dLat}, [2]float64{b.Max[0] + dLon, b.Max[1] + dLat}, func(_, _ [2]float64, ra *recentAlert) bool {
		if ra.at.Before(cut) {
			return true
		}
		d, ok := near(ra.lon, ra.lat)
		if !ok {
			return true
		}
		d = math.Round(d)
		at := ra.at
		out = append(out, Hazard{Kind: "alert", AlertID: ra.id, AlertKind: ra.kind, AlertTime: &at, DistanceM: &d,
			Reason: fmt.Sprintf("A %s alert (%s) was raised %.0f m from %s at %s: %s", ra.kind, ra.id, d, what, at.Format(time.RFC3339), ra.summary)})
		return true
	})
	return out
}
