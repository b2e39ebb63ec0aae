package node

import (
	"context"
	"fmt"
	"time"

	"github.com/paulmach/orb"

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
		h.Hazards = zoneHazards{n.Zones.Index}
		n.startSweeps()
	}
	return err
}

// zoneHazards is humanitarian's hazard check over the live zone index:
// the zone versions in force that a route's corridor meets in a window.
type zoneHazards struct{ idx *zones.Index }

// groundBandM and airBandM are the altitude bands checked: a ground
// movement's (the surface and what stands on it) and an air movement's.
var (
	groundBandM = [2]float64{-500, 100}
	airBandM    = [2]float64{-500, 20_000}
)

// ZonesMeeting implements humanitarian.HazardChecker.
func (z zoneHazards) ZonesMeeting(ctx context.Context, g orb.Geometry, air bool, from, to time.Time) ([]humanitarian.ZoneHit, error) {
	band := groundBandM
	if air {
		band = airBandM
	}
	var out []humanitarian.ZoneHit
	err := z.idx.Spatial().Intersecting(g, band[0], band[1], from, to, func(id string) bool {
		if r, ok := z.idx.Record(id); ok && r.Version != nil {
			out = append(out, humanitarian.ZoneHit{ZoneID: r.Version.ZoneID, Version: r.Version.Version, Name: r.Version.Spec.Name,
				Kind: r.Version.Spec.Kind, AgreementID: r.Version.AgreementID})
		}
		return ctx.Err() == nil
	})
	if err != nil {
		return nil, err
	}
	return out, ctx.Err()
}

// SweepEvery is how often the node sends the reminders and raises the
// "acknowledgement overdue" alerts that have fallen due: a minute is well
// inside any acknowledgement window.
const SweepEvery = time.Minute

// startSweeps starts the loop of humanitarian.Service.Sweep; every server
// of a deployment may run it, since each notice is recorded once.
func (n *Node) startSweeps() {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		n.Humanitarian.RunSweeps(ctx, SweepEvery)
	}()
	n.stopSweeps = func() { cancel(); <-done }
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
	st, ok := svc.Store.(Store)
	if !ok {
		return nil, fmt.Errorf("humanitarian: the service's store has no humanitarian view")
	}
	return newHumanitarian(st, svc.Journal, svc.Accounts)
}
