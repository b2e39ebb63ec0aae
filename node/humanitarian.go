package node

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/truce-project/truce"
	"github.com/truce-project/truce/accounts"
	"github.com/truce-project/truce/humanitarian"
	"github.com/truce-project/truce/journal"
	"github.com/truce-project/truce/ui"
	"github.com/truce-project/truce/zones"
)

// openHumanitarian wires humanitarian notification over the node's store
// and journal.
func (n *Node) openHumanitarian() error {
	h, err := newHumanitarian(n.Store, n.Journal.Journal, n.Accounts)
	n.Humanitarian = h
	if err == nil {
		h.Hazards = zoneHazards(n.Zones.Index)
		h.Alerts = &humanitarian.RecentAlerts{Now: n.Journal.Now}
	}
	return err
}

// startHumanitarian reads the recent alerts the hazard check needs and
// starts the sweeps. It runs once the log is open, so that what they read
// is checked against the log's tree (and the sweeps' reads do not race
// openLedger's setting of the journal's ledger).
func (n *Node) startHumanitarian() {
	if lerr := n.loadRecentAlerts(n.Humanitarian.Alerts); lerr != nil {
		// The server starts without the alerts it could not read (a row
		// that does not match the journal is reported by the read
		// itself): the hazard check then misses them, and says so in the
		// log.
		n.log.Warn("humanitarian: the hazard check starts without the recent alerts it could not read", "err", lerr)
	}
	n.startSweeps()
}

// loadRecentAlerts fills the hazard check's recent alerts from the
// alerts stored (as the journal vouches for them) in its window; the
// node's follow keeps it up to date from then on.
func (n *Node) loadRecentAlerts(r *humanitarian.RecentAlerts) error {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	system := &truce.Caller{User: &truce.User{ID: "system", Roles: []truce.Role{truce.RoleAdmin}}, Party: &truce.Party{ID: "system"}}
	ctx = truce.NewContext(ctx, system)
	since := n.Journal.Now().Add(-humanitarian.DefaultAlertWindow)
	var failed error
	for _, kind := range humanitarian.AlertHazardKinds() {
		cursor := ""
		for r.Len() < humanitarian.MaxRecentAlerts {
			as, next, err := n.Air.ListAlerts(ctx, truce.AlertFilter{Kind: kind, Since: since, Cursor: cursor, Limit: 1000})
			if err != nil {
				failed = errors.Join(failed, err)
				break
			}
			for _, a := range as {
				r.Add(a)
			}
			if next == "" {
				break
			}
			cursor = next
		}
	}
	return failed
}

// followAlerts hands a committed alert to the hazard check's recent
// alerts.
func (n *Node) followAlerts(e truce.Event) {
	if e.Kind != "alert" || n.Humanitarian == nil || n.Humanitarian.Alerts == nil {
		return
	}
	switch d := e.Data.(type) {
	case *truce.Alert:
		n.Humanitarian.Alerts.Add(d)
	default:
		// Another server's alert arrives from the event log as JSON.
		b, err := json.Marshal(d)
		if err != nil {
			return
		}
		var a truce.Alert
		if json.Unmarshal(b, &a) == nil && a.ID != "" {
			n.Humanitarian.Alerts.Add(&a)
		}
	}
}

// zoneHazards is humanitarian's hazard check over the live zone index:
// the zone versions in force that a site or a route's corridor meets in
// a window.
func zoneHazards(idx *zones.Index) humanitarian.HazardChecker {
	return humanitarian.ZoneIndexChecker{Index: idx.Spatial(), Record: func(id string) (humanitarian.ZoneHit, bool) {
		r, ok := idx.Record(id)
		if !ok {
			return humanitarian.ZoneHit{}, false
		}
		return humanitarian.ZoneHitOf(r)
	}}
}

// SweepEvery is how often the node sends the reminders and raises the
// "acknowledgement overdue" alerts that have fallen due: a minute is well
// inside any acknowledgement window.
const SweepEvery = time.Minute

// ConvoySweepEvery is how often the node checks the convoys under way
// for stops, silences and lags: well inside the 15 minutes of silence
// that make an alert.
const ConvoySweepEvery = 30 * time.Second

// startSweeps starts the loop of humanitarian.Service.Sweep; every server
// of a deployment may run it, since each notice is recorded once.
func (n *Node) startSweeps() {
	ctx, cancel := context.WithCancel(context.Background())
	done, convoys := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(done)
		n.Humanitarian.RunSweeps(ctx, SweepEvery)
	}()
	go func() {
		defer close(convoys)
		n.Humanitarian.RunConvoySweeps(ctx, ConvoySweepEvery)
	}()
	n.stopSweeps = func() { cancel(); <-done; <-convoys }
}

// newHumanitarian is humanitarian notification over st, writing through
// j, with the P-codes of the base map's OCHA districts.
func newHumanitarian(st Store, j *journal.Journal, acc *accounts.Service) (*humanitarian.Service, error) {
	b, err := ui.BaseMapData("syria-districts.geojson")
	if err != nil {
		return nil, fmt.Errorf("humanitarian: %w", err)
	}
	areas, err := humanitarian.LoadAdminAreas(b)
	if err != nil {
		return nil, fmt.Errorf("humanitarian: %w", err)
	}
	return humanitarian.New(st.Humanitarian(), j, acc, areas), nil
}

// OpenHumanitarian returns humanitarian notification over the store and
// journal of a service OpenService opened (for set-up work such as the
// demo).
func OpenHumanitarian(svc *Base) (*humanitarian.Service, error) {
	return newHumanitarian(svc.Store, svc.Journal, svc.Accounts)
}
