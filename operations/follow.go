package operations

import (
	"context"

	"github.com/truce-project/truce/journal"
)

// FollowsRemote reports whether Follow applies another server's event of
// kind: an operation filed, proposed or changed.
func FollowsRemote(kind string) bool {
	return kind == EventFiled || kind == EventProposed || kind == EventChanged
}

// Follow applies an operation's change committed by another server
// sharing the database to this server's memory: the operation is read
// from the store, checked against the journal, and its volumes put in the
// index (or taken out, when it is no longer filed or active). Without it,
// a filing here was not deconflicted with the operations filed on the
// other servers since this one loaded them. A change older than the one
// held (a late event) is ignored.
func (s *Service) Follow(ctx context.Context, id string) error {
	o, err := journal.Read(ctx, s.Journal, func(ctx context.Context) (*Operation, error) {
		o, err := s.Store.Operation(ctx, id)
		if err != nil {
			return nil, err
		}
		if _, err := journal.Vouched(ctx, s.Journal, KindOperation, []*Operation{o}, opID); err != nil {
			return nil, err
		}
		return o, nil
	})
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.loaded {
		return s.load(ctx) // reads it with the rest
	}
	if cur, ok := s.live[id]; ok && cur.Revision > o.Revision {
		return nil
	}
	s.reindex(o, nil)
	return nil
}
