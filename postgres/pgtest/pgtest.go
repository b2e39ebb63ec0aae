// Package pgtest gives tests a PostgreSQL database of their own: a fresh
// schema in the database named by TRUCE_TEST_POSTGRES.
package pgtest

import (
	"context"
	"net/url"
	"os"
	"strings"
	"testing"

	"github.com/google/uuid"
	"github.com/truce-project/truce/postgres"
)

// DSN returns a DSN for a fresh schema of the database named by
// TRUCE_TEST_POSTGRES, dropped when the test ends. The test is skipped when
// the variable is unset and fails when the database is unreachable.
func DSN(t testing.TB) string {
	t.Helper()
	base := os.Getenv("TRUCE_TEST_POSTGRES")
	if base == "" {
		t.Skip("TRUCE_TEST_POSTGRES is not set")
	}
	db, err := postgres.OpenDB(context.Background(), base)
	if err != nil {
		t.Fatalf("TRUCE_TEST_POSTGRES is set but unreachable: %v", err)
	}
	schema := "t_" + strings.ReplaceAll(uuid.NewString(), "-", "")
	if _, err := db.Exec("CREATE SCHEMA " + schema); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		db.Exec("DROP SCHEMA " + schema + " CASCADE")
		db.Close()
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}
