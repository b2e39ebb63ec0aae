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
var checkPage = 1000

func (s *Service) checkState(ctx context.Context, n int, note func(error) error, stored func(kind, id string), progress func(checked int)) (int, error) {
	// Operations, then conflicts, each a page at a time by id: a query
	// and a journal read per page, whatever the number of operations.
	n, err := checkPages(ctx, s, KindOperation, s.Store.OperationsAfter, opID, n, note, stored, progress)
	if err != nil {
		return n, err
	}
	return checkPages(ctx, s, KindConflict, s.Store.ConflictsAfter, conflictID, n, note, stored, progress)
}

// checkPages checks every record of kind that page reads against its
// journal entries, checkPage records at a time.
func checkPages[T any](ctx context.Context, s *Service, kind string, page func(ctx context.Context, after string, limit int) ([]*T, error), idOf func(*T) string,
	n int, note func(error) error, stored func(kind, id string), progress func(checked int)) (int, error) {
	after := ""
	for {
		rows, err := page(ctx, after, checkPage)
		if err != nil {
			return n, err
		}
		if len(rows) == 0 {
			return n, nil
		}
		_, bad, err := journal.VouchRecords(ctx, s.Journal, kind, rows, idOf)
		if err != nil {
			return n, err
		}
		if err := note(bad); err != nil {
			return n, err
		}
		for _, r := range rows {
			stored(kind, idOf(r))
		}
		n += len(rows)
		if progress != nil {
			progress(n)
		}
		if len(rows) < checkPage {
			return n, nil
		}
		after = idOf(rows[len(rows)-1])
	}
}
