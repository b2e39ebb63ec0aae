package sqlstore

import (
	"context"
	"database/sql"
)

// A record read from its row is checked against its journal entries
// (journal/vouch.go), read by a second query. Read apart, the two can see
// different commits: a write committing between them leaves a row older
// than its newest entry, which the check takes for a row changed outside
// Truce (a false EINTEGRITY). Snapshot gives such a read one view of the
// database: every read of the store made with the context it passes
// (reader) runs in one read-only transaction, REPEATABLE READ on
// PostgreSQL (a snapshot taken at its first query) and a deferred
// transaction in WAL mode on SQLite (the same). Writes are not made in it:
// a write inside fn would wait for a connection its own snapshot may hold.

type snapshotKey struct{}

type snapshot struct {
	s  *Store
	tx *sql.Tx
}

// Snapshot runs fn with a context in which the store's reads see one
// snapshot of the database. A Snapshot inside another joins it.
func (s *Store) Snapshot(ctx context.Context, fn func(ctx context.Context) error) error {
	if s.snapshotTx(ctx) != nil {
		return fn(ctx)
	}
	tx, err := s.db.BeginTx(ctx, &sql.TxOptions{Isolation: sql.LevelRepeatableRead, ReadOnly: true})
	if err != nil {
		return s.wrap(err)
	}
	// Read-only: nothing to commit, and a rollback ends it on both
	// databases whatever fn returned.
	defer tx.Rollback()
	return fn(context.WithValue(ctx, snapshotKey{}, &snapshot{s: s, tx: tx}))
}

// snapshotTx returns the transaction of the snapshot ctx carries for this
// store, or nil.
func (s *Store) snapshotTx(ctx context.Context) *sql.Tx {
	if sn, ok := ctx.Value(snapshotKey{}).(*snapshot); ok && sn.s == s {
		return sn.tx
	}
	return nil
}

// reader is what a read of the store queries: the snapshot ctx carries,
// or the database.
func (s *Store) reader(ctx context.Context) queryer {
	if tx := s.snapshotTx(ctx); tx != nil {
		return tx
	}
	return s.db
}
