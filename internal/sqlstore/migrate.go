package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"io/fs"
	"sort"
)

// Migrate applies the dialect's migrations that are not yet recorded in
// schema_migrations, each in its own transaction, and returns how many it
// applied.
//
// Servers sharing a database may start together, so each migration is
// applied under a lock: its transaction first locks the one row of
// schema_lock (SELECT ... FOR UPDATE on PostgreSQL and CockroachDB; on
// SQLite the transaction is BEGIN IMMEDIATE, which holds the database's
// write lock), then checks again that no other server has applied it. A
// row lock rather than an advisory lock or LOCK TABLE, because CockroachDB
// has neither (see the postgres package).
func Migrate(ctx context.Context, db *sql.DB, d Dialect) (int, error) {
	if err := migrationTables(ctx, db); err != nil {
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
		// Unlocked first: a server starting on a migrated database
		// takes no lock.
		done, err := isApplied(ctx, db, rb, name)
		if err != nil {
			return applied, err
		}
		if done {
			continue
		}
		ok, err := migrateOne(ctx, db, d, rb, name)
		if err != nil {
			return applied, fmt.Errorf("migration %s: %w", name, err)
		}
		if ok {
			applied++
		}
	}
	return applied, nil
}

// migrationTables creates schema_migrations and the lock row. PostgreSQL's
// CREATE TABLE IF NOT EXISTS is not safe against a concurrent creation (it
// looks in the catalogue before inserting into it): the server that loses
// the race fails with a unique violation once the winner commits, and
// trying again then finds the tables. Each failure means another server
// created them, so a few tries suffice.
func migrationTables(ctx context.Context, db *sql.DB) error {
	var err error
	for range 5 {
		if err = createMigrationTables(ctx, db); err == nil || ctx.Err() != nil {
			return err
		}
	}
	return err
}

func createMigrationTables(ctx context.Context, db *sql.DB) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	for _, q := range []string{
		`CREATE TABLE IF NOT EXISTS schema_migrations (version TEXT PRIMARY KEY)`,
		`CREATE TABLE IF NOT EXISTS schema_lock (id INTEGER PRIMARY KEY)`,
		`INSERT INTO schema_lock (id) VALUES (1) ON CONFLICT DO NOTHING`,
	} {
		if _, err := tx.ExecContext(ctx, q); err != nil {
			return err
		}
	}
	return tx.Commit()
}

func isApplied(ctx context.Context, q queryer, rb *rebinder, name string) (bool, error) {
	var n int
	err := q.QueryRowContext(ctx, rb.q(`SELECT COUNT(*) FROM schema_migrations WHERE version = ?`), name).Scan(&n)
	return n > 0, err
}

// migrateOne applies one migration under the lock unless another server
// applied it first, and reports whether it applied it.
func migrateOne(ctx context.Context, db *sql.DB, d Dialect, rb *rebinder, name string) (bool, error) {
	body, err := fs.ReadFile(d.Migrations, name)
	if err != nil {
		return false, err
	}
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return false, err
	}
	defer tx.Rollback()
	var id int
	if err := tx.QueryRowContext(ctx, `SELECT id FROM schema_lock WHERE id = 1`+d.LockHead).Scan(&id); err != nil {
		return false, fmt.Errorf("lock: %w", err)
	}
	// Read after the lock: on PostgreSQL each statement of a READ
	// COMMITTED transaction sees what was committed before it began, so
	// this sees the migration of the server that held the lock before.
	done, err := isApplied(ctx, tx, rb, name)
	if err != nil || done {
		return false, err
	}
	if _, err := tx.ExecContext(ctx, string(body)); err != nil {
		return false, err
	}
	if _, err := tx.ExecContext(ctx, rb.q(`INSERT INTO schema_migrations (version) VALUES (?)`), name); err != nil {
		return false, err
	}
	return true, tx.Commit()
}
