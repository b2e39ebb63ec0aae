// Package service implements Truce's service interfaces over a truce.Store.
// Authorisation and domain rules live here, so the API, the CLI and the web
// UI cannot disagree: handlers only decode, call one method and encode.
package service

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/truce-project/truce"
	"github.com/truce-project/truce/journal"
)

// Service implements PartyService, UserService, TokenService,
// JournalService and Authenticator.
//
// It writes and checks state through the server's one journal (package
// journal), which it embeds: the clock (Now), the logger, the hooks called
// after each commit (OnAppend, OnEvent), the signed log (Ledger) and the
// records found changed (Integrity) are the journal's, shared with the
// capabilities outside this package.
type Service struct {
	*journal.Journal
	Store truce.Store
	Keys  *Keys
	// MaxVertices caps a zone geometry's vertices (0: geo's default,
	// 20,000).
	MaxVertices int
	// Zones is the live index of zones in force (see ZoneIndex).
	Zones *ZoneIndex
	// Logins bounds password sign-ins (see LoginLimits).
	Logins *LoginGuard
}

// New returns a Service over store, with a journal of its own.
func New(store truce.Store, keys *Keys) *Service {
	return &Service{Journal: journal.New(store), Store: store, Keys: keys, Logins: NewLoginGuard(LoginLimits{})}
}

var (
	_ truce.PartyService   = (*Service)(nil)
	_ truce.UserService    = (*Service)(nil)
	_ truce.TokenService   = (*Service)(nil)
	_ truce.JournalService = (*Service)(nil)
	_ truce.Authenticator  = (*Service)(nil)
	_ truce.ProofService   = (*Service)(nil)
)

// NewID returns a new UUIDv7: time-ordered, so cursors that page by id page
// by creation time.
func NewID() string { return uuid.Must(uuid.NewV7()).String() }

// newSecret returns a 256-bit random token secret and its SHA-256.
func newSecret() (string, []byte) {
	b := make([]byte, 32)
	rand.Read(b)
	secret := "truce_" + base64.RawURLEncoding.EncodeToString(b)
	return secret, HashSecret(secret)
}

// HashSecret returns the SHA-256 of a token secret, as stored.
func HashSecret(secret string) []byte {
	h := sha256.Sum256([]byte(secret))
	return h[:]
}

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

// Now is the service clock: UTC, truncated to the microsecond that both
// databases store, so a record reads back equal to what was written.
func Now() time.Time { return journal.Now() }
