// Package service implements Truce's service interfaces over a truce.Store.
// Authorisation and domain rules live here, so the API, the CLI and the web
// UI cannot disagree: handlers only decode, call one method and encode.
package service

import (
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/truce-project/truce"
	"github.com/truce-project/truce/accounts"
	"github.com/truce-project/truce/journal"
)

// Service implements the capabilities not yet in packages of their own:
// agreements and zones, alerts, the aircraft registry and feeds, the
// journal's reading (JournalService) and proofs (ProofService). Parties,
// users, tokens, keys and sign-in are package accounts' (Accounts).
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
	// MaxVertices caps a zone geometry's vertices (0: geo's default,
	// 20,000).
	MaxVertices int
	// Zones is the live index of zones in force (see ZoneIndex).
	Zones *ZoneIndex
}

// New returns a Service over store, writing through the accounts'
// journal (one journal for the server's capabilities).
func New(store truce.Store, acc *accounts.Service) *Service {
	return &Service{Journal: acc.Journal, Store: store, Accounts: acc}
}

var (
	_ truce.JournalService = (*Service)(nil)
	_ truce.ProofService   = (*Service)(nil)
)

// NewID returns a new UUIDv7: time-ordered, so cursors that page by id page
// by creation time.
func NewID() string { return uuid.Must(uuid.NewV7()).String() }

func pageCursor[T any](items []T, limit int, id func(T) string) ([]T, string) {
	if limit <= 0 || limit > 500 {
		limit = 100
	}
	if len(items) > limit {
		return items[:limit], id(items[limit-1])
	}
	return items, ""
}

func clean(s string) string { return strings.TrimSpace(s) }

func pageLimit(n int) int {
	if n <= 0 || n > 500 {
		return 100
	}
	return n
}

// Now is the service clock: UTC, truncated to the microsecond that both
// databases store, so a record reads back equal to what was written.
func Now() time.Time { return journal.Now() }
