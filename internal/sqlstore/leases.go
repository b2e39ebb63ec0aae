// leases.go holds named leases, which elect one server for a job (the
// airspace feeds); each is taken or released in one statement.

package sqlstore

import (
	"context"
	"time"
)

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
