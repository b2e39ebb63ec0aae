package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/truce-project/truce"
	"golang.org/x/mod/sumdb/tlog"
)

// Update runs fn in a transaction. Concurrent calls are batched into one
// database transaction (group commit), each inside its own savepoint so one
// caller's failure does not touch another's; no call returns before the
// transaction holding its change has committed.
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
	// already be committed and the caller must learn that.
	return <-r.done
}

type request struct {
	ctx  context.Context
	fn   func(truce.Tx) error
	done chan error
}

type groupCommitter struct {
	s    *Store
	reqs chan *request
	max  int
	quit chan struct{}
	wg   sync.WaitGroup
	once sync.Once
}

func newGroupCommitter(s *Store, max int) *groupCommitter {
	g := &groupCommitter{s: s, reqs: make(chan *request, max), max: max, quit: make(chan struct{})}
	g.wg.Add(1)
	go g.loop()
	return g
}

func (g *groupCommitter) close() {
	g.once.Do(func() { close(g.quit) })
	g.wg.Wait()
}

func (g *groupCommitter) loop() {
	defer g.wg.Done()
	for {
		var first *request
		select {
		case first = <-g.reqs:
		case <-g.quit:
			// Finish what was queued before closing.
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
	s := g.s
	ctx := context.Background()
	errs := make([]error, len(batch))
	fail := func(err error) {
		for _, r := range batch {
			r.done <- err
		}
	}
	sqlTx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		fail(s.wrap(err))
		return
	}
	for i, r := range batch {
		if r.ctx.Err() != nil {
			errs[i] = truce.Errorf(truce.EUNAVAILABLE, "The request was cancelled.")
			continue
		}
		if _, err := sqlTx.ExecContext(ctx, "SAVEPOINT truce_call"); err != nil {
			sqlTx.Rollback()
			fail(s.wrap(err))
			return
		}
		t := &tx{s: s, tx: sqlTx, ctx: ctx}
		err := t.run(r.fn)
		if err == nil && t.dirty && !t.journaled {
			err = fmt.Errorf("store: a change was made without a journal entry")
		}
		if err != nil {
			if _, rerr := sqlTx.ExecContext(ctx, "ROLLBACK TO SAVEPOINT truce_call"); rerr != nil {
				sqlTx.Rollback()
				fail(s.wrap(rerr))
				return
			}
			errs[i] = s.wrap(err)
		}
		if _, err := sqlTx.ExecContext(ctx, "RELEASE SAVEPOINT truce_call"); err != nil {
			sqlTx.Rollback()
			fail(s.wrap(err))
			return
		}
	}
	if err := sqlTx.Commit(); err != nil {
		fail(s.wrap(err))
		return
	}
	for i, r := range batch {
		r.done <- errs[i]
	}
}

// tx implements truce.Tx. Its methods use the batch's context, not the
// caller's: cancelling one caller must not abort a transaction it shares.
type tx struct {
	s         *Store
	tx        *sql.Tx
	ctx       context.Context
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

func (t *tx) exec(q string, args ...any) (sql.Result, error) {
	t.dirty = true
	res, err := t.tx.ExecContext(t.ctx, t.s.rb.q(q), args...)
	return res, t.s.wrap(err)
}

// Append journals a change: it takes the next index from the log head (a
// row lock on PostgreSQL, the write lock on SQLite), stores the entry beside
// its body and salt, and writes the entry's RFC 6962 stored hashes.
func (t *tx) Append(_ context.Context, c *truce.SealedChange) (int64, error) {
	var idx int64
	if err := t.tx.QueryRowContext(t.ctx, `UPDATE log_head SET size = size + 1 WHERE id = 1 RETURNING size - 1`).Scan(&idx); err != nil {
		return 0, t.s.wrap(err)
	}
	var prev sql.NullInt64
	if err := t.tx.QueryRowContext(t.ctx, t.s.rb.q(`SELECT MAX(idx) FROM journal WHERE kind = ? AND subject = ?`), c.Entry.Kind, c.Entry.Subject).Scan(&prev); err != nil {
		return 0, t.s.wrap(err)
	}
	c.Entry.Prev = nil
	if prev.Valid {
		p := prev.Int64
		c.Entry.Prev = &p
	}
	leaf, err := c.Entry.Leaf()
	if err != nil {
		return 0, err
	}
	if len(leaf) > truce.MaxEntrySize {
		return 0, truce.Errorf(truce.EINVALID, "Journal entry is %d bytes, over the %d-byte limit.", len(leaf), truce.MaxEntrySize)
	}
	var prevArg any
	if c.Entry.Prev != nil {
		prevArg = *c.Entry.Prev
	}
	if _, err := t.exec(`INSERT INTO journal (`+journalCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		idx, c.Entry.Kind, c.Entry.Subject, c.Entry.Party, c.Entry.User, c.Entry.Time.UTC(), c.Entry.BodyHash, prevArg,
		leaf, c.Body, c.Salt, string(c.Visibility.Scope), c.Visibility.Owner, strings.Join(c.Visibility.Parties, ",")); err != nil {
		return 0, err
	}
	hashes, err := tlog.StoredHashes(idx, leaf, hashReader{t})
	if err != nil {
		return 0, fmt.Errorf("stored hashes: %w", err)
	}
	base := tlog.StoredHashIndex(0, idx)
	for i, h := range hashes {
		if _, err := t.exec(`INSERT INTO log_hashes (id, hash) VALUES (?, ?)`, base+int64(i), h[:]); err != nil {
			return 0, err
		}
	}
	t.journaled = true
	return idx, nil
}

type hashReader struct{ t *tx }

func (h hashReader) ReadHashes(indexes []int64) ([]tlog.Hash, error) {
	return readHashes(h.t.ctx, h.t.tx, h.t.s.rb, indexes)
}

func (t *tx) InsertParty(_ context.Context, p *truce.Party) error {
	_, err := t.exec(`INSERT INTO parties (`+partyCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		p.ID, p.Slug, p.Name, string(p.Kind), p.PublicKey, p.Custodial, p.CreatedAt.UTC(), p.Version, p.JournalIndex)
	return err
}

func (t *tx) InsertUser(_ context.Context, u *truce.User, passwordHash string) error {
	_, err := t.exec(`INSERT INTO users (`+userCols+`, password_hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		u.ID, u.PartyID, u.Username, u.Name, joinRoles(u.Roles), u.Disabled, u.CreatedAt.UTC(), u.UpdatedAt.UTC(), u.Version, u.JournalIndex, passwordHash)
	return err
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
	_, err := t.exec(`INSERT INTO tokens (`+tokenCols+`, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
		tk.ID, tk.UserID, tk.Name, nullTime(tk.ExpiresAt), nullTime(tk.RevokedAt), tk.CreatedAt.UTC(), tk.JournalIndex, hash)
	return err
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
	return t.s.party(t.ctx, t.tx, idOrSlug)
}

func (t *tx) User(_ context.Context, idOrUsername string) (*truce.User, error) {
	return t.s.user(t.ctx, t.tx, idOrUsername)
}

func (t *tx) Token(_ context.Context, id string) (*truce.Token, error) {
	return t.s.token(t.ctx, t.tx, id)
}
