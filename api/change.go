package api

import (
	"net/http"
	"strconv"

	"github.com/truce-project/truce"
)

// change is the handler of a request that changes records through one
// service call: it reads the number the request names before its body
// (the If-Match version, a proposal's or a zone version's number; none
// when number is nil), decodes the body into a B, makes the change with
// call and answers what call returns with status, with the ETag of the
// record version version gives and the Location location gives (each
// left out when nil). Every bad input is answered before the call, so it
// changes nothing.
type change[B, T any] struct {
	status   int
	number   func(*http.Request) (int64, error)
	call     func(r *http.Request, n int64, b B) (T, error)
	version  func(T) int64
	location func(T) string
}

// handler serves c on s.
func (c change[B, T]) handler(s *Server) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		var n int64
		if c.number != nil {
			var err error
			if n, err = c.number(r); err != nil {
				s.writeError(w, r, err)
				return
			}
		}
		var b B
		if err := decode(r, &b); err != nil {
			s.writeError(w, r, err)
			return
		}
		v, err := c.call(r, n, b)
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		if c.location != nil {
			w.Header().Set("Location", c.location(v))
		}
		if c.version != nil {
			w.Header().Set("ETag", etag(c.version(v)))
		}
		writeJSON(w, c.status, v)
	}
}

// numberParam reads the path value name as a whole number from 1; what
// names it in the problem.
func numberParam(name, what string) func(*http.Request) (int64, error) {
	return func(r *http.Request) (int64, error) {
		n, err := strconv.ParseInt(r.PathValue(name), 10, 0)
		if err != nil || n < 1 {
			return 0, truce.Errorf(truce.EINVALID, "%s is a whole number from 1.", what)
		}
		return n, nil
	}
}

// statement answers the text a party signs (for a party that holds its
// own key): text's, once number (nil for none) has been read.
func statement(s *Server, number func(*http.Request) (int64, error), text func(r *http.Request, n int64) (string, error)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		var n int64
		if number != nil {
			var err error
			if n, err = number(r); err != nil {
				s.writeError(w, r, err)
				return
			}
		}
		st, err := text(r, n)
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.Write([]byte(st))
	}
}

// approveParam reads the decision a statement is asked for: true to
// approve, false to reject.
func approveParam(r *http.Request) (bool, error) {
	switch r.URL.Query().Get("decision") {
	case "approve":
		return true, nil
	case "reject":
		return false, nil
	}
	return false, truce.Errorf(truce.EINVALID, "decision is approve or reject.")
}
