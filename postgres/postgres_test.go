package postgres_test

import (
	"context"
	"net/url"
	"os"
	"strings"
	"testing"

	"github.com/google/uuid"
	"github.com/truce-project/truce"
	"github.com/truce-project/truce/ledger"
	"github.com/truce-project/truce/ledger/ledgertest"
	"github.com/truce-project/truce/postgres"
	"github.com/truce-project/truce/storetest"
)

// DSN returns a DSN for a fresh schema of the database named by
// TRUCE_TEST_POSTGRES, dropped when the test ends. The test is skipped when
// the variable is unset and fails when the database is unreachable.
func dsn(t testing.TB) string {
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

func open(t testing.TB) truce.Store {
	s, err := postgres.Open(context.Background(), dsn(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestStore(t *testing.T) { storetest.Run(t, open) }

func TestMigrateTwice(t *testing.T) {
	d := dsn(t)
	for i, want := range []int{1, 0} {
		n, err := postgres.Migrate(context.Background(), d)
		if err != nil || (want == 0) != (n == 0) {
			t.Fatalf("migrate %d applied %d, %v", i, n, err)
		}
	}
}

func TestLedgerStorage(t *testing.T) {
	s := open(t)
	ledgertest.TestStorageLeaves(t, s.(ledger.Storage), storetest.LedgerAppend(s))
}

func BenchmarkJournalAppend(b *testing.B) { storetest.BenchAppend(b, open(b)) }
