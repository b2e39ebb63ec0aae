// airspace.go holds the Store's airspace.Store view; the alerts', the
// aircraft registry's and the feeds' SQL is in monitor.go.

package sqlstore

import (
	"context"

	"github.com/truce-project/truce/airspace"
)

// Airspace returns the store as airspace sees it: its reads, and Update
// with the transaction as an airspace.Tx.
func (s *Store) Airspace() airspace.Store { return airspaceStore{s} }

type airspaceStore struct{ *Store }

func (a airspaceStore) Update(ctx context.Context, fn func(airspace.Tx) error) error {
	return a.update(ctx, func(t *tx) error { return fn(t) })
}
