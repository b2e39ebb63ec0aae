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

// loadSeparations rebuilds the separation minima between parties from the
// agreements in force now: parties that sign an agreement together are
// held to its minima (the largest, where several agreements bind them);
// other pairs keep the monitor's defaults. It returns the largest
// horizontal minimum.
func (a *Host) loadSeparations(ctx context.Context) (float64, error) {
	m := map[partyPair]monitor.Separation{}
	largest := 0.0
	now := a.svc.Now()
	for cursor := ""; ; {
		ags, err := a.store.Agreements(ctx, truce.AgreementFilter{Status: truce.AgreementInForce, Cursor: cursor, Limit: 500})
		if err != nil {
			return 0, err
		}
		for _, ag := range ags {
			// As the journal vouches for it (a changed row is reported).
			if ag, err = a.svc.JournalledAgreement(ctx, ag); err != nil {
				return 0, err
			}
			if ag == nil || ag.Status != truce.AgreementInForce || !ag.InForceAt(now) {
				continue
			}
			r := ag.Rules.WithDefaults()
			s := monitor.Separation{HorizontalM: r.SeparationNM * 1852, VerticalFt: r.SeparationFt}
			largest = max(largest, s.HorizontalM)
			for i, p := range ag.Signatories {
				for _, q := range ag.Signatories[i+1:] {
					k, v := pairOf(p, q), s
					if old, ok := m[k]; ok {
						v = monitor.Separation{HorizontalM: max(old.HorizontalM, s.HorizontalM), VerticalFt: max(old.VerticalFt, s.VerticalFt)}
					}
					m[k] = v
				}
			}
		}
		if len(ags) < 500 {
			break
		}
		cursor = ags[len(ags)-1].ID
	}
	a.seps.Store(&m)
	return largest, nil
}
