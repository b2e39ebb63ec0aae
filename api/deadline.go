package api

import (
	"errors"
	"io"
	"net/http"
	"os"
	"time"

	"github.com/truce-project/truce"
)

// DefaultBodyTimeout is how long a request's body may take to arrive: a
// 1 MiB body at 40 KiB/s. A client that trickles its body (a slow-loris)
// is cut off then instead of holding a connection and a handler forever.
const DefaultBodyTimeout = 30 * time.Second

// withBodyDeadline bounds the reading of a request's body by a read
// deadline on the connection, set per request with http.ResponseController
// (rather than http.Server.ReadTimeout, which would also end the
// background read that watches a long-lived response such as an event
// stream, and cancel it). Requests without a body get no deadline. Once
// the body has been read to its end net/http lifts the deadline itself
// (it starts its background read without one), so a handler that works
// long after reading is not cancelled by it. A body that does not arrive
// in time fails its read with ETIMEOUT (408), and the server closes the
// connection.
func (s *Server) withBodyDeadline(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Body == nil || r.Body == http.NoBody || r.ContentLength == 0 || s.cfg.BodyTimeout <= 0 {
			next.ServeHTTP(w, r)
			return
		}
		rc := http.NewResponseController(w)
		if err := rc.SetReadDeadline(time.Now().Add(s.cfg.BodyTimeout)); err != nil {
			next.ServeHTTP(w, r) // not a connection (a test recorder)
			return
		}
		r.Body = &deadlineBody{ReadCloser: r.Body, timeout: s.cfg.BodyTimeout, w: w}
		next.ServeHTTP(w, r)
	})
}

// deadlineBody turns the body deadline's error into a problem.
type deadlineBody struct {
	io.ReadCloser
	w       http.ResponseWriter
	timeout time.Duration
}

func (b *deadlineBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if errors.Is(err, os.ErrDeadlineExceeded) {
		// The connection cannot carry another request: the rest of this
		// body is still on its way.
		b.w.Header().Set("Connection", "close")
		return n, truce.Errorf(truce.ETIMEOUT, "The request body did not arrive within %s.", b.timeout)
	}
	return n, err
}
