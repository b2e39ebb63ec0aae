package operations

import (
	"context"
	"math"

	"github.com/truce-project/truce/feed"
	"github.com/truce-project/truce/journal"
	"github.com/truce-project/truce/monitor"
	"github.com/truce-project/truce/spatial"
)

// Intents returns what the monitor holds the aircraft of the active
// operations to (monitor.Intents: their volumes, with the band and then
// the window left out to say why a position is outside, the aircraft
// taking part in each, and each one's parties, whose aircraft do not
// intrude), and the parties of each active operation, whom its
// conformance and intrusion alerts concern. The operations are read from the store
// and checked against the journal in one snapshot, so that every server
// sharing the database holds the same, whichever server moved them.
func (s *Service) Intents(ctx context.Context) (*monitor.Intents, map[string][]string, error) {
	ops, err := journal.VouchedRead(ctx, s.Journal, KindOperation, func(ctx context.Context) ([]*Operation, error) {
		var out []*Operation
		err := s.Store.OperationsIn(ctx, Active, func(o *Operation) error {
			if o.Status == Active {
				out = append(out, o)
			}
			return nil
		})
		return out, err
	}, opID)
	if err != nil {
		return nil, nil, err
	}
	var volumes, areas, footprints []spatial.Zone
	parties := map[string][]string{}
	in := &monitor.Intents{Aircraft: map[uint32][]string{}, Parties: parties}
	for _, o := range ops {
		pvs, err := prepare(o, 0)
		if err != nil {
			continue // checked when it was filed
		}
		for i, p := range pvs {
			v := o.Volumes[i]
			z := spatial.Zone{ID: p.ID(), Geometry: p.Area(), FloorM: v.FloorM, CeilingM: v.CeilingM, Windows: []spatial.Window{{Start: v.Start, End: v.End}}}
			volumes = append(volumes, z)
			z.FloorM, z.CeilingM = math.Inf(-1), math.Inf(1)
			areas = append(areas, z)
			z.Windows = nil
			footprints = append(footprints, z)
		}
		for _, a := range o.Aircraft {
			icao, err := feed.ParseICAO(a)
			if err != nil {
				continue // checked when it was filed
			}
			in.Aircraft[icao] = append(in.Aircraft[icao], o.ID)
		}
		parties[o.ID] = o.Participants
	}
	for _, x := range []struct {
		dst **spatial.Snapshot
		zs  []spatial.Zone
	}{{&in.Volumes, volumes}, {&in.Areas, areas}, {&in.Footprints, footprints}} {
		idx := spatial.NewZoneIndex()
		if err := idx.Load(x.zs); err != nil {
			return nil, nil, err
		}
		*x.dst = idx.Snapshot()
	}
	return in, parties, nil
}
