package service

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/truce-project/truce"
	"github.com/truce-project/truce/postgres"
	"github.com/truce-project/truce/postgres/pgtest"
	"github.com/truce-project/truce/sqlite"
)

// StoreOpeners opens a fresh store of each kind (PostgreSQL as pgtest says).
var StoreOpeners = map[string]func(t *testing.T) truce.Store{
	"SQLite": func(t *testing.T) truce.Store {
		st, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "truce.db"))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		return st
	},
	"PostgreSQL": func(t *testing.T) truce.Store {
		st, err := postgres.Open(context.Background(), pgtest.DSN(t))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		return st
	},
}
