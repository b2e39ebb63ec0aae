package node

import (
	"context"

	"github.com/truce-project/truce"
)

// airspaceStore is the store as the air picture's host reads it: the
// shared store (leases), the registry, which is the airspace view's (for
// attribution), and the agreements, which are the zones' view's (for the
// separation minima).
type airspaceStore struct{ Store }

// Agreements lists agreements as the zones' view does.
func (s airspaceStore) Agreements(ctx context.Context, f truce.AgreementFilter) ([]*truce.Agreement, error) {
	return s.ZoneStore().Agreements(ctx, f)
}

// AircraftList lists registry entries as the airspace view does.
func (s airspaceStore) AircraftList(ctx context.Context, partyID string) ([]*truce.Aircraft, error) {
	return s.Airspace().AircraftList(ctx, partyID)
}
