package truce

import (
	"errors"
	"time"
)

// pushback is an *Error with a time after which the caller may retry.
type pushback struct {
	err   *Error
	after time.Duration
}

func (p *pushback) Error() string { return p.err.Error() }
func (p *pushback) Unwrap() error { return p.err }

// RetryAfter returns e carrying a hint of when to retry: the API sends it
// as Retry-After with an EUNAVAILABLE (503) or ETOOMANY (429) problem.
func RetryAfter(e *Error, after time.Duration) error {
	return &pushback{err: e, after: after}
}

// RetryAfterOf returns the retry hint err carries, or 0 when it has none.
func RetryAfterOf(err error) time.Duration {
	var p *pushback
	if errors.As(err, &p) {
		return p.after
	}
	return 0
}
