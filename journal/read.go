package journal

import (
	"context"

	"github.com/truce-project/truce"
)

// Service is the journal's read side, for the API, the CLI and the web
// UI: entries as the log vouches for them, with their bodies redacted by
// the visibility rule every read follows (read.go), and their proofs
// against the signed log (proofs.go). It implements truce.JournalService
// and truce.ProofService.
type Service struct {
	*Journal
	Store ReadStore
}

// ReadStore is what Service reads of the store: the journal's entries.
type ReadStore interface {
	Reader
	// JournalSize returns the number of journal entries.
	JournalSize(ctx context.Context) (int64, error)
	// Journal returns entries [start, end) with bodies and salts.
	Journal(ctx context.Context, start, end int64) ([]*truce.JournalRecord, error)
}

// NewService returns the read side of j over the entries of st.
func NewService(j *Journal, st ReadStore) *Service {
	return &Service{Journal: j, Store: st}
}

var (
	_ truce.JournalService = (*Service)(nil)
	_ truce.ProofService   = (*Service)(nil)
)

// JournalEntry returns one entry; its body and salt only when the caller
// may read the record.
func (s *Service) JournalEntry(ctx context.Context, index int64) (*truce.JournalRecord, error) {
	a, err := truce.RequireCaller(ctx)
	if err != nil {
		return nil, err
	}
	if index < 0 {
		return nil, truce.Errorf(truce.EINVALID, "A journal index is 0 or more.")
	}
	rs, err := s.Store.Journal(ctx, index, index+1)
	if err != nil {
		return nil, err
	}
	if len(rs) == 0 {
		return nil, truce.Errorf(truce.ENOTFOUND, "Journal entry %d not found.", index)
	}
	// What is served is what the log vouches for: the columns as the
	// leaf says, the body as the leaf's body_hash says (vouch.go).
	if err := s.CheckEntries(ctx, rs, true); err != nil {
		return nil, err
	}
	return redact(a, rs[0]), nil
}

// ListJournal returns a page of entries.
func (s *Service) ListJournal(ctx context.Context, start int64, limit int) ([]*truce.JournalRecord, int64, error) {
	a, err := truce.RequireCaller(ctx)
	if err != nil {
		return nil, 0, err
	}
	if start < 0 {
		return nil, 0, truce.Errorf(truce.EINVALID, "A journal index is 0 or more.")
	}
	limit = truce.PageLimit(limit)
	rs, err := s.Store.Journal(ctx, start, start+int64(limit))
	if err != nil {
		return nil, 0, err
	}
	if err := s.CheckEntries(ctx, rs, true); err != nil {
		return nil, 0, err
	}
	for _, r := range rs {
		redact(a, r)
	}
	next := int64(-1)
	if len(rs) == limit {
		size, err := s.Store.JournalSize(ctx)
		if err != nil {
			return nil, 0, err
		}
		if start+int64(limit) < size {
			next = start + int64(limit)
		}
	}
	return rs, next, nil
}

func redact(a *truce.Caller, r *truce.JournalRecord) *truce.JournalRecord {
	if !r.Visibility.Allows(a) {
		r.Body, r.Salt = nil, nil
	}
	return r
}
