package sqlite_test

import (
	"database/sql"
	"path/filepath"
	"testing"
	"time"

	"github.com/truce-project/truce/sqlite"
)

// TestOpenDB_WaitsForAnotherServer: a server opening a database file while
// another server writes to it (as when servers start together on a new
// file, before it is in WAL mode) waits for the lock instead of failing
// with SQLITE_BUSY: SQLite does not call the busy handler when the
// journal_mode pragma meets a lock. It failed at once (in 20 ms) before
// OpenDB retried.
func TestOpenDB_WaitsForAnotherServer(t *testing.T) {
	for _, mode := range []string{"delete", "wal"} {
		t.Run(mode, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "truce.db")
			other, err := sql.Open("sqlite", "file:"+path+"?_pragma=journal_mode("+mode+")")
			if err != nil {
				t.Fatal(err)
			}
			defer other.Close()
			other.SetMaxOpenConns(1)
			if _, err := other.Exec(`CREATE TABLE t (x INTEGER)`); err != nil {
				t.Fatal(err)
			}
			tx, err := other.Begin()
			if err != nil {
				t.Fatal(err)
			}
			if _, err := tx.Exec(`INSERT INTO t VALUES (1)`); err != nil {
				t.Fatal(err)
			}
			time.AfterFunc(500*time.Millisecond, func() { tx.Commit() })
			db, err := sqlite.OpenDB(path)
			if err != nil {
				t.Fatalf("open while another server holds the lock: %v", err)
			}
			db.Close()
		})
	}
}
