package accounts

import (
	"context"
	"encoding/json"

	"github.com/truce-project/truce"
	"github.com/truce-project/truce/journal"
)

func tokenChange(t *truce.Token, partyID string) truce.Change {
	return truce.Change{Kind: "token", Subject: t.ID, Body: tokenBody{t},
		Visibility: truce.Visibility{Scope: truce.ScopeParty, Owner: partyID}, New: t.RevokedAt == nil, Event: changed()}
}

// tokenBody is what the journal records of a token: the token as stored,
// never its secret. It is encoded when the change is sealed, after the
// token's row is written with its journal index, so the body is the row
// (journal/vouch.go).
type tokenBody struct{ t *truce.Token }

func (b tokenBody) MarshalJSON() ([]byte, error) {
	body := *b.t
	body.Secret = ""
	return json.Marshal(body)
}

// CreateToken creates a token; the secret is in the result and nowhere else.
func (s *Service) CreateToken(ctx context.Context, c truce.TokenCreate) (*truce.Token, error) {
	a, err := truce.RequireCaller(ctx)
	if err != nil {
		return nil, err
	}
	return s.createToken(ctx, a, c)
}

func (s *Service) createToken(ctx context.Context, a *truce.Caller, c truce.TokenCreate) (*truce.Token, error) {
	c.Name = truce.Clean(c.Name)
	if c.Name == "" {
		return nil, truce.Errorf(truce.EINVALID, "A token needs a name (at most %d characters).", truce.MaxNameLen)
	}
	if err := truce.CheckText("name", c.Name, truce.MaxNameLen, false); err != nil {
		return nil, err
	}
	if err := truce.CheckRef("user", c.User); err != nil {
		return nil, err
	}
	now := s.Now().UTC()
	expires, err := tokenExpiry(c.ExpiresAt, now)
	if err != nil {
		return nil, err
	}
	u := a.User
	if c.User != "" && c.User != a.User.ID && c.User != a.User.Username {
		if u, err = s.Store.User(ctx, c.User); err != nil {
			return nil, err
		}
		if !canManage(a, u.PartyID) {
			return nil, truce.Errorf(truce.EFORBIDDEN, "You may create tokens only for yourself or, as a party administrator, for your party's users.")
		}
	}
	if u.Disabled {
		return nil, truce.Errorf(truce.EINVALID, "User %q is disabled.", u.Username)
	}
	secret, hash := newSecret()
	t := &truce.Token{ID: truce.NewID(), UserID: u.ID, Name: c.Name, ExpiresAt: expires, CreatedAt: now}
	if _, err := write(ctx, s, a, func(tx Tx, w *journal.Writer) (*truce.Token, error) {
		t.JournalIndex = w.Journal(tokenChange(t, u.PartyID))
		return t, tx.InsertToken(ctx, t, hash)
	}); err != nil {
		return nil, err
	}
	t.Secret = secret
	return t, nil
}

// ListTokens lists a user's tokens: one's own, or as an administrator.
func (s *Service) ListTokens(ctx context.Context, user string) ([]*truce.Token, error) {
	a, err := truce.RequireCaller(ctx)
	if err != nil {
		return nil, err
	}
	u := a.User
	if user != "" && user != u.ID && user != u.Username {
		if u, err = s.Store.User(ctx, user); err != nil {
			return nil, err
		}
		if !canManage(a, u.PartyID) {
			return nil, truce.Errorf(truce.EFORBIDDEN, "You may list only your own tokens.")
		}
	}
	return journal.Read(ctx, s.Journal, func(ctx context.Context) ([]*truce.Token, error) {
		ts, err := s.Store.Tokens(ctx, u.ID)
		if err != nil {
			return nil, err
		}
		// Each as the journal holds it: a revoked token revived behind
		// the server is refused.
		for _, t := range ts {
			if err := journal.VouchOne(ctx, s.Journal, "token", t.ID, t, nil); err != nil {
				return nil, err
			}
		}
		return ts, nil
	})
}

// RevokeToken revokes a token: its owner, the party's administrator or an
// administrator may.
func (s *Service) RevokeToken(ctx context.Context, id string) (*truce.Token, error) {
	a, err := truce.RequireCaller(ctx)
	if err != nil {
		return nil, err
	}
	t, err := s.Store.Token(ctx, id)
	if err != nil {
		return nil, err
	}
	owner, err := s.Store.User(ctx, t.UserID)
	if err != nil {
		return nil, err
	}
	if err := mayRevoke(a, t, owner.PartyID); err != nil {
		return nil, err
	}
	now := s.Now().UTC()
	t.RevokedAt = &now
	return write(ctx, s, a, func(tx Tx, w *journal.Writer) (*truce.Token, error) {
		t.JournalIndex = w.Journal(tokenChange(t, owner.PartyID))
		return t, tx.RevokeToken(ctx, t.ID, now, t.JournalIndex)
	})
}
