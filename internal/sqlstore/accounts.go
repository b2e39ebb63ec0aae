// accounts.go holds parties, users and tokens: their reads on the Store and
// in a transaction, their writes, and the Store's accounts.Store view.

package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"time"

	"github.com/truce-project/truce"
	"github.com/truce-project/truce/accounts"
)

// Accounts returns the store as accounts sees it: its reads, and Update
// with the transaction as an accounts.Tx.
func (s *Store) Accounts() accounts.Store { return accountsStore{s} }

type accountsStore struct{ *Store }

func (a accountsStore) Update(ctx context.Context, fn func(accounts.Tx) error) error {
	return a.update(ctx, func(t *tx) error { return fn(t) })
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
	return s.party(ctx, s.reader(ctx), idOrSlug)
}

// Parties lists parties ordered by id.
func (s *Store) Parties(ctx context.Context, f truce.PartyFilter) ([]*truce.Party, error) {
	where, args := []string{"id > ?"}, []any{f.Cursor}
	if f.Kind != "" {
		where, args = append(where, "kind = ?"), append(args, string(f.Kind))
	}
	args = append(args, limit(f.Limit))
	rows, err := s.reader(ctx).QueryContext(ctx, s.rb.q(`SELECT `+partyCols+` FROM parties WHERE `+strings.Join(where, " AND ")+` ORDER BY id LIMIT ?`), args...)
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
	return s.user(ctx, s.reader(ctx), idOrUsername)
}

// Users lists users ordered by id; f.Party must be a party id if set.
func (s *Store) Users(ctx context.Context, f truce.UserFilter) ([]*truce.User, error) {
	where, args := []string{"id > ?"}, []any{f.Cursor}
	if f.Party != "" {
		where, args = append(where, "party_id = ?"), append(args, f.Party)
	}
	args = append(args, limit(f.Limit))
	rows, err := s.reader(ctx).QueryContext(ctx, s.rb.q(`SELECT `+userCols+` FROM users WHERE `+strings.Join(where, " AND ")+` ORDER BY id LIMIT ?`), args...)
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
	err := s.reader(ctx).QueryRowContext(ctx, s.rb.q(`SELECT password_hash FROM users WHERE id = ?`), userID).Scan(&h)
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
	return s.token(ctx, s.reader(ctx), id)
}

// TokenByHash returns the token whose secret hashes to hash.
func (s *Store) TokenByHash(ctx context.Context, hash []byte) (*truce.Token, error) {
	t, err := scanToken(s.reader(ctx).QueryRowContext(ctx, s.rb.q(`SELECT `+tokenCols+` FROM tokens WHERE hash = ?`), hash))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, truce.Errorf(truce.ENOTFOUND, "Token not found.")
	}
	return t, s.wrap(err)
}

// Tokens lists a user's tokens.
func (s *Store) Tokens(ctx context.Context, userID string) ([]*truce.Token, error) {
	rows, err := s.reader(ctx).QueryContext(ctx, s.rb.q(`SELECT `+tokenCols+` FROM tokens WHERE user_id = ? ORDER BY id`), userID)
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

func (t *tx) InsertParty(_ context.Context, p *truce.Party) error {
	return t.insert(`INSERT INTO parties (`+partyCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		p.ID, p.Slug, p.Name, string(p.Kind), p.PublicKey, p.Custodial, p.CreatedAt.UTC(), p.Version, p.JournalIndex)
}

func (t *tx) UpdatePartyKey(_ context.Context, p *truce.Party) error {
	res, err := t.exec(`UPDATE parties SET public_key = ?, version = ?, journal_index = ? WHERE id = ? AND version = ?`,
		p.PublicKey, p.Version, p.JournalIndex, p.ID, p.Version-1)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return truce.Errorf(truce.EPRECONDITION, "Party %q was changed by someone else; reload and retry.", p.ID)
	}
	return nil
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
