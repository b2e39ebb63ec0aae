package accounts

import (
	"context"

	"github.com/truce-project/truce"
	"github.com/truce-project/truce/journal"
)

// userBody is what the journal records of a user: never the password hash.
func userChange(u *truce.User) truce.Change {
	return truce.Change{Kind: "user", Subject: u.ID, Body: u,
		Visibility: truce.Visibility{Scope: truce.ScopeParty, Owner: u.PartyID}, New: u.Version == 1, Event: changed()}
}

// CreateUser adds a user.
func (s *Service) CreateUser(ctx context.Context, c truce.UserCreate) (*truce.User, error) {
	a, err := truce.RequireCaller(ctx)
	if err != nil {
		return nil, err
	}
	if err := mayAddUsers(a); err != nil {
		return nil, err
	}
	return s.createUser(ctx, a, c)
}

func (s *Service) createUser(ctx context.Context, a *truce.Caller, c truce.UserCreate) (*truce.User, error) {
	c.Username, c.Name, c.Party = truce.Clean(c.Username), truce.Clean(c.Name), truce.Clean(c.Party)
	if err := c.Validate(); err != nil {
		return nil, err
	}
	if c.Party == "" {
		return nil, truce.Errorf(truce.EINVALID, "A user belongs to a party: give its id or slug.")
	}
	p, err := s.Store.Party(ctx, c.Party)
	if err != nil {
		return nil, err
	}
	if err := mayCreateUser(a, p.ID, c.Roles); err != nil {
		return nil, err
	}
	var hash string
	if c.Password != "" {
		if err := s.logins().hashing.Acquire(ctx, 1); err != nil {
			return nil, errBusy
		}
		hash = HashPassword(c.Password)
		s.logins().hashing.Release(1)
	}
	now := s.Now().UTC()
	u := &truce.User{ID: truce.NewID(), PartyID: p.ID, Username: c.Username, Name: c.Name, Roles: c.Roles,
		CreatedAt: now, UpdatedAt: now, Version: 1}
	if _, err := write(ctx, s, a, func(tx Tx, w *journal.Writer) (*truce.User, error) {
		u.JournalIndex = w.Journal(userChange(u))
		return u, tx.InsertUser(ctx, u, hash)
	}); err != nil {
		if truce.ErrorCode(err) == truce.ECONFLICT {
			return nil, truce.Errorf(truce.ECONFLICT, "The username %q is taken.", c.Username)
		}
		return nil, err
	}
	return u, nil
}

// FindUser returns a user the caller may see: admins see everyone, others
// the users of their own party.
func (s *Service) FindUser(ctx context.Context, idOrUsername string) (*truce.User, error) {
	a, err := truce.RequireCaller(ctx)
	if err != nil {
		return nil, err
	}
	// The row as the journal holds it, read in one snapshot with its
	// entries: a user edited behind the server (a role added) is refused.
	u, err := journal.Read(ctx, s.Journal, func(ctx context.Context) (*truce.User, error) {
		u, err := s.Store.User(ctx, idOrUsername)
		if err != nil {
			return nil, err
		}
		return u, journal.VouchOne(ctx, s.Journal, "user", u.ID, u, normUser)
	})
	if err != nil {
		return nil, err
	}
	if !a.IsAdmin() && u.PartyID != a.Party.ID {
		return nil, truce.Errorf(truce.ENOTFOUND, "User %q not found.", idOrUsername)
	}
	return u, nil
}

// ListUsers returns a page of the users the caller may see.
func (s *Service) ListUsers(ctx context.Context, f truce.UserFilter) ([]*truce.User, string, error) {
	a, err := truce.RequireCaller(ctx)
	if err != nil {
		return nil, "", err
	}
	if f.Party != "" {
		p, err := s.Store.Party(ctx, f.Party)
		if err != nil {
			return nil, "", err
		}
		f.Party = p.ID
	}
	if !a.IsAdmin() {
		if f.Party != "" && f.Party != a.Party.ID {
			return nil, "", truce.Errorf(truce.EFORBIDDEN, "You may list only your own party's users.")
		}
		f.Party = a.Party.ID
	}
	lim := truce.PageLimit(f.Limit)
	f.Limit = lim + 1
	us, err := journal.Read(ctx, s.Journal, func(ctx context.Context) ([]*truce.User, error) {
		us, err := s.Store.Users(ctx, f)
		if err != nil {
			return nil, err
		}
		// Each as the journal holds it (VouchOne remembers a match until
		// the row changes: a page read again costs no journal read).
		for _, u := range us {
			if err := journal.VouchOne(ctx, s.Journal, "user", u.ID, u, normUser); err != nil {
				return nil, err
			}
		}
		return us, nil
	})
	if err != nil {
		return nil, "", err
	}
	us, next := truce.PageCursor(us, lim, func(u *truce.User) string { return u.ID })
	return us, next, nil
}

// DisableUser disables a user.
func (s *Service) DisableUser(ctx context.Context, idOrUsername string, ifVersion int64) (*truce.User, error) {
	a, err := truce.RequireCaller(ctx)
	if err != nil {
		return nil, err
	}
	u, err := s.Store.User(ctx, idOrUsername)
	if err != nil {
		return nil, err
	}
	if !canManage(a, u.PartyID) {
		if u.PartyID != a.Party.ID && !a.IsAdmin() {
			return nil, truce.Errorf(truce.ENOTFOUND, "User %q not found.", idOrUsername)
		}
		return nil, truce.Errorf(truce.EFORBIDDEN, "Only an administrator or the party's administrator can disable a user.")
	}
	if ifVersion != 0 && ifVersion != u.Version {
		return nil, truce.Errorf(truce.EPRECONDITION, "User %q is at version %d, not %d.", u.Username, u.Version, ifVersion)
	}
	if u.Disabled {
		return u, nil
	}
	u.Disabled = true
	u.Version++
	u.UpdatedAt = s.Now().UTC()
	return write(ctx, s, a, func(tx Tx, w *journal.Writer) (*truce.User, error) {
		u.JournalIndex = w.Journal(userChange(u))
		return u, tx.UpdateUser(ctx, u)
	})
}
