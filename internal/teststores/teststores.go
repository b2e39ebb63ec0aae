// Package teststores opens a fresh store of each kind for the tests that
// run on both databases, as the node wires it: the shared store and the
// capabilities' views.
package teststores

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/truce-project/truce"
	"github.com/truce-project/truce/accounts"
	"github.com/truce-project/truce/airspace"
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
}

// StoreOpeners opens a fresh store of each kind (PostgreSQL as pgtest says).
var StoreOpeners = map[string]func(t *testing.T) TestStore{
	"SQLite": func(t *testing.T) TestStore {
		st, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "truce.db"))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		return st
	},
	"PostgreSQL": func(t *testing.T) TestStore {
		st, err := postgres.Open(context.Background(), pgtest.DSN(t))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		return st
	},
}
