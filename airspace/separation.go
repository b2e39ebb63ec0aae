package airspace

import (
	"context"
	"time"

	"github.com/truce-project/truce"
	"github.com/truce-project/truce/monitor"
)

// Separation minima: the agreements in force set them between their
// signatories; the engine reads them for every pair of aircraft.

// followPeriods reloads the separation minima every minute, so an
// agreement's effective period starting or ending takes effect without a
// change to it.
func (a *Host) followPeriods() {
	t := time.NewTicker(time.Minute)
	defer t.Stop()
	for {
		select {
		case <-t.C:
			a.following.Lock()
			a.refresh("separations", "monitor: separation minima", &a.following, a.reloadSeparations, nil)
			a.following.Unlock()
		case <-a.ctx.Done():
			return
		}
	}
}

// Reconcile reloads the separation minima (the periodic reconciliation
// of the engines with the database).
func (a *Host) Reconcile() {
	a.following.Lock()
	defer a.following.Unlock()
	a.refresh("reconcile:monitor", "monitor: separation minima (reconciliation)", &a.following, a.reloadSeparations, nil)
}

// reloadSeparations reloads the minima and sizes the engine's proximity
// grid for the largest.
func (a *Host) reloadSeparations(ctx context.Context) error {
	m, err := a.loadSeparations(ctx)
	if err != nil {
		return err
	}
	return a.engine.SetMaxHorizontalM(max(monitor.DefaultHorizontalM, m))
}

// partyPair is an unordered pair of parties.
type partyPair struct{ a, b string }

func pairOf(p, q string) partyPair {
	if q < p {
		p, q = q, p
	}
	return partyPair{p, q}
}

// separations are the minima between pairs of parties that agreements
// set: parties that sign an agreement in force together are held to its
// minima (the largest, where several agreements bind them); other pairs
// keep the monitor's defaults. largest is the largest horizontal minimum.
type separations struct {
	pairs   map[partyPair]monitor.Separation
	largest float64
}

// add applies the rule to one agreement, as of now: one that is not in
// force then binds nobody.
func (m *separations) add(ag *truce.Agreement, now time.Time) {
	if ag == nil || ag.Status != truce.AgreementInForce || !ag.InForceAt(now) {
		return
	}
	if m.pairs == nil {
		m.pairs = map[partyPair]monitor.Separation{}
	}
	r := ag.Rules.WithDefaults()
	s := monitor.Separation{HorizontalM: r.SeparationNM * 1852, VerticalFt: r.SeparationFt}
	m.largest = max(m.largest, s.HorizontalM)
	for i, p := range ag.Signatories {
		for _, q := range ag.Signatories[i+1:] {
			k, v := pairOf(p, q), s
			if old, ok := m.pairs[k]; ok {
				v = monitor.Separation{HorizontalM: max(old.HorizontalM, s.HorizontalM), VerticalFt: max(old.VerticalFt, s.VerticalFt)}
			}
			m.pairs[k] = v
		}
	}
}

// loadSeparations rebuilds the separation minima between parties from the
// agreements in force now, as the journal vouches for them, and returns
// the largest horizontal minimum.
func (a *Host) loadSeparations(ctx context.Context) (float64, error) {
	m := separations{pairs: map[partyPair]monitor.Separation{}}
	signs := map[string][]string{}
	rules := map[string]truce.AgreementRules{}
	now := a.svc.Now()
	for cursor := ""; ; {
		ags, err := a.store.Agreements(ctx, truce.AgreementFilter{Status: truce.AgreementInForce, Cursor: cursor, Limit: 500})
		if err != nil {
			return 0, err
		}
		for _, ag := range ags {
			// As the journal vouches for it (a changed row is reported).
			if ag, err = a.zones.JournalledAgreement(ctx, ag); err != nil {
				return 0, err
			}
			m.add(ag, now)
			signs[ag.ID] = ag.Signatories
			rules[ag.ID] = ag.Rules
		}
		if len(ags) < 500 {
			break
		}
		cursor = ags[len(ags)-1].ID
	}
	a.seps.Store(&m.pairs)
	a.signatories.Store(&signs)
	a.rules.Store(&rules)
	return m.largest, nil
}
