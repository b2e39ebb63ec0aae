package postgres_test

import (
	"context"
	"testing"

	"github.com/truce-project/truce/ledger"
	"github.com/truce-project/truce/ledger/ledgertest"
	"github.com/truce-project/truce/postgres"
	"github.com/truce-project/truce/postgres/pgtest"
	"github.com/truce-project/truce/storetest"
)

func dsn(t testing.TB) string { return pgtest.DSN(t) }

func open(t testing.TB) storetest.Store {
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

func TestMigrateAircraftUnique(t *testing.T) {
	db, err := postgres.OpenDB(context.Background(), dsn(t))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	storetest.TestMigrateAircraftUnique(t, db, postgres.Dialect)
}

// Three servers starting together on a fresh database migrate it once.
func TestMigrateTogether(t *testing.T) {
	d := dsn(t)
	storetest.TestMigrateTogether(t, 3, storetest.MigrationCount(t, postgres.Dialect), func() (int, error) {
		return postgres.Migrate(context.Background(), d)
	})
}

// Servers opening the store together (as node.Open does) all succeed.
func TestOpenTogether(t *testing.T) {
	d := dsn(t)
	storetest.TestMigrateTogether(t, 3, 0, func() (int, error) {
		s, err := postgres.Open(context.Background(), d)
		if err != nil {
			return 0, err
		}
		return 0, s.Close()
	})
}

func TestHumanitarianStore(t *testing.T) {
	storetest.RunHumanitarian(t, func(t testing.TB) storetest.HumanitarianStore {
		s, err := postgres.Open(context.Background(), dsn(t))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	})
}
