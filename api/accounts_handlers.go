package api

import (
	"context"
	"net/http"
	"net/url"

	"github.com/truce-project/truce"
)

var (
	_ truce.PartyService = (*Client)(nil)
	_ truce.UserService  = (*Client)(nil)
	_ truce.TokenService = (*Client)(nil)
)

// Page is a page of a list, with the cursor of the next page.
type Page[T any] struct {
	Items      []T    `json:"items"`
	NextCursor string `json:"next_cursor,omitempty"`
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

// Me returns the signed-in user and party.
func (c *Client) Me(ctx context.Context) (*truce.Caller, error) {
	var out struct {
		User  *truce.User  `json:"user"`
		Party *truce.Party `json:"party"`
	}
	if _, err := c.Do(ctx, "GET", "/api/v1/me", nil, &out, nil); err != nil {
		return nil, err
	}
	return &truce.Caller{User: out.User, Party: out.Party}, nil
}

// CreateParty implements truce.PartyService.
func (c *Client) CreateParty(ctx context.Context, pc truce.PartyCreate) (*truce.Party, error) {
	var p truce.Party
	_, err := c.Do(ctx, "POST", "/api/v1/parties", pc, &p, nil)
	return &p, err
}

// FindParty implements truce.PartyService.
func (c *Client) FindParty(ctx context.Context, idOrSlug string) (*truce.Party, error) {
	var p truce.Party
	_, err := c.Do(ctx, "GET", "/api/v1/parties/"+url.PathEscape(idOrSlug), nil, &p, nil)
	return &p, err
}

// ListParties implements truce.PartyService.
func (c *Client) ListParties(ctx context.Context, f truce.PartyFilter) ([]*truce.Party, string, error) {
	var pg Page[*truce.Party]
	_, err := c.Do(ctx, "GET", "/api/v1/parties"+q("kind", string(f.Kind), "cursor", f.Cursor, "limit", itoa(f.Limit)), nil, &pg, nil)
	return pg.Items, pg.NextCursor, err
}

// RotatePartyKey implements truce.PartyService.
func (c *Client) RotatePartyKey(ctx context.Context, k truce.KeyRotation) (*truce.Party, error) {
	var p truce.Party
	_, err := c.Do(ctx, "POST", "/api/v1/key-rotations", k, &p, nil)
	return &p, err
}

// CreateUser implements truce.UserService.
func (c *Client) CreateUser(ctx context.Context, uc truce.UserCreate) (*truce.User, error) {
	var u truce.User
	_, err := c.Do(ctx, "POST", "/api/v1/users", uc, &u, nil)
	return &u, err
}

// FindUser implements truce.UserService.
func (c *Client) FindUser(ctx context.Context, id string) (*truce.User, error) {
	var u truce.User
	_, err := c.Do(ctx, "GET", "/api/v1/users/"+url.PathEscape(id), nil, &u, nil)
	return &u, err
}

// ListUsers implements truce.UserService.
func (c *Client) ListUsers(ctx context.Context, f truce.UserFilter) ([]*truce.User, string, error) {
	var pg Page[*truce.User]
	_, err := c.Do(ctx, "GET", "/api/v1/users"+q("party", f.Party, "cursor", f.Cursor, "limit", itoa(f.Limit)), nil, &pg, nil)
	return pg.Items, pg.NextCursor, err
}

// DisableUser implements truce.UserService.
func (c *Client) DisableUser(ctx context.Context, id string, ifVersion int64) (*truce.User, error) {
	var u truce.User
	h := http.Header{}
	if ifVersion != 0 {
		h.Set("If-Match", etag(ifVersion))
	}
	_, err := c.Do(ctx, "POST", "/api/v1/users/"+url.PathEscape(id)+"/disable", nil, &u, h)
	return &u, err
}

// CreateToken implements truce.TokenService.
func (c *Client) CreateToken(ctx context.Context, tc truce.TokenCreate) (*truce.Token, error) {
	var t truce.Token
	_, err := c.Do(ctx, "POST", "/api/v1/tokens", tc, &t, nil)
	return &t, err
}

// ListTokens implements truce.TokenService.
func (c *Client) ListTokens(ctx context.Context, user string) ([]*truce.Token, error) {
	var pg Page[*truce.Token]
	_, err := c.Do(ctx, "GET", "/api/v1/tokens"+q("user", user), nil, &pg, nil)
	return pg.Items, err
}

// RevokeToken implements truce.TokenService.
func (c *Client) RevokeToken(ctx context.Context, id string) (*truce.Token, error) {
	var t truce.Token
	_, err := c.Do(ctx, "POST", "/api/v1/tokens/"+url.PathEscape(id)+"/revoke", nil, &t, nil)
	return &t, err
}
