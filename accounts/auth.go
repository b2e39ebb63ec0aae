package accounts

import (
	"context"
	"crypto/sha256"
	"strings"
	"sync"
	"time"

	"github.com/truce-project/truce"
	"github.com/truce-project/truce/journal"
)

var errBadCredentials = truce.Errorf(truce.EUNAUTHORIZED, "Invalid or expired credentials.")

// AuthenticateToken resolves a bearer token.
func (s *Service) AuthenticateToken(ctx context.Context, secret string) (*truce.Caller, error) {
	if !strings.HasPrefix(secret, "truce_") || len(secret) > 100 {
		return nil, errBadCredentials
	}
	hash := sha256.Sum256([]byte(secret))
	// A caller vouched for lately, and not changed since (see CallerCache
	// for what that guarantees), is not read again.
	var gen uint64
	if s.Callers != nil {
		var a *truce.Caller
		if a, gen = s.Callers.get(hash, s.Now()); a != nil {
			return a, nil
		}
	}
	// The token, its user and party, and their journal entries are read in
	// one snapshot (journal.Read): a write committing between a row and
	// its entries would otherwise look like a row changed outside Truce.
	var expires *time.Time
	a, err := journal.Read(ctx, s.Journal, func(ctx context.Context) (*truce.Caller, error) {
		a, exp, err := s.authenticateToken(ctx, hash[:])
		expires = exp
		return a, err
	})
	if err != nil {
		return nil, err
	}
	if s.Callers != nil {
		s.Callers.put(hash, a, gen, s.Now(), expires)
	}
	return a, nil
}

// authenticateToken is AuthenticateToken in the snapshot it gives; it
// returns the caller and when the token expires.
func (s *Service) authenticateToken(ctx context.Context, hash []byte) (*truce.Caller, *time.Time, error) {
	t, err := s.Store.TokenByHash(ctx, hash)
	if truce.ErrorCode(err) == truce.ENOTFOUND {
		return nil, nil, errBadCredentials
	} else if err != nil {
		return nil, nil, err
	}
	if !t.Active(s.Now()) {
		return nil, nil, errBadCredentials
	}
	// Who the caller is and may do is what the journal vouches for: a
	// token, user or party row edited behind the server's back (a revoked
	// token revived, a role added) is refused (journal.VouchOne).
	if err := journal.VouchOne(ctx, s.Journal, "token", t.ID, t, nil); err != nil {
		return nil, nil, err
	}
	a, err := s.actor(ctx, t.UserID)
	if err != nil {
		return nil, nil, err
	}
	a.TokenID = t.ID
	return a, t.ExpiresAt, nil
}

// AuthenticatePassword checks a username and password, within the
// service's LoginLimits (Logins): too many attempts answer ETOOMANY, too
// many at once EUNAVAILABLE, both with a retry hint (truce.RetryAfterOf).
// The password check runs even for unknown users so timing does not tell
// which names exist.
func (s *Service) AuthenticatePassword(ctx context.Context, username, password string) (*truce.Caller, error) {
	return s.logins().guard(ctx, s.Now(), username, func() (*truce.Caller, error) {
		return s.checkPassword(ctx, username, password)
	})
}

// defaultLogins guards the sign-ins of Services made without New.
var defaultLogins = sync.OnceValue(func() *LoginGuard { return NewLoginGuard(LoginLimits{}) })

// logins returns the service's guard of password hashing and sign-ins.
func (s *Service) logins() *LoginGuard {
	if s.Logins != nil {
		return s.Logins
	}
	return defaultLogins()
}

func (s *Service) checkPassword(ctx context.Context, username, password string) (*truce.Caller, error) {
	if len(password) > maxPassword {
		return nil, errBadCredentials
	}
	u, err := s.Store.User(ctx, username)
	hash := ""
	if err == nil {
		hash, _ = s.Store.PasswordHash(ctx, u.ID)
	}
	if hash == "" {
		CheckPassword(dummyHash(), password)
		return nil, errBadCredentials
	}
	if !CheckPassword(hash, password) {
		return nil, errBadCredentials
	}
	return journal.Read(ctx, s.Journal, func(ctx context.Context) (*truce.Caller, error) {
		return s.actor(ctx, u.ID)
	})
}

// dummyHash is hashed once, on the first failed login, not at start-up.
var dummyHash = sync.OnceValue(func() string { return HashPassword("not a real password") })

func (s *Service) actor(ctx context.Context, userID string) (*truce.Caller, error) {
	u, err := s.Store.User(ctx, userID)
	if err != nil {
		return nil, err
	}
	if u.Disabled {
		return nil, errBadCredentials
	}
	if err := journal.VouchOne(ctx, s.Journal, "user", u.ID, u, normUser); err != nil {
		return nil, err
	}
	p, err := s.Store.Party(ctx, u.PartyID)
	if err != nil {
		return nil, err
	}
	if err := journal.VouchOne(ctx, s.Journal, "party", p.ID, p, nil); err != nil {
		return nil, err
	}
	return &truce.Caller{User: u, Party: p}, nil
}

// normUser evens out a user's encodings that differ without differing in
// value: no roles, as a nil and as an empty list.
func normUser(u *truce.User) {
	if len(u.Roles) == 0 {
		u.Roles = nil
	}
}
