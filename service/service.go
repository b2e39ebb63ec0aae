// Package service is what is left of the first application layer: the
// bundle of the server's one journal, the accounts and the zones that the
// node, the demo and the benchmarks build the other capabilities over.
// The alerts, the aircraft registry and the feeds are package airspace's;
// the journal's reads and proofs package journal's.
package service

import (
	"time"

	"github.com/truce-project/truce"
	"github.com/truce-project/truce/accounts"
	"github.com/truce-project/truce/journal"
	"github.com/truce-project/truce/zones"
)

// Service is the journal, the accounts and the zones together.
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
