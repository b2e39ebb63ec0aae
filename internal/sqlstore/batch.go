// batch.go holds a batch: the state of one group-commit transaction, its
// deferred multi-row inserts, and the final flush that writes its journal
// entries and events and moves the log head.

package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"github.com/truce-project/truce"
	"github.com/truce-project/truce/events"
	"golang.org/x/mod/sumdb/tlog"
)

// batch collects the journal entries of one transaction; they are written
// together, with their Merkle hashes, just before commit.
type batch struct {
	g       *groupCommitter
	tx      *sql.Tx
	conn    *sql.Conn // tx's connection, when the dialect bulk-loads (CopyRows)
	start   int64
	entries []*truce.SealedChange
	leaves  [][]byte // entries[i]'s leaf without a previous version
	hashes  map[int64]tlog.Hash
	latest  map[string]int64

	// Inserts of new rows are deferred and written as one multi-row
	// INSERT per run of inserts into the same table: a round trip per
	// batch instead of per call. Any read or update in the transaction
	// flushes them first, so a call always sees what was written before.
	pendPrefix string
	pendCols   int
	pendArgs   []any
	pendFailed bool
	// pendGen counts the flushes of pending inserts, so that a slot of
	// pendArgs remembered before one is known to be gone (tx.sealed).
	pendGen int
	// Inserts into a tail table (tailTables) wait in a run of their own,
	// written after the other pending inserts whenever those are: a
	// filing inserts its incident, then its observation, so with one run
	// each switch of table flushed it, and a batch of filings wrote a
	// statement per row. tailLast says the last insert went there.
	tailPrefix string
	tailCols   int
	tailArgs   []any
	tailGen    int
	tailLast   bool

	// Events logged in the transaction (Tx.Publish, AppendEvents), given
	// ids after eventSeq, the counter read with the locked log head.
	// Their webhook deliveries are queued after the commit
	// (Store.QueueDeliveries).
	events   []*events.Record
	eventSeq int64
}

// tailTables are the tables whose new rows no other row refers to (by a
// foreign key or otherwise in the same transaction): their deferred
// inserts may be written after any other, and wait in a run of their own.
var tailTables = []string{"observations"}

// isTail says whether an insert's prefix is into a tail table.
func isTail(prefix string) bool {
	for _, t := range tailTables {
		if strings.HasPrefix(prefix, "INSERT INTO "+t+" (") {
			return true
		}
	}
	return false
}

// deferInsert queues an insert written as "INSERT INTO t (cols) VALUES
// (?, ...)"; insertRows writes the row placeholders again from the count.
func (b *batch) deferInsert(ctx context.Context, q string, args []any) error {
	prefix := q[:strings.Index(q, "VALUES ")+len("VALUES ")]
	if b.tailLast = isTail(prefix); b.tailLast {
		if b.tailPrefix != "" && b.tailPrefix != prefix {
			if err := b.flushPending(ctx); err != nil {
				return err
			}
		}
		b.tailPrefix, b.tailCols = prefix, len(args)
		b.tailArgs = append(b.tailArgs, args...)
		return nil
	}
	if b.pendPrefix != "" && b.pendPrefix != prefix {
		if err := b.flushRun(ctx); err != nil {
			return err
		}
	}
	b.pendPrefix, b.pendCols = prefix, len(args)
	b.pendArgs = append(b.pendArgs, args...)
	return nil
}

// lastInsert returns the run the last deferred insert went into: its
// arguments and its generation (see tx.sealed).
func (b *batch) lastInsert() (args []any, gen int, tail bool) {
	if b.tailLast {
		return b.tailArgs, b.tailGen, true
	}
	return b.pendArgs, b.pendGen, false
}

// flushPending writes the deferred inserts: the run of other tables, then
// that of a tail table.
func (b *batch) flushPending(ctx context.Context) error {
	if err := b.flushRun(ctx); err != nil {
		return err
	}
	if b.tailPrefix == "" {
		return nil
	}
	prefix, n, args := b.tailPrefix, b.tailCols, b.tailArgs
	b.tailPrefix, b.tailArgs = "", nil
	b.tailGen++
	if err := b.insertRows(ctx, prefix, n, args); err != nil {
		b.pendFailed = true
		return b.g.s.wrap(err)
	}
	return nil
}

// flushRun writes the deferred inserts into tables other than the tail
// tables.
func (b *batch) flushRun(ctx context.Context) error {
	if b.pendPrefix == "" {
		return nil
	}
	prefix, n, args := b.pendPrefix, b.pendCols, b.pendArgs
	b.pendPrefix, b.pendArgs = "", nil
	b.pendGen++
	if err := b.insertRows(ctx, prefix, n, args); err != nil {
		b.pendFailed = true
		return b.g.s.wrap(err)
	}
	return nil
}

// flush writes the batch's journal entries with their hashes, then its
// events, and moves the log head past both.
func (b *batch) flush(ctx context.Context) error {
	if len(b.entries) == 0 && len(b.events) == 0 {
		return nil
	}
	if len(b.entries) > 0 {
		if err := b.flushJournal(ctx); err != nil {
			return err
		}
	}
	if len(b.events) > 0 {
		if err := b.flushEvents(ctx); err != nil {
			return err
		}
	}
	_, err := b.tx.ExecContext(ctx, b.g.s.rb.q(`UPDATE log_head SET size = ?, event_seq = ? WHERE id = 1`),
		b.start+int64(len(b.entries)), b.eventSeq+int64(len(b.events)))
	return err
}

// insertRows inserts rows of n columns with multi-row VALUES lists, in
// chunks of 1, 4, 16, 64, 256 or 1024 rows that stay under SQLite's and
// PostgreSQL's parameter limits; or, from minCopyRows rows, with the
// dialect's bulk load when it has one (COPY on PostgreSQL).
func (b *batch) insertRows(ctx context.Context, prefix string, n int, args []any) error {
	if b.conn != nil && len(args) >= minCopyRows*n {
		return b.copyRows(ctx, prefix, n, args)
	}
	per := 30000 / n
	for len(args) > 0 {
		// Rows go in chunks of a few sizes (powers of 4), each statement
		// prepared once (the store caches statements by their text): a
		// statement per count of rows would be prepared again and again,
		// the counts of batches being many, and kept without bound.
		k := 1
		for k*4 <= min(per, len(args)/n) && k < 1024 {
			k *= 4
		}
		stmt, err := b.g.s.preparedRows(ctx, prefix, n, k)
		if err != nil {
			return err
		}
		if _, err := b.tx.StmtContext(ctx, stmt).ExecContext(ctx, args[:k*n]...); err != nil {
			return err
		}
		args = args[k*n:]
	}
	return nil
}

// minCopyRows is the fewest rows bulk-loaded (Dialect.CopyRows) rather
// than inserted: a COPY costs a round trip more than an INSERT of a few
// rows, and saves the driver's parameter work on many.
const minCopyRows = 16

// copyRows writes the rows of an insertRows prefix "INSERT INTO t (a, b)
// VALUES " with the dialect's bulk load.
func (b *batch) copyRows(ctx context.Context, prefix string, n int, args []any) error {
	table, cols, err := insertTarget(prefix)
	if err != nil {
		return err
	}
	if len(cols) != n {
		return fmt.Errorf("sqlstore: %d columns named for rows of %d values: %s", len(cols), n, prefix)
	}
	rows := make([][]any, 0, len(args)/n)
	for i := 0; i+n <= len(args); i += n {
		rows = append(rows, args[i:i+n:i+n])
	}
	return b.g.s.d.CopyRows(ctx, b.conn, table, cols, rows)
}

// insertTarget reads the table and columns of "INSERT INTO t (a, b)
// VALUES ".
func insertTarget(prefix string) (string, []string, error) {
	rest, ok := strings.CutPrefix(prefix, "INSERT INTO ")
	lp, rp := strings.IndexByte(rest, '('), strings.IndexByte(rest, ')')
	if !ok || lp < 0 || rp < lp {
		return "", nil, fmt.Errorf("sqlstore: not an insert of named columns: %s", prefix)
	}
	cols := strings.Split(rest[lp+1:rp], ",")
	for i, c := range cols {
		cols[i] = strings.TrimSpace(c)
	}
	return strings.TrimSpace(rest[:lp]), cols, nil
}

type rowsKey struct {
	prefix string
	n, k   int
}

// preparedRows returns the statement "prefix (?, ...), ..." of k rows of n
// columns, prepared once.
func (s *Store) preparedRows(ctx context.Context, prefix string, n, k int) (*sql.Stmt, error) {
	key := rowsKey{prefix, n, k}
	s.stmtMu.Lock()
	st, ok := s.rowStmts[key]
	s.stmtMu.Unlock()
	if ok {
		return st, nil
	}
	row := "(" + strings.TrimSuffix(strings.Repeat("?, ", n), ", ") + ")"
	st, err := s.prepared(ctx, prefix+strings.TrimSuffix(strings.Repeat(row+", ", k), ", "))
	if err != nil {
		return nil, err
	}
	s.stmtMu.Lock()
	if s.rowStmts == nil {
		s.rowStmts = map[rowsKey]*sql.Stmt{}
	}
	s.rowStmts[key] = st
	s.stmtMu.Unlock()
	return st, nil
}

// committed moves what the batch wrote into the committer's caches. Of the
// Merkle hashes it keeps the tree's frontier, the roots of the perfect
// subtrees that cover it: the only stored hashes that appending after it
// reads (tlog.StoredHashes). Copying every hash of every batch into one
// map that is emptied when full cost an alert batch a map rebuild and most
// of its hashes were never read again.
func (b *batch) committed() {
	g := b.g
	g.size = b.start + int64(len(b.entries))
	keep := make(map[int64]tlog.Hash, 64)
	for level, n := 0, g.size; n > 0; level, n = level+1, n>>1 {
		if n&1 == 0 {
			continue
		}
		x := tlog.StoredHashIndex(level, n-1)
		if h, ok := b.hashes[x]; ok {
			keep[x] = h
		} else if h, ok := g.hashes[x]; ok {
			keep[x] = h
		}
	}
	g.hashes = keep
	if len(g.latest)+len(b.latest) > maxCachedSubjects {
		g.latest = map[string]int64{}
	}
	for k, v := range b.latest {
		g.latest[k] = v
	}
}
