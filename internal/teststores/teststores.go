// Package teststores is the tests' shared fixture for code that runs on
// both databases: it opens a fresh store of each kind as the node wires
// it (the shared store and every capability's view), and builds the
// accounts service and a bootstrapped administrator over it, which every
// capability's tests start from.
package teststores

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/truce-project/truce"
	"github.com/truce-project/truce/accounts"
	"github.com/truce-project/truce/airspace"
	"github.com/truce-project/truce/control"
	"github.com/truce-project/truce/humanitarian"
	"github.com/truce-project/truce/journal"
	"github.com/truce-project/truce/observation"
	"github.com/truce-project/truce/operations"
	"github.com/truce-project/truce/postgres"
	"github.com/truce-project/truce/postgres/pgtest"
	"github.com/truce-project/truce/sqlite"
	"github.com/truce-project/truce/zones"
)

// TestStore is a store as the node wires it: the shared store and the
// capabilities' views.
type TestStore interface {
	truce.Store
	Accounts() accounts.Store
	ZoneStore() zones.Store
	Airspace() airspace.Store
	Humanitarian() humanitarian.Store
	Observation() observation.Store
	Control() control.Store
	Operations() operations.Store
}

// StoreOpeners opens a fresh store of each kind (PostgreSQL as pgtest says).
var StoreOpeners = map[string]func(t testing.TB) TestStore{
	"SQLite": func(t testing.TB) TestStore {
		st, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "truce.db"))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		return st
	},
	"PostgreSQL": func(t testing.TB) TestStore {
		st, err := postgres.Open(context.Background(), pgtest.DSN(t))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		return st
	},
}

// Accounts returns the accounts service over st, writing through j (a
// new journal over st when j is nil), with its keys under a temporary
// directory.
func Accounts(tb testing.TB, st TestStore, j *journal.Journal) *accounts.Service {
	tb.Helper()
	keys, err := accounts.NewKeys(tb.TempDir(), []byte("test key secret, 32 bytes long.."))
	if err != nil {
		tb.Fatal(err)
	}
	if j == nil {
		j = journal.New(st)
	}
	return accounts.New(st.Accounts(), j, keys)
}

// Admin bootstraps the deployment over acc: a coordinator party (slug,
// name) and its administrator, "admin". It returns the administrator's
// context.
func Admin(tb testing.TB, acc *accounts.Service, slug, name string) context.Context {
	tb.Helper()
	p, u, _, err := acc.Bootstrap(context.Background(), truce.PartyCreate{Slug: slug, Name: name, Kind: truce.PartyCoordinator},
		truce.UserCreate{Username: "admin", Roles: []truce.Role{truce.RoleAdmin}})
	if err != nil {
		tb.Fatal(err)
	}
	return truce.NewContext(context.Background(), &truce.Caller{User: u, Party: p})
}
