package api

import (
	"net/http"

	"github.com/truce-project/truce"
)

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
