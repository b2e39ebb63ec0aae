package truce

import (
	"context"
	"time"
)

// Token is an API bearer token. Its secret is shown once, at creation; the
// store keeps only its SHA-256.
type Token struct {
	ID           string     `json:"id"`
	UserID       string     `json:"user_id"`
	Name         string     `json:"name"`
	Secret       string     `json:"secret,omitempty"`
	ExpiresAt    *time.Time `json:"expires_at,omitempty"`
	RevokedAt    *time.Time `json:"revoked_at,omitempty"`
	CreatedAt    time.Time  `json:"created_at"`
	JournalIndex int64      `json:"journal_index"`
}

// Active reports whether the token may be used at time now.
func (t *Token) Active(now time.Time) bool {
	return t.RevokedAt == nil && (t.ExpiresAt == nil || now.Before(*t.ExpiresAt))
}

// TokenCreate is the input to TokenService.CreateToken. User is an id or
// username; "" means the caller.
type TokenCreate struct {
	User      string     `json:"user,omitempty"`
	Name      string     `json:"name" required:"true"`
	ExpiresAt *time.Time `json:"expires_at,omitempty"`
}

// TokenService manages tokens.
type TokenService interface {
	// CreateToken creates a token and returns it with its secret. A user may
	// create tokens for themselves; party admins for users of their party;
	// admins for anyone. Returns EINVALID, ENOTFOUND, EFORBIDDEN.
	CreateToken(ctx context.Context, c TokenCreate) (*Token, error)
	// ListTokens lists a user's tokens (without secrets).
	ListTokens(ctx context.Context, user string) ([]*Token, error)
	// RevokeToken revokes a token. Returns ENOTFOUND, EFORBIDDEN.
	RevokeToken(ctx context.Context, id string) (*Token, error)
}

// Authenticator turns credentials into a Caller.
type Authenticator interface {
	// AuthenticateToken returns the actor owning the token secret. Returns
	// EUNAUTHORIZED for unknown, revoked or expired tokens and disabled users.
	AuthenticateToken(ctx context.Context, secret string) (*Caller, error)
	// AuthenticatePassword checks a username and password. Returns
	// EUNAUTHORIZED.
	AuthenticatePassword(ctx context.Context, username, password string) (*Caller, error)
}
