package accounts

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"

	"github.com/truce-project/truce"
	"github.com/truce-project/truce/journal"
	"golang.org/x/mod/sumdb/note"
)

// Service implements truce.PartyService, truce.UserService,
// truce.TokenService and truce.Authenticator over a Store, writing
// through the server's journal (which it embeds: the clock, the logger,
// the hooks and the integrity report are the journal's).
type Service struct {
	*journal.Journal
	Store Store
	// Keys seals the custodial parties' keys; nil when the server keeps
	// none (a party must then bring its public key).
	Keys *Keys
	// Logins bounds password sign-ins (see LoginLimits).
	Logins *LoginGuard
	// Callers caches the callers AuthenticateToken vouched for (see
	// CallerCache); nil caches none.
	Callers *CallerCache
}

// New returns a Service over st writing through j.
func New(st Store, j *journal.Journal, keys *Keys) *Service {
	return &Service{Journal: j, Store: st, Keys: keys, Logins: NewLoginGuard(LoginLimits{}),
		Callers: NewCallerCache(0, 0)}
}

var (
	_ truce.PartyService  = (*Service)(nil)
	_ truce.UserService   = (*Service)(nil)
	_ truce.TokenService  = (*Service)(nil)
	_ truce.Authenticator = (*Service)(nil)
)

// Party returns a party by id or slug, for the other capabilities (which
// check their callers themselves): no caller is needed.
func (s *Service) Party(ctx context.Context, idOrSlug string) (*truce.Party, error) {
	return s.Store.Party(ctx, idOrSlug)
}

// PartySigner returns the signer of a custodial party (EINVALID when this
// server keeps no party keys or the party holds its own).
func (s *Service) PartySigner(ctx context.Context, p *truce.Party) (note.Signer, error) {
	if !p.Custodial || s.Keys == nil {
		return nil, truce.Errorf(truce.EINVALID, "Party %s holds its own key.", p.Slug)
	}
	return s.Keys.PartySigner(ctx, s.Store, p)
}

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

// Forget drops the cached callers (Callers): an accounts record changed,
// here or on another server sharing the database.
func (s *Service) Forget() { s.Callers.Forget() }

// write is journal.Write of an accounts change: once it has committed (or
// failed, which may have committed nothing or everything), the cached
// callers are dropped, so the change takes effect on the next request.
func write[R any](ctx context.Context, s *Service, a *truce.Caller, fn func(Tx, *journal.Writer) (R, error)) (R, error) {
	defer s.Forget()
	return journal.Write(ctx, s.Journal, s.Store, a, fn)
}

// changed is the event of an accounts change: its kind ("token", "user",
// "party"), subject and journal index, with the visibility of its journal
// entry and no data, so a stream shows no more of it than the journal
// does. The other servers sharing the database follow these events to
// drop the callers they cached (Forget).
func changed() *truce.Event { return &truce.Event{} }

// ChangeKinds are the kinds of the events of accounts changes (changed).
var ChangeKinds = []string{"token", "user", "party"}
