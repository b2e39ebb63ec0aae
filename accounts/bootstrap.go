package accounts

import (
	"context"

	"github.com/truce-project/truce"
)

// Bootstrap creates the first party, its administrator and a token for
// them, recorded in the journal as made by "system". It refuses when the
// deployment already has users, so running init twice destroys nothing.
func (s *Service) Bootstrap(ctx context.Context, pc truce.PartyCreate, uc truce.UserCreate) (*truce.Party, *truce.User, *truce.Token, error) {
	us, err := s.Store.Users(ctx, truce.UserFilter{Limit: 1})
	if err != nil {
		return nil, nil, nil, err
	}
	if len(us) > 0 {
		return nil, nil, nil, truce.Errorf(truce.ECONFLICT, "This deployment already has users.")
	}
	p, err := s.createParty(ctx, nil, pc)
	if err != nil {
		return nil, nil, nil, err
	}
	uc.Party = p.ID
	u, err := s.createUser(ctx, nil, uc)
	if err != nil {
		return nil, nil, nil, err
	}
	t, err := s.createToken(ctx, &truce.Caller{User: u, Party: p}, truce.TokenCreate{Name: "bootstrap"})
	if err != nil {
		return nil, nil, nil, err
	}
	return p, u, t, nil
}
