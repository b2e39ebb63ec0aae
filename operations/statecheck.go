package operations

import (
	"context"

	"github.com/truce-project/truce/journal"
)

// StateCheck is the self-check's state pass over the operations and their
// conflicts (see journal.Journal.CheckState): every row against its
// subject's latest journal entry, each reported stored, so that a row
// deleted behind the server's back is found too. The store checks the
// columns its queries select on (an operation's status, which decides
// whether the conflict index loads it).
func (s *Service) StateCheck() journal.StateCheck {
	return journal.StateCheck{Kinds: []string{KindOperation, KindConflict}, Check: s.checkState}
}

// checkPage is how many operations the state pass checks at once.
const checkPage = 1000

func (s *Service) checkState(ctx context.Context, n int, note func(error) error, stored func(kind, id string), progress func(checked int)) (int, error) {
	flush := func(page []*Operation) error {
		_, bad, err := journal.VouchRecords(ctx, s.Journal, KindOperation, page, opID)
		if err != nil {
			return err
		}
		if err := note(bad); err != nil {
			return err
		}
		var cs []*Conflict
		for _, o := range page {
			stored(KindOperation, o.ID)
			more, err := s.Store.Conflicts(ctx, o.ID)
			if err != nil {
				return err
			}
			cs = append(cs, more...)
		}
		_, bad, err = journal.VouchRecords(ctx, s.Journal, KindConflict, cs, conflictID)
		if err != nil {
			return err
		}
		if err := note(bad); err != nil {
			return err
		}
		for _, c := range cs {
			stored(KindConflict, c.ID)
		}
		n += len(page) + len(cs)
		if progress != nil {
			progress(n)
		}
		return nil
	}
	// The operations are read first, then checked a page at a time: the
	// checks query the store too (a store with one connection).
	var all []*Operation
	err := s.Store.Operations(ctx, func(o *Operation) error {
		all = append(all, o)
		return nil
	})
	if err != nil {
		return n, err
	}
	for start := 0; start < len(all); start += checkPage {
		if err := flush(all[start:min(start+checkPage, len(all))]); err != nil {
			return n, err
		}
	}
	return n, nil
}
