package sqlstore

import (
	"database/sql"
	"database/sql/driver"
	"errors"
	"io"
	"net"
	"strings"
	"syscall"

	"github.com/truce-project/truce"
)

// errUnavailable is what a caller learns when the database cannot be
// reached or written for now: a 503 with Retry-After, not a 500, since
// retrying is the answer.
func errUnavailable() error {
	return truce.Errorf(truce.EUNAVAILABLE, "The database is unavailable; retry shortly.")
}

// lostConnection reports whether err says the connection to the database
// is gone or could not be made, whatever the driver: database/sql's own
// errors, network errors and a connection cut mid-reply.
func lostConnection(err error) bool {
	var ne net.Error
	switch {
	case errors.Is(err, sql.ErrConnDone), errors.Is(err, driver.ErrBadConn),
		errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF),
		errors.Is(err, syscall.ECONNREFUSED), errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.EPIPE),
		errors.Is(err, syscall.ENOSPC), errors.Is(err, syscall.EFBIG):
		return true
	case errors.As(err, &ne):
		return true
	}
	// database/sql's "database is closed" is not exported.
	return strings.Contains(err.Error(), "sql: database is closed")
}
