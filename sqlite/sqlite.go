// Package sqlite is Truce's embedded store: SQLite through the pure-Go
// modernc.org/sqlite driver (no cgo, so `go run` works anywhere), in WAL mode
// with foreign keys on and synchronous=FULL, so a commit that returned is on
// disk.
package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"time"

	"github.com/truce-project/truce"
	"github.com/truce-project/truce/internal/sqlstore"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

//go:embed migrations/*.sql
var migrations embed.FS

// Dialect is SQLite's dialect for the shared store.
var Dialect = sqlstore.Dialect{
	Name:       "sqlite",
	Translate:  translate,
	Migrations: mustSub(migrations, "migrations"),
}

func mustSub(f fs.FS, dir string) fs.FS {
	s, err := fs.Sub(f, dir)
	if err != nil {
		panic(err)
	}
	return s
}

// Store is the SQLite store.
type Store struct {
	*sqlstore.Store
}

// DSN returns the modernc.org/sqlite data source name for a database file.
// _txlock=immediate takes the write lock at BEGIN, so concurrent writers
// queue on busy_timeout instead of failing on lock upgrade. The pragmas run
// in order on each new connection: busy_timeout first, so that switching
// a new file to WAL waits for another server doing the same instead of
// failing at once.
func DSN(path string) string {
	v := url.Values{}
	for _, p := range []string{"busy_timeout(10000)", "foreign_keys(1)", "journal_mode(WAL)", "synchronous(FULL)"} {
		v.Add("_pragma", p)
	}
	v.Set("_txlock", "immediate")
	return "file:" + path + "?" + v.Encode()
}

// Open opens (creating if needed) the database file at path and applies
// pending migrations.
func Open(ctx context.Context, path string) (*Store, error) {
	db, err := OpenDB(path)
	if err != nil {
		return nil, err
	}
	if _, err := sqlstore.Migrate(ctx, db, Dialect); err != nil {
		db.Close()
		return nil, fmt.Errorf("migrate %s: %w", path, err)
	}
	return &Store{sqlstore.New(db, Dialect, sqlstore.Options{})}, nil
}

// OpenDB opens the database file without migrating it.
func OpenDB(path string) (*sql.DB, error) {
	if dir := filepath.Dir(path); dir != "" {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return nil, err
		}
	}
	db, err := sql.Open("sqlite", DSN(path))
	if err != nil {
		return nil, err
	}
	db.SetMaxOpenConns(8)
	// As many kept idle as may be open: database/sql keeps two by default,
	// so under concurrent requests the others were closed after each use
	// and reopened by the next, and each new connection runs the DSN's
	// pragmas and reads the whole schema again before its first statement
	// (a fifth of the CPU of filing an operation).
	db.SetMaxIdleConns(8)
	if err := pingWaiting(db); err != nil {
		db.Close()
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	return db, nil
}

// openWait bounds how long opening waits for another server's lock: the
// busy_timeout of the DSN.
const openWait = 10 * time.Second

// pingWaiting opens the first connection, waiting up to openWait while
// another server holds the database locked. Each new connection runs the
// DSN's pragmas, and SQLite answers journal_mode(WAL) on a file in
// rollback mode with SQLITE_BUSY at once, without calling the busy
// handler, while another connection holds a lock on it: this happens when
// servers start together on a new file.
func pingWaiting(db *sql.DB) error {
	deadline := time.Now().Add(openWait)
	wait := 5 * time.Millisecond
	for {
		err := db.Ping()
		var se *sqlite.Error
		if err == nil || !errors.As(err, &se) || se.Code()&0xff != sqlite3.SQLITE_BUSY || time.Now().After(deadline) {
			return err
		}
		time.Sleep(wait)
		wait = min(2*wait, 200*time.Millisecond)
	}
}

// Migrate applies pending migrations to the database file at path and
// returns how many it applied.
func Migrate(ctx context.Context, path string) (int, error) {
	db, err := OpenDB(path)
	if err != nil {
		return 0, err
	}
	defer db.Close()
	return sqlstore.Migrate(ctx, db, Dialect)
}

func translate(err error) error {
	var se *sqlite.Error
	if !errors.As(err, &se) {
		return nil
	}
	switch se.Code() {
	case sqlite3.SQLITE_CONSTRAINT_UNIQUE, sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY:
		return truce.Errorf(truce.ECONFLICT, "A record with that identifier already exists.")
	case sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY:
		return truce.Errorf(truce.EINVALID, "The record refers to something that does not exist.")
	case sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED:
		return truce.Errorf(truce.EUNAVAILABLE, "The database is busy; retry.")
	}
	// Extended codes (SQLITE_IOERR_WRITE, ...) carry the primary code in
	// their low byte.
	switch se.Code() & 0xff {
	case sqlite3.SQLITE_FULL, sqlite3.SQLITE_IOERR, sqlite3.SQLITE_CANTOPEN, sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED:
		return truce.Errorf(truce.EUNAVAILABLE, "The database cannot be written now (disk full or I/O error); retry shortly.")
	}
	return nil
}
