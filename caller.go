package truce

import (
	"context"
	"slices"
)

// Caller is the authenticated caller of a service method: a user acting for
// their party. Services read it from the context; handlers put it there.
type Caller struct {
	User  *User
	Party *Party
	// TokenID is the id of the token whose secret authenticated the
	// caller; empty when no token did (a password, an internal caller).
	TokenID string
}

type callerKey struct{}

// NewContext returns a context carrying the caller.
func NewContext(ctx context.Context, a *Caller) context.Context {
	return context.WithValue(ctx, callerKey{}, a)
}

// CallerFrom returns the context's caller, or nil.
func CallerFrom(ctx context.Context) *Caller {
	a, _ := ctx.Value(callerKey{}).(*Caller)
	return a
}

// RequireCaller returns the context's caller or an EUNAUTHORIZED error.
func RequireCaller(ctx context.Context) (*Caller, error) {
	a := CallerFrom(ctx)
	if a == nil || a.User == nil || a.Party == nil {
		return nil, Errorf(EUNAUTHORIZED, "Authentication required.")
	}
	return a, nil
}

// IsAdmin reports whether the caller administers the deployment.
func (a *Caller) IsAdmin() bool { return a != nil && a.User.HasRole(RoleAdmin) }

// Require returns EFORBIDDEN unless the caller holds one of the roles (admins
// hold every role).
func (a *Caller) Require(roles ...Role) error {
	if a.IsAdmin() || a.User.HasRole(roles...) {
		return nil
	}
	return Errorf(EFORBIDDEN, "This needs one of the roles %v.", roles)
}

// Scope says who may see a record.
type Scope string

// Scopes.
const (
	ScopeAll     Scope = "all"     // every member party
	ScopeParties Scope = "parties" // the owner and the listed parties
	ScopeParty   Scope = "party"   // the owning party only
)

// Visibility is the rule every capability uses to decide who may read a
// record: all members, listed parties, or the owning party. Admins see all.
type Visibility struct {
	Scope   Scope    `json:"scope"`
	Owner   string   `json:"owner,omitempty"` // party id
	Parties []string `json:"parties,omitempty"`
}

// Allows reports whether the caller may read a record with this visibility.
func (v Visibility) Allows(a *Caller) bool {
	if a == nil {
		return false
	}
	if a.IsAdmin() {
		return true
	}
	switch v.Scope {
	case ScopeAll:
		return true
	case ScopeParties:
		return a.Party.ID == v.Owner || slices.Contains(v.Parties, a.Party.ID)
	case ScopeParty:
		return a.Party.ID == v.Owner
	}
	return false
}
