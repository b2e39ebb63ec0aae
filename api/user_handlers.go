package api

import (
	"net/http"

	"github.com/truce-project/truce"
)

func (s *Server) listUsers(w http.ResponseWriter, r *http.Request) {
	lim, err := limitParam(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	q := r.URL.Query()
	us, next, err := s.svc.Users.ListUsers(r.Context(), truce.UserFilter{Party: q.Get("party"), Cursor: q.Get("cursor"), Limit: lim})
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, Page[*truce.User]{Items: nonNil(us), NextCursor: next})
}

func (s *Server) createUser(w http.ResponseWriter, r *http.Request) {
	var c truce.UserCreate
	if err := decode(r, &c); err != nil {
		s.writeError(w, r, err)
		return
	}
	u, err := s.svc.Users.CreateUser(r.Context(), c)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	w.Header().Set("Location", "/api/v1/users/"+u.ID)
	w.Header().Set("ETag", etag(u.Version))
	writeJSON(w, http.StatusCreated, u)
}

func (s *Server) getUser(w http.ResponseWriter, r *http.Request) {
	u, err := s.svc.Users.FindUser(r.Context(), r.PathValue("id"))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	w.Header().Set("ETag", etag(u.Version))
	writeJSON(w, http.StatusOK, u)
}

func (s *Server) disableUser(w http.ResponseWriter, r *http.Request) {
	v, err := ifMatch(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	u, err := s.svc.Users.DisableUser(r.Context(), r.PathValue("id"), v)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	w.Header().Set("ETag", etag(u.Version))
	writeJSON(w, http.StatusOK, u)
}

func (s *Server) listTokens(w http.ResponseWriter, r *http.Request) {
	ts, err := s.svc.Tokens.ListTokens(r.Context(), r.URL.Query().Get("user"))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	pg, err := pageOf(r, ts, func(x *truce.Token) string { return x.ID }, false)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, pg)
}

func (s *Server) createToken(w http.ResponseWriter, r *http.Request) {
	var c truce.TokenCreate
	if err := decode(r, &c); err != nil {
		s.writeError(w, r, err)
		return
	}
	t, err := s.svc.Tokens.CreateToken(r.Context(), c)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusCreated, t)
}

func (s *Server) revokeToken(w http.ResponseWriter, r *http.Request) {
	t, err := s.svc.Tokens.RevokeToken(r.Context(), r.PathValue("id"))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, t)
}

// JournalPage is a page of journal entries; Next is the index to start the
// next page from, or -1 at the end.
type JournalPage struct {
	Items []*truce.JournalRecord `json:"items"`
	Next  int64                  `json:"next"`
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
