package node

import (
	"context"
	"time"

	"github.com/paulmach/orb"
	"github.com/truce-project/truce/api"
	"github.com/truce-project/truce/humanitarian"
	"github.com/truce-project/truce/observation"
	"github.com/truce-project/truce/ui"
	"github.com/truce-project/truce/zones"
)

// startObservation builds ceasefire observation over the node's store and
// journal, rebuilds its grouping index from the store and mounts its
// routes and pages.
func (n *Node) startObservation(ctx context.Context) error {
	svc := observation.New(n.Store.Observation(), n.Accounts.Journal, n.Accounts, zonesInForce{n.Zones})
	b, err := ui.BaseMapData("syria-subdistricts.geojson")
	if err != nil {
		return err
	}
	areas, err := humanitarian.LoadAdminAreas(b)
	if err != nil {
		return err
	}
	svc.Areas = subDistricts{areas}
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

// zonesInForce answers observation.Zones from the zones in force
// (zones.Service.InForceAt).
type zonesInForce struct{ s *zones.Service }

func (z zonesInForce) InForce(ctx context.Context, p observation.Point, t time.Time) ([]observation.ZoneInForce, error) {
	return inForce(z.s.InForceAt(ctx, p.Lon, p.Lat, t))
}

// InForceMany implements observation.ManyZones: the agreements are read
// once for every place asked.
func (z zonesInForce) InForceMany(ctx context.Context) func(observation.Point, time.Time) ([]observation.ZoneInForce, error) {
	at := z.s.InForceMany(ctx)
	return func(p observation.Point, t time.Time) ([]observation.ZoneInForce, error) {
		return inForce(at(p.Lon, p.Lat, t))
	}
}

func inForce(zs []zones.ZoneInForce, err error) ([]observation.ZoneInForce, error) {
	if err != nil {
		return nil, err
	}
	var out []observation.ZoneInForce
	for _, zf := range zs {
		out = append(out, observation.ZoneInForce(zf))
	}
	return out, nil
}

// subDistricts answers observation.Areas from the OCHA sub-districts of
// the base map: the longest P-code of those a point is in (the
// sub-district's; the governorate's comes along).
type subDistricts struct{ a *humanitarian.AdminAreas }

func (s subDistricts) PCode(p observation.Point) string {
	best := ""
	for _, c := range s.a.PCodes(orb.Point{p.Lon, p.Lat}) {
		if len(c) > len(best) {
			best = c
		}
	}
	return best
}
