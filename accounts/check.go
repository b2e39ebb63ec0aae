package accounts

import (
	"context"

	"github.com/truce-project/truce"
	"github.com/truce-project/truce/journal"
)

// CheckState checks every party, user and token against the journal (the
// self-check's second pass), calling note with each record's outcome: a
// mismatch is reported (EINTEGRITY) and given to note, which returns the
// errors that end the check. It returns how many records it checked.
func (s *Service) CheckState(ctx context.Context, note func(error) error) (int, error) {
	n := 0
	for cursor := ""; ; {
		ps, err := s.Store.Parties(ctx, truce.PartyFilter{Cursor: cursor, Limit: 1000})
		if err != nil {
			return n, err
		}
		if _, bad, err := journal.VouchRecords(ctx, s.Journal, "party", ps, partyID); err != nil {
			return n, err
		} else {
			note(bad)
		}
		n += len(ps)
		if len(ps) < 1000 {
			break
		}
		cursor = ps[len(ps)-1].ID
	}
	// Users and their tokens: one at a time (there are few).
	for cursor := ""; ; {
		us, err := s.Store.Users(ctx, truce.UserFilter{Cursor: cursor, Limit: 1000})
		if err != nil {
			return n, err
		}
		for _, u := range us {
			if err := note(journal.VouchOne(ctx, s.Journal, "user", u.ID, u, normUser)); err != nil {
				return n, err
			}
			ts, err := s.Store.Tokens(ctx, u.ID)
			if err != nil {
				return n, err
			}
			for _, t := range ts {
				if err := note(journal.VouchOne(ctx, s.Journal, "token", t.ID, t, nil)); err != nil {
					return n, err
				}
			}
			n += 1 + len(ts)
		}
		if len(us) < 1000 {
			break
		}
		cursor = us[len(us)-1].ID
	}
	return n, nil
}

// StateCheck is the self-check's state pass over the parties, users and
// tokens (CheckState; see journal.Journal.CheckState).
func (s *Service) StateCheck() journal.StateCheck {
	return journal.StateCheck{Check: func(ctx context.Context, n int, note func(error) error, _ func(kind, id string), _ func(int)) (int, error) {
		m, err := s.CheckState(ctx, note)
		return n + m, err
	}}
}
