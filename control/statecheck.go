package control

import (
	"context"

	"github.com/truce-project/truce/journal"
)

// StateCheck is the self-check's state pass over control's records (see
// journal.Journal.CheckState): every actor, control area, guarantee and
// breach (with its signed response) against its subject's latest journal
// entry, each reported stored, so that a row deleted behind the server's
// back is found too. The store checks the columns its queries select on
// (a breach's status, which decides whether it is open and escalated).
func (s *Service) StateCheck() journal.StateCheck {
	return journal.StateCheck{Kinds: []string{KindActor, KindControlArea, KindGuarantee, KindBreach}, Check: s.checkState}
}

func (s *Service) checkState(ctx context.Context, n int, note func(error) error, stored func(kind, id string), progress func(checked int)) (int, error) {
	done := func(kind string, ids []string, bad error) error {
		if err := note(bad); err != nil {
			return err
		}
		for _, id := range ids {
			stored(kind, id)
		}
		n += len(ids)
		if progress != nil {
			progress(n)
		}
		return nil
	}
	actors, err := s.Store.Actors(ctx)
	if err != nil {
		return n, err
	}
	if err := vouchAll(ctx, s, KindActor, actors, actorID, done); err != nil {
		return n, err
	}
	page := make([]journal.Doc, 0, vouchPage)
	flush := func() error {
		_, bad, err := journal.VouchDocs(ctx, s.Journal, KindControlArea, page, controlAreaID)
		if err != nil {
			return err
		}
		ids := make([]string, len(page))
		for i, d := range page {
			ids[i] = d.ID
		}
		page = page[:0]
		return done(KindControlArea, ids, bad)
	}
	err = s.Store.ControlAreaDocs(ctx, func(id string, doc []byte) error {
		if page = append(page, journal.Doc{ID: id, JSON: doc}); len(page) == vouchPage {
			return flush()
		}
		return nil
	})
	if err != nil {
		return n, err
	}
	if err := flush(); err != nil {
		return n, err
	}
	gs, err := s.Store.Guarantees(ctx)
	if err != nil {
		return n, err
	}
	if err := vouchAll(ctx, s, KindGuarantee, gs, guaranteeID, done); err != nil {
		return n, err
	}
	bs, err := s.Store.Breaches(ctx, false)
	if err != nil {
		return n, err
	}
	if err := vouchAll(ctx, s, KindBreach, bs, breachID, done); err != nil {
		return n, err
	}
	return n, nil
}

// vouchAll checks rows of one kind against the journal and reports them
// to done.
func vouchAll[T any](ctx context.Context, s *Service, kind string, rows []*T, idOf func(*T) string, done func(kind string, ids []string, bad error) error) error {
	_, bad, err := journal.VouchRecords(ctx, s.Journal, kind, rows, idOf)
	if err != nil {
		return err
	}
	ids := make([]string, len(rows))
	for i, r := range rows {
		ids[i] = idOf(r)
	}
	return done(kind, ids, bad)
}
