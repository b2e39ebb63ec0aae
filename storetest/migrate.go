package storetest

import (
	"database/sql"
	"fmt"
	"io/fs"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/truce-project/truce/internal/sqlstore"
)

// MigrateUpTo applies the dialect's migrations named before stop (e.g.
// "011") to db, for tests of a later migration on data made before it.
func MigrateUpTo(t testing.TB, db *sql.DB, d sqlstore.Dialect, stop string) {
	t.Helper()
	names, err := fs.Glob(d.Migrations, "*.sql")
	if err != nil {
		t.Fatal(err)
	}
	sub := fstest.MapFS{}
	for _, n := range names {
		if n < stop {
			b, err := fs.ReadFile(d.Migrations, n)
			if err != nil {
				t.Fatal(err)
			}
			sub[n] = &fstest.MapFile{Data: b}
		}
	}
	early := d
	early.Migrations = sub
	if _, err := sqlstore.Migrate(ctx, db, early); err != nil {
		t.Fatal(err)
	}
}

// TestMigrateAircraftUnique runs migration 011 over a registry that the
// race left with duplicates: the migration succeeds, the earliest active
// entry of each address keeps it, no document changes, and a new entry of
// that address is then refused.
func TestMigrateAircraftUnique(t *testing.T, db *sql.DB, d sqlstore.Dialect) {
	MigrateUpTo(t, db, d, "011")
	q := func(query string) string {
		if !d.Dollar {
			return query
		}
		for i := 1; strings.Contains(query, "?"); i++ {
			query = strings.Replace(query, "?", fmt.Sprintf("$%d", i), 1)
		}
		return query
	}
	if _, err := db.Exec(q(`INSERT INTO parties (id, slug, name, kind, public_key, custodial, created_at, version, journal_index) VALUES (?, ?, ?, ?, ?, ?, CURRENT_TIMESTAMP, 1, 0)`),
		"p1", "us", "US", "guarantor", "k+1+AA", false); err != nil {
		t.Fatal(err)
	}
	rows := []struct {
		id, doc string
		removed bool
	}{
		{"a1", `{"id":"a1","icao":"AE1234"}`, false},
		{"a2", `{"id":"a2","icao":"AE1234"}`, false}, // the race's duplicate
		{"a0", `{"id":"a0","icao":"AE1234","removed":true}`, true},
		{"a3", `{"id":"a3","callsign_prefix":"RFF"}`, false},
		{"a4", `{"id":"a4","callsign_prefix":"RFF"}`, false},
	}
	for _, r := range rows {
		if _, err := db.Exec(q(`INSERT INTO aircraft (id, party_id, removed, doc, version) VALUES (?, ?, ?, ?, 1)`), r.id, "p1", r.removed, r.doc); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := sqlstore.Migrate(ctx, db, d); err != nil {
		t.Fatalf("migration over duplicates: %v", err)
	}
	got := map[string]string{}
	rs, err := db.Query(`SELECT id, COALESCE(active_icao, ''), COALESCE(active_prefix, ''), doc FROM aircraft`)
	if err != nil {
		t.Fatal(err)
	}
	defer rs.Close()
	for rs.Next() {
		var id, icao, prefix, doc string
		if err := rs.Scan(&id, &icao, &prefix, &doc); err != nil {
			t.Fatal(err)
		}
		got[id] = icao + prefix
		for _, r := range rows {
			if r.id == id && r.doc != doc {
				t.Errorf("migration changed %s's document", id)
			}
		}
	}
	want := map[string]string{"a0": "", "a1": "AE1234", "a2": "", "a3": "RFF", "a4": ""}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("active keys %v, want %v", got, want)
	}
	if _, err := db.Exec(q(`INSERT INTO aircraft (id, party_id, removed, doc, version, active_icao) VALUES (?, ?, ?, ?, 1, ?)`), "a5", "p1", false, `{}`, "AE1234"); err == nil {
		t.Fatal("a second active AE1234 was stored after the migration")
	}
}

// TestMigrateTogether starts servers at once on one fresh database, as a
// deployment's servers start after an upgrade: each calls migrate (which
// opens its own connections), all must succeed, and between them they
// apply each of the dialect's want migrations exactly once.
func TestMigrateTogether(t *testing.T, servers int, want int, migrate func() (int, error)) {
	t.Helper()
	start := make(chan struct{})
	type result struct {
		n   int
		err error
	}
	results := make(chan result, servers)
	for range servers {
		go func() {
			<-start
			n, err := migrate()
			results <- result{n, err}
		}()
	}
	close(start)
	total := 0
	for range servers {
		r := <-results
		if r.err != nil {
			t.Errorf("a server's migration failed: %v", r.err)
		}
		total += r.n
	}
	if total != want {
		t.Errorf("the servers applied %d migrations between them; want %d, each once", total, want)
	}
	if n, err := migrate(); err != nil || n != 0 {
		t.Errorf("a later migration applied %d, %v; want 0, nil", n, err)
	}
}

// MigrationCount returns how many migrations the dialect has.
func MigrationCount(t testing.TB, d sqlstore.Dialect) int {
	t.Helper()
	names, err := fs.Glob(d.Migrations, "*.sql")
	if err != nil {
		t.Fatal(err)
	}
	return len(names)
}
