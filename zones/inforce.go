package zones

import (
	"context"
	"math"
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

// InForceAt returns the zone versions containing the point (lon, lat) at
// t, each with the rules its agreement set at t (read as the caller, checked against
// the journal), for agreements in force at t. ZonesAt answers from the
// live index for the times it covers and from the stored history before:
// the live index holds only what is in force from its last load on, so a
// version superseded since, or an agreement no longer in force, is found
// only in the history (an incident judged after a restart found nothing
// when this asked the live index alone).
func (s *Service) InForceAt(ctx context.Context, lon, lat float64, t time.Time) ([]ZoneInForce, error) {
	if s == nil {
		return nil, nil
	}
	recs, err := s.ZonesAt(ctx, lon, lat, math.NaN(), t)
	if err != nil {
		return nil, err
	}
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
		out = append(out, ZoneInForce{AgreementID: ag.ID, Rules: ag.RulesAt(t), ZoneID: r.Zone.ID, ZoneVersion: r.Version.Version, Kind: r.Zone.Kind})
	}
	return out, nil
}
