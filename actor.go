package truce

import (
	"context"
	"slices"
)

// Actor is the authenticated caller of a service method: a user acting for
// their party. Services read it from the context; handlers put it there.
type Actor struct {
	User  *User
	Party *Party
	// TokenID is the id of the token whose secret authenticated the
	// caller; empty when no token did (a password, an internal caller).
	TokenID string
}

type actorKey struct{}

// NewContext returns a context carrying the actor.
func NewContext(ctx context.Context, a *Actor) context.Context {
	return context.WithValue(ctx, actorKey{}, a)
}

// ActorFrom returns the context's actor, or nil.
func ActorFrom(ctx context.Context) *Actor {
	a, _ := ctx.Value(actorKey{}).(*Actor)
	return a
}

// RequireActor returns the context's actor or an EUNAUTHORIZED error.
func RequireActor(ctx context.Context) (*Actor, error) {
	a := ActorFrom(ctx)
	if a == nil || a.User == nil || a.Party == nil {
		return nil, Errorf(EUNAUTHORIZED, "Authentication required.")
	}
	return a, nil
}

// IsAdmin reports whether the actor administers the deployment.
func (a *Actor) IsAdmin() bool { return a != nil && a.User.HasRole(RoleAdmin) }

// Require returns EFORBIDDEN unless the actor holds one of the roles (admins
// hold every role).
func (a *Actor) Require(roles ...Role) error {
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

// Allows reports whether the actor may read a record with this visibility.
func (v Visibility) Allows(a *Actor) bool {
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
