package node

import (
	"context"
	"time"

	"github.com/truce-project/truce"
	"github.com/truce-project/truce/api"
	"github.com/truce-project/truce/observation"
	"github.com/truce-project/truce/service"
)

// startObservation builds ceasefire observation over the node's store and
// journal, rebuilds its grouping index from the store and mounts its
// routes and pages.
func (n *Node) startObservation(ctx context.Context) error {
	svc := observation.New(n.Store.Observation(), n.Accounts.Journal, n.Accounts, zonesInForce{n.Service})
	if _, err := svc.Load(ctx); err != nil {
		return err
	}
	n.Observation = svc
	api.RegisterObservation(n.API, svc)
	if n.UI != nil {
		n.UI.AddObservation(svc)
	}
	return nil
}

// zonesInForce answers observation.Zones from the live zone index: the
// zone versions containing a point at a time, each with its agreement's
// rules (read as the caller, checked against the journal), for agreements
// in force.
type zonesInForce struct{ s *service.Service }

func (z zonesInForce) InForce(ctx context.Context, p observation.Point, t time.Time) ([]observation.ZoneInForce, error) {
	if z.s.Zones == nil {
		return nil, nil
	}
	var recs []truce.ZoneAt
	z.s.Zones.Spatial().Containing(p.Lon, p.Lat, 0, t, func(id string) bool {
		if r, ok := z.s.Zones.Record(id); ok {
			recs = append(recs, r)
		}
		return true
	})
	var out []observation.ZoneInForce
	for _, r := range recs {
		ag, err := z.s.FindAgreement(ctx, r.Zone.AgreementID)
		if err != nil {
			return nil, err
		}
		if ag.Status != truce.AgreementInForce {
			continue
		}
		out = append(out, observation.ZoneInForce{AgreementID: ag.ID, Rules: ag.Rules, ZoneID: r.Zone.ID, ZoneVersion: r.Version.Version, Kind: r.Zone.Kind})
	}
	return out, nil
}
