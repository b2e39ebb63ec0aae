package service

import (
	"context"
	"strings"
	"sync"

	"github.com/truce-project/truce"
)

var errBadCredentials = truce.Errorf(truce.EUNAUTHORIZED, "Invalid or expired credentials.")

// AuthenticateToken resolves a bearer token.
func (s *Service) AuthenticateToken(ctx context.Context, secret string) (*truce.Actor, error) {
	if !strings.HasPrefix(secret, "truce_") || len(secret) > 100 {
		return nil, errBadCredentials
	}
	t, err := s.Store.TokenByHash(ctx, HashSecret(secret))
	if truce.ErrorCode(err) == truce.ENOTFOUND {
		return nil, errBadCredentials
	} else if err != nil {
		return nil, err
	}
	if !t.Active(s.Now()) {
		return nil, errBadCredentials
	}
	// Who the caller is and may do is what the journal vouches for: a
	// token, user or party row edited behind the server's back (a revoked
	// token revived, a role added) is refused (vouch.go).
	if err := vouchOne(ctx, s, "token", t.ID, t, nil); err != nil {
		return nil, err
	}
	return s.actor(ctx, t.UserID)
}

// AuthenticatePassword checks a username and password. The password check
// runs even for unknown users so timing does not tell which names exist.
func (s *Service) AuthenticatePassword(ctx context.Context, username, password string) (*truce.Actor, error) {
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
	return s.actor(ctx, u.ID)
}

// dummyHash is hashed once, on the first failed login, not at start-up.
var dummyHash = sync.OnceValue(func() string { return HashPassword("not a real password") })

func (s *Service) actor(ctx context.Context, userID string) (*truce.Actor, error) {
	u, err := s.Store.User(ctx, userID)
	if err != nil {
		return nil, err
	}
	if u.Disabled {
		return nil, errBadCredentials
	}
	if err := vouchOne(ctx, s, "user", u.ID, u, normUser); err != nil {
		return nil, err
	}
	p, err := s.Store.Party(ctx, u.PartyID)
	if err != nil {
		return nil, err
	}
	if err := vouchOne(ctx, s, "party", p.ID, p, nil); err != nil {
		return nil, err
	}
	return &truce.Actor{User: u, Party: p}, nil
}
