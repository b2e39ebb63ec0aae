package events_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/truce-project/truce"
	"github.com/truce-project/truce/events"
	"github.com/truce-project/truce/sqlite"
)

// openStore opens (or reopens) a SQLite store at path.
func openStore(t testing.TB, path string) *sqlite.Store {
	t.Helper()
	s, err := sqlite.Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func newBus(t testing.TB, opt events.Options) (*events.Bus, *sqlite.Store) {
	s := openStore(t, filepath.Join(t.TempDir(), "truce.db"))
	b := events.NewBus(s, opt)
	t.Cleanup(func() { b.Close() })
	return b, s
}

var all = truce.Visibility{Scope: truce.ScopeAll}

func actor(party string, roles ...truce.Role) *truce.Caller {
	return &truce.Caller{User: &truce.User{ID: "u-" + party, PartyID: party, Roles: roles}, Party: &truce.Party{ID: party, Slug: party}}
}

var bgCtx = context.Background()

// openStoreOrDie opens a SQLite store outside a test (in a child process).
func openStoreOrDie(path string) *sqlite.Store {
	s, err := sqlite.Open(bgCtx, path)
	if err != nil {
		panic(err)
	}
	return s
}
