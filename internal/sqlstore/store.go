package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/truce-project/truce"
	"github.com/truce-project/truce/events"
)

// Store implements truce.Store over database/sql.
type Store struct {
	db *sql.DB
	d  Dialect
	rb *rebinder
	gc *groupCommitter
	hc hashCache

	stmtMu sync.Mutex
	stmts  map[string]*sql.Stmt

	onEvents atomic.Pointer[func([]*events.Record)]

	pinger pinger
}

// prepared returns a statement prepared once for the store: parsing SQL
// costs more than running it on the write path.
func (s *Store) prepared(ctx context.Context, q string) (*sql.Stmt, error) {
	s.stmtMu.Lock()
	defer s.stmtMu.Unlock()
	if st, ok := s.stmts[q]; ok {
		return st, nil
	}
	st, err := s.db.PrepareContext(ctx, s.rb.q(q))
	if err != nil {
		return nil, err
	}
	if s.stmts == nil {
		s.stmts = map[string]*sql.Stmt{}
	}
	s.stmts[q] = st
	return st, nil
}

// Options tune a Store.
type Options struct {
	// MaxBatch is the most Update calls committed in one transaction
	// (group commit). 1 disables batching.
	MaxBatch int
}

// New returns a Store over an open, migrated database.
func New(db *sql.DB, d Dialect, opt Options) *Store {
	if opt.MaxBatch <= 0 {
		opt.MaxBatch = 256
	}
	s := &Store{db: db, d: d, rb: &rebinder{dollar: d.Dollar}}
	s.gc = newGroupCommitter(s, opt.MaxBatch)
	return s
}

// DB returns the underlying database.
func (s *Store) DB() *sql.DB { return s.db }

// Close stops the committer and closes the database.
func (s *Store) Close() error {
	s.pinger.invalidate()
	s.gc.close()
	s.stmtMu.Lock()
	for _, st := range s.stmts {
		st.Close()
	}
	s.stmtMu.Unlock()
	return s.db.Close()
}

// wrap converts a driver error into a truce error; unknown errors become
// opaque internal errors that still carry the cause for logs.
func (s *Store) wrap(err error) error {
	if err == nil {
		return nil
	}
	var te *truce.Error
	if errors.As(err, &te) {
		return err
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return truce.Errorf(truce.EUNAVAILABLE, "The request was cancelled or timed out.")
	}
	if t := s.d.Translate(err); t != nil {
		if truce.ErrorCode(t) == truce.EUNAVAILABLE {
			s.pinger.invalidate()
		}
		return t
	}
	if lostConnection(err) {
		s.pinger.invalidate()
		return errUnavailable()
	}
	return fmt.Errorf("%s store: %s", s.d.Name, err.Error())
}

type queryer interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}

// --- scanning helpers ---

// scanTime accepts what either driver returns for a timestamp column.
type scanTime struct {
	T     time.Time
	Valid bool
}

func (t *scanTime) Scan(v any) error {
	switch x := v.(type) {
	case nil:
		t.Valid = false
		return nil
	case time.Time:
		t.T, t.Valid = x.UTC(), true
		return nil
	case string:
		return t.parse(x)
	case []byte:
		return t.parse(string(x))
	case int64:
		t.T, t.Valid = time.Unix(0, x).UTC(), true
		return nil
	}
	return fmt.Errorf("cannot scan %T into a time", v)
}

func (t *scanTime) parse(s string) error {
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02 15:04:05.999999999-07:00", "2006-01-02 15:04:05.999999999 -0700 MST", "2006-01-02 15:04:05"} {
		if p, err := time.Parse(layout, s); err == nil {
			t.T, t.Valid = p.UTC(), true
			return nil
		}
	}
	return fmt.Errorf("cannot parse time %q", s)
}

func (t *scanTime) ptr() *time.Time {
	if !t.Valid {
		return nil
	}
	v := t.T
	return &v
}

func nullTime(t *time.Time) any {
	if t == nil {
		return nil
	}
	return t.UTC()
}

func notFound(what, id string) error {
	return truce.Errorf(truce.ENOTFOUND, "%s %q not found.", what, id)
}

// --- parties ---

const partyCols = `id, slug, name, kind, public_key, custodial, created_at, version, journal_index`

func scanParty(row interface{ Scan(...any) error }) (*truce.Party, error) {
	var p truce.Party
	var created scanTime
	var kind string
	if err := row.Scan(&p.ID, &p.Slug, &p.Name, &kind, &p.PublicKey, &p.Custodial, &created, &p.Version, &p.JournalIndex); err != nil {
		return nil, err
	}
	p.Kind = truce.PartyKind(kind)
	p.CreatedAt = created.T
	return &p, nil
}

func (s *Store) party(ctx context.Context, q queryer, idOrSlug string) (*truce.Party, error) {
	p, err := scanParty(q.QueryRowContext(ctx, s.rb.q(`SELECT `+partyCols+` FROM parties WHERE id = ? OR slug = ?`), idOrSlug, idOrSlug))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound("Party", idOrSlug)
	}
	return p, s.wrap(err)
}

// Party returns a party by id or slug.
func (s *Store) Party(ctx context.Context, idOrSlug string) (*truce.Party, error) {
	return s.party(ctx, s.db, idOrSlug)
}

// Parties lists parties ordered by id.
func (s *Store) Parties(ctx context.Context, f truce.PartyFilter) ([]*truce.Party, error) {
	where, args := []string{"id > ?"}, []any{f.Cursor}
	if f.Kind != "" {
		where, args = append(where, "kind = ?"), append(args, string(f.Kind))
	}
	args = append(args, limit(f.Limit))
	rows, err := s.db.QueryContext(ctx, s.rb.q(`SELECT `+partyCols+` FROM parties WHERE `+strings.Join(where, " AND ")+` ORDER BY id LIMIT ?`), args...)
	if err != nil {
		return nil, s.wrap(err)
	}
	defer rows.Close()
	var out []*truce.Party
	for rows.Next() {
		p, err := scanParty(rows)
		if err != nil {
			return nil, s.wrap(err)
		}
		out = append(out, p)
	}
	return out, s.wrap(rows.Err())
}

func limit(n int) int {
	if n <= 0 || n > 1000 {
		return 1000
	}
	return n
}

// --- users ---

const userCols = `id, party_id, username, name, roles, disabled, created_at, updated_at, version, journal_index`

func scanUser(row interface{ Scan(...any) error }) (*truce.User, error) {
	var u truce.User
	var roles string
	var created, updated scanTime
	if err := row.Scan(&u.ID, &u.PartyID, &u.Username, &u.Name, &roles, &u.Disabled, &created, &updated, &u.Version, &u.JournalIndex); err != nil {
		return nil, err
	}
	for _, r := range strings.Split(roles, ",") {
		if r != "" {
			u.Roles = append(u.Roles, truce.Role(r))
		}
	}
	u.CreatedAt, u.UpdatedAt = created.T, updated.T
	return &u, nil
}

func joinRoles(rs []truce.Role) string {
	ss := make([]string, len(rs))
	for i, r := range rs {
		ss[i] = string(r)
	}
	return strings.Join(ss, ",")
}

func (s *Store) user(ctx context.Context, q queryer, idOrUsername string) (*truce.User, error) {
	u, err := scanUser(q.QueryRowContext(ctx, s.rb.q(`SELECT `+userCols+` FROM users WHERE id = ? OR username = ?`), idOrUsername, idOrUsername))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound("User", idOrUsername)
	}
	return u, s.wrap(err)
}

// User returns a user by id or username.
func (s *Store) User(ctx context.Context, idOrUsername string) (*truce.User, error) {
	return s.user(ctx, s.db, idOrUsername)
}

// Users lists users ordered by id; f.Party must be a party id if set.
func (s *Store) Users(ctx context.Context, f truce.UserFilter) ([]*truce.User, error) {
	where, args := []string{"id > ?"}, []any{f.Cursor}
	if f.Party != "" {
		where, args = append(where, "party_id = ?"), append(args, f.Party)
	}
	args = append(args, limit(f.Limit))
	rows, err := s.db.QueryContext(ctx, s.rb.q(`SELECT `+userCols+` FROM users WHERE `+strings.Join(where, " AND ")+` ORDER BY id LIMIT ?`), args...)
	if err != nil {
		return nil, s.wrap(err)
	}
	defer rows.Close()
	var out []*truce.User
	for rows.Next() {
		u, err := scanUser(rows)
		if err != nil {
			return nil, s.wrap(err)
		}
		out = append(out, u)
	}
	return out, s.wrap(rows.Err())
}

// PasswordHash returns a user's password hash.
func (s *Store) PasswordHash(ctx context.Context, userID string) (string, error) {
	var h string
	err := s.db.QueryRowContext(ctx, s.rb.q(`SELECT password_hash FROM users WHERE id = ?`), userID).Scan(&h)
	if errors.Is(err, sql.ErrNoRows) {
		return "", notFound("User", userID)
	}
	return h, s.wrap(err)
}

// --- tokens ---

const tokenCols = `id, user_id, name, expires_at, revoked_at, created_at, journal_index`

func scanToken(row interface{ Scan(...any) error }) (*truce.Token, error) {
	var t truce.Token
	var exp, rev, created scanTime
	if err := row.Scan(&t.ID, &t.UserID, &t.Name, &exp, &rev, &created, &t.JournalIndex); err != nil {
		return nil, err
	}
	t.ExpiresAt, t.RevokedAt, t.CreatedAt = exp.ptr(), rev.ptr(), created.T
	return &t, nil
}

func (s *Store) token(ctx context.Context, q queryer, id string) (*truce.Token, error) {
	t, err := scanToken(q.QueryRowContext(ctx, s.rb.q(`SELECT `+tokenCols+` FROM tokens WHERE id = ?`), id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound("Token", id)
	}
	return t, s.wrap(err)
}

// Token returns a token by id.
func (s *Store) Token(ctx context.Context, id string) (*truce.Token, error) {
	return s.token(ctx, s.db, id)
}

// TokenByHash returns the token whose secret hashes to hash.
func (s *Store) TokenByHash(ctx context.Context, hash []byte) (*truce.Token, error) {
	t, err := scanToken(s.db.QueryRowContext(ctx, s.rb.q(`SELECT `+tokenCols+` FROM tokens WHERE hash = ?`), hash))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, truce.Errorf(truce.ENOTFOUND, "Token not found.")
	}
	return t, s.wrap(err)
}

// Tokens lists a user's tokens.
func (s *Store) Tokens(ctx context.Context, userID string) ([]*truce.Token, error) {
	rows, err := s.db.QueryContext(ctx, s.rb.q(`SELECT `+tokenCols+` FROM tokens WHERE user_id = ? ORDER BY id`), userID)
	if err != nil {
		return nil, s.wrap(err)
	}
	defer rows.Close()
	var out []*truce.Token
	for rows.Next() {
		t, err := scanToken(rows)
		if err != nil {
			return nil, s.wrap(err)
		}
		out = append(out, t)
	}
	return out, s.wrap(rows.Err())
}

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
	err := s.db.QueryRowContext(ctx, `SELECT size FROM log_head WHERE id = 1`).Scan(&n)
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

func (s *Store) records(ctx context.Context, q string, args ...any) ([]*truce.JournalRecord, error) {
	rows, err := s.db.QueryContext(ctx, s.rb.q(q), args...)
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

// --- idempotency ---

// Idempotency returns a saved response.
func (s *Store) Idempotency(ctx context.Context, scope, key string) (*truce.IdempotentResponse, error) {
	var r truce.IdempotentResponse
	var created scanTime
	var idx sql.NullInt64
	err := s.db.QueryRowContext(ctx, s.rb.q(`SELECT scope, key, request_hash, status, header, body, created_at, journal_index FROM idempotency WHERE scope = ? AND key = ?`), scope, key).
		Scan(&r.Scope, &r.Key, &r.RequestHash, &r.Status, &r.Header, &r.Body, &created, &idx)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, truce.Errorf(truce.ENOTFOUND, "No saved response.")
	}
	r.CreatedAt = created.T
	if idx.Valid {
		r.JournalIndex = &idx.Int64
	}
	return &r, s.wrap(err)
}

// PutIdempotency saves a response, completing the claim of the request's
// write if it made one, in one statement.
func (s *Store) PutIdempotency(ctx context.Context, r *truce.IdempotentResponse) error {
	res, err := s.db.ExecContext(ctx, s.rb.q(`INSERT INTO idempotency (scope, key, request_hash, status, header, body, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (scope, key) DO UPDATE SET status = excluded.status, header = excluded.header, body = excluded.body
		WHERE idempotency.status = 0 AND idempotency.request_hash = excluded.request_hash`),
		r.Scope, r.Key, r.RequestHash, r.Status, r.Header, r.Body, r.CreatedAt.UTC())
	if err != nil {
		return s.wrap(err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return truce.Errorf(truce.ECONFLICT, "A response is already saved for this Idempotency-Key.")
	}
	return nil
}

// Claim records the write made for an Idempotency-Key in its transaction.
// It is not a deferred insert: a second claim of the key must fail as the
// claiming call's own error.
func (t *tx) Claim(_ context.Context, c *truce.IdempotencyClaim, idx int64) error {
	_, err := t.exec(`INSERT INTO idempotency (scope, key, request_hash, status, header, body, created_at, journal_index) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
		c.Scope, c.Key, c.RequestHash, 0, "", []byte{}, time.Now().UTC(), idx)
	if truce.ErrorCode(err) == truce.ECONFLICT {
		return truce.Errorf(truce.ECONFLICT, "A write for this Idempotency-Key is already recorded.")
	}
	return err
}

// PurgeIdempotency deletes old responses.
func (s *Store) PurgeIdempotency(ctx context.Context, before time.Time) error {
	_, err := s.db.ExecContext(ctx, s.rb.q(`DELETE FROM idempotency WHERE created_at < ?`), before.UTC())
	return s.wrap(err)
}

// AcquireLease takes or renews a lease in one statement, so two servers
// racing for it cannot both win.
func (s *Store) AcquireLease(ctx context.Context, name, holder string, now, until time.Time) (bool, error) {
	res, err := s.db.ExecContext(ctx, s.rb.q(`INSERT INTO leases (name, holder, expires_at) VALUES (?, ?, ?)
		ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at
		WHERE leases.holder = excluded.holder OR leases.expires_at <= ?`), name, holder, micros(until), micros(now))
	if err != nil {
		return false, s.wrap(err)
	}
	n, err := res.RowsAffected()
	return n == 1, s.wrap(err)
}

// ReleaseLease ends holder's lease.
func (s *Store) ReleaseLease(ctx context.Context, name, holder string) error {
	_, err := s.db.ExecContext(ctx, s.rb.q(`DELETE FROM leases WHERE name = ? AND holder = ?`), name, holder)
	return s.wrap(err)
}
