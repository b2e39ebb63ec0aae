package sqlite_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/truce-project/truce/ledger"
	"github.com/truce-project/truce/ledger/ledgertest"
	"github.com/truce-project/truce/sqlite"
	"github.com/truce-project/truce/storetest"
)

func open(t testing.TB) storetest.Store {
	s, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "truce.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestStore(t *testing.T) { storetest.Run(t, open) }

func TestMigrateTwice(t *testing.T) {
	path := filepath.Join(t.TempDir(), "truce.db")
	n, err := sqlite.Migrate(context.Background(), path)
	if err != nil || n == 0 {
		t.Fatalf("first migrate: %d, %v", n, err)
	}
	n, err = sqlite.Migrate(context.Background(), path)
	if err != nil || n != 0 {
		t.Fatalf("second migrate applied %d, %v; want 0", n, err)
	}
}

func TestLedgerStorage(t *testing.T) {
	s := open(t)
	ledgertest.TestStorageLeaves(t, s.(ledger.Storage), storetest.LedgerAppend(s))
}

func BenchmarkJournalAppend(b *testing.B) { storetest.BenchAppend(b, open(b)) }

func TestMigrateAircraftUnique(t *testing.T) {
	db, err := sqlite.OpenDB(filepath.Join(t.TempDir(), "truce.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	storetest.TestMigrateAircraftUnique(t, db, sqlite.Dialect)
}

// Several servers starting together on a fresh database file migrate it
// once.
func TestMigrateTogether(t *testing.T) {
	path := filepath.Join(t.TempDir(), "truce.db")
	storetest.TestMigrateTogether(t, 4, storetest.MigrationCount(t, sqlite.Dialect), func() (int, error) {
		return sqlite.Migrate(context.Background(), path)
	})
}

// Servers opening the store together all succeed.
func TestOpenTogether(t *testing.T) {
	path := filepath.Join(t.TempDir(), "truce.db")
	storetest.TestMigrateTogether(t, 4, 0, func() (int, error) {
		s, err := sqlite.Open(context.Background(), path)
		if err != nil {
			return 0, err
		}
		return 0, s.Close()
	})
}

func TestHumanitarianStore(t *testing.T) {
	storetest.RunHumanitarian(t, func(t testing.TB) storetest.HumanitarianStore {
		s, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "truce.db"))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	})
}
