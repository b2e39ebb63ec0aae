package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/truce-project/truce"
	"github.com/truce-project/truce/events"
	"golang.org/x/mod/sumdb/tlog"
)

// Update runs fn in a transaction. Concurrent calls are batched into one
// database transaction (group commit); no call returns before the
// transaction holding its change has committed, and a call that fails is
// taken out of the batch, which is then run again without it, so one
// caller's failure never touches another's changes.
func (s *Store) Update(ctx context.Context, fn func(truce.Tx) error) error {
	r := &request{ctx: ctx, fn: fn, done: make(chan error, 1)}
	select {
	case s.gc.reqs <- r:
	case <-s.gc.quit:
		return truce.Errorf(truce.EUNAVAILABLE, "The store is closed.")
	case <-ctx.Done():
		return truce.Errorf(truce.EUNAVAILABLE, "The request was cancelled.")
	}
	// Once queued, wait for the outcome even if ctx ends: the change may
	// already be committed and the caller must learn that. A call queued
	// as the store closed, after the committer's last drain, is answered
	// here: the committer answers every call it took before it stopped.
	select {
	case err := <-r.done:
		return err
	case <-s.gc.stopped:
		select {
		case err := <-r.done:
			return err
		default:
			return truce.Errorf(truce.EUNAVAILABLE, "The store is closed.")
		}
	}
}

type request struct {
	ctx  context.Context
	fn   func(truce.Tx) error
	done chan error
}

// groupCommitter is the store's single writer. Besides batching, it keeps
// caches that save round trips: the log size it last committed, recent
// Merkle hashes and each subject's latest entry. They are valid only while
// no other process has appended, which it checks at the start of every
// transaction against the locked log head (another server sharing the
// PostgreSQL database makes it drop them).
type groupCommitter struct {
	s    *Store
	reqs chan *request
	max  int
	quit chan struct{}
	// stopped is closed when the committer has stopped.
	stopped chan struct{}
	wg      sync.WaitGroup
	once    sync.Once

	size   int64 // log size after our last commit; -1 unknown
	hashes map[int64]tlog.Hash
	latest map[string]int64
}

const (
	maxCachedHashes   = 1 << 14
	maxCachedSubjects = 1 << 16
)

func newGroupCommitter(s *Store, max int) *groupCommitter {
	g := &groupCommitter{s: s, reqs: make(chan *request, max), max: max, quit: make(chan struct{}), stopped: make(chan struct{}), size: -1}
	g.resetCaches()
	g.wg.Add(1)
	go g.loop()
	return g
}

func (g *groupCommitter) resetCaches() {
	g.hashes = map[int64]tlog.Hash{}
	g.latest = map[string]int64{}
}

func (g *groupCommitter) close() {
	g.once.Do(func() { close(g.quit) })
	g.wg.Wait()
}

func (g *groupCommitter) loop() {
	defer g.wg.Done()
	defer close(g.stopped)
	for {
		var first *request
		select {
		case first = <-g.reqs:
		case <-g.quit:
			for {
				select {
				case r := <-g.reqs:
					g.commit([]*request{r})
				default:
					return
				}
			}
		}
		batch := []*request{first}
	drain:
		for len(batch) < g.max {
			select {
			case r := <-g.reqs:
				batch = append(batch, r)
			default:
				break drain
			}
		}
		g.commit(batch)
	}
}

func (g *groupCommitter) commit(batch []*request) {
	pending := batch[:0:0]
	for _, r := range batch {
		if r.ctx.Err() != nil {
			r.done <- truce.Errorf(truce.EUNAVAILABLE, "The request was cancelled.")
			continue
		}
		pending = append(pending, r)
	}
	for len(pending) > 0 {
		failed, err := g.try(pending)
		g.s.noteWrite(err)
		if failed == fallback {
			// A deferred insert failed where the batch cannot tell whose it
			// was: run each call in a transaction of its own.
			for _, r := range pending {
				_, err := g.try([]*request{r})
				r.done <- err
			}
			return
		}
		if failed < 0 {
			for _, r := range pending {
				r.done <- err
			}
			return
		}
		pending[failed].done <- err
		pending = append(pending[:failed], pending[failed+1:]...)
	}
}

// fallback is try's answer when a deferred insert failed in a batch of
// several calls.
const fallback = -2

// try runs the calls in one transaction. It returns (-1, nil) when all
// committed, (i, err) when call i failed and the transaction was rolled
// back, (fallback, err) when a deferred insert of an unknown call failed,
// and (-1, err) when the transaction itself failed.
func (g *groupCommitter) try(calls []*request) (int, error) {
	s := g.s
	ctx := context.Background()
	sqlTx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return -1, s.wrap(err)
	}
	b := &batch{g: g, tx: sqlTx}
	if err := sqlTx.QueryRowContext(ctx, `SELECT size, event_seq FROM log_head WHERE id = 1`+s.d.LockHead).Scan(&b.start, &b.eventSeq); err != nil {
		sqlTx.Rollback()
		return -1, s.wrap(err)
	}
	if b.start != g.size {
		g.resetCaches()
	}
	for i, r := range calls {
		t := &tx{s: s, tx: sqlTx, ctx: ctx, b: b}
		err := t.run(r.fn)
		if err == nil && t.dirty && !t.journaled {
			err = fmt.Errorf("store: a change was made without a journal entry")
		}
		if err == nil && len(calls) == 1 {
			// A lone call owns its deferred inserts: flush them now so a
			// failure is reported as its own.
			err = b.flushPending(ctx)
		}
		if b.pendFailed && len(calls) > 1 {
			sqlTx.Rollback()
			return fallback, s.wrap(err)
		}
		if err != nil {
			sqlTx.Rollback()
			return i, s.wrap(err)
		}
	}
	if err := b.flushPending(ctx); err != nil {
		sqlTx.Rollback()
		if len(calls) > 1 {
			return fallback, s.wrap(err)
		}
		return 0, s.wrap(err)
	}
	if err := b.flush(ctx); err != nil {
		sqlTx.Rollback()
		return -1, s.wrap(err)
	}
	if err := sqlTx.Commit(); err != nil {
		g.size = -1
		return -1, s.wrap(err)
	}
	b.committed()
	if len(b.events) > 0 {
		if f := s.onEvents.Load(); f != nil {
			(*f)(b.events)
		}
	}
	return -1, nil
}

// batch collects the journal entries of one transaction; they are written
// together, with their Merkle hashes, just before commit.
type batch struct {
	g       *groupCommitter
	tx      *sql.Tx
	start   int64
	entries []*truce.SealedChange
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

	// Events logged in the transaction (Tx.Publish, AppendEvents), given
	// ids after eventSeq, the counter read with the locked log head.
	// Their webhook deliveries are queued after the commit
	// (Store.QueueDeliveries).
	events   []*events.Record
	eventSeq int64
}

// deferInsert queues an insert written as "INSERT INTO t (cols) VALUES
// (?, ...)"; insertRows writes the row placeholders again from the count.
func (b *batch) deferInsert(ctx context.Context, q string, args []any) error {
	prefix := q[:strings.Index(q, "VALUES ")+len("VALUES ")]
	if b.pendPrefix != "" && b.pendPrefix != prefix {
		if err := b.flushPending(ctx); err != nil {
			return err
		}
	}
	b.pendPrefix, b.pendCols = prefix, len(args)
	b.pendArgs = append(b.pendArgs, args...)
	return nil
}

// flushPending writes the deferred inserts.
func (b *batch) flushPending(ctx context.Context) error {
	if b.pendPrefix == "" {
		return nil
	}
	prefix, n, args := b.pendPrefix, b.pendCols, b.pendArgs
	b.pendPrefix, b.pendArgs = "", nil
	if err := b.insertRows(ctx, prefix, n, args); err != nil {
		b.pendFailed = true
		return b.g.s.wrap(err)
	}
	return nil
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
	return b.start + int64(len(b.entries)) - 1, nil
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
	b.hashes = map[int64]tlog.Hash{}
	var hashIDs []int64
	var hashVals []tlog.Hash
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
		leaf, err := c.Entry.Leaf()
		if err != nil {
			return err
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
	hargs := make([]any, 0, 2*len(hashIDs))
	for i := range hashIDs {
		hargs = append(hargs, hashIDs[i], hashVals[i][:])
	}
	return b.insertRows(ctx, `INSERT INTO log_hashes (id, hash) VALUES `, 2, hargs)
}

// insertRows inserts rows of n columns with multi-row VALUES lists, in
// chunks that stay under SQLite's and PostgreSQL's parameter limits.
func (b *batch) insertRows(ctx context.Context, prefix string, n int, args []any) error {
	row := "(" + strings.TrimSuffix(strings.Repeat("?, ", n), ", ") + ")"
	per := 30000 / n
	for len(args) > 0 {
		k := min(per, len(args)/n)
		q := prefix + strings.TrimSuffix(strings.Repeat(row+", ", k), ", ")
		// Batches of up to 256 calls repeat a few sizes: prepare them
		// once (the store caches statements by their text).
		stmt, err := b.g.s.prepared(ctx, q)
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

// committed moves what the batch wrote into the committer's caches.
func (b *batch) committed() {
	g := b.g
	g.size = b.start + int64(len(b.entries))
	if len(g.hashes)+len(b.hashes) > maxCachedHashes {
		g.hashes = map[int64]tlog.Hash{}
	}
	for k, v := range b.hashes {
		g.hashes[k] = v
	}
	if len(g.latest)+len(b.latest) > maxCachedSubjects {
		g.latest = map[string]int64{}
	}
	for k, v := range b.latest {
		g.latest[k] = v
	}
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

// tx implements truce.Tx. Its methods use the batch's context, not the
// caller's: cancelling one caller must not abort a transaction it shares.
type tx struct {
	s         *Store
	tx        *sql.Tx
	ctx       context.Context
	b         *batch
	dirty     bool
	journaled bool
}

func (t *tx) run(fn func(truce.Tx) error) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("store: panic in transaction: %v", p)
		}
	}()
	return fn(t)
}

// insert defers an INSERT of a new row (see batch.deferInsert).
func (t *tx) insert(q string, args ...any) error {
	t.dirty = true
	return t.b.deferInsert(t.ctx, q, args)
}

// read flushes deferred inserts before a read in the transaction.
func (t *tx) read() error { return t.b.flushPending(t.ctx) }

func (t *tx) exec(q string, args ...any) (sql.Result, error) {
	t.dirty = true
	if err := t.read(); err != nil {
		return nil, err
	}
	stmt, err := t.s.prepared(t.ctx, q)
	if err != nil {
		return nil, t.s.wrap(err)
	}
	res, err := t.tx.StmtContext(t.ctx, stmt).ExecContext(t.ctx, args...)
	return res, t.s.wrap(err)
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
		return 0, err
	}
	t.journaled = true
	return idx, nil
}

func (t *tx) InsertParty(_ context.Context, p *truce.Party) error {
	return t.insert(`INSERT INTO parties (`+partyCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		p.ID, p.Slug, p.Name, string(p.Kind), p.PublicKey, p.Custodial, p.CreatedAt.UTC(), p.Version, p.JournalIndex)
}

func (t *tx) InsertUser(_ context.Context, u *truce.User, passwordHash string) error {
	return t.insert(`INSERT INTO users (`+userCols+`, password_hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		u.ID, u.PartyID, u.Username, u.Name, joinRoles(u.Roles), u.Disabled, u.CreatedAt.UTC(), u.UpdatedAt.UTC(), u.Version, u.JournalIndex, passwordHash)
}

func (t *tx) UpdateUser(_ context.Context, u *truce.User) error {
	res, err := t.exec(`UPDATE users SET name = ?, roles = ?, disabled = ?, updated_at = ?, version = ?, journal_index = ? WHERE id = ? AND version = ?`,
		u.Name, joinRoles(u.Roles), u.Disabled, u.UpdatedAt.UTC(), u.Version, u.JournalIndex, u.ID, u.Version-1)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return truce.Errorf(truce.EPRECONDITION, "User %q was changed by someone else; reload and retry.", u.ID)
	}
	return nil
}

func (t *tx) InsertToken(_ context.Context, tk *truce.Token, hash []byte) error {
	return t.insert(`INSERT INTO tokens (`+tokenCols+`, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
		tk.ID, tk.UserID, tk.Name, nullTime(tk.ExpiresAt), nullTime(tk.RevokedAt), tk.CreatedAt.UTC(), tk.JournalIndex, hash)
}

func (t *tx) RevokeToken(_ context.Context, id string, at time.Time, journalIndex int64) error {
	res, err := t.exec(`UPDATE tokens SET revoked_at = ?, journal_index = ? WHERE id = ? AND revoked_at IS NULL`, at.UTC(), journalIndex, id)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return truce.Errorf(truce.ECONFLICT, "Token %q is already revoked or does not exist.", id)
	}
	return nil
}

func (t *tx) Party(_ context.Context, idOrSlug string) (*truce.Party, error) {
	if err := t.read(); err != nil {
		return nil, err
	}
	return t.s.party(t.ctx, t.tx, idOrSlug)
}

func (t *tx) User(_ context.Context, idOrUsername string) (*truce.User, error) {
	if err := t.read(); err != nil {
		return nil, err
	}
	return t.s.user(t.ctx, t.tx, idOrUsername)
}

func (t *tx) Token(_ context.Context, id string) (*truce.Token, error) {
	if err := t.read(); err != nil {
		return nil, err
	}
	return t.s.token(t.ctx, t.tx, id)
}
