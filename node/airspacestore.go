package node

import (
	"context"

	"github.com/truce-project/truce"
)

// airspaceStore is the store as the air picture reads it: the shared
// store (registry, leases) and the agreements, which are the zones'
// view's (for the separation minima).
type airspaceStore struct{ Store }

// Agreements lists agreements as the zones' view does.
func (s airspaceStore) Agreements(ctx context.Context, f truce.AgreementFilter) ([]*truce.Agreement, error) {
	return s.ZoneStore().Agreements(ctx, f)
}
