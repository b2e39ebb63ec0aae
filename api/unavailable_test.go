package api_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"testing"

	"github.com/google/uuid"
	"github.com/truce-project/truce"
	"github.com/truce-project/truce/node"
	"github.com/truce-project/truce/postgres"
	"github.com/truce-project/truce/postgres/pgtest"
)

// wantUnavailable checks a 503 problem with code unavailable and a
// Retry-After header.
func wantUnavailable(t *testing.T, what string, status int, h map[string][]string, b []byte) {
	t.Helper()
	if status != 503 {
		t.Fatalf("%s: %d %s, want 503", what, status, b)
	}
	hdr := httpHeader(h)
	if hdr.Get("Retry-After") == "" {
		t.Fatalf("%s: no Retry-After", what)
	}
	if code := problemCode(t, hdr, b); code != truce.EUNAVAILABLE {
		t.Fatalf("%s: code %s", what, code)
	}
}

// TestStorageUnavailable_ClosedStore: with the database gone, reads and
// writes answer 503 with Retry-After (not 500), and /readyz is not ready.
func TestStorageUnavailable_ClosedStore(t *testing.T) {
	stores(t, func(t *testing.T, e *env) {
		if status, _, b := e.do("GET", "/readyz", "", ""); status != 200 {
			t.Fatalf("readyz before: %d %s", status, b)
		}
		e.node.Store.Close()
		status, h, b := e.do("GET", "/api/v1/parties", e.admin, "")
		wantUnavailable(t, "read", status, h, b)
		status, h, b = e.do("POST", "/api/v1/parties", e.admin, `{"slug":"jo","name":"Jordan","kind":"guarantor"}`)
		wantUnavailable(t, "write", status, h, b)
		if status, _, b := e.do("GET", "/readyz", "", ""); status != 503 {
			t.Fatalf("readyz with the database closed: %d %s", status, b)
		}
	})
}

// TestStorageUnavailable_TerminatedConnections terminates the server's
// PostgreSQL connections (pg_terminate_backend) before each request: every
// answer is a success or a 503 with Retry-After, never a 500.
func TestStorageUnavailable_TerminatedConnections(t *testing.T) {
	app := "truce_" + uuid.NewString()[:8]
	u, err := url.Parse(pgtest.DSN(t))
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set("application_name", app)
	u.RawQuery = q.Encode()
	e := newEnvWith(t, node.Config{DB: u.String()})
	admin, err := postgres.OpenDB(context.Background(), u.String())
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	kill := func() {
		if _, err := admin.Exec(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1 AND pid <> pg_backend_pid()`, app); err != nil {
			t.Fatal(err)
		}
	}
	unavailable := 0
	for i := range 30 {
		kill()
		var status int
		var h map[string][]string
		var b []byte
		if i%2 == 0 {
			status, h, b = e.do("GET", "/api/v1/parties", e.admin, "")
		} else {
			status, h, b = e.do("POST", "/api/v1/parties", e.admin, fmt.Sprintf(`{"slug":"p%d","name":"P","kind":"monitor"}`, i))
		}
		switch status {
		case 200, 201:
		case 503:
			wantUnavailable(t, "after terminating connections", status, h, b)
			unavailable++
		default:
			t.Fatalf("round %d: %d %s", i, status, b)
		}
	}
	t.Logf("%d of 30 requests answered 503", unavailable)
	if unavailable == 0 {
		t.Fatal("no request met a terminated connection; the test tests nothing")
	}
}

func httpHeader(h map[string][]string) http.Header { return http.Header(h) }
