package api

import (
	"context"
	"net/http"
	"net/url"
	"strconv"

	"github.com/truce-project/truce"
)

var _ truce.JournalService = (*Client)(nil)

// JournalEntry is a journal entry with its inclusion proof against the
// latest signed checkpoint; Proof is nil while the entry is not yet signed.
type JournalEntry struct {
	*truce.JournalRecord
	Proof *truce.InclusionProof `json:"proof,omitempty"`
}

func (s *Server) getJournalProof(w http.ResponseWriter, r *http.Request) {
	if s.svc.Proofs == nil {
		s.getJournal(w, r)
		return
	}
	idx, err := parseIndex(r.PathValue("index"))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	rec, proof, err := s.svc.Proofs.JournalEntryProof(r.Context(), idx)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, JournalEntry{JournalRecord: rec, Proof: proof})
}

func (s *Server) getConsistency(w http.ResponseWriter, r *http.Request) {
	if s.svc.Proofs == nil {
		s.writeError(w, r, truce.Errorf(truce.EUNAVAILABLE, "This server keeps no signed log."))
		return
	}
	if r.URL.Query().Get("old") == "" || r.URL.Query().Get("new") == "" {
		s.writeError(w, r, truce.Errorf(truce.EINVALID, "Give both tree sizes: ?old=N&new=M."))
		return
	}
	old, err := queryInt(r, "old", 0)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	nw, err := queryInt(r, "new", 0)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	p, err := s.svc.Proofs.ConsistencyProof(r.Context(), old, nw)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, p)
}

func (s *Server) getRecordProofs(w http.ResponseWriter, r *http.Request) {
	if s.svc.Proofs == nil {
		s.writeError(w, r, truce.Errorf(truce.EUNAVAILABLE, "This server keeps no signed log."))
		return
	}
	p, err := s.svc.Proofs.RecordProofs(r.Context(), r.PathValue("kind"), r.PathValue("id"))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, p)
}

func (s *Server) listJournal(w http.ResponseWriter, r *http.Request) {
	start, err := queryInt(r, "start", 0)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	lim, err := limitParam(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	rs, next, err := s.svc.Journal.ListJournal(r.Context(), start, lim)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, JournalPage{Items: nonNil(rs), Next: next})
}

func (s *Server) getJournal(w http.ResponseWriter, r *http.Request) {
	idx, err := parseIndex(r.PathValue("index"))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	rec, err := s.svc.Journal.JournalEntry(r.Context(), idx)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, rec)
}

// JournalPage is a page of journal entries; Next is the index to start the
// next page from, or -1 at the end.
type JournalPage struct {
	Items []*truce.JournalRecord `json:"items"`
	Next  int64                  `json:"next"`
}

// JournalEntry implements truce.JournalService.
func (c *Client) JournalEntry(ctx context.Context, index int64) (*truce.JournalRecord, error) {
	var r truce.JournalRecord
	_, err := c.Do(ctx, "GET", "/api/v1/journal/"+strconv.FormatInt(index, 10), nil, &r, nil)
	return &r, err
}

// ListJournal implements truce.JournalService.
func (c *Client) ListJournal(ctx context.Context, start int64, limit int) ([]*truce.JournalRecord, int64, error) {
	var pg JournalPage
	_, err := c.Do(ctx, "GET", "/api/v1/journal"+q("start", strconv.FormatInt(start, 10), "limit", itoa(limit)), nil, &pg, nil)
	return pg.Items, pg.Next, err
}

var _ truce.ProofService = (*Client)(nil)

// JournalEntryProof implements truce.ProofService.
func (c *Client) JournalEntryProof(ctx context.Context, index int64) (*truce.JournalRecord, *truce.InclusionProof, error) {
	var e JournalEntry
	if _, err := c.Do(ctx, "GET", "/api/v1/journal/"+strconv.FormatInt(index, 10), nil, &e, nil); err != nil {
		return nil, nil, err
	}
	return e.JournalRecord, e.Proof, nil
}

// RecordProofs implements truce.ProofService.
func (c *Client) RecordProofs(ctx context.Context, kind, subject string) (*truce.RecordProofs, error) {
	var p truce.RecordProofs
	_, err := c.Do(ctx, "GET", "/api/v1/records/"+url.PathEscape(kind)+"/"+url.PathEscape(subject)+"/proof", nil, &p, nil)
	return &p, err
}

// ConsistencyProof implements truce.ProofService.
func (c *Client) ConsistencyProof(ctx context.Context, old, new int64) (*truce.ConsistencyProof, error) {
	var p truce.ConsistencyProof
	_, err := c.Do(ctx, "GET", "/api/v1/journal/consistency"+q("old", strconv.FormatInt(old, 10), "new", strconv.FormatInt(new, 10)), nil, &p, nil)
	return &p, err
}
