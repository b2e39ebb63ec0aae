// Package sqlstore is the database/sql implementation of truce.Store shared
// by the sqlite and postgres packages. Each of those owns its driver, its
// dialect's migrations and the translation of its driver's errors; the
// queries here are written in the SQL both dialects accept, with "?"
// placeholders rewritten to "$n" for PostgreSQL.
package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"io/fs"
	"sort"
	"strconv"
	"strings"
	"sync"
)

// Dialect is what differs between the databases.
type Dialect struct {
	// Name is "sqlite" or "postgres".
	Name string
	// Dollar is true when placeholders are $1, $2, ... instead of ?.
	Dollar bool
	// LockHead is appended to the SELECT of the log head inside a write
	// transaction (" FOR UPDATE" on PostgreSQL; SQLite's write lock is
	// already held from BEGIN IMMEDIATE).
	LockHead string
	// Translate turns a driver error into a *truce.Error where it has a
	// meaning for callers (unique or foreign-key violation, busy), and
	// returns nil when it has none. It is the only place driver errors are
	// inspected.
	Translate func(error) error
	// Migrations holds files named NNN_name.sql, applied in order.
	Migrations fs.FS
}

type rebinder struct {
	dollar bool
	mu     sync.Mutex
	cache  map[string]string
}

func (r *rebinder) q(query string) string {
	if !r.dollar {
		return query
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if s, ok := r.cache[query]; ok {
		return s
	}
	var b strings.Builder
	n := 0
	for _, c := range query {
		if c == '?' {
			n++
			b.WriteString("$" + strconv.Itoa(n))
			continue
		}
		b.WriteRune(c)
	}
	if r.cache == nil {
		r.cache = map[string]string{}
	}
	r.cache[query] = b.String()
	return b.String()
}

// Migrate applies the dialect's migrations that are not yet recorded in
// schema_migrations, each in its own transaction, and returns how many it
// applied.
func Migrate(ctx context.Context, db *sql.DB, d Dialect) (int, error) {
	if _, err := db.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (version TEXT PRIMARY KEY)`); err != nil {
		return 0, fmt.Errorf("migrations table: %w", err)
	}
	names, err := fs.Glob(d.Migrations, "*.sql")
	if err != nil {
		return 0, err
	}
	sort.Strings(names)
	rb := &rebinder{dollar: d.Dollar}
	applied := 0
	for _, name := range names {
		var n int
		if err := db.QueryRowContext(ctx, rb.q(`SELECT COUNT(*) FROM schema_migrations WHERE version = ?`), name).Scan(&n); err != nil {
			return applied, err
		}
		if n > 0 {
			continue
		}
		body, err := fs.ReadFile(d.Migrations, name)
		if err != nil {
			return applied, err
		}
		tx, err := db.BeginTx(ctx, nil)
		if err != nil {
			return applied, err
		}
		if _, err := tx.ExecContext(ctx, string(body)); err != nil {
			tx.Rollback()
			return applied, fmt.Errorf("migration %s: %w", name, err)
		}
		if _, err := tx.ExecContext(ctx, rb.q(`INSERT INTO schema_migrations (version) VALUES (?)`), name); err != nil {
			tx.Rollback()
			return applied, fmt.Errorf("migration %s: %w", name, err)
		}
		if err := tx.Commit(); err != nil {
			return applied, fmt.Errorf("migration %s: %w", name, err)
		}
		applied++
	}
	return applied, nil
}
