package api

import (
	"net/http"

	"github.com/truce-project/truce"
)

// Page is a page of a list, with the cursor of the next page.
type Page[T any] struct {
	Items      []T    `json:"items"`
	NextCursor string `json:"next_cursor,omitempty"`
}

func limitParam(r *http.Request) (int, error) {
	n, err := queryInt(r, "limit", 0)
	if err != nil {
		return 0, err
	}
	if n < 0 || n > 500 {
		return 0, truce.Errorf(truce.EINVALID, "limit is 1 to 500.")
	}
	return int(n), nil
}

func (s *Server) me(w http.ResponseWriter, r *http.Request) {
	a, err := truce.RequireCaller(r.Context())
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"user": a.User, "party": a.Party})
}

func (s *Server) listParties(w http.ResponseWriter, r *http.Request) {
	lim, err := limitParam(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	q := r.URL.Query()
	ps, next, err := s.svc.Parties.ListParties(r.Context(), truce.PartyFilter{Kind: truce.PartyKind(q.Get("kind")), Cursor: q.Get("cursor"), Limit: lim})
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, Page[*truce.Party]{Items: nonNil(ps), NextCursor: next})
}

func (s *Server) createParty(w http.ResponseWriter, r *http.Request) {
	var c truce.PartyCreate
	if err := decode(r, &c); err != nil {
		s.writeError(w, r, err)
		return
	}
	p, err := s.svc.Parties.CreateParty(r.Context(), c)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	w.Header().Set("Location", "/api/v1/parties/"+p.ID)
	w.Header().Set("ETag", etag(p.Version))
	writeJSON(w, http.StatusCreated, p)
}

func (s *Server) getParty(w http.ResponseWriter, r *http.Request) {
	p, err := s.svc.Parties.FindParty(r.Context(), r.PathValue("id"))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	w.Header().Set("ETag", etag(p.Version))
	writeJSON(w, http.StatusOK, p)
}

// rotatePartyKey records a key rotation note of the caller's party.
func (s *Server) rotatePartyKey(w http.ResponseWriter, r *http.Request) {
	var k truce.KeyRotation
	if err := decode(r, &k); err != nil {
		s.writeError(w, r, err)
		return
	}
	p, err := s.svc.Parties.RotatePartyKey(r.Context(), k)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	w.Header().Set("ETag", etag(p.Version))
	writeJSON(w, http.StatusOK, p)
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}
