package teststores

import (
	"context"
	"sync/atomic"

	"github.com/truce-project/truce"
	"github.com/truce-project/truce/airspace"
	"github.com/truce-project/truce/internal/sqlstore"
)

// Unwritable is a store whose writes fail while Failing is set, as a
// database on a full disk or behind a lost connection does: the shared
// store's and the airspace view's, where the alerts are written. Failed
// counts the writes refused, so that a test can tell its fault was met.
type Unwritable struct {
	*sqlstore.Store
	Failing atomic.Bool
	Failed  atomic.Int64
}

// refuse counts and answers a write made while Failing is set.
func (s *Unwritable) refuse() error {
	if !s.Failing.Load() {
		return nil
	}
	s.Failed.Add(1)
	return truce.Errorf(truce.EUNAVAILABLE, "The database cannot be written.")
}

// Update fails while Failing is set.
func (s *Unwritable) Update(ctx context.Context, fn func(truce.Tx) error) error {
	if err := s.refuse(); err != nil {
		return err
	}
	return s.Store.Update(ctx, fn)
}

// Airspace is the airspace view, whose writes fail while Failing is set.
func (s *Unwritable) Airspace() airspace.Store { return unwritableAirspace{s.Store.Airspace(), s} }

type unwritableAirspace struct {
	airspace.Store
	s *Unwritable
}

func (a unwritableAirspace) Update(ctx context.Context, fn func(airspace.Tx) error) error {
	if err := a.s.refuse(); err != nil {
		return err
	}
	return a.Store.Update(ctx, fn)
}
