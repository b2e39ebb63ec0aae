package node

import (
	"context"
	"encoding/json"

	"github.com/truce-project/truce/airspace"
	"github.com/truce-project/truce/api"
	"github.com/truce-project/truce/feed"
	"github.com/truce-project/truce/monitor"
)

// startAirspace builds the air picture over the node's service and store,
// starts it and mounts its routes.
func (n *Node) startAirspace(ctx context.Context, c Config) error {
	a, err := airspace.New(ctx, airspace.Config{Service: n.Air, Zones: n.Zones, Store: airspaceStore{n.Store}, Logger: n.log, Refresh: n.refresh.do,
		Registry: n.API.Registry(), Holder: airspace.LeaseHolder(c.DataDir), SBSListen: c.SBSListen,
		StaleAfter: c.StaleAfter, LookAhead: c.LookAhead, MaxTracks: c.MaxTracks, MaxDelay: c.MaxDelay, MaxAhead: c.MaxAhead})
	if err != nil {
		return err
	}
	n.Airspace = a
	if err := a.Start(ctx); err != nil {
		return err
	}
	n.API.Degraded = a.Degraded
	api.RegisterMonitor(n.API, api.Monitor{Alerts: n.Air, Aircraft: n.Air, Feeds: n.Air, Tracks: a,
		Positions: a.Positions(), Sender: LogOrigin(c.Name), ZoneGeometry: n.zoneGeometry, Exercise: c.Exercise})
	return nil
}

// zoneGeometry is the geometry of a zone's version in force (else its
// latest), as the caller may read it: the area of an alert's CAP document.
func (n *Node) zoneGeometry(ctx context.Context, id string) (json.RawMessage, error) {
	z, err := n.Zones.FindZone(ctx, id)
	if err != nil {
		return nil, err
	}
	hist, err := n.Zones.ZoneHistory(ctx, id)
	if err != nil || len(hist) == 0 {
		return nil, err
	}
	v := hist[len(hist)-1]
	if z.Current > 0 && z.Current <= len(hist) {
		v = hist[z.Current-1]
	}
	return v.Spec.Geometry, nil
}

// Monitor returns the airspace monitor's engine (nil if the node has none),
// so benchmarks and operators' tools can read its counters and tracks.
func (n *Node) Monitor() *monitor.Engine {
	if n.Airspace == nil {
		return nil
	}
	return n.Airspace.Engine()
}

// IngestPosition hands a position to the airspace monitor, as a feed
// would; false means it was shed under overload.
func (n *Node) IngestPosition(p feed.Position) bool {
	if n.Airspace == nil {
		return false
	}
	return n.Airspace.Ingest(p)
}
