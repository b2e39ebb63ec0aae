// idempotency.go holds saved responses for Idempotency-Key and the claims
// a transaction makes of a key.

package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/truce-project/truce"
)

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
// write if it made one, in one statement. It goes through the group
// committer like the writes: saved on its own, each response was a
// transaction of its own, committed (and on SQLite synced) once per
// request and waiting for the writer's lock, which held the API's
// filings to about 200 a second (BenchmarkAPI_FileObservation). It is
// not a change of state and has no journal entry: the claim, made in
// the write's transaction, is what records that the request was served.
func (s *Store) PutIdempotency(ctx context.Context, r *truce.IdempotentResponse) error {
	return s.update(ctx, func(t *tx) error {
		st, err := t.stmt(`INSERT INTO idempotency (scope, key, request_hash, status, header, body, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (scope, key) DO UPDATE SET status = excluded.status, header = excluded.header, body = excluded.body
		WHERE idempotency.status = 0 AND idempotency.request_hash = excluded.request_hash`)
		if err != nil {
			return err
		}
		res, err := st.ExecContext(t.ctx, r.Scope, r.Key, r.RequestHash, r.Status, r.Header, r.Body, r.CreatedAt.UTC())
		if err != nil {
			return s.wrap(err)
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return truce.Errorf(truce.ECONFLICT, "A response is already saved for this Idempotency-Key.")
		}
		return nil
	})
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
