// Package postgres is Truce's store for deployments beyond one machine:
// PostgreSQL through github.com/jackc/pgx/v5 (its database/sql adapter, so
// the SQL is shared with the sqlite package). Several servers may share one
// database: journal appends serialise on the log_head row lock, which
// CockroachDB also honours (no advisory locks or LISTEN/NOTIFY on the write
// path).
package postgres

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/stdlib" // also registers the "pgx" database/sql driver
	"github.com/truce-project/truce"
	"github.com/truce-project/truce/internal/sqlstore"
)

//go:embed migrations/*.sql
var migrations embed.FS

// Dialect is PostgreSQL's dialect for the shared store.
var Dialect = sqlstore.Dialect{
	Name:       "postgres",
	Dollar:     true,
	LockHead:   " FOR UPDATE",
	Translate:  translate,
	Migrations: mustSub(migrations, "migrations"),
	CopyRows:   copyRows,
}

// copyRows bulk-loads rows with COPY on the driver's connection under
// conn, inside the transaction open on it.
func copyRows(ctx context.Context, conn *sql.Conn, table string, cols []string, rows [][]any) error {
	return conn.Raw(func(dc any) error {
		c, ok := dc.(*stdlib.Conn)
		if !ok {
			return fmt.Errorf("postgres: connection %T is not pgx's", dc)
		}
		n, err := c.Conn().CopyFrom(ctx, pgx.Identifier{table}, cols, pgx.CopyFromRows(rows))
		if err == nil && n != int64(len(rows)) {
			err = fmt.Errorf("postgres: COPY into %s wrote %d of %d rows", table, n, len(rows))
		}
		return err
	})
}

func mustSub(f fs.FS, dir string) fs.FS {
	s, err := fs.Sub(f, dir)
	if err != nil {
		panic(err)
	}
	return s
}

// Store is the PostgreSQL store.
type Store struct {
	*sqlstore.Store
}

// Open connects to the database named by a postgres:// DSN and applies
// pending migrations.
func Open(ctx context.Context, dsn string) (*Store, error) {
	db, err := OpenDB(ctx, dsn)
	if err != nil {
		return nil, err
	}
	if _, err := sqlstore.Migrate(ctx, db, Dialect); err != nil {
		db.Close()
		return nil, fmt.Errorf("migrate: %w", err)
	}
	return &Store{sqlstore.New(db, Dialect, sqlstore.Options{})}, nil
}

// OpenDB connects without migrating.
func OpenDB(ctx context.Context, dsn string) (*sql.DB, error) {
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		return nil, err
	}
	db.SetMaxOpenConns(16)
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("connect to PostgreSQL: %w", err)
	}
	return db, nil
}

// Migrate applies pending migrations and returns how many it applied.
func Migrate(ctx context.Context, dsn string) (int, error) {
	db, err := OpenDB(ctx, dsn)
	if err != nil {
		return 0, err
	}
	defer db.Close()
	return sqlstore.Migrate(ctx, db, Dialect)
}

func translate(err error) error {
	var pe *pgconn.PgError
	var ce *pgconn.ConnectError
	switch {
	case errors.As(err, &ce), errors.Is(err, pgconn.ErrConnClosed), pgconn.Timeout(err), pgconn.SafeToRetry(err):
		return truce.Errorf(truce.EUNAVAILABLE, "The database is unavailable; retry shortly.")
	case !errors.As(err, &pe):
		if strings.Contains(err.Error(), "conn closed") || strings.Contains(err.Error(), "conn busy") {
			// pgconn's lock errors are not exported.
			return truce.Errorf(truce.EUNAVAILABLE, "The database is unavailable; retry shortly.")
		}
		return nil
	}
	switch pe.Code[:2] {
	case "08", // connection exception
		"53", // insufficient resources: disk full, out of memory, too many connections
		"57", // operator intervention: terminated, shutting down, cannot connect now
		"58": // system error: I/O
		if pe.Code != "57014" { // query_canceled by a statement timeout is the request's
			return truce.Errorf(truce.EUNAVAILABLE, "The database is unavailable; retry shortly.")
		}
	}
	switch pe.Code {
	case "23505":
		return truce.Errorf(truce.ECONFLICT, "A record with that identifier already exists.")
	case "23503":
		return truce.Errorf(truce.EINVALID, "The record refers to something that does not exist.")
	case "22021", "22P05":
		// The services refuse control characters (truce.CheckText);
		// this keeps any text that slips past them a 400, not a 500.
		return truce.Errorf(truce.EINVALID, "The text holds a character the database cannot store.")
	case "40001", "40P01", "55P03":
		return truce.Errorf(truce.EUNAVAILABLE, "The database is busy; retry.")
	}
	return nil
}
