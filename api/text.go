package api

import (
	"net/http"

	"github.com/truce-project/truce"
)

// withPrintableURL refuses a request whose path or query holds a control
// character (decoded: %00, %1B, ...) or invalid UTF-8 before any handler
// looks a record up with it: no id, slug or filter has one, and
// PostgreSQL cannot even compare text holding NUL.
func (s *Server) withPrintableURL(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := truce.CheckText("The path", r.URL.Path, 1<<16, false); err != nil {
			s.writeError(w, r, err)
			return
		}
		for name, vs := range r.URL.Query() {
			for _, v := range append(vs, name) {
				if err := truce.CheckText("Query parameter "+name, v, 1<<16, false); err != nil {
					s.writeError(w, r, err)
					return
				}
			}
		}
		next.ServeHTTP(w, r)
	})
}
