package api

import (
	_ "embed"
	"net/http"
	"strconv"

	"github.com/truce-project/truce"
)

//go:embed openapi.json
var openapiJSON []byte

// OpenAPI returns the OpenAPI 3.1 document of the API.
func OpenAPI() []byte { return openapiJSON }

func (s *Server) openapi(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	w.Write(openapiJSON)
}

func parseIndex(v string) (int64, error) {
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < 0 {
		return 0, truce.Errorf(truce.EINVALID, "A journal index is a whole number, 0 or more; got %q.", v)
	}
	return n, nil
}
