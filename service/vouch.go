package service

import (
	"context"
	"fmt"

	"github.com/truce-project/truce"
	"github.com/truce-project/truce/journal"
)

// CheckState checks every record against the journal (the self-check's
// second pass): the zones and agreements (package zones), the alerts,
// the accounts' records, the aircraft registry and the feeds, calling
// progress after each record. Every mismatch is reported; the first is
// returned (EINTEGRITY), after all records are checked.
func (s *Service) CheckState(ctx context.Context, progress func(checked int)) (int, error) {
	var first error
	stored := map[string]map[string]bool{"zone": {}, "agreement": {}}
	note := func(err error) error {
		if truce.ErrorCode(err) == truce.EINTEGRITY {
			if first == nil {
				first = err
			}
			return nil
		}
		return err
	}
	n, err := s.Zones.CheckState(ctx, 0, note, func(kind, id string) { stored[kind][id] = true }, progress)
	if err != nil {
		return n, err
	}
	// The monitor's records: alerts (every one, to find deleted rows too),
	// the aircraft registry and the feeds in use.
	stored["alert"] = map[string]bool{}
	for cursor := ""; ; {
		as, err := s.Store.Alerts(ctx, truce.AlertFilter{Cursor: cursor, Limit: 1000})
		if err != nil {
			return n, err
		}
		_, bad, err := journal.VouchRecords(ctx, s.Journal, "alert", as, alertID)
		if err != nil {
			return n, err
		}
		note(bad)
		for _, a := range as {
			stored["alert"][a.ID] = true
		}
		n += len(as)
		if progress != nil {
			progress(n)
		}
		if len(as) < 1000 {
			break
		}
		cursor = as[len(as)-1].ID
	}
	// Parties, users and tokens: the accounts' records.
	m, err := s.Accounts.CheckState(ctx, note)
	n += m
	if err != nil {
		return n, err
	}
	acs, err := s.Store.AircraftList(ctx, "")
	if err != nil {
		return n, err
	}
	if _, bad, err := journal.VouchRecords(ctx, s.Journal, "aircraft", acs, func(a *truce.Aircraft) string { return a.ID }); err != nil {
		return n, err
	} else {
		note(bad)
	}
	fs, err := s.Store.Feeds(ctx)
	if err != nil {
		return n, err
	}
	if _, bad, err := journal.VouchRecords(ctx, s.Journal, "feed", fs, func(f *truce.FeedSource) string { return f.ID }); err != nil {
		return n, err
	} else {
		note(bad)
	}
	n += len(acs) + len(fs)
	if st, ok := s.Store.(stateColumns); ok {
		// Records hidden from the engines' queries: columns that differ
		// from their documents, rows deleted while the journal has them.
		err := st.CheckStateColumns(ctx, func(record, problem string) { note(s.Refuse(record+" columns", problem)) })
		if err != nil {
			return n, err
		}
		for _, kind := range []string{"zone", "agreement", "alert"} {
			err := st.JournalSubjects(ctx, kind, func(id string) error {
				if !stored[kind][id] {
					note(s.Refuse(kind+" "+id, fmt.Sprintf("The journal records %s %s, which is not stored: its row was deleted", kind, id)))
				}
				return nil
			})
			if err != nil {
				return n, err
			}
		}
	}
	return n, first
}

// stateColumns is implemented by the SQL stores (internal/sqlstore/vouch.go).
type stateColumns interface {
	CheckStateColumns(ctx context.Context, fn func(record, problem string)) error
	JournalSubjects(ctx context.Context, kind string, fn func(subject string) error) error
}
