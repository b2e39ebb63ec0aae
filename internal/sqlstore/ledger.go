package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/truce-project/truce/ledger"
	"golang.org/x/mod/sumdb/tlog"
)

// The Store is the ledger's storage: the Merkle tree's leaves are the
// journal's leaf column and its stored hashes are written by Tx.Append in
// the same transaction, so the signed log can never disagree with the
// journal. Checkpoints are written outside the journalled Tx: signing one
// records no state change.
var _ ledger.Storage = (*Store)(nil)

// maxHashesPerQuery keeps IN lists well under both databases' parameter
// limits (SQLite 32766, PostgreSQL 65535); a tile needs 256.
const maxHashesPerQuery = 512

// TreeSize returns the number of journal entries (ledger.Storage).
func (s *Store) TreeSize(ctx context.Context) (int64, error) {
	return s.JournalSize(ctx)
}

// ReadHashes reads stored Merkle hashes at tlog stored-hash indexes
// (ledger.Storage); a missing one is ledger.ErrNotFound. Upper-level hashes
// come from the cache when it has them.
func (s *Store) ReadHashes(ctx context.Context, indexes []int64) ([]tlog.Hash, error) {
	out := make([]tlog.Hash, len(indexes))
	var miss []int64
	var missAt []int
	s.hc.mu.RLock()
	for i, x := range indexes {
		if h, ok := s.hc.m[x]; ok {
			out[i] = h
			continue
		}
		miss, missAt = append(miss, x), append(missAt, i)
	}
	s.hc.mu.RUnlock()
	if len(miss) == 0 {
		return out, nil
	}
	var hs []tlog.Hash
	var err error
	if len(miss) <= proofQueryWidth {
		hs, err = s.readFewHashes(ctx, miss)
	} else {
		hs, err = readHashes(ctx, s.reader(ctx), s.rb, miss)
	}
	if err != nil {
		if !errors.Is(err, ledger.ErrNotFound) {
			err = s.wrap(err)
		}
		return nil, err
	}
	s.hc.mu.Lock()
	for j, h := range hs {
		out[missAt[j]] = h
		if level, _ := tlog.SplitStoredHashIndex(miss[j]); level >= hashCacheMinLevel && len(s.hc.m) < hashCacheMax {
			if s.hc.m == nil {
				s.hc.m = map[int64]tlog.Hash{}
			}
			s.hc.m[miss[j]] = h
		}
	}
	s.hc.mu.Unlock()
	return out, nil
}

// proofQueryWidth is the IN-list length of the one prepared statement that
// serves proofs: shorter lists are padded by repeating an index, so the
// statement is parsed once instead of on every proof.
const proofQueryWidth = 32

func (s *Store) readFewHashes(ctx context.Context, indexes []int64) ([]tlog.Hash, error) {
	s.hc.once.Do(func() {
		ph := strings.TrimSuffix(strings.Repeat("?,", proofQueryWidth), ",")
		s.hc.stmt, s.hc.stmtErr = s.db.PrepareContext(context.Background(), s.rb.q(`SELECT id, hash FROM log_hashes WHERE id IN (`+ph+`)`))
	})
	if s.hc.stmtErr != nil {
		return nil, s.hc.stmtErr
	}
	args := make([]any, proofQueryWidth)
	for i := range args {
		args[i] = indexes[min(i, len(indexes)-1)]
	}
	stmt := s.hc.stmt
	if tx := s.snapshotTx(ctx); tx != nil {
		// In a snapshot, its connection: one read holds one connection.
		stmt = tx.StmtContext(ctx, stmt)
		defer stmt.Close()
	}
	rows, err := stmt.QueryContext(ctx, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	got := make(map[int64]tlog.Hash, len(indexes))
	for rows.Next() {
		var id int64
		var h []byte
		if err := rows.Scan(&id, &h); err != nil {
			return nil, err
		}
		if len(h) == tlog.HashSize {
			got[id] = tlog.Hash(h)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	out := make([]tlog.Hash, len(indexes))
	for i, x := range indexes {
		h, ok := got[x]
		if !ok {
			return nil, fmt.Errorf("%w: stored hash %d", ledger.ErrNotFound, x)
		}
		out[i] = h
	}
	return out, nil
}

// hashCache keeps committed stored hashes of the upper tree levels. A stored
// hash never changes once committed (it is the hash of a complete subtree),
// so the cache needs no invalidation, even with several servers sharing one
// PostgreSQL; it fills only from committed reads. Every inclusion proof
// shares the upper levels, so most of a proof is served from memory and the
// database is asked for the few hashes near the leaf.
type hashCache struct {
	mu sync.RWMutex
	m  map[int64]tlog.Hash

	once    sync.Once
	stmt    *sql.Stmt
	stmtErr error
}

const (
	// hashCacheMinLevel: level 6 and up is 1/32 of the stored hashes,
	// about 300,000 (~30 MB) at 10 M entries.
	hashCacheMinLevel = 6
	hashCacheMax      = 1 << 20
)

func readHashes(ctx context.Context, q queryer, rb *rebinder, indexes []int64) ([]tlog.Hash, error) {
	out := make([]tlog.Hash, len(indexes))
	for start := 0; start < len(indexes); start += maxHashesPerQuery {
		end := min(start+maxHashesPerQuery, len(indexes))
		if err := readHashChunk(ctx, q, rb, indexes[start:end], out[start:end]); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func readHashChunk(ctx context.Context, q queryer, rb *rebinder, indexes []int64, out []tlog.Hash) error {
	ph := strings.Repeat("?,", len(indexes))
	args := make([]any, len(indexes))
	for i, x := range indexes {
		args[i] = x
	}
	rows, err := q.QueryContext(ctx, rb.q(`SELECT id, hash FROM log_hashes WHERE id IN (`+ph[:len(ph)-1]+`)`), args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	got := make(map[int64][]byte, len(indexes))
	for rows.Next() {
		var id int64
		var h []byte
		if err := rows.Scan(&id, &h); err != nil {
			return err
		}
		got[id] = h
	}
	if err := rows.Err(); err != nil {
		return err
	}
	for i, x := range indexes {
		h, ok := got[x]
		if !ok || len(h) != tlog.HashSize {
			return fmt.Errorf("%w: stored hash %d", ledger.ErrNotFound, x)
		}
		copy(out[i][:], h)
	}
	return nil
}

// ReadEntries returns the leaves of entries [start, end) (ledger.Storage).
func (s *Store) ReadEntries(ctx context.Context, start, end int64) ([][]byte, error) {
	if start < 0 || end < start {
		return nil, fmt.Errorf("%w: entries [%d, %d)", ledger.ErrNotFound, start, end)
	}
	size, err := s.TreeSize(ctx)
	if err != nil {
		return nil, err
	}
	if end > size {
		return nil, fmt.Errorf("%w: entries [%d, %d) beyond tree size %d", ledger.ErrNotFound, start, end, size)
	}
	out := make([][]byte, 0, end-start)
	if end == start {
		return out, nil
	}
	rows, err := s.reader(ctx).QueryContext(ctx, s.rb.q(`SELECT leaf FROM journal WHERE idx >= ? AND idx < ? ORDER BY idx`), start, end)
	if err != nil {
		return nil, s.wrap(err)
	}
	defer rows.Close()
	for rows.Next() {
		var leaf []byte
		if err := rows.Scan(&leaf); err != nil {
			return nil, s.wrap(err)
		}
		out = append(out, leaf)
	}
	if err := rows.Err(); err != nil {
		return nil, s.wrap(err)
	}
	if int64(len(out)) != end-start {
		return nil, fmt.Errorf("%w: %d of entries [%d, %d)", ledger.ErrNotFound, len(out), start, end)
	}
	return out, nil
}

// LatestCheckpoint returns the signed note of the largest stored checkpoint
// (ledger.Storage).
func (s *Store) LatestCheckpoint(ctx context.Context) ([]byte, error) {
	var n []byte
	err := s.reader(ctx).QueryRowContext(ctx, `SELECT note FROM log_checkpoints ORDER BY size DESC LIMIT 1`).Scan(&n)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("%w: no checkpoint yet", ledger.ErrNotFound)
	}
	return n, s.wrap(err)
}

// Checkpoint returns the signed note of the checkpoint for size
// (ledger.Storage).
func (s *Store) Checkpoint(ctx context.Context, size int64) ([]byte, error) {
	var n []byte
	err := s.reader(ctx).QueryRowContext(ctx, s.rb.q(`SELECT note FROM log_checkpoints WHERE size = ?`), size).Scan(&n)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("%w: checkpoint for size %d", ledger.ErrNotFound, size)
	}
	return n, s.wrap(err)
}

// PutCheckpoint stores the signed note for size, replacing the note stored
// for that size, if any (ledger.Storage). Checking the size first is safe
// without a lock because the tree only grows.
func (s *Store) PutCheckpoint(ctx context.Context, size int64, signedNote []byte) error {
	n, err := s.TreeSize(ctx)
	if err != nil {
		return err
	}
	if size < 0 || size > n {
		return fmt.Errorf("%s store: checkpoint size %d is beyond the tree size %d", s.d.Name, size, n)
	}
	_, err = s.db.ExecContext(ctx, s.rb.q(`INSERT INTO log_checkpoints (size, note, updated_at) VALUES (?, ?, ?)
		ON CONFLICT (size) DO UPDATE SET note = excluded.note, updated_at = excluded.updated_at`),
		size, signedNote, time.Now().UTC())
	return s.wrap(err)
}

// ReadHashRange reads the stored hashes [start, end) in one ordered range
// query (ledger.HashRangeReader), for the self-check's streaming pass; a
// missing one is ledger.ErrNotFound.
func (s *Store) ReadHashRange(ctx context.Context, start, end int64) ([]tlog.Hash, error) {
	if start < 0 || end < start {
		return nil, fmt.Errorf("%w: stored hashes [%d, %d)", ledger.ErrNotFound, start, end)
	}
	rows, err := s.reader(ctx).QueryContext(ctx, s.rb.q(`SELECT id, hash FROM log_hashes WHERE id >= ? AND id < ? ORDER BY id`), start, end)
	if err != nil {
		return nil, s.wrap(err)
	}
	defer rows.Close()
	out := make([]tlog.Hash, 0, end-start)
	for rows.Next() {
		var id int64
		var h []byte
		if err := rows.Scan(&id, &h); err != nil {
			return nil, s.wrap(err)
		}
		if want := start + int64(len(out)); id != want {
			return nil, fmt.Errorf("%w: stored hash %d", ledger.ErrNotFound, want)
		}
		if len(h) != tlog.HashSize {
			// A hash of the wrong length is as wrong as a changed one: the
			// self-check reports it as a mismatch at its index.
			h = make([]byte, tlog.HashSize)
		}
		out = append(out, tlog.Hash(h))
	}
	if err := rows.Err(); err != nil {
		return nil, s.wrap(err)
	}
	if int64(len(out)) != end-start {
		return nil, fmt.Errorf("%w: stored hash %d", ledger.ErrNotFound, start+int64(len(out)))
	}
	return out, nil
}

// ScanJournal streams entries [start, end) in index order to fn with their
// leaf, body and salt, in one query: the self-check checks each leaf's
// hashes and each body against the leaf's body_hash in a single pass.
func (s *Store) ScanJournal(ctx context.Context, start, end int64, fn func(index int64, leaf, body, salt []byte) error) error {
	rows, err := s.reader(ctx).QueryContext(ctx, s.rb.q(`SELECT idx, leaf, body, salt FROM journal WHERE idx >= ? AND idx < ? ORDER BY idx`), start, end)
	if err != nil {
		return s.wrap(err)
	}
	defer rows.Close()
	for rows.Next() {
		var idx int64
		var leaf, body, salt []byte
		if err := rows.Scan(&idx, &leaf, &body, &salt); err != nil {
			return s.wrap(err)
		}
		if err := fn(idx, leaf, body, salt); err != nil {
			return err
		}
	}
	return s.wrap(rows.Err())
}
