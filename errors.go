package truce

import (
	"errors"
	"fmt"
)

// Error codes. They are stable: clients match on them, and the API maps each
// to one HTTP status in one place (api.statusOf).
const (
	EINVALID       = "invalid"             // malformed or unacceptable input (400)
	EUNPROCESSABLE = "unprocessable"       // well-formed but semantically wrong input (422)
	ENOTFOUND      = "not_found"           // no such record, or not visible to the caller (404)
	ECONFLICT      = "conflict"            // duplicate or state conflict (409)
	EPRECONDITION  = "precondition_failed" // If-Match did not match the record's version (412)
	ETOOLARGE      = "too_large"           // request body over the limit (413)
	EUNAUTHORIZED  = "unauthorized"        // no valid credentials (401)
	EFORBIDDEN     = "forbidden"           // valid credentials, not allowed (403)
	EUNAVAILABLE   = "unavailable"         // temporarily unable; retry later (503)
	ETIMEOUT       = "timeout"             // the request (its body) did not arrive in time (408)
	ETOOMANY       = "too_many_requests"   // over a rate limit; retry after Retry-After (429)
	EINTERNAL      = "internal"            // a bug or an infrastructure fault (500)
	// EINTEGRITY: a stored record does not match the journal entry that
	// vouches for it (changed behind the server's back); the record is
	// not served (500).
	EINTEGRITY = "integrity"
)

// Error is Truce's application error: a stable Code for programs and a
// Message for people. Any error that is not an *Error is treated as EINTERNAL
// and its text is never shown to clients.
type Error struct {
	Code    string
	Message string
}

// Error implements the error interface.
func (e *Error) Error() string {
	return fmt.Sprintf("truce error: code=%s message=%s", e.Code, e.Message)
}

// Errorf returns an *Error with the given code and a formatted message.
func Errorf(code string, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// ErrorCode returns the code of the first *Error in err's chain, "" for nil,
// and EINTERNAL for any other error.
func ErrorCode(err error) string {
	var e *Error
	if err == nil {
		return ""
	} else if errors.As(err, &e) {
		return e.Code
	}
	return EINTERNAL
}

// ErrorMessage returns the message of the first *Error in err's chain, "" for
// nil, and "Internal error." for any other error, so internal details never
// reach a client.
func ErrorMessage(err error) string {
	var e *Error
	if err == nil {
		return ""
	} else if errors.As(err, &e) {
		return e.Message
	}
	return "Internal error."
}
