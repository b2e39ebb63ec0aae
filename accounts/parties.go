package accounts

import (
	"context"

	"github.com/truce-project/truce"
	"github.com/truce-project/truce/journal"
	"golang.org/x/mod/sumdb/note"
)

// CreateParty adds a party (admin only). A party without a public key is
// custodial: its key pair is generated and the private key kept in the data
// directory.
func (s *Service) CreateParty(ctx context.Context, c truce.PartyCreate) (*truce.Party, error) {
	a, err := truce.RequireCaller(ctx)
	if err != nil {
		return nil, err
	}
	if !a.IsAdmin() {
		return nil, truce.Errorf(truce.EFORBIDDEN, "Only an administrator can add parties.")
	}
	return s.createParty(ctx, a, c)
}

func (s *Service) createParty(ctx context.Context, a *truce.Caller, c truce.PartyCreate) (*truce.Party, error) {
	c.Slug, c.Name, c.PublicKey = truce.Clean(c.Slug), truce.Clean(c.Name), truce.Clean(c.PublicKey)
	if err := c.Validate(); err != nil {
		return nil, err
	}
	if _, err := s.Store.Party(ctx, c.Slug); err == nil {
		return nil, truce.Errorf(truce.ECONFLICT, "A party with slug %q already exists.", c.Slug)
	}
	p := &truce.Party{ID: truce.NewID(), Slug: c.Slug, Name: c.Name, Kind: c.Kind, CreatedAt: s.Now().UTC(), Version: 1}
	var sealed []byte
	if c.PublicKey != "" {
		if _, err := note.NewVerifier(c.PublicKey); err != nil {
			return nil, truce.Errorf(truce.EINVALID, "The public key is not a C2SP signed-note Ed25519 verifier key (name+hash+base64).")
		}
		p.PublicKey = c.PublicKey
	} else {
		if s.Keys == nil {
			return nil, truce.Errorf(truce.EINVALID, "This server keeps no party keys: give the party's public key.")
		}
		vkey, key, err := s.Keys.GenerateParty(p.ID, p.Slug)
		if err != nil {
			return nil, err
		}
		p.PublicKey, p.Custodial, sealed = vkey, true, key
	}
	// The private key is written with the party, in one transaction.
	_, err := write(ctx, s, a, func(tx Tx, w *journal.Writer) (*truce.Party, error) {
		p.JournalIndex = w.Journal(truce.Change{Kind: "party", Subject: p.ID, Body: p, Visibility: truce.Visibility{Scope: truce.ScopeAll}, New: true, Event: changed()})
		if err := tx.InsertParty(ctx, p); err != nil {
			return nil, err
		}
		if sealed != nil {
			return p, tx.InsertPartyKey(ctx, p.ID, sealed)
		}
		return p, nil
	})
	if truce.ErrorCode(err) == truce.ECONFLICT {
		// Another request created the slug since the check above.
		return nil, truce.Errorf(truce.ECONFLICT, "A party with slug %q already exists.", c.Slug)
	} else if err != nil {
		return nil, err
	}
	return p, nil
}

// FindParty returns a party; any signed-in user may read parties.
func (s *Service) FindParty(ctx context.Context, idOrSlug string) (*truce.Party, error) {
	if _, err := truce.RequireCaller(ctx); err != nil {
		return nil, err
	}
	return journal.VouchedFind(ctx, s.Journal, "party", func(ctx context.Context) (*truce.Party, error) {
		return s.Store.Party(ctx, idOrSlug)
	}, partyID)
}

func partyID(p *truce.Party) string { return p.ID }

// ListParties returns a page of parties.
func (s *Service) ListParties(ctx context.Context, f truce.PartyFilter) ([]*truce.Party, string, error) {
	if _, err := truce.RequireCaller(ctx); err != nil {
		return nil, "", err
	}
	if f.Kind != "" && !f.Kind.Valid() {
		return nil, "", truce.Errorf(truce.EINVALID, "Unknown party kind %q.", f.Kind)
	}
	lim := f.Limit
	f.Limit = truce.PageLimit(lim) + 1
	var next string
	ps, err := journal.VouchedRead(ctx, s.Journal, "party", func(ctx context.Context) ([]*truce.Party, error) {
		ps, err := s.Store.Parties(ctx, f)
		if err != nil {
			return nil, err
		}
		ps, next = truce.PageCursor(ps, truce.PageLimit(lim), func(p *truce.Party) string { return p.ID })
		return ps, nil
	}, partyID)
	if err != nil {
		return nil, "", err
	}
	return ps, next, nil
}

// VouchParty checks a party read from its row against the journal
// (EINTEGRITY if it does not match), for a capability about to use its
// key.
func (s *Service) VouchParty(ctx context.Context, p *truce.Party) error {
	_, err := journal.Vouched(ctx, s.Journal, "party", []*truce.Party{p}, partyID)
	return err
}
