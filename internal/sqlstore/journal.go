// journal.go holds the journal: its reads, Tx.Append, and the writing of
// a batch's entries with their previous versions and RFC 6962 stored
// (Merkle) hashes.

package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"github.com/truce-project/truce"
	"golang.org/x/mod/sumdb/tlog"
)

// --- journal ---

const journalCols = `idx, kind, subject, party, user_id, time, body_hash, prev, leaf, body, salt, vis_scope, vis_owner, vis_parties`

func scanRecord(row interface{ Scan(...any) error }) (*truce.JournalRecord, error) {
	var r truce.JournalRecord
	var t scanTime
	var prev sql.NullInt64
	var scope, owner, parties string
	if err := row.Scan(&r.Index, &r.Entry.Kind, &r.Entry.Subject, &r.Entry.Party, &r.Entry.User, &t, &r.Entry.BodyHash, &prev, &r.Leaf, &r.Body, &r.Salt, &scope, &owner, &parties); err != nil {
		return nil, err
	}
	r.Entry.Time = t.T
	if prev.Valid {
		r.Entry.Prev = &prev.Int64
	}
	r.Visibility = truce.Visibility{Scope: truce.Scope(scope), Owner: owner}
	if parties != "" {
		r.Visibility.Parties = strings.Split(parties, ",")
	}
	return &r, nil
}

// JournalSize returns the number of entries.
func (s *Store) JournalSize(ctx context.Context) (int64, error) {
	var n int64
	err := s.reader(ctx).QueryRowContext(ctx, `SELECT size FROM log_head WHERE id = 1`).Scan(&n)
	return n, s.wrap(err)
}

// Journal returns entries [start, end).
func (s *Store) Journal(ctx context.Context, start, end int64) ([]*truce.JournalRecord, error) {
	return s.records(ctx, `SELECT `+journalCols+` FROM journal WHERE idx >= ? AND idx < ? ORDER BY idx`, start, end)
}

// SubjectJournal returns the entries of one record.
func (s *Store) SubjectJournal(ctx context.Context, kind, subject string) ([]*truce.JournalRecord, error) {
	return s.records(ctx, `SELECT `+journalCols+` FROM journal WHERE kind = ? AND subject = ? ORDER BY idx`, kind, subject)
}

// KindJournal returns the entries of one kind after index after, oldest
// first, at most limit of them: what an engine that follows a kind reads
// to catch up with changes whose events it missed.
func (s *Store) KindJournal(ctx context.Context, kind string, after int64, limit int) ([]*truce.JournalRecord, error) {
	return s.records(ctx, `SELECT `+journalCols+` FROM journal WHERE kind = ? AND idx > ? ORDER BY idx LIMIT ?`, kind, after, limit)
}

func (s *Store) records(ctx context.Context, q string, args ...any) ([]*truce.JournalRecord, error) {
	rows, err := s.reader(ctx).QueryContext(ctx, s.rb.q(q), args...)
	if err != nil {
		return nil, s.wrap(err)
	}
	defer rows.Close()
	var out []*truce.JournalRecord
	for rows.Next() {
		r, err := scanRecord(rows)
		if err != nil {
			return nil, s.wrap(err)
		}
		out = append(out, r)
	}
	return out, s.wrap(rows.Err())
}

// NextIndex returns the index the next Append in this transaction will
// return, so a record can be written with its entry's index before the
// change is sealed.
func (t *tx) NextIndex() int64 { return t.b.start + int64(len(t.b.entries)) }

// Append journals a change. Its index comes from the log head locked at
// the start of the transaction (a row lock on PostgreSQL, the write lock on
// SQLite), so indexes are gap-free; the entry, its previous version and
// its RFC 6962 stored hashes are written when the batch commits.
func (t *tx) Append(_ context.Context, c *truce.SealedChange) (int64, error) {
	idx, err := t.b.append(c)
	if err != nil {
		t.sealing = nil
		return 0, err
	}
	t.sealed(c, idx)
	t.journaled = true
	return idx, nil
}

func subjectKey(kind, subject string) string { return kind + "\x00" + subject }

func (b *batch) append(c *truce.SealedChange) (int64, error) {
	// Check the size now, so the caller learns it; prev adds at most 30
	// bytes to the leaf.
	c.Entry.Prev = nil
	leaf, err := c.Entry.Leaf()
	if err != nil {
		return 0, err
	}
	if len(leaf)+30 > truce.MaxEntrySize {
		return 0, truce.Errorf(truce.EINVALID, "Journal entry is %d bytes, over the %d-byte limit.", len(leaf), truce.MaxEntrySize)
	}
	b.entries = append(b.entries, c)
	b.leaves = append(b.leaves, leaf)
	return b.start + int64(len(b.entries)) - 1, nil
}

func (b *batch) flushJournal(ctx context.Context) error {
	g := b.g
	// Resolve each entry's previous version: within the batch, from the
	// cache, or with one query for the rest.
	b.latest = map[string]int64{}
	var unknown []string
	seen := map[string]bool{}
	for _, c := range b.entries {
		k := subjectKey(c.Entry.Kind, c.Entry.Subject)
		if c.New {
			seen[k] = true // a new record: nothing to look up
		}
		if _, ok := g.latest[k]; !ok && !seen[k] {
			seen[k] = true
			unknown = append(unknown, k)
		}
	}
	found, err := b.lookupLatest(ctx, unknown)
	if err != nil {
		return err
	}
	// An entry stores two hashes on average (one per level it completes).
	b.hashes = make(map[int64]tlog.Hash, 2*len(b.entries)+64)
	hashIDs := make([]int64, 0, 2*len(b.entries)+64)
	hashVals := make([]tlog.Hash, 0, 2*len(b.entries)+64)
	jargs := make([]any, 0, len(b.entries)*14)
	for i, c := range b.entries {
		idx := b.start + int64(i)
		k := subjectKey(c.Entry.Kind, c.Entry.Subject)
		c.Entry.Prev = nil
		if p, ok := b.latest[k]; ok {
			c.Entry.Prev = &p
		} else if p, ok := g.latest[k]; ok {
			c.Entry.Prev = &p
		} else if p, ok := found[k]; ok {
			c.Entry.Prev = &p
		}
		b.latest[k] = idx
		// The leaf append made without a previous version is the entry's
		// when it has none (a new record, such as every alert).
		leaf := b.leaves[i]
		if c.Entry.Prev != nil {
			if leaf, err = c.Entry.Leaf(); err != nil {
				return err
			}
		}
		if len(leaf) > truce.MaxEntrySize {
			return truce.Errorf(truce.EINVALID, "Journal entry is %d bytes, over the %d-byte limit.", len(leaf), truce.MaxEntrySize)
		}
		hs, err := tlog.StoredHashes(idx, leaf, hashReader{b, ctx})
		if err != nil {
			return fmt.Errorf("stored hashes: %w", err)
		}
		base := tlog.StoredHashIndex(0, idx)
		for j, h := range hs {
			b.hashes[base+int64(j)] = h
			hashIDs, hashVals = append(hashIDs, base+int64(j)), append(hashVals, h)
		}
		var prev any
		if c.Entry.Prev != nil {
			prev = *c.Entry.Prev
		}
		jargs = append(jargs, idx, c.Entry.Kind, c.Entry.Subject, c.Entry.Party, c.Entry.User, c.Entry.Time.UTC(), c.Entry.BodyHash, prev,
			leaf, c.Body, c.Salt, string(c.Visibility.Scope), c.Visibility.Owner, strings.Join(c.Visibility.Parties, ","))
	}
	if err := b.insertRows(ctx, `INSERT INTO journal (`+journalCols+`) VALUES `, 14, jargs); err != nil {
		return err
	}
	if err := b.moveHeads(ctx); err != nil {
		return err
	}
	hargs := make([]any, 0, 2*len(hashIDs))
	for i := range hashIDs {
		hargs = append(hargs, hashIDs[i], hashVals[i][:])
	}
	return b.insertRows(ctx, `INSERT INTO log_hashes (id, hash) VALUES `, 2, hargs)
}

// moveHeads sets each kind's newest entry in journal_heads to the batch's
// last of that kind: one statement per kind the batch appended.
func (b *batch) moveHeads(ctx context.Context) error {
	heads := map[string]int64{}
	for i, c := range b.entries {
		heads[c.Entry.Kind] = b.start + int64(i)
	}
	for kind, idx := range heads {
		if _, err := b.tx.ExecContext(ctx, b.g.s.rb.q(`INSERT INTO journal_heads (kind, idx) VALUES (?, ?) ON CONFLICT (kind) DO UPDATE SET idx = excluded.idx`), kind, idx); err != nil {
			return err
		}
	}
	return nil
}

// JournalHeads returns the index of the newest entry of each of kinds
// that has one: a change of any of them, by this server or another, moves
// its head, so the engines compare heads to learn whether anything they
// follow changed (a read of a few rows).
func (s *Store) JournalHeads(ctx context.Context, kinds ...string) (map[string]int64, error) {
	out := make(map[string]int64, len(kinds))
	if len(kinds) == 0 {
		return out, nil
	}
	rows, err := s.reader(ctx).QueryContext(ctx, s.rb.q(`SELECT kind, idx FROM journal_heads WHERE kind IN (`+placeholders(len(kinds))+`)`), anys(kinds)...)
	if err != nil {
		return nil, s.wrap(err)
	}
	defer rows.Close()
	for rows.Next() {
		var kind string
		var idx int64
		if err := rows.Scan(&kind, &idx); err != nil {
			return nil, s.wrap(err)
		}
		out[kind] = idx
	}
	return out, s.wrap(rows.Err())
}

func (b *batch) lookupLatest(ctx context.Context, keys []string) (map[string]int64, error) {
	out := map[string]int64{}
	for len(keys) > 0 {
		k := min(len(keys), 500)
		var conds []string
		var args []any
		for _, key := range keys[:k] {
			kind, subject, _ := strings.Cut(key, "\x00")
			conds = append(conds, "(kind = ? AND subject = ?)")
			args = append(args, kind, subject)
		}
		rows, err := b.tx.QueryContext(ctx, b.g.s.rb.q(`SELECT kind, subject, MAX(idx) FROM journal WHERE `+strings.Join(conds, " OR ")+` GROUP BY kind, subject`), args...)
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			var kind, subject string
			var idx int64
			if err := rows.Scan(&kind, &subject, &idx); err != nil {
				rows.Close()
				return nil, err
			}
			out[subjectKey(kind, subject)] = idx
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
		keys = keys[k:]
	}
	return out, nil
}

// hashReader reads stored hashes for tlog: this batch's, then the cache,
// then the database.
type hashReader struct {
	b   *batch
	ctx context.Context
}

func (h hashReader) ReadHashes(indexes []int64) ([]tlog.Hash, error) {
	out := make([]tlog.Hash, len(indexes))
	var missing []int64
	for i, x := range indexes {
		if v, ok := h.b.hashes[x]; ok {
			out[i] = v
		} else if v, ok := h.b.g.hashes[x]; ok {
			out[i] = v
		} else {
			missing = append(missing, x)
		}
	}
	if len(missing) == 0 {
		return out, nil
	}
	got, err := readHashes(h.ctx, h.b.tx, h.b.g.s.rb, missing)
	if err != nil {
		return nil, err
	}
	m := make(map[int64]tlog.Hash, len(missing))
	for i, x := range missing {
		m[x] = got[i]
		h.b.g.hashes[x] = got[i]
	}
	for i, x := range indexes {
		if v, ok := m[x]; ok {
			out[i] = v
		}
	}
	return out, nil
}
