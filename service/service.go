// Package service holds the alerts, the aircraft registry and the feeds
// (alerts.go) until they join package airspace, with the checks of their
// records against the journal. Everything else it held has its own
// package: accounts, zones, and the journal's reads and proofs (package
// journal, Service).
package service

import (
	"context"
	"slices"
	"time"

	"github.com/truce-project/truce"
	"github.com/truce-project/truce/accounts"
	"github.com/truce-project/truce/journal"
	"github.com/truce-project/truce/zones"
)

// Service implements the alerts, the aircraft registry and the feeds.
//
// It writes and checks state through the server's one journal (package
// journal), which it embeds: the clock (Now), the logger, the hooks called
// after each commit (OnAppend, OnEvent), the signed log (Ledger) and the
// records found changed (Integrity) are the journal's, shared with the
// other capabilities.
type Service struct {
	*journal.Journal
	Store truce.Store
	// Accounts holds the parties (read here to check callers' parties)
	// and signs for custodial parties.
	Accounts *accounts.Service
	// Zones holds the agreements and zones, and the in-force index the
	// monitor watches.
	Zones *zones.Service
}

// New returns a Service over store, writing through the accounts'
// journal (one journal for the server's capabilities).
func New(store truce.Store, acc *accounts.Service, zs *zones.Service) *Service {
	return &Service{Journal: acc.Journal, Store: store, Accounts: acc, Zones: zs}
}

// NewID returns a new record id (truce.NewID).
func NewID() string { return truce.NewID() }

func pageCursor[T any](items []T, limit int, id func(T) string) ([]T, string) {
	return truce.PageCursor(items, limit, id)
}

func clean(s string) string { return truce.Clean(s) }

func pageLimit(n int) int { return truce.PageLimit(n) }

// Now is the service clock: UTC, truncated to the microsecond that both
// databases store, so a record reads back equal to what was written.
func Now() time.Time { return journal.Now() }

// StateCheck is the self-check's state pass over the alerts (every one,
// to find deleted rows too), the aircraft registry and the feeds (see
// journal.Journal.CheckState).
func (s *Service) StateCheck() journal.StateCheck {
	return journal.StateCheck{Kinds: []string{"alert"}, Check: s.checkState}
}

func (s *Service) checkState(ctx context.Context, n int, note func(error) error, stored func(kind, id string), progress func(checked int)) (int, error) {
	for cursor := ""; ; {
		as, err := s.Store.Alerts(ctx, truce.AlertFilter{Cursor: cursor, Limit: 1000})
		if err != nil {
			return n, err
		}
		_, bad, err := journal.VouchRecords(ctx, s.Journal, "alert", as, alertID)
		if err != nil {
			return n, err
		}
		note(bad)
		for _, a := range as {
			stored("alert", a.ID)
		}
		n += len(as)
		if progress != nil {
			progress(n)
		}
		if len(as) < 1000 {
			break
		}
		cursor = as[len(as)-1].ID
	}
	acs, err := s.Store.AircraftList(ctx, "")
	if err != nil {
		return n, err
	}
	if _, bad, err := journal.VouchRecords(ctx, s.Journal, "aircraft", acs, func(a *truce.Aircraft) string { return a.ID }); err != nil {
		return n, err
	} else {
		note(bad)
	}
	fs, err := s.Store.Feeds(ctx)
	if err != nil {
		return n, err
	}
	if _, bad, err := journal.VouchRecords(ctx, s.Journal, "feed", fs, func(f *truce.FeedSource) string { return f.ID }); err != nil {
		return n, err
	} else {
		note(bad)
	}
	return n + len(acs) + len(fs), nil
}

// JournalledAircraft returns registry entries read from their rows as
// the journal vouches for them, for the monitor's attribution: an entry
// that does not match is reported and the journal's used (left out if
// the journal says it is removed, or if the journal itself fails its
// checks). Errors are the store's.
func (s *Service) JournalledAircraft(ctx context.Context, as []*truce.Aircraft) ([]*truce.Aircraft, error) {
	js, _, err := journal.VouchRecords(ctx, s.Journal, "aircraft", as, func(a *truce.Aircraft) string { return a.ID })
	if err != nil {
		return nil, err
	}
	return slices.DeleteFunc(js, func(a *truce.Aircraft) bool { return a.Removed }), nil
}

// JournalledFeeds returns the configured feeds as the journal vouches for
// them, for the monitor (which connects to their addresses), as
// JournalledAircraft does for the registry.
func (s *Service) JournalledFeeds(ctx context.Context) ([]*truce.FeedSource, error) {
	fs, err := s.Store.Feeds(ctx)
	if err != nil {
		return nil, err
	}
	js, _, err := journal.VouchRecords(ctx, s.Journal, "feed", fs, func(f *truce.FeedSource) string { return f.ID })
	if err != nil {
		return nil, err
	}
	return slices.DeleteFunc(js, func(f *truce.FeedSource) bool { return f.Removed }), nil
}
