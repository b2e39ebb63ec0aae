package api

import (
	"encoding/json"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/truce-project/truce"
)

// Problem is an RFC 9457 problem details object, with Truce's stable error
// code and the request id that is also in the server's log.
type Problem struct {
	Type      string `json:"type"`
	Title     string `json:"title"`
	Status    int    `json:"status"`
	Detail    string `json:"detail,omitempty"`
	Instance  string `json:"instance,omitempty"`
	Code      string `json:"code"`
	RequestID string `json:"request_id,omitempty"`
}

var statuses = map[string]int{
	truce.EINVALID:       http.StatusBadRequest,
	truce.EUNPROCESSABLE: http.StatusUnprocessableEntity,
	truce.ENOTFOUND:      http.StatusNotFound,
	truce.ECONFLICT:      http.StatusConflict,
	truce.EPRECONDITION:  http.StatusPreconditionFailed,
	truce.ETOOLARGE:      http.StatusRequestEntityTooLarge,
	truce.EUNAUTHORIZED:  http.StatusUnauthorized,
	truce.EFORBIDDEN:     http.StatusForbidden,
	truce.EUNAVAILABLE:   http.StatusServiceUnavailable,
	truce.ETIMEOUT:       http.StatusRequestTimeout,
	truce.ETOOMANY:       http.StatusTooManyRequests,
	truce.EINTERNAL:      http.StatusInternalServerError,
	truce.EINTEGRITY:     http.StatusInternalServerError,
}

// StatusOf maps an error code to its HTTP status: the one place that does
// (the API's problems and the web pages' error pages).
func StatusOf(code string) int {
	if s, ok := statuses[code]; ok {
		return s
	}
	return http.StatusInternalServerError
}

// codeOf maps an HTTP status back to an error code (for the client).
func codeOf(status int) string {
	if status == http.StatusInternalServerError {
		return truce.EINTERNAL
	}
	for c, s := range statuses {
		if s == status {
			return c
		}
	}
	if status >= 500 {
		return truce.EINTERNAL
	}
	return truce.EINVALID
}

// writeError writes err as problem JSON. Internal errors are logged with the
// request id, and the client sees only that id.
func (s *Server) writeError(w http.ResponseWriter, r *http.Request, err error) {
	code := truce.ErrorCode(err)
	status := StatusOf(code)
	rid := requestID(r.Context())
	if code == truce.EINTERNAL {
		s.log.Error("internal error", slog.String("request_id", rid), slog.String("path", r.URL.Path), slog.Any("err", err))
	}
	if code == truce.EINTEGRITY {
		s.log.Error("integrity: a stored record does not match its journal entry", slog.String("request_id", rid), slog.String("path", r.URL.Path), slog.String("problem", truce.ErrorMessage(err)))
	}
	p := Problem{
		Type:      "urn:truce:problem:" + code,
		Title:     http.StatusText(status),
		Status:    status,
		Detail:    truce.ErrorMessage(err),
		Instance:  r.URL.Path,
		Code:      code,
		RequestID: rid,
	}
	if code == truce.EUNAUTHORIZED {
		w.Header().Set("WWW-Authenticate", `Bearer realm="truce"`)
	}
	if code == truce.EUNAVAILABLE || code == truce.ETOOMANY {
		w.Header().Set("Retry-After", RetryAfterSeconds(err))
	}
	w.Header().Set("Content-Type", "application/problem+json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(p)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.Encode(v)
}

// RetryAfterSeconds is the Retry-After value (RFC 9110 §10.2.3, whole
// seconds, at least 1) for an error: its truce.RetryAfterOf hint, rounded
// up, or 1 s.
func RetryAfterSeconds(err error) string {
	return strconv.FormatInt(wholeSeconds(truce.RetryAfterOf(err)), 10)
}

// wholeSeconds is d rounded up to whole seconds, at least 1.
func wholeSeconds(d time.Duration) int64 {
	return max(1, int64((d+time.Second-1)/time.Second))
}
