// Package sqlstore is the database/sql implementation of truce.Store and of
// each capability's store (accounts.Store, zones.Store, airspace.Store,
// humanitarian.Store, observation.Store, control.Store: typed views over one transaction and
// journal mechanism), shared by the sqlite and postgres packages. Each of those owns its driver, its
// dialect's migrations and the translation of its driver's errors; the
// queries here are written in the SQL both dialects accept, with "?"
// placeholders rewritten to "$n" for PostgreSQL.
package sqlstore

import (
	"context"
	"database/sql"
	"io/fs"
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
	// transaction, and of the migration lock row (" FOR UPDATE" on
	// PostgreSQL; SQLite's write lock is already held from BEGIN
	// IMMEDIATE).
	LockHead string
	// Translate turns a driver error into a *truce.Error where it has a
	// meaning for callers (unique or foreign-key violation, busy), and
	// returns nil when it has none. It is the only place driver errors are
	// inspected.
	Translate func(error) error
	// Migrations holds files named NNN_name.sql, applied in order.
	Migrations fs.FS
	// CopyRows, when set, writes rows (each of len(cols) values) into
	// table with the database's bulk load, on conn, the connection whose
	// transaction is open (PostgreSQL's COPY: one stream of binary rows,
	// where a multi-row INSERT has the driver build and send thousands of
	// parameters). The group committer uses it for a batch's larger
	// inserts; it must write all the rows or fail.
	CopyRows func(ctx context.Context, conn *sql.Conn, table string, cols []string, rows [][]any) error
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
