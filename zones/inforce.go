package zones

import (
	"context"
	"time"

	"github.com/truce-project/truce"
)

// ZoneInForce is a zone version in force at a place and time, with its
// agreement's rules: what an incident there is judged against.
type ZoneInForce struct {
	AgreementID string
	Rules       truce.AgreementRules
	ZoneID      string
	ZoneVersion int
	Kind        truce.ZoneKind
}

// InForceAt returns, from the live index, the zone versions containing
// the point (lon, lat) at t, each with its agreement's rules (read as the
// caller, checked against the journal), for agreements in force at t.
// Without an index it returns none.
func (s *Service) InForceAt(ctx context.Context, lon, lat float64, t time.Time) ([]ZoneInForce, error) {
	if s == nil || s.Index == nil {
		return nil, nil
	}
	var recs []truce.ZoneAt
	s.Index.Spatial().Containing(lon, lat, 0, t, func(id string) bool {
		if r, ok := s.Index.Record(id); ok {
			recs = append(recs, r)
		}
		return true
	})
	var out []ZoneInForce
	for _, r := range recs {
		ag, err := s.FindAgreement(ctx, r.Zone.AgreementID)
		if err != nil {
			return nil, err
		}
		// In force at the event's time, not now: a notice of
		// withdrawal that took effect since does not undo a violation.
		if !ag.InForceAt(t) {
			continue
		}
		out = append(out, ZoneInForce{AgreementID: ag.ID, Rules: ag.Rules, ZoneID: r.Zone.ID, ZoneVersion: r.Version.Version, Kind: r.Zone.Kind})
	}
	return out, nil
}
