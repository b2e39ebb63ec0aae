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
	return s.inForceAt(ctx, lon, lat, t, map[string]*truce.Agreement{})
}

// InForceMany returns InForceAt for many places and times asked at once
// (a daily report's incidents): each agreement is read, and checked
// against the journal, once for all of them rather than once a place.
func (s *Service) InForceMany(ctx context.Context) func(lon, lat float64, t time.Time) ([]ZoneInForce, error) {
	ags := map[string]*truce.Agreement{}
	return func(lon, lat float64, t time.Time) ([]ZoneInForce, error) {
		return s.inForceAt(ctx, lon, lat, t, ags)
	}
}

// inForceAt is InForceAt reading each agreement once into ags.
func (s *Service) inForceAt(ctx context.Context, lon, lat float64, t time.Time, ags map[string]*truce.Agreement) ([]ZoneInForce, error) {
	if s == nil {
		return nil, nil
	}
	recs, err := s.ZonesAt(ctx, lon, lat, math.NaN(), t)
	if err != nil {
		return nil, err
	}
	var out []ZoneInForce
	for _, r := range recs {
		ag, ok := ags[r.Zone.AgreementID]
		if !ok {
			if ag, err = s.FindAgreement(ctx, r.Zone.AgreementID); err != nil {
				return nil, err
			}
			ags[r.Zone.AgreementID] = ag
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
