package truce

import (
	"context"
	"regexp"
	"slices"
	"time"
)

// Role is what a user may do within their party.
type Role string

// Roles.
const (
	RoleAdmin        Role = "admin"        // administers the whole deployment
	RolePartyAdmin   Role = "party_admin"  // administers their own party's users and tokens
	RoleOperator     Role = "operator"     // proposes and approves on behalf of the party
	RoleObserver     Role = "observer"     // a monitor in the field
	RoleHumanitarian Role = "humanitarian" // files humanitarian notifications
	RoleAnalyst      Role = "analyst"      // reads and reports
	RoleViewer       Role = "viewer"       // reads only
)

// Roles lists every role, in order of decreasing power.
var Roles = []Role{RoleAdmin, RolePartyAdmin, RoleOperator, RoleObserver, RoleHumanitarian, RoleAnalyst, RoleViewer}

// Valid reports whether r is a known role.
func (r Role) Valid() bool { return slices.Contains(Roles, r) }

// User is a person in a party.
type User struct {
	ID           string    `json:"id"`
	PartyID      string    `json:"party_id"`
	Username     string    `json:"username"`
	Name         string    `json:"name"`
	Roles        []Role    `json:"roles"`
	Disabled     bool      `json:"disabled"`
	CreatedAt    time.Time `json:"created_at"`
	UpdatedAt    time.Time `json:"updated_at"`
	Version      int64     `json:"version"`
	JournalIndex int64     `json:"journal_index"`
}

// HasRole reports whether the user holds any of the roles.
func (u *User) HasRole(roles ...Role) bool {
	for _, r := range roles {
		if slices.Contains(u.Roles, r) {
			return true
		}
	}
	return false
}

// UserCreate is the input to UserService.CreateUser. Party is an id or slug.
// Password is optional (API-only users have none); when given it must be at
// least 10 characters and is stored as an argon2id hash.
type UserCreate struct {
	Party    string `json:"party" required:"true"`
	Username string `json:"username" required:"true"`
	Name     string `json:"name"`
	Roles    []Role `json:"roles" required:"true"`
	Password string `json:"password,omitempty"`
}

var usernameRE = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{0,62}$`)

// Validate checks a UserCreate; it returns EINVALID errors.
func (c *UserCreate) Validate() error {
	switch {
	case !usernameRE.MatchString(c.Username):
		return Errorf(EINVALID, "Invalid username %q: use 1-63 lower-case letters, digits, '.', '_' and '-'.", c.Username)
	case len(c.Roles) == 0:
		return Errorf(EINVALID, "A user needs at least one role.")
	case c.Password != "" && (len(c.Password) < 10 || len(c.Password) > 256):
		return Errorf(EINVALID, "A password is 10 to 256 characters.")
	}
	for _, r := range c.Roles {
		if !r.Valid() {
			return Errorf(EINVALID, "Unknown role %q.", r)
		}
	}
	if err := CheckRef("party", c.Party); err != nil {
		return err
	}
	return CheckText("name", c.Name, MaxNameLen, false)
}

// UserFilter selects users.
type UserFilter struct {
	Party  string // id or slug; "" for every party the caller may see
	Cursor string
	Limit  int
}

// UserService manages users.
type UserService interface {
	// CreateUser adds a user. Admins may add users to any party; party
	// admins only to their own, and never with the admin role. Returns
	// EINVALID, ECONFLICT (username taken), ENOTFOUND (party), EFORBIDDEN.
	CreateUser(ctx context.Context, c UserCreate) (*User, error)
	// FindUser returns a user by id or username. Returns ENOTFOUND.
	FindUser(ctx context.Context, idOrUsername string) (*User, error)
	// ListUsers returns a page of users the caller may see.
	ListUsers(ctx context.Context, f UserFilter) ([]*User, string, error)
	// DisableUser disables a user and revokes nothing else (their tokens stop
	// working because disabled users cannot authenticate). ifVersion, when
	// not zero, must match the user's version (EPRECONDITION otherwise).
	DisableUser(ctx context.Context, idOrUsername string, ifVersion int64) (*User, error)
}
