// Package service implements the service interfaces of the capabilities
// not yet in packages of their own (alerts, the aircraft registry and
// feeds, reading the journal, proofs) over a truce.Store, and the
// self-check of every kind of record (CheckState). Authorisation and
// domain rules live here, so the API, the CLI and the web UI cannot
// disagree: handlers only decode, call one method and encode. Accounts
// are package accounts', agreements and zones package zones'.
package service

import (
	"time"

	"github.com/google/uuid"
	"github.com/truce-project/truce"
	"github.com/truce-project/truce/accounts"
	"github.com/truce-project/truce/journal"
	"github.com/truce-project/truce/zones"
)

// Service implements the capabilities not yet in packages of their own:
// alerts, the aircraft registry and feeds, the journal's reading
// (JournalService) and proofs (ProofService). Parties, users, tokens,
// keys and sign-in are package accounts' (Accounts); agreements and zones
// package zones' (Zones).
//
// It writes and checks state through the server's one journal (package
// journal), which it embeds: the clock (Now), the logger, the hooks called
// after each commit (OnAppend, OnEvent), the signed log (Ledger) and the
// records found changed (Integrity) are the journal's, shared with the
// capabilities outside this package.
type Service struct {
	*journal.Journal
	Store truce.Store
	// Accounts holds the parties (read here to check callers' parties and
	// decisions) and signs for custodial parties.
	Accounts *accounts.Service
	// Zones holds the agreements and zones (checked with the rest by
	// CheckState).
	Zones *zones.Service
}

// New returns a Service over store, writing through the accounts'
// journal (one journal for the server's capabilities).
func New(store truce.Store, acc *accounts.Service, zs *zones.Service) *Service {
	return &Service{Journal: acc.Journal, Store: store, Accounts: acc, Zones: zs}
}

var (
	_ truce.JournalService = (*Service)(nil)
	_ truce.ProofService   = (*Service)(nil)
)

// NewID returns a new UUIDv7: time-ordered, so cursors that page by id page
// by creation time.
func NewID() string { return uuid.Must(uuid.NewV7()).String() }

func pageLimit(n int) int {
	if n <= 0 || n > 500 {
		return 100
	}
	return n
}

// Now is the service clock: UTC, truncated to the microsecond that both
// databases store, so a record reads back equal to what was written.
func Now() time.Time { return journal.Now() }
